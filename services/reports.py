"""Reports: a template + an instance + saved parameters, with a dashboard and run history."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from db.models import (
    FREQUENCIES,
    SCHEDULE_TYPES,
    Dashboard,
    DashboardFavorite,
    QueryTemplate,
    ReportDataCollection,
    ReportDefinition,
    ReportSchedule,
)
from db.views import report_runs_overview as overview
from services.access import (
    granted_instances,
    may_edit,
    require_editor,
    require_runner,
    visible_reports,
)
from services.dashboards import create_dashboard_for_report
from services.errors import ParameterError, ReportNotFound, ValidationFailed
from services.instances import get_instance
from services.keys import by_id, uuid_match
from services.paging import DEFAULT_LIMIT, Page, fetch_page
from services.parameter_validation import validate
from services.templates import definitions_of, escape_like, get_template_row, today_in
from services.users import Actor

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
STATES = ("active", "paused", "inactive")
#: How a report runs (ReportInfo.run_kind): a schedule type, a backfill, or once.
RUN_KINDS = (*SCHEDULE_TYPES, "backfill", "once")
#: Columns the reports table may sort by.
SORTABLE = ("name", "created_at", "updated_at", "last_run_at", "next_run_at", "execution_count")


@dataclass(frozen=True)
class ReportInfo:
    uuid: uuid.UUID
    report_id: str
    name: str
    description: str
    template_id: str
    template_name: str
    report_type: str
    instance_id: str
    instance_name: str
    owner_email: str
    owner_uuid: UUID
    frequency: str
    timezone: str
    is_active: bool
    state: str
    dashboard_id: str | None
    schedule_id: str | None
    last_execution_id: str | None
    last_status: str | None
    last_run_at: datetime | None
    next_run_at: datetime | None
    execution_count: int
    is_favorite: bool
    created_at: datetime
    updated_at: datetime
    parameters: dict[str, Any]
    notification_emails: tuple[str, ...]
    #: How the report runs, one of RUN_KINDS (see `run_kind_of`).
    run_kind: str


def run_kind_of(schedule_type: str | None, has_backfill: bool) -> str:
    """The active schedule's type, else "backfill" if it was ever backfilled, else "once".

    `frequency` alone cannot say it: a custom-cron or backfill-only report keeps "once".
    """
    if schedule_type:
        return schedule_type
    return "backfill" if has_backfill else "once"


def _overview_query(actor: Actor) -> Select[Any]:
    starred = exists().where(
        DashboardFavorite.dashboard_uuid == overview.c.dashboard_uuid,
        DashboardFavorite.user_uuid == actor.id,
    )
    backfilled = exists().where(ReportDataCollection.report_uuid == overview.c.report_uuid)
    # The view's schedule is the active one: a primary-key join, and an indexed EXISTS,
    # cost one row lookup each per report, not a query per row.
    statement = (
        select(
            overview,
            starred.label("starred"),
            ReportDefinition.parameters,
            ReportDefinition.notification_emails,
            ReportSchedule.schedule_type,
            backfilled.label("backfilled"),
        )
        .join(ReportDefinition, ReportDefinition.id == overview.c.report_uuid)
        .outerjoin(ReportSchedule, ReportSchedule.id == overview.c.schedule_uuid)
    )
    if actor.is_admin:
        return statement
    if actor.role == "viewer":
        return statement.where(overview.c.instance_uuid.in_(granted_instances(actor)))
    return statement.where(
        overview.c.owner_uuid == actor.id, overview.c.instance_uuid.in_(granted_instances(actor))
    )


def _info(row: Any) -> ReportInfo:
    return ReportInfo(
        uuid=row.report_uuid,
        report_id=row.report_id,
        name=row.name,
        description=row.description,
        template_id=row.template_id,
        template_name=row.template_name,
        report_type=row.report_type,
        instance_id=row.instance_id,
        instance_name=row.instance_name,
        owner_email=row.owner_email,
        owner_uuid=row.owner_uuid,
        frequency=row.frequency,
        timezone=row.timezone,
        is_active=bool(row.is_active),
        state=row.state,
        dashboard_id=row.dashboard_id,
        schedule_id=row.schedule_id,
        last_execution_id=row.last_execution_id,
        last_status=row.last_status,
        last_run_at=row.last_run_at,
        next_run_at=row.next_run_at,
        execution_count=row.execution_count,
        is_favorite=bool(row.starred),
        created_at=row.created_at,
        updated_at=row.updated_at,
        parameters=dict(row.parameters or {}),
        notification_emails=tuple(row.notification_emails or ()),
        run_kind=run_kind_of(row.schedule_type, bool(row.backfilled)),
    )


def can_edit(actor: Actor, report: ReportInfo) -> bool:
    """Whether `actor` may change the report (owners and admins): what a page offers;
    every change is checked again by `require_editor`."""
    return may_edit(actor, report.owner_uuid)


def get_report_row(*, session: Session, actor: Actor, report_id: str) -> ReportDefinition:
    """The report by slug or UUID if `actor` may see it; ReportNotFound otherwise."""
    statement = visible_reports(
        select(ReportDefinition).where(
            by_id(ReportDefinition.id, ReportDefinition.report_id, report_id)
        ),
        actor,
    )
    report: ReportDefinition | None = session.scalar(statement)
    if report is None:
        raise ReportNotFound(report_id)
    return report


def get_report(*, session: Session, actor: Actor, report_id: str) -> ReportInfo:
    report = get_report_row(session=session, actor=actor, report_id=report_id)
    row = session.execute(_overview_query(actor).where(overview.c.report_uuid == report.id)).one()
    return _info(row)


def list_reports(
    *,
    session: Session,
    actor: Actor,
    instance_id: str | None = None,
    owner_id: str | None = None,
    state: str | None = None,
    frequency: str | None = None,
    search: str | None = None,
    sort: str = "updated_at",
    descending: bool = True,
    page: int = 1,
    limit: int = DEFAULT_LIMIT,
) -> Page[ReportInfo]:
    statement = _overview_query(actor)
    if instance_id:
        statement = statement.where(
            or_(
                overview.c.instance_id == instance_id,
                uuid_match(overview.c.instance_uuid, instance_id),
            )
        )
    if owner_id:
        statement = statement.where(
            or_(
                overview.c.owner_email == owner_id.lower(),
                uuid_match(overview.c.owner_uuid, owner_id),
            )
        )
    if state:
        if state not in STATES:
            raise ParameterError("state", f"Choose one of: {', '.join(STATES)}.")
        statement = statement.where(overview.c.state == state)
    if frequency:
        if frequency not in FREQUENCIES:
            raise ParameterError("frequency", f"Choose one of: {', '.join(FREQUENCIES)}.")
        statement = statement.where(overview.c.frequency == frequency)
    if search and search.strip():
        term = f"%{escape_like(search.strip().lower())}%"
        statement = statement.where(
            or_(
                func.lower(overview.c.name).like(term, escape="\\"),
                func.lower(overview.c.template_name).like(term, escape="\\"),
                overview.c.report_id == search.strip(),
            )
        )
    if sort not in SORTABLE:
        raise ParameterError("sort", f"Sort by one of: {', '.join(SORTABLE)}.")
    column = overview.c[sort]
    order = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return fetch_page(
        session, statement.order_by(order, overview.c.report_id), page=page, limit=limit, item=_info
    )


def check_timezone(timezone: str, field: str = "timezone") -> str:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(field, f"Unknown time zone {timezone!r}; use an IANA name.") from None
    return timezone


def _check_emails(emails: Iterable[str]) -> list[str]:
    cleaned = [e.strip().lower() for e in emails if e and e.strip()]
    bad = [e for e in cleaned if not _EMAIL.match(e)]
    if bad:
        raise ParameterError("notification_emails", f"Not an e-mail address: {bad[0]}")
    return sorted(set(cleaned))


def _checked_parameters(
    session: Session, template_uuid: uuid.UUID, parameters: dict[str, Any], timezone: str
) -> dict[str, Any]:
    """Validate, and keep what the user gave (presets stay presets for later runs)."""
    template = session.get_one(QueryTemplate, template_uuid)
    result = validate(definitions_of(template), parameters, today=today_in(timezone))
    if not result.valid:
        raise ValidationFailed({f"parameters.{k}": v for k, v in result.errors.items()})
    return {k: v for k, v in parameters.items() if v not in (None, "")}


def create_report(
    *,
    session: Session,
    actor: Actor,
    template_id: str,
    instance_id: str,
    name: str,
    description: str = "",
    parameters: dict[str, Any] | None = None,
    frequency: str = "once",
    timezone: str = "UTC",
    notification_emails: Iterable[str] = (),
) -> ReportInfo:
    """Create a report and its dashboard, generated from the template's report_config."""
    require_runner(actor)
    name = check_name(name)
    if frequency not in FREQUENCIES:
        raise ParameterError("frequency", f"Choose one of: {', '.join(FREQUENCIES)}.")
    check_timezone(timezone)
    # A report may only use a template its owner can see (published, or their own).
    template = get_template_row(session=session, template_id=template_id, actor=actor)
    instance = get_instance(session=session, actor=actor, instance_id=instance_id)
    saved = _checked_parameters(session, template.id, parameters or {}, timezone)
    dashboard = create_dashboard_for_report(
        session=session, template=template, name=name, owner_uuid=actor.id
    )
    report = ReportDefinition(
        name=name,
        description=description.strip(),
        template_uuid=template.id,
        instance_uuid=instance.id,
        owner_uuid=actor.id,
        parameters=saved,
        frequency=frequency,
        timezone=timezone,
        notification_emails=_check_emails(notification_emails),
        dashboard_uuid=dashboard.id,
    )
    session.add(report)
    session.flush()
    return get_report(session=session, actor=actor, report_id=report.report_id)


def check_name(name: Any) -> str:
    """The report name, trimmed; ParameterError unless it has 1 to 200 characters."""
    text = str(name or "").strip()
    if not text or len(text) > 200:
        raise ParameterError("name", "Give the report a name of 1 to 200 characters.")
    return text


#: Fields `update_report` changes; anything else is refused.
UPDATABLE = (
    "name",
    "description",
    "parameters",
    "frequency",
    "timezone",
    "notification_emails",
    "is_active",
)


def update_report(
    *,
    session: Session,
    actor: Actor,
    report_id: str,
    changes: dict[str, Any],
) -> ReportInfo:
    report = get_report_row(session=session, actor=actor, report_id=report_id)
    require_editor(actor, report)
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise ValidationFailed({k: "This field cannot be changed." for k in sorted(unknown)})
    if "name" in changes:
        report.name = check_name(changes["name"])
    if "description" in changes:
        report.description = str(changes["description"] or "").strip()
    if "frequency" in changes:
        if changes["frequency"] not in FREQUENCIES:
            raise ParameterError("frequency", f"Choose one of: {', '.join(FREQUENCIES)}.")
        report.frequency = changes["frequency"]
    if "timezone" in changes:
        report.timezone = check_timezone(str(changes["timezone"]))
    if "parameters" in changes:
        if not isinstance(changes["parameters"], dict):
            raise ParameterError("parameters", "Parameters are a mapping of name to value.")
        report.parameters = _checked_parameters(
            session, report.template_uuid, changes["parameters"], report.timezone
        )
    if "notification_emails" in changes:
        report.notification_emails = _check_emails(changes["notification_emails"] or [])
    if "is_active" in changes:
        report.is_active = bool(changes["is_active"])
    session.flush()
    return get_report(session=session, actor=actor, report_id=report.report_id)


def set_active(*, session: Session, actor: Actor, report_id: str, active: bool) -> ReportInfo:
    return update_report(
        session=session, actor=actor, report_id=report_id, changes={"is_active": active}
    )


def delete_report(*, session: Session, actor: Actor, report_id: str) -> None:
    """Delete the report, its runs, schedules, backfills and dashboard."""
    report = get_report_row(session=session, actor=actor, report_id=report_id)
    require_editor(actor, report)
    dashboard_uuid = report.dashboard_uuid
    session.delete(report)
    session.flush()
    if dashboard_uuid is not None:
        dashboard = session.get(Dashboard, dashboard_uuid)
        if dashboard is not None:
            session.delete(dashboard)
    session.flush()

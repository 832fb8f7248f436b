"""Query templates as the UI lists them: the catalogue a user picks a report from."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from db.models import QueryTemplate, User
from services.errors import ParameterError, TemplateNotFound
from services.keys import by_id
from services.paging import DEFAULT_LIMIT, Page, fetch_page
from services.parameter_types import METADATA_KINDS, ParameterDefinition
from services.parameter_validation import validate
from services.parameters import parse_definitions
from services.sql_templates import preview_sql
from services.users import Actor
from services.windows import default_window, freshest_day


@dataclass(frozen=True)
class TemplateSummary:
    """One template as a catalogue card shows it; no SQL, no parameter details."""

    template_id: str
    name: str
    description: str
    category: str
    report_type: str
    parameter_count: int
    min_data_age_days: int
    #: The instance option lists (campaigns, asins, option_list's own) its parameters use.
    metadata_needs: tuple[str, ...] = ()
    #: The latest saved version; runs record the version they ran.
    version: int = 1
    #: Published: everyone sees it (else its author and admins only).
    is_published: bool = True
    #: The viewer may change it: its author or an admin, and not a library template.
    can_edit: bool = False
    #: Who wrote it; "" for a library template.
    owner_name: str = ""


def fits_instance(needs: Iterable[str], instance_kinds: Iterable[str]) -> bool:
    """A template runs on an instance that has every metadata list it needs."""
    return set(needs) <= set(instance_kinds)


def visible_templates(statement: Select[Any], actor: Actor | None) -> Select[Any]:
    """Restrict a query over QueryTemplate to what `actor` may see: published templates,
    and unpublished ones to their author and admins. None: internal callers see all."""
    if actor is None or actor.is_admin:
        return statement
    return statement.where(
        or_(QueryTemplate.is_public.is_(True), QueryTemplate.owner_uuid == actor.id)
    )


def may_edit_template(actor: Actor | None, template: QueryTemplate) -> bool:
    """Authors and admins change a template they wrote; library templates (no owner) stay
    as their files say."""
    if actor is None or template.owner_uuid is None or not actor.can_run:
        return False
    return actor.is_admin or template.owner_uuid == actor.id


#: A template author's name as lists show it (the e-mail when they gave no name; "" for a
#: library template), selected with the templates themselves.
OWNER_NAME = func.coalesce(func.nullif(User.name, ""), User.email, "").label("owner_name")


@overload
def list_templates(
    *,
    session: Session,
    actor: Actor | None,
    search: str | None = None,
    category: str | None = None,
    report_type: str | None = None,
    page: None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[TemplateSummary]: ...


@overload
def list_templates(
    *,
    session: Session,
    actor: Actor | None,
    search: str | None = None,
    category: str | None = None,
    report_type: str | None = None,
    page: int,
    limit: int = DEFAULT_LIMIT,
) -> Page[TemplateSummary]: ...


def list_templates(
    *,
    session: Session,
    actor: Actor | None,
    search: str | None = None,
    category: str | None = None,
    report_type: str | None = None,
    page: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[TemplateSummary] | Page[TemplateSummary]:
    """Templates `actor` may see, by category then name, narrowed by a search, a category
    and a report type; all, or with `page`, one page of `limit` and the total.

    `search` matches anywhere in the name, description or template id, ignoring case;
    a blank search, category or report type filters nothing. `actor` None: every template
    (internal).
    """
    query = visible_templates(
        select(QueryTemplate)
        .add_columns(OWNER_NAME)
        .outerjoin(User, User.id == QueryTemplate.owner_uuid)
        .order_by(QueryTemplate.category, QueryTemplate.name, QueryTemplate.template_id),
        actor,
    )
    if search and search.strip():
        term = search.strip().lower()
        query = query.where(
            or_(
                *(
                    column.ilike(f"%{escape_like(term)}%", escape="\\")
                    for column in (
                        QueryTemplate.name,
                        QueryTemplate.description,
                        QueryTemplate.template_id,
                    )
                )
            )
        )
    if category and category.strip():
        query = query.where(QueryTemplate.category == category.strip())
    if report_type:
        query = query.where(QueryTemplate.report_type == report_type)
    # One query, the authors' names included (a page adds its COUNT).
    if page is None:
        return [_summary(row[0], actor, row.owner_name) for row in session.execute(query)]
    return fetch_page(
        session,
        query,
        page=page,
        limit=limit,
        item=lambda row: _summary(row[0], actor, row.owner_name),
    )


def _owner_names(session: Session, uuids: set[uuid.UUID]) -> dict[uuid.UUID | None, str]:
    if not uuids:
        return {}
    rows = session.execute(select(User.id, User.name, User.email).where(User.id.in_(uuids)))
    return {row.id: row.name or row.email for row in rows}


def escape_like(term: str) -> str:
    """Make `%` and `_` in user input match themselves rather than act as wildcards."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _summary(template: QueryTemplate, actor: Actor | None, owner_name: str) -> TemplateSummary:
    return TemplateSummary(
        template_id=template.template_id,
        name=template.name,
        description=template.description,
        category=template.category,
        report_type=template.report_type,
        parameter_count=len(template.parameter_definitions or []),
        min_data_age_days=template.min_data_age_days,
        metadata_needs=_metadata_needs(template.parameter_definitions or []),
        version=template.version,
        is_published=template.is_public,
        can_edit=may_edit_template(actor, template),
        owner_name=owner_name,
    )


def _metadata_needs(definitions: list[Any]) -> tuple[str, ...]:
    """The instance option lists a template's parameters choose from: a campaign_ids
    parameter needs "campaigns" (its type says so), an option_list one the list its
    options_source names."""
    kinds: set[str] = set()
    for d in definitions:
        if not isinstance(d, dict):
            continue
        if d.get("type") in METADATA_KINDS:
            kinds.add(METADATA_KINDS[d["type"]])
        elif d.get("type") == "option_list" and isinstance(d.get("options_source"), str):
            kinds.add(d["options_source"])
    return tuple(sorted(kinds))


@dataclass(frozen=True)
class TemplateDetail:
    """One template with what a form and a client need: parameters, widgets, form hints."""

    uuid: uuid.UUID
    template_id: str
    name: str
    description: str
    category: str
    report_type: str
    parameter_definitions: list[dict[str, Any]]
    report_config: dict[str, Any]
    ui_schema: dict[str, Any]
    min_data_age_days: int
    sql_template: str
    version: int = 1
    windowed: bool = True
    is_published: bool = True
    can_edit: bool = False
    owner_name: str = ""


@dataclass(frozen=True)
class ParameterCheck:
    """What `validate_parameters` found: field errors, normalized values, readable SQL."""

    valid: bool
    errors: dict[str, str]
    normalized: dict[str, Any]
    preview_sql: str | None


def get_template_row(
    *, session: Session, template_id: str, actor: Actor | None = None
) -> QueryTemplate:
    """The template by slug or UUID, when `actor` may see it (None: internal callers that
    reached it through a report or run); TemplateNotFound otherwise."""
    template: QueryTemplate | None = session.scalar(
        visible_templates(
            select(QueryTemplate).where(
                by_id(QueryTemplate.id, QueryTemplate.template_id, template_id)
            ),
            actor,
        )
    )
    if template is None:
        raise TemplateNotFound(template_id)
    return template


def definitions_of(template: QueryTemplate) -> tuple[ParameterDefinition, ...]:
    return parse_definitions(template.parameter_definitions or [])


def get_template(
    *, session: Session, template_id: str, actor: Actor | None = None
) -> TemplateDetail:
    """The template as `actor` may see it (None: a caller that reached it through a report)."""
    template = get_template_row(session=session, template_id=template_id, actor=actor)
    owners = _owner_names(session, {template.owner_uuid} if template.owner_uuid else set())
    return TemplateDetail(
        uuid=template.id,
        template_id=template.template_id,
        name=template.name,
        description=template.description,
        category=template.category,
        report_type=template.report_type,
        parameter_definitions=[d.to_dict() for d in definitions_of(template)],
        report_config=template.report_config or {},
        ui_schema=template.ui_schema or {},
        min_data_age_days=template.min_data_age_days,
        sql_template=template.sql_template,
        version=template.version,
        windowed=template.windowed,
        is_published=template.is_public,
        can_edit=may_edit_template(actor, template),
        owner_name=owners.get(template.owner_uuid, ""),
    )


def today_in(timezone: str, now: datetime | None = None) -> date:
    """The calendar day in `timezone`: what relative date presets count from."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(
            "timezone", f"Unknown time zone {timezone!r}; use an IANA name."
        ) from None
    return (now or datetime.now(UTC)).astimezone(zone).date()


def validate_parameters(
    *,
    session: Session,
    template_id: str,
    values: dict[str, Any],
    timezone: str = "UTC",
    window: tuple[datetime, datetime] | None = None,
    actor: Actor | None = None,
) -> ParameterCheck:
    """Field-level errors and normalized values; with a valid result, the SQL to read."""
    template = get_template_row(session=session, template_id=template_id, actor=actor)
    definitions = definitions_of(template)
    result = validate(definitions, values, today=today_in(timezone))
    preview = None
    if result.valid:
        if window is None:
            freshest = freshest_day(
                timezone=timezone, data_lag_days=0, min_data_age_days=template.min_data_age_days
            )
            window = default_window(freshest).as_datetimes()
        preview = preview_sql(template.sql_template, definitions, result.normalized, window)
    return ParameterCheck(
        valid=result.valid,
        errors=result.errors,
        normalized=result.normalized,
        preview_sql=preview,
    )

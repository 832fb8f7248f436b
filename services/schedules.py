"""Schedules: when a report runs by itself — create, read, change, delete and preview them."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import SCHEDULE_TYPES, QueryTemplate, ReportDefinition, ReportSchedule
from services.access import require_editor, visible_reports
from services.cron import check_cron, cron_for, describe_cron, local_iso, next_runs, utc_iso, zone
from services.errors import Conflict, NotFound, ParameterError, ScheduleNotFound, ValidationFailed
from services.keys import by_id
from services.parameter_validation import validate
from services.reports import get_report_row
from services.templates import definitions_of, today_in
from services.users import Actor


@dataclass(frozen=True)
class ScheduleInfo:
    schedule_id: str
    uuid: uuid.UUID
    report_id: str
    schedule_type: str
    cron_expression: str
    timezone: str
    default_parameters: dict[str, Any]
    is_active: bool
    is_paused: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_run_status: str | None
    run_count: int
    failure_count: int
    #: The cron in words ("At 06:00, only on Monday").
    description: str = ""
    #: What a form edits, read back from the cron: "HH:MM", weekday (0 = Monday), day.
    time_of_day: str | None = None
    weekday: int | None = None
    day_of_month: int | None = None


def cron_fields(schedule_type: str, cron: str) -> tuple[str | None, int | None, int | None]:
    """(time of day, weekday with 0 = Monday, day of month) a typed schedule's cron names."""
    minute, hour, day, _, weekday = cron.split()
    if schedule_type == "custom" or not (minute.isdigit() and hour.isdigit()):
        return None, None, None
    time_of_day = f"{int(hour):02d}:{int(minute):02d}"
    named_weekday = (int(weekday) + 6) % 7 if weekday.isdigit() else None
    named_day = int(day) if day.isdigit() else None
    return time_of_day, named_weekday, named_day


def _info(schedule: ReportSchedule, report_id: str) -> ScheduleInfo:
    time_of_day, weekday, day_of_month = cron_fields(
        schedule.schedule_type, schedule.cron_expression
    )
    return ScheduleInfo(
        schedule_id=schedule.schedule_id,
        uuid=schedule.id,
        report_id=report_id,
        schedule_type=schedule.schedule_type,
        cron_expression=schedule.cron_expression,
        timezone=schedule.timezone,
        default_parameters=dict(schedule.default_parameters or {}),
        is_active=schedule.is_active,
        is_paused=schedule.is_paused,
        next_run_at=schedule.next_run_at,
        last_run_at=schedule.last_run_at,
        last_run_status=schedule.last_run_status,
        run_count=schedule.run_count,
        failure_count=schedule.failure_count,
        description=describe_cron(schedule.cron_expression),
        time_of_day=time_of_day,
        weekday=weekday,
        day_of_month=day_of_month,
    )


def schedule_cron(
    schedule_type: str,
    cron_expression: str | None = None,
    time_of_day: str | None = None,
    *,
    weekday: int | None = None,
    day_of_month: int | None = None,
) -> str:
    """The cron a schedule runs on: a custom expression, or its type at a time of day
    (weekly on `weekday`, 0 = Monday; monthly and quarterly on `day_of_month`)."""
    if schedule_type not in SCHEDULE_TYPES:
        raise ParameterError("schedule_type", f"Choose one of: {', '.join(SCHEDULE_TYPES)}.")
    if schedule_type == "custom":
        if not cron_expression or not cron_expression.strip():
            raise ParameterError("cron_expression", "Enter a cron expression, e.g. 0 6 * * 1.")
        return check_cron(cron_expression)
    if cron_expression:  # a typed schedule may name its own time: keep what was given
        return check_cron(cron_expression)
    hour, minute = time_of_day_parts(time_of_day or "06:00")
    return cron_for(
        schedule_type,
        hour=hour,
        minute=minute,
        weekday=0 if weekday is None else weekday,
        day=1 if day_of_month is None else day_of_month,
    )


def time_of_day_parts(text: str) -> tuple[int, int]:
    """(hour, minute) of "HH:MM"; ParameterError on anything else."""
    try:
        hour_text, minute_text = text.strip().split(":")[:2]
        hour, minute = int(hour_text), int(minute_text)
    except ValueError:
        raise ParameterError("time_of_day", "Enter a time as HH:MM, e.g. 06:30.") from None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ParameterError("time_of_day", "Enter a time between 00:00 and 23:59.")
    return hour, minute


def _check_defaults(session: Session, report: ReportDefinition, defaults: Any) -> dict[str, Any]:
    if not isinstance(defaults, dict):
        raise ParameterError("default_parameters", "Default parameters map names to values.")
    template = session.get_one(QueryTemplate, report.template_uuid)
    result = validate(
        definitions_of(template), {**report.parameters, **defaults}, today=today_in(report.timezone)
    )
    if not result.valid:
        raise ValidationFailed({f"default_parameters.{k}": v for k, v in result.errors.items()})
    return defaults


def create_schedule(
    *,
    session: Session,
    actor: Actor,
    report_id: str,
    schedule_type: str,
    cron_expression: str | None = None,
    time_of_day: str | None = None,
    timezone: str | None = None,
    default_parameters: dict[str, Any] | None = None,
    weekday: int | None = None,
    day_of_month: int | None = None,
    is_paused: bool = False,
    now: datetime | None = None,
) -> ScheduleInfo:
    """The report's schedule; a report has at most one active schedule (else Conflict)."""
    report = get_report_row(session=session, actor=actor, report_id=report_id)
    require_editor(actor, report)
    cron = schedule_cron(
        schedule_type, cron_expression, time_of_day, weekday=weekday, day_of_month=day_of_month
    )
    timezone = timezone or report.timezone
    zone(timezone)
    defaults = _check_defaults(session, report, default_parameters or {})
    active = session.scalar(
        select(ReportSchedule.schedule_id).where(
            ReportSchedule.report_uuid == report.id, ReportSchedule.is_active
        )
    )
    if active is not None:
        raise Conflict(
            f"The report already has an active schedule ({active}); change or delete it instead."
        )
    schedule = ReportSchedule(
        report_uuid=report.id,
        schedule_type=schedule_type,
        cron_expression=cron,
        timezone=timezone,
        default_parameters=defaults,
        is_paused=is_paused,
        next_run_at=next_runs(cron, timezone, now or datetime.now(UTC))[0],
    )
    session.add(schedule)
    if schedule_type != "custom":
        report.frequency = schedule_type
    try:
        session.flush()
    except IntegrityError:  # another request made one meanwhile
        session.rollback()
        raise Conflict("The report already has an active schedule.") from None
    return _info(schedule, report.report_id)


def _schedule_row(session: Session, actor: Actor, schedule_id: str) -> ReportSchedule:
    schedule = session.scalar(
        select(ReportSchedule).where(
            by_id(ReportSchedule.id, ReportSchedule.schedule_id, schedule_id)
        )
    )
    if schedule is None:
        raise ScheduleNotFound(schedule_id)
    try:  # the schedule is as visible as its report
        get_report_row(session=session, actor=actor, report_id=str(schedule.report_uuid))
    except NotFound:
        raise ScheduleNotFound(schedule_id) from None
    return schedule


def get_schedule(*, session: Session, actor: Actor, schedule_id: str) -> ScheduleInfo:
    schedule = _schedule_row(session, actor, schedule_id)
    return _info(schedule, schedule.report.report_id)


def report_schedule(*, session: Session, actor: Actor, report_id: str) -> ScheduleInfo | None:
    """The report's active schedule, if it has one."""
    report = get_report_row(session=session, actor=actor, report_id=report_id)
    schedule = session.scalar(
        select(ReportSchedule).where(
            ReportSchedule.report_uuid == report.id, ReportSchedule.is_active
        )
    )
    return _info(schedule, report.report_id) if schedule else None


#: What update_schedule changes.
UPDATABLE = (
    "is_paused",
    "schedule_type",
    "cron_expression",
    "time_of_day",
    "weekday",
    "day_of_month",
    "timezone",
    "default_parameters",
)
#: The changes that make a new cron expression.
_WHEN = {"schedule_type", "cron_expression", "time_of_day", "weekday", "day_of_month"}


def update_schedule(
    *,
    session: Session,
    actor: Actor,
    schedule_id: str,
    changes: dict[str, Any],
    now: datetime | None = None,
) -> ScheduleInfo:
    """Change the fields given; a new "when" (type, time, weekday, day) makes a new cron
    from those given, the type's defaults filling the rest."""
    schedule = _schedule_row(session, actor, schedule_id)
    report = schedule.report
    require_editor(actor, report)
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise ValidationFailed({k: "This field cannot be changed." for k in sorted(unknown)})
    if _WHEN & set(changes):
        schedule_type = changes.get("schedule_type", schedule.schedule_type)
        schedule.cron_expression = schedule_cron(
            schedule_type,
            changes.get("cron_expression"),
            changes.get("time_of_day"),
            weekday=_whole(changes.get("weekday"), "weekday"),
            day_of_month=_whole(changes.get("day_of_month"), "day_of_month"),
        )
        schedule.schedule_type = schedule_type
        if schedule_type != "custom":
            report.frequency = schedule_type
    if "timezone" in changes:
        zone(str(changes["timezone"]))
        schedule.timezone = str(changes["timezone"])
    if "default_parameters" in changes:
        schedule.default_parameters = _check_defaults(
            session, report, changes["default_parameters"] or {}
        )
    if "is_paused" in changes:
        schedule.is_paused = bool(changes["is_paused"])
    # Paused or not, the next slot is the first one after now: resuming never catches up.
    schedule.next_run_at = next_runs(
        schedule.cron_expression, schedule.timezone, now or datetime.now(UTC)
    )[0]
    session.flush()
    return _info(schedule, report.report_id)


def _whole(value: Any, field: str) -> int | None:
    """An optional whole number given as a number or digits; ParameterError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ParameterError(field, "Enter a whole number.")
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
        raise ParameterError(field, "Enter a whole number.")
    return int(text)


def delete_schedule(*, session: Session, actor: Actor, schedule_id: str) -> None:
    """Remove the schedule; the report runs only when asked from then on."""
    schedule = _schedule_row(session, actor, schedule_id)
    require_editor(actor, schedule.report)
    schedule.report.frequency = "once"
    session.delete(schedule)
    session.flush()


@dataclass(frozen=True)
class PreviewRun:
    local: str
    utc: str


def preview(
    cron_expression: str, timezone: str, count: int = 5, after: datetime | None = None
) -> list[PreviewRun]:
    """The next `count` runs, in the schedule's zone (with offset) and in UTC."""
    cron = check_cron(cron_expression)
    count = max(1, min(count, 50))
    return [
        PreviewRun(local=local_iso(run, timezone), utc=utc_iso(run))
        for run in next_runs(cron, timezone, after or datetime.now(UTC), count)
    ]


def schedule_preview(
    *, session: Session, actor: Actor, schedule_id: str, count: int = 5
) -> list[PreviewRun]:
    schedule = _schedule_row(session, actor, schedule_id)
    return preview(schedule.cron_expression, schedule.timezone, count)


# --- when a page showing schedules looks again -------------------------------------------


def next_due(*, session: Session, actor: Actor, report_id: str | None = None) -> datetime | None:
    """The earliest next run of the active, unpaused schedules of the reports `actor` sees
    (of one report with `report_id`); in the past while the tick has not started it yet."""
    statement = (
        select(ReportSchedule.next_run_at)
        .where(
            ReportSchedule.is_active,
            ReportSchedule.is_paused.is_(False),
            ReportSchedule.next_run_at.is_not(None),
        )
        .order_by(ReportSchedule.next_run_at)
        .limit(1)
    )
    if report_id is not None:
        report = get_report_row(session=session, actor=actor, report_id=report_id)
        statement = statement.where(ReportSchedule.report_uuid == report.id)
    else:
        visible = visible_reports(select(ReportDefinition.id), actor)
        statement = statement.where(ReportSchedule.report_uuid.in_(visible))
    due: datetime | None = session.scalar(statement)
    return due

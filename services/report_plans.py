"""Report plans: how a report runs (once now, on a schedule, as a backfill), read from what
a form or a request sent, checked, and carried out all or nothing.

The Dash pages, the REST API and the CLI all come here: `read_plan` turns raw values into
a `RunPlan` (field errors for everything it cannot read), `create_report_with_plan` makes a
report together with its plan, and `apply_plan` gives an existing report a run now, a new
or changed schedule, or a backfill. Every step only flushes; the plan commits once at the
end, so when any part is refused nothing is created. Runs are queued after that commit.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from redis import Redis
from sqlalchemy.orm import Session

from db.models import MAX_LOOKBACK_DAYS, SCHEDULE_TYPES, SEGMENT_TYPES, ReportExecution
from services.backfills import (
    REPROCESS_MODES,
    BackfillInfo,
    BackfillPlanInfo,
    get_backfill,
    plan_backfill,
    plan_segments,
    release_held,
    start_backfill,
)
from services.cron import MAX_DAY_OF_MONTH, describe_cron, zone
from services.errors import ParameterError, ValidationFailed
from services.executions import ExecutionInfo, execution_info, new_report_run, submit
from services.executions import run_window as run_window_of
from services.instances import get_instance
from services.reports import ReportInfo, create_report, get_report, get_report_row, update_report
from services.schedules import (
    PreviewRun,
    ScheduleInfo,
    create_schedule,
    delete_schedule,
    preview,
    report_schedule,
    schedule_cron,
    update_schedule,
)
from services.templates import get_template_row
from services.users import Actor
from services.windows import RUN_PRESETS, Window, freshest_day

#: Default time of day of a new schedule, local to its zone.
DEFAULT_TIME_OF_DAY = "06:00"


@dataclass(frozen=True)
class RunNow:
    """One run now: a date-range preset or explicit days (or the default window), with
    parameter overrides for this run only."""

    preset: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SchedulePlan:
    """A schedule: a frequency at a time of day (weekly on a weekday, 0 = Monday; monthly
    and quarterly on a day of the month) or a custom cron, in an IANA time zone."""

    frequency: str = "weekly"
    time_of_day: str = DEFAULT_TIME_OF_DAY
    weekday: int = 0
    day_of_month: int = 1
    cron_expression: str | None = None
    timezone: str = "UTC"
    paused: bool = False

    @property
    def cron(self) -> str:
        """The cron expression it runs on; ParameterError says what is wrong."""
        return schedule_cron(
            self.frequency,
            self.cron_expression if self.frequency == "custom" else None,
            self.time_of_day,
            weekday=self.weekday,
            day_of_month=self.day_of_month,
        )


@dataclass(frozen=True)
class BackfillPlan:
    """A backfill: `lookback_days` ending with `end_date` (default: the freshest day), or
    the days `start_date`..`end_date`; cut into `segment` pieces; `reprocess` says which
    segments that ran before run again (missing | failed | all)."""

    segment: str = "weekly"
    lookback_days: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    reprocess: str = "missing"


@dataclass(frozen=True)
class RunPlan:
    """Any of: a run now, a schedule, a backfill (a new report may have none of them)."""

    run_now: RunNow | None = None
    schedule: SchedulePlan | None = None
    backfill: BackfillPlan | None = None

    @property
    def is_empty(self) -> bool:
        return self.run_now is None and self.schedule is None and self.backfill is None


@dataclass(frozen=True)
class PlanOutcome:
    """What a plan did: the report as it is now, and each part made."""

    report: ReportInfo
    execution: ExecutionInfo | None = None
    schedule: ScheduleInfo | None = None
    backfill: BackfillInfo | None = None


# --- reading raw values -------------------------------------------------------------------


class _Reader:
    """Reads raw values (strings from a form, JSON from a request) into typed ones and
    collects every field error instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def whole(
        self, raw: Any, name: str, low: int, high: int, message: str, *, default: int | None
    ) -> int | None:
        """A whole number in low..high; "", None → default; anything else is an error
        ("abc", 2.5, "nan", "inf", "1e400", True)."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return default
        number = _whole_number(raw)
        if number is None or not low <= number <= high:
            self.fail(name, message)
            return None
        return number

    def day(self, raw: Any, name: str) -> date | None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        try:  # a day, or a moment whose day counts ("2025-01-31T00:00Z"); nothing trailing
            return datetime.fromisoformat(str(raw).strip()).date()
        except ValueError:
            self.fail(name, "Enter a real date as YYYY-MM-DD.")
            return None

    def choice(self, raw: Any, name: str, allowed: Iterable[str], default: str) -> str:
        value = default if raw is None or raw == "" else str(raw)
        allowed = tuple(allowed)
        if value not in allowed:
            self.fail(name, f"Choose one of: {', '.join(allowed)}.")
            return default
        return value

    def check(self, name: str, step: Any) -> Any:
        """Run a check that raises ParameterError; its message goes under `name`."""
        try:
            return step()
        except ParameterError as error:
            self.fail(name, error.message)
            return None


def _whole_number(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if math.isfinite(raw) and raw.is_integer() else None
    text = str(raw).strip()
    if text.lstrip("+-").isdigit():
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def read_plan(raw: Mapping[str, Any] | None) -> RunPlan:
    """The plan in `raw`; ValidationFailed names every field that cannot be read.

    Shape (every part optional): {"run_now": true | {"preset", "start_date", "end_date",
    "parameters"}, "schedule": {"frequency", "time_of_day", "weekday", "day_of_month",
    "cron_expression", "timezone", "paused"}, "backfill": {"segment", "lookback_days",
    "start_date", "end_date", "reprocess"}}. Field names in errors are dotted:
    "schedule.time_of_day", "backfill.lookback_days" …
    """
    raw = raw or {}
    reader = _Reader()
    plan = RunPlan(
        run_now=_read_run_now(reader, raw.get("run_now")),
        schedule=_read_schedule(reader, raw.get("schedule")),
        backfill=_read_backfill(reader, raw.get("backfill")),
    )
    if reader.errors:
        raise ValidationFailed(reader.errors)
    return plan


def _section(reader: _Reader, raw: Any, name: str) -> Mapping[str, Any] | None:
    if raw is None or raw is False:
        return None
    if raw is True:
        return {}
    if not isinstance(raw, Mapping):
        reader.fail(name, "Expected an object.")
        return None
    return raw


def _read_run_now(reader: _Reader, raw: Any) -> RunNow | None:
    values = _section(reader, raw, "run_now")
    if values is None:
        return None
    preset = values.get("preset") or None
    if preset is not None:
        preset = reader.choice(preset, "run_now.preset", RUN_PRESETS, RUN_PRESETS[0])
    overrides = values.get("parameters") or {}
    if not isinstance(overrides, Mapping):
        reader.fail("run_now.parameters", "Parameters are a mapping of name to value.")
        overrides = {}
    return RunNow(
        preset=preset,
        start_date=reader.day(values.get("start_date"), "run_now.start_date"),
        end_date=reader.day(values.get("end_date"), "run_now.end_date"),
        overrides=dict(overrides),
    )


def _read_schedule(reader: _Reader, raw: Any) -> SchedulePlan | None:
    values = _section(reader, raw, "schedule")
    if values is None:
        return None
    frequency = reader.choice(values.get("frequency"), "schedule.frequency", SCHEDULE_TYPES, "")
    weekday = reader.whole(
        values.get("weekday"), "schedule.weekday", 0, 6, "Choose a day of the week.", default=0
    )
    day = reader.whole(
        values.get("day_of_month"),
        "schedule.day_of_month",
        1,
        MAX_DAY_OF_MONTH,
        f"Choose a day between 1 and {MAX_DAY_OF_MONTH} (every month has it).",
        default=1,
    )
    timezone = str(values.get("timezone") or "UTC").strip()
    reader.check("schedule.timezone", lambda: zone(timezone))
    plan = SchedulePlan(
        frequency=frequency,
        time_of_day=str(values.get("time_of_day") or DEFAULT_TIME_OF_DAY).strip(),
        weekday=weekday or 0,
        day_of_month=day or 1,
        cron_expression=str(values.get("cron_expression") or "").strip() or None,
        timezone=timezone,
        paused=bool(values.get("paused", False)),
    )
    if frequency:
        try:
            plan.cron  # noqa: B018 - read for its checks
        except ParameterError as error:
            reader.fail(f"schedule.{error.field}", error.message)
    return plan


def _read_backfill(reader: _Reader, raw: Any) -> BackfillPlan | None:
    values = _section(reader, raw, "backfill")
    if values is None:
        return None
    segment = reader.choice(
        values.get("segment") or values.get("segment_type"),
        "backfill.segment",
        SEGMENT_TYPES,
        "weekly",
    )
    lookback = reader.whole(
        values.get("lookback_days"),
        "backfill.lookback_days",
        1,
        MAX_LOOKBACK_DAYS,
        f"Look back a whole number of days between 1 and {MAX_LOOKBACK_DAYS}.",
        default=None,
    )
    start = reader.day(values.get("start_date"), "backfill.start_date")
    end = reader.day(values.get("end_date"), "backfill.end_date")
    unreadable = {"backfill.lookback_days", "backfill.start_date"} & set(reader.errors)
    if start is None and lookback is None and not unreadable:
        reader.fail("backfill.lookback_days", "Give a lookback in days, or a start date.")
    if start is not None and lookback is not None:
        reader.fail("backfill.lookback_days", "Give a lookback or a start date, not both.")
    reprocess = reader.choice(
        values.get("reprocess"), "backfill.reprocess", REPROCESS_MODES, "missing"
    )
    return BackfillPlan(
        segment=segment,
        lookback_days=lookback,
        start_date=start,
        end_date=end,
        reprocess=reprocess,
    )


# --- carrying plans out -------------------------------------------------------------------


def create_report_with_plan(
    *,
    session: Session,
    redis: Redis | None,
    actor: Actor,
    template_id: str,
    instance_id: str,
    name: str,
    plan: RunPlan,
    description: str = "",
    parameters: dict[str, Any] | None = None,
    notification_emails: Iterable[str] = (),
    timezone: str | None = None,
    triggered_by: str = "manual",
) -> PlanOutcome:
    """Create the report, its dashboard and its plan in one transaction: when any part is
    refused, nothing is created and the error names the field ("schedule.time_of_day" …).
    `triggered_by` is what the run now records ("api" from the REST API)."""
    zone_name = plan.schedule.timezone if plan.schedule else (timezone or "UTC")
    try:
        report = create_report(
            session=session,
            actor=actor,
            template_id=template_id,
            instance_id=instance_id,
            name=name,
            description=description,
            parameters=parameters,
            frequency=_frequency(plan),
            timezone=zone_name,
            notification_emails=notification_emails,
            commit=False,
        )
        parts = _apply(session, actor, report.report_id, plan, triggered_by)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return _after_commit(session, redis, actor, report.report_id, parts)


def apply_plan(
    *,
    session: Session,
    redis: Redis | None,
    actor: Actor,
    report_id: str,
    plan: RunPlan,
    triggered_by: str = "manual",
) -> PlanOutcome:
    """Give an existing report the plan's parts, all or nothing: a run now, a schedule (the
    active one is changed, or one is added), a backfill."""
    if plan.is_empty:
        raise ParameterError("plan", "Choose a run now, a schedule or a backfill.")
    try:
        report = get_report_row(session=session, actor=actor, report_id=report_id)
        parts = _apply(session, actor, report.report_id, plan, triggered_by)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return _after_commit(session, redis, actor, report.report_id, parts)


def edit_report(
    *,
    session: Session,
    redis: Redis | None,
    actor: Actor,
    report_id: str,
    changes: dict[str, Any],
    schedule: SchedulePlan | None = None,
    remove_schedule: bool = False,
) -> PlanOutcome:
    """Change name, description, parameters and recipients, and the schedule (changed,
    added or removed), in one transaction."""
    try:
        report = update_report(
            session=session, actor=actor, report_id=report_id, changes=changes, commit=False
        )
        parts = _Parts()
        if remove_schedule:
            current = report_schedule(session=session, actor=actor, report_id=report.report_id)
            if current is not None:
                delete_schedule(
                    session=session, actor=actor, schedule_id=current.schedule_id, commit=False
                )
        elif schedule is not None:
            parts = _apply(session, actor, report.report_id, RunPlan(schedule=schedule))
        session.commit()
    except Exception:
        session.rollback()
        raise
    return _after_commit(session, redis, actor, report.report_id, parts)


def preview_backfill(
    *, session: Session, actor: Actor, report_id: str, plan: BackfillPlan
) -> BackfillPlanInfo:
    """A dry run: the segments the backfill would make and which exist already."""
    try:
        return plan_backfill(
            session=session,
            actor=actor,
            report_id=report_id,
            segment_type=plan.segment,
            lookback_days=plan.lookback_days,
            start_date=plan.start_date,
            end_date=plan.end_date,
            reprocess=plan.reprocess,
        )
    except ParameterError as error:
        raise _under("backfill", error) from None


@dataclass(frozen=True)
class PlanCheck:
    """What a valid plan will do, for a review before anything is made: the run's window,
    the schedule's first runs, the backfill's segments, and where complete data ends."""

    freshest: date
    run_window: Window | None = None
    first_runs: tuple[PreviewRun, ...] = ()
    backfill: BackfillPlanInfo | None = None


def check_plan(
    *,
    session: Session,
    actor: Actor,
    template_id: str,
    instance_id: str,
    plan: RunPlan,
    preview_count: int = 5,
) -> PlanCheck:
    """Check a new report's plan against its template and instance without making anything
    (field errors as `read_plan` names them), and say what it will do."""
    template = get_template_row(session=session, template_id=template_id)
    instance = get_instance(session=session, actor=actor, instance_id=instance_id)
    freshest = freshest_day(
        timezone=instance.timezone,
        data_lag_days=instance.data_lag_days,
        min_data_age_days=template.min_data_age_days,
    )
    errors: dict[str, str] = {}
    run_window = first_runs = backfill = None
    if plan.run_now is not None:
        run = plan.run_now
        try:
            run_window = run_window_of(
                template=template,
                instance=instance,
                start=run.start_date,
                end=run.end_date,
                preset=run.preset,
            )
        except ParameterError as error:
            errors[_under("run_now", error).field] = error.message
    if plan.schedule is not None:
        try:
            first_runs = tuple(preview(plan.schedule.cron, plan.schedule.timezone, preview_count))
        except ParameterError as error:
            errors[_under("schedule", error).field] = error.message
    if plan.backfill is not None:
        wanted = plan.backfill
        try:
            backfill = plan_segments(
                session=session,
                template=template,
                instance=instance,
                report_uuid=None,
                segment_type=wanted.segment,
                lookback_days=wanted.lookback_days,
                start_date=wanted.start_date,
                end_date=wanted.end_date,
            )
        except ParameterError as error:
            errors[_under("backfill", error).field] = error.message
    if errors:
        raise ValidationFailed(errors)
    return PlanCheck(
        freshest=freshest,
        run_window=run_window,
        first_runs=first_runs or (),
        backfill=backfill,
    )


def schedule_words(plan: SchedulePlan) -> str:
    """The schedule in words: "At 06:00, only on Monday (Europe/Berlin)"."""
    return f"{describe_cron(plan.cron)} ({plan.timezone})"


@dataclass
class _Parts:
    """What `_apply` made, to queue after the commit."""

    run_uuid: uuid.UUID | None = None
    schedule: ScheduleInfo | None = None
    collection_id: str | None = None


def _frequency(plan: RunPlan) -> str:
    if plan.schedule is not None and plan.schedule.frequency != "custom":
        return plan.schedule.frequency
    return "once"


def _under(section: str, error: ParameterError) -> ParameterError:
    """The error with its field named within the plan: "backfill.lookback_days"."""
    if error.field.startswith(f"{section}."):
        return error
    return ParameterError(f"{section}.{error.field}", error.message)


def _apply(
    session: Session, actor: Actor, report_id: str, plan: RunPlan, triggered_by: str = "manual"
) -> _Parts:
    """Each part of the plan, flushed, not committed."""
    parts = _Parts()
    if plan.schedule is not None:
        try:
            parts.schedule = _put_schedule(session, actor, report_id, plan.schedule)
        except ParameterError as error:
            raise _under("schedule", error) from None
    if plan.backfill is not None:
        backfill = plan.backfill
        try:
            info = start_backfill(
                session=session,
                redis=None,
                actor=actor,
                report_id=report_id,
                segment_type=backfill.segment,
                lookback_days=backfill.lookback_days,
                start_date=backfill.start_date,
                end_date=backfill.end_date,
                reprocess=backfill.reprocess,
                commit=False,
            )
        except ParameterError as error:
            raise _under("backfill", error) from None
        parts.collection_id = info.collection_id
    if plan.run_now is not None:
        run = plan.run_now
        try:
            execution = new_report_run(
                session=session,
                actor=actor,
                report_id=report_id,
                overrides=run.overrides,
                start=run.start_date,
                end=run.end_date,
                preset=run.preset,
                triggered_by=triggered_by,
            )
        except ParameterError as error:
            raise _under("run_now", error) from None
        except ValidationFailed as error:  # the overrides: named as the form names them
            raise ValidationFailed(
                {f"run_now.parameters.{k}": v for k, v in error.errors.items()}
            ) from None
        parts.run_uuid = execution.id
    return parts


def _put_schedule(
    session: Session, actor: Actor, report_id: str, plan: SchedulePlan
) -> ScheduleInfo:
    cron = plan.cron
    current = report_schedule(session=session, actor=actor, report_id=report_id)
    if current is None:
        return create_schedule(
            session=session,
            actor=actor,
            report_id=report_id,
            schedule_type=plan.frequency,
            cron_expression=cron,
            timezone=plan.timezone,
            is_paused=plan.paused,
            commit=False,
        )
    return update_schedule(
        session=session,
        actor=actor,
        schedule_id=current.schedule_id,
        changes={
            "schedule_type": plan.frequency,
            "cron_expression": cron,
            "timezone": plan.timezone,
            "is_paused": plan.paused,
        },
        commit=False,
    )


def _after_commit(
    session: Session, redis: Redis | None, actor: Actor, report_id: str, parts: _Parts
) -> PlanOutcome:
    """Queue what the committed plan made: the run now at once, the backfill's first
    segments as the instance's concurrency allows."""
    execution = None
    if parts.run_uuid is not None:
        submit(session, redis, [session.get_one(ReportExecution, parts.run_uuid)])
        execution = execution_info(session=session, execution_uuid=parts.run_uuid)
    backfill = None
    if parts.collection_id is not None:
        report_row = get_report_row(session=session, actor=actor, report_id=report_id)
        release_held(session=session, redis=redis, instance_uuid=report_row.instance_uuid)
        backfill = get_backfill(session=session, actor=actor, collection_id=parts.collection_id)
    return PlanOutcome(
        report=get_report(session=session, actor=actor, report_id=report_id),
        execution=execution,
        schedule=parts.schedule,
        backfill=backfill,
    )

"""Report plans: how a report runs (once now, on a schedule, as a backfill), checked and
carried out all or nothing.

The Dash pages, the REST API and the CLI all come here: `read_plan` (services.plan_values)
turns raw values into a `RunPlan` (field errors for everything it cannot read),
`create_report_with_plan` makes a report together with its plan, and `apply_plan` gives an
existing report a run now, a new or changed schedule, or a backfill. Every step only
flushes; the plan commits once at the end, so when any part is refused nothing is created.
Runs are queued after that commit, so that a worker finds their rows (DESIGN.md,
Transactions); `edit_report` queues nothing and leaves the commit to its caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from redis import Redis
from sqlalchemy.orm import Session

from db.models import ReportExecution
from services.backfill_plans import BackfillPlanInfo, plan_backfill, plan_segments
from services.backfill_progress import release_held
from services.backfills import BackfillInfo, get_backfill, start_backfill
from services.cron import describe_cron
from services.errors import ParameterError, ValidationFailed
from services.executions import ExecutionInfo, execution_info, new_report_run, submit
from services.executions import run_window as run_window_of
from services.instances import get_instance
from services.plan_values import (
    BackfillPlan,
    RunNow,
    RunPlan,
    SchedulePlan,
    read_plan,
)
from services.reports import ReportInfo, create_report, get_report, get_report_row, update_report
from services.schedule_tick import period_window
from services.schedules import (
    PreviewRun,
    ScheduleInfo,
    create_schedule,
    delete_schedule,
    preview,
    report_schedule,
    update_schedule,
)
from services.templates import get_template_row
from services.users import Actor
from services.windows import Window, freshest_day

__all__ = [
    "BackfillPlan",
    "PlanCheck",
    "PlanOutcome",
    "RunNow",
    "RunPlan",
    "SchedulePlan",
    "apply_plan",
    "check_plan",
    "create_report_with_plan",
    "edit_report",
    "preview_backfill",
    "read_plan",
    "schedule_words",
]


@dataclass(frozen=True)
class PlanOutcome:
    """What a plan did: the report as it is now, and each part made."""

    report: ReportInfo
    execution: ExecutionInfo | None = None
    schedule: ScheduleInfo | None = None
    backfill: BackfillInfo | None = None


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
    added or removed), all or nothing; nothing is queued, so the caller commits."""
    try:
        report = update_report(session=session, actor=actor, report_id=report_id, changes=changes)
        parts = _Parts()
        if remove_schedule:
            current = report_schedule(session=session, actor=actor, report_id=report.report_id)
            if current is not None:
                delete_schedule(session=session, actor=actor, schedule_id=current.schedule_id)
        elif schedule is not None:
            parts = _apply(session, actor, report.report_id, RunPlan(schedule=schedule))
        session.flush()
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
    #: What a scheduled run covers (were it to run now): its period, after the data lag.
    schedule_window: Window | None = None
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
    run_window = first_runs = backfill = schedule_window = None
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
            frequency = _frequency(plan)  # a custom schedule covers a day, as the tick does
            schedule_window = period_window("daily" if frequency == "once" else frequency, freshest)
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
        schedule_window=schedule_window,
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

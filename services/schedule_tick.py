"""The schedule tick: claims due schedules, starts each due slot once, and queues its run."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from redis import Redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import Instance, QueryTemplate, ReportDefinition, ReportExecution, ReportSchedule
from services.cron import latest_due, next_runs
from services.executions import new_execution, submit
from services.notifications import notify_run_end
from services.parameter_validation import validate
from services.templates import definitions_of, today_in
from services.windows import Window, freshest_day

log = logging.getLogger(__name__)

#: Schedules claimed per transaction: each batch is queued before the next is claimed,
#: and a second scheduler takes other batches meanwhile.
TICK_BATCH = 100


def period_window(frequency: str, freshest: date) -> Window:
    """The period a scheduled run covers, ending with the freshest complete day."""
    end = freshest + timedelta(days=1)
    if frequency == "weekly":
        return Window(end - timedelta(days=7), end)
    if frequency in {"monthly", "quarterly"}:
        months = 1 if frequency == "monthly" else 3
        return Window(_months_before(end, months), end)
    return Window(end - timedelta(days=1), end)


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):  # the same day of month, or the month's last day
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _frequency(schedule: ReportSchedule, report: ReportDefinition) -> str:
    if schedule.schedule_type != "custom":
        return schedule.schedule_type
    return report.frequency if report.frequency != "once" else "daily"


def tick(
    *,
    session_factory: sessionmaker[Session],
    redis: Redis | None,
    now: datetime | None = None,
    batch: int = TICK_BATCH,
    smtp_url: str | None = None,
) -> list[str]:
    """Start every due slot once; returns the new execution ids.

    Claims due schedules a batch at a time (FOR UPDATE SKIP LOCKED on PostgreSQL, so two
    schedulers share the work), inserts each slot's execution, advances next_run_at,
    commits, and then enqueues that batch before claiming the next. The unique
    (schedule, scheduled_for) key makes a slot exist once whatever races; after downtime
    only the latest missed slot runs.
    """
    now = now or datetime.now(UTC)
    started: list[str] = []
    while True:
        claimed, ids = _tick_batch(session_factory, redis, now, batch, smtp_url)
        started += ids
        if claimed < batch:
            break
    if started:
        log.info("tick started %d scheduled runs", len(started))
    return started


def _tick_batch(
    session_factory: sessionmaker[Session],
    redis: Redis | None,
    now: datetime,
    batch: int,
    smtp_url: str | None,
) -> tuple[int, list[str]]:
    """(schedules claimed, runs queued) for one batch of due schedules."""
    with session_factory() as session:
        statement = (
            select(ReportSchedule)
            .where(
                ReportSchedule.is_active,
                ReportSchedule.is_paused.is_(False),
                ReportSchedule.next_run_at <= now,
            )
            .order_by(ReportSchedule.next_run_at)
            .limit(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        schedules = session.scalars(statement).all()
        created = [e for e in (_start_slot(session, s, now) for s in schedules) if e is not None]
        queued = [e for e in created if e.status == "pending"]
        failed = [e for e in created if e.status == "failed"]
        ids = [e.execution_id for e in queued]
        try:
            submit(session, redis, queued)
        except IntegrityError:  # another scheduler started the same slot first
            session.rollback()
            log.info("tick lost a race for a slot; the other scheduler started it")
            return len(schedules), []
        for execution in failed:
            notify_run_end(session, smtp_url, execution)
    return len(schedules), ids


def _start_slot(
    session: Session, schedule: ReportSchedule, now: datetime
) -> ReportExecution | None:
    assert schedule.next_run_at is not None
    slot = latest_due(schedule.cron_expression, schedule.timezone, schedule.next_run_at, now)
    schedule.next_run_at = next_runs(schedule.cron_expression, schedule.timezone, now)[0]
    report = session.get_one(ReportDefinition, schedule.report_uuid)
    if slot is None or not report.is_active:
        return None
    exists = session.scalar(
        select(ReportExecution.id).where(
            ReportExecution.schedule_uuid == schedule.id, ReportExecution.scheduled_for == slot
        )
    )
    if exists is not None:
        return None
    template = session.get_one(QueryTemplate, report.template_uuid)
    instance = session.get_one(Instance, report.instance_uuid)
    freshest = freshest_day(
        timezone=instance.timezone,
        data_lag_days=instance.data_lag_days,
        min_data_age_days=template.min_data_age_days,
        now=slot,
    )
    result = validate(
        definitions_of(template),
        {**report.parameters, **schedule.default_parameters},
        today=today_in(report.timezone, slot),
    )
    execution = new_execution(
        session=session,
        template=template,
        instance=instance,
        snapshot=result.normalized if result.valid else {},
        window=period_window(_frequency(schedule, report), freshest),
        triggered_by="schedule",
        user_uuid=report.owner_uuid,
        report=report,
        schedule_uuid=schedule.id,
        scheduled_for=slot,
    )
    schedule.last_run_at = slot
    schedule.last_run_status = "pending"
    schedule.run_count += 1
    if not result.valid:  # the template changed under the report: say so on the run
        problems = "; ".join(f"{k}: {v}" for k, v in result.errors.items())
        execution.status = "failed"
        execution.error_message = f"The report's parameters are no longer valid: {problems}"
        execution.completed_at = now
        schedule.last_run_status = "failed"
        schedule.failure_count += 1
    return execution

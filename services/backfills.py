"""Backfills: one report over a past range, cut into calendar-aligned segments, one run
per segment, released so that an instance never has more than max_concurrency in flight."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from redis import Redis
from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from db.models import (
    MAX_LOOKBACK_DAYS,
    SEGMENT_TYPES,
    Instance,
    QueryTemplate,
    ReportDataCollection,
    ReportDefinition,
    ReportExecution,
)
from db.session import rowcount
from services.access import require_editor
from services.errors import Conflict, NotFound, ParameterError, ValidationFailed
from services.executions import ExecutionInfo, execution_info, new_execution
from services.keys import by_id
from services.parameters import validate
from services.reports import get_report_row
from services.runtime import dequeue_execution, enqueue_execution
from services.templates import definitions_of, today_in
from services.users import Actor
from services.windows import (
    Window,
    check_history,
    earliest_day,
    freshest_day,
    requested_window,
)

log = logging.getLogger(__name__)

#: Statuses of a run that has ended.
ENDED = ("completed", "failed", "cancelled")
#: Statuses of a segment that can be run again.
RETRYABLE = ("failed", "cancelled")
#: Statuses of a backfill whose segments have all ended.
BACKFILL_ENDED = ("completed", "partial", "failed", "cancelled")


class BackfillNotFound(NotFound):
    kind = "backfill"


def next_boundary(day: date, segment_type: str) -> date:
    """The first day of the segment after the one holding `day`."""
    if segment_type == "daily":
        return day + timedelta(days=1)
    if segment_type == "weekly":  # ISO weeks: Monday to Sunday
        return day + timedelta(days=7 - day.weekday())
    months = 1 if segment_type == "monthly" else 3
    first_month = day.month - 1 if segment_type == "monthly" else 3 * ((day.month - 1) // 3)
    index = day.year * 12 + first_month + months
    return date(index // 12, index % 12 + 1, 1)


def segments(window: Window, segment_type: str) -> list[Window]:
    """`window` cut at calendar boundaries; the first and last pieces are clipped."""
    if segment_type not in SEGMENT_TYPES:
        raise ParameterError("segment_type", f"Choose one of: {', '.join(SEGMENT_TYPES)}.")
    pieces: list[Window] = []
    start = window.start
    while start < window.end:
        end = min(next_boundary(start, segment_type), window.end)
        pieces.append(Window(start, end))
        start = end
    return pieces


def backfill_window(lookback_days: int, end_date: date, freshest: date) -> Window:
    """The `lookback_days` whole days ending with `end_date` (capped by freshness)."""
    if not 1 <= lookback_days <= MAX_LOOKBACK_DAYS:
        raise ParameterError("lookback_days", f"Look back between 1 and {MAX_LOOKBACK_DAYS} days.")
    last = min(end_date, freshest)
    return Window(last - timedelta(days=lookback_days - 1), last + timedelta(days=1))


def is_whole_segment(window: Window, segment_type: str) -> bool:
    """Whether `window` is a whole calendar segment (a first or last one may be clipped)."""
    if segment_type == "daily":
        return window.days == 1
    first = window.start
    aligned = {
        "weekly": first.weekday() == 0,
        "monthly": first.day == 1,
        "quarterly": first.day == 1 and first.month in (1, 4, 7, 10),
    }.get(segment_type, False)
    return aligned and window.end == next_boundary(first, segment_type)


#: What a backfill does with segments that ran before: run only those never completed,
#: only those whose latest run failed or was cancelled, or all of them again.
REPROCESS_MODES = ("missing", "failed", "all")


@dataclass(frozen=True)
class PlannedSegment:
    """One segment a backfill would make: its window, and whether it runs ("create") or
    is left as it is ("skip", with why)."""

    window_start: date
    window_end: date
    action: str
    partial: bool
    reason: str = ""

    @property
    def window(self) -> Window:
        return Window(self.window_start, self.window_end)


@dataclass(frozen=True)
class BackfillPlanInfo:
    """What a backfill would do (a dry run): the range and every segment."""

    start_date: date
    end_date: date
    segment_type: str
    reprocess: str
    segments: list[PlannedSegment]

    @property
    def to_create(self) -> list[PlannedSegment]:
        return [s for s in self.segments if s.action == "create"]


def plan_backfill(
    *,
    session: Session,
    actor: Actor,
    report_id: str,
    segment_type: str,
    lookback_days: int | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    reprocess: str = "missing",
    now: datetime | None = None,
) -> BackfillPlanInfo:
    """The segments a backfill of the report would make, without making them.

    The range is `lookback_days` whole days ending with `end_date`, or the days
    `start_date`..`end_date`; either way its end is capped by data freshness and its start
    by the instance's history (max_lookback_days).
    """
    report = get_report_row(session=session, actor=actor, report_id=report_id)
    return plan_segments(
        session=session,
        template=session.get_one(QueryTemplate, report.template_uuid),
        instance=session.get_one(Instance, report.instance_uuid),
        report_uuid=report.id,
        segment_type=segment_type,
        lookback_days=lookback_days,
        start_date=start_date,
        end_date=end_date,
        reprocess=reprocess,
        now=now,
    )


def plan_segments(
    *,
    session: Session,
    template: QueryTemplate,
    instance: Instance,
    report_uuid: uuid.UUID | None,
    segment_type: str,
    lookback_days: int | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    reprocess: str = "missing",
    now: datetime | None = None,
) -> BackfillPlanInfo:
    """`plan_backfill` for a template on an instance; `report_uuid` None: a report not made
    yet, whose segments have never run."""
    if reprocess not in REPROCESS_MODES:
        raise ParameterError("reprocess", f"Choose one of: {', '.join(REPROCESS_MODES)}.")
    if segment_type not in SEGMENT_TYPES:
        raise ParameterError("segment_type", f"Choose one of: {', '.join(SEGMENT_TYPES)}.")
    freshest = freshest_day(
        timezone=instance.timezone,
        data_lag_days=instance.data_lag_days,
        min_data_age_days=template.min_data_age_days,
        now=now,
    )
    window = _range(instance, freshest, lookback_days, start_date, end_date)
    done = _latest_by_window(session, report_uuid) if report_uuid is not None else {}
    planned = []
    for piece in segments(window, segment_type):
        status = done.get(piece.start, {}).get(piece.end)
        action, reason = _action(status, reprocess)
        planned.append(
            PlannedSegment(
                window_start=piece.start,
                window_end=piece.end,
                action=action,
                partial=not is_whole_segment(piece, segment_type),
                reason=reason,
            )
        )
    return BackfillPlanInfo(
        start_date=window.start,
        end_date=window.last_day,
        segment_type=segment_type,
        reprocess=reprocess,
        segments=planned,
    )


def _range(
    instance: Instance,
    freshest: date,
    lookback_days: int | None,
    start_date: date | None,
    end_date: date | None,
) -> Window:
    if start_date is not None:
        if lookback_days is not None:
            raise ParameterError("lookback_days", "Give a lookback or a start date, not both.")
        return requested_window(
            start_date,
            end_date,
            freshest,
            max_days=instance.max_lookback_days,
            field="start_date",
        )
    if lookback_days is None:
        raise ParameterError("lookback_days", "Give a lookback in days, or a start date.")
    if lookback_days > instance.max_lookback_days:
        raise ParameterError(
            "lookback_days", f"This instance keeps {instance.max_lookback_days} days of history."
        )
    if end_date is not None and end_date < earliest_day(freshest, instance.max_lookback_days):
        raise ParameterError(
            "end_date", f"This instance keeps {instance.max_lookback_days} days of history."
        )
    window = backfill_window(lookback_days, end_date or freshest, freshest)
    check_history(window.start, freshest, instance.max_lookback_days, field="lookback_days")
    return window


def _latest_by_window(session: Session, report_uuid: uuid.UUID) -> dict[date, dict[date, str]]:
    """Window start → window end → the status that counts for the report's runs of that
    window: completed if any run of it completed, else the newest run's status."""
    rows = session.execute(
        select(
            ReportExecution.time_window_start,
            ReportExecution.time_window_end,
            ReportExecution.status,
        )
        .where(ReportExecution.report_uuid == report_uuid)
        .order_by(ReportExecution.created_at)
    ).all()
    found: dict[date, dict[date, str]] = {}
    for start, end, status in rows:
        if start is None or end is None:
            continue
        by_end = found.setdefault(start.date(), {})
        if by_end.get(end.date()) != "completed":
            by_end[end.date()] = status
    return found


def _action(status: str | None, reprocess: str) -> tuple[str, str]:
    """("create" | "skip", why) for a segment whose window last ended with `status`."""
    if reprocess == "all":
        return "create", ""
    if status in ("pending", "running"):
        return "skip", "running"
    if reprocess == "missing":
        return ("skip", "completed") if status == "completed" else ("create", "")
    if status in ("failed", "cancelled"):
        return "create", ""
    return "skip", "completed" if status == "completed" else "never run"


@dataclass(frozen=True)
class BackfillInfo:
    collection_id: str
    uuid: uuid.UUID
    report_id: str | None
    status: str
    segment_type: str | None
    start_date: date
    end_date: date
    total_segments: int
    completed_segments: int
    failed_segments: int
    running_segments: int
    created_at: datetime
    segments: list[ExecutionInfo]
    cancelled_segments: int = 0
    #: Execution ids of the segments clipped at the range's ends (not a whole period).
    partial_segments: tuple[str, ...] = ()

    @property
    def progress(self) -> float:
        """Ended segments (completed, failed or cancelled) / all segments."""
        if not self.total_segments:
            return 1.0
        ended = sum(1 for s in self.segments if s.status in ENDED)
        return ended / self.total_segments

    @property
    def summary(self) -> str:
        """Each state counted: "11 completed, 1 failed, 1 cancelled of 13"."""
        counts = [
            (sum(1 for s in self.segments if s.status == status), status)
            for status in ("completed", "failed", "cancelled", "running", "pending")
        ]
        parts = [f"{count} {status}" for count, status in counts if count]
        return f"{', '.join(parts) or '0 completed'} of {self.total_segments}"

    @property
    def retryable(self) -> list[ExecutionInfo]:
        """Segments whose latest run failed or was cancelled."""
        return [s for s in self.segments if s.status in RETRYABLE]


def start_backfill(
    *,
    session: Session,
    redis: Redis | None,
    actor: Actor,
    report_id: str,
    segment_type: str,
    lookback_days: int | None = None,
    end_date: date | None = None,
    start_date: date | None = None,
    reprocess: str = "missing",
    commit: bool = True,
) -> BackfillInfo:
    """Make the backfill's segments (those the reprocess mode selects) and release the
    first ones to the queue. `commit=False` only flushes, and releases nothing: the
    caller's unit of work commits, then calls `release_held` (see report_plans)."""
    report = get_report_row(session=session, actor=actor, report_id=report_id)
    require_editor(actor, report)
    template = session.get_one(QueryTemplate, report.template_uuid)
    instance = session.get_one(Instance, report.instance_uuid)
    plan = plan_backfill(
        session=session,
        actor=actor,
        report_id=report.report_id,
        segment_type=segment_type,
        lookback_days=lookback_days,
        start_date=start_date,
        end_date=end_date,
        reprocess=reprocess,
    )
    pieces = plan.to_create
    if not pieces:
        raise ParameterError(
            "reprocess",
            "Every segment of this range has completed already (or is running): "
            "choose to reprocess all of them, or another range.",
        )
    result = validate(definitions_of(template), report.parameters, today=today_in(report.timezone))
    if not result.valid:
        raise ValidationFailed({f"parameters.{k}": v for k, v in result.errors.items()})
    running = session.scalar(
        select(ReportDataCollection.collection_id).where(
            ReportDataCollection.report_uuid == report.id,
            ReportDataCollection.status.in_(("pending", "running")),
        )
    )
    if running is not None:
        raise Conflict(f"A backfill of this report is still running ({running}).")
    collection = ReportDataCollection(
        report_uuid=report.id,
        instance_uuid=instance.id,
        user_uuid=actor.id,
        start_date=plan.start_date,
        end_date=plan.end_date,
        segment_type=segment_type,
        max_lookback_days=(plan.end_date - plan.start_date).days + 1,
        status="running",
        total_segments=len(pieces),
    )
    session.add(collection)
    session.flush()
    for piece in pieces:
        new_execution(
            session=session,
            template=template,
            instance=instance,
            snapshot=result.normalized,
            window=piece.window,
            triggered_by="backfill",
            user_uuid=actor.id,
            report=report,
            collection_uuid=collection.id,
        )
    if not commit:
        session.flush()
        return _info(session, collection)
    session.commit()
    release_held(session=session, redis=redis, instance_uuid=instance.id)
    return get_backfill(session=session, actor=actor, collection_id=collection.collection_id)


def release_held(
    *, session: Session, redis: Redis | None, instance_uuid: uuid.UUID, now: datetime | None = None
) -> list[str]:
    """Queue held runs of an instance while it has fewer than max_concurrency in flight.

    In flight: running, or pending and queued. Held: pending and not queued yet (backfill
    segments, retries waiting out their backoff). Oldest backfill first, segments in time
    order. On PostgreSQL the instance row is locked, so two releases never overshoot.
    """
    now = now or datetime.now(UTC)
    statement = select(Instance).where(Instance.id == instance_uuid)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    else:
        # SQLite locks the whole database for writing: take that lock before counting
        # (a write that changes no row), so two releases count one after the other.
        session.execute(text("UPDATE instances SET max_concurrency = max_concurrency WHERE 1 = 0"))
    instance = session.scalars(statement).one()
    in_flight = (
        session.scalar(
            select(func.count()).where(
                ReportExecution.instance_uuid == instance_uuid,
                or_(
                    ReportExecution.status == "running",
                    and_(
                        ReportExecution.status == "pending", ReportExecution.queued_at.is_not(None)
                    ),
                ),
            )
        )
        or 0
    )
    free = instance.max_concurrency - in_flight
    released: list[ReportExecution] = []
    if free > 0:
        released = list(
            session.scalars(
                select(ReportExecution)
                .where(
                    ReportExecution.instance_uuid == instance_uuid,
                    ReportExecution.status == "pending",
                    ReportExecution.queued_at.is_(None),
                    or_(ReportExecution.not_before.is_(None), ReportExecution.not_before <= now),
                )
                .order_by(ReportExecution.created_at, ReportExecution.time_window_start)
                .limit(free)
            )
        )
    ids = [e.execution_id for e in released]
    for execution in released:
        execution.queued_at = now
    session.commit()
    if redis is not None:
        for execution_id in ids:
            try:
                enqueue_execution(redis, execution_id)
            except Exception:  # the rows are queued in the database: the reconciler retries
                log.warning("enqueue failed; the reconciler will retry", exc_info=True)
    return ids


def _collection_row(session: Session, actor: Actor, collection_id: str) -> ReportDataCollection:
    collection = session.scalar(
        select(ReportDataCollection).where(
            by_id(ReportDataCollection.id, ReportDataCollection.collection_id, collection_id)
        )
    )
    if collection is None or collection.report_uuid is None:
        raise BackfillNotFound(collection_id)
    try:
        get_report_row(session=session, actor=actor, report_id=str(collection.report_uuid))
    except NotFound:
        raise BackfillNotFound(collection_id) from None
    return collection


def latest_segments(session: Session, collection_uuid: uuid.UUID) -> list[ReportExecution]:
    """The newest attempt of each segment, in time order."""
    rows = session.scalars(
        select(ReportExecution)
        .where(ReportExecution.collection_uuid == collection_uuid)
        .order_by(ReportExecution.time_window_start, ReportExecution.attempt.desc())
        .execution_options(populate_existing=True)
    ).all()
    newest: dict[Any, ReportExecution] = {}
    for row in rows:
        newest.setdefault(row.time_window_start, row)
    return list(newest.values())


def refresh_collection(session: Session, collection_uuid: uuid.UUID) -> ReportDataCollection:
    """Recount a backfill's segments and set its status from them (caller commits).

    The collection row is locked first (PostgreSQL), so two workers ending the last two
    segments at once recount one after the other and the second sees the first's end.
    """
    statement = select(ReportDataCollection).where(ReportDataCollection.id == collection_uuid)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    collection = session.scalars(statement.execution_options(populate_existing=True)).one()
    newest = latest_segments(session, collection_uuid)
    statuses = [s.status for s in newest]
    collection.total_segments = len(newest)
    collection.completed_segments = statuses.count("completed")
    collection.failed_segments = statuses.count("failed")
    collection.status = backfill_status(collection.status, statuses)
    return collection


def backfill_status(current: str, statuses: list[str]) -> str:
    """A backfill's status from its segments' latest runs: running while any is pending or
    running; then completed (all completed), partial (some completed, some failed or
    cancelled) or failed (none completed). Cancelling one segment cancels that segment
    only; "cancelled" is kept only when the backfill itself was cancelled."""
    if any(s in {"pending", "running"} for s in statuses):
        return "running"
    if current == "cancelled":
        return "cancelled"
    completed = statuses.count("completed")
    if completed == len(statuses):
        return "completed"
    return "partial" if completed else "failed"


def get_backfill(*, session: Session, actor: Actor, collection_id: str) -> BackfillInfo:
    collection = _collection_row(session, actor, collection_id)
    return _info(session, collection)


def report_backfills(*, session: Session, actor: Actor, report_id: str) -> list[BackfillInfo]:
    report = get_report_row(session=session, actor=actor, report_id=report_id)
    collections = session.scalars(
        select(ReportDataCollection)
        .where(ReportDataCollection.report_uuid == report.id)
        .order_by(ReportDataCollection.created_at.desc())
    ).all()
    return [_info(session, c) for c in collections]


def _info(session: Session, collection: ReportDataCollection) -> BackfillInfo:
    newest = latest_segments(session, collection.id)
    report_id = session.scalar(
        select(ReportDefinition.report_id).where(ReportDefinition.id == collection.report_uuid)
    )
    infos = [execution_info(session=session, execution_uuid=s.id) for s in newest]
    segment_type = collection.segment_type or "daily"
    partial = tuple(
        info.execution_id
        for info, row in zip(infos, newest, strict=True)
        if row.time_window_start is not None
        and row.time_window_end is not None
        and not is_whole_segment(
            Window(row.time_window_start.date(), row.time_window_end.date()), segment_type
        )
    )
    return BackfillInfo(
        collection_id=collection.collection_id,
        uuid=collection.id,
        report_id=report_id,
        status=collection.status,
        segment_type=collection.segment_type,
        start_date=collection.start_date,
        end_date=collection.end_date,
        total_segments=collection.total_segments,
        completed_segments=collection.completed_segments,
        failed_segments=collection.failed_segments,
        running_segments=sum(1 for s in infos if s.status == "running"),
        created_at=collection.created_at,
        segments=infos,
        cancelled_segments=sum(1 for s in infos if s.status == "cancelled"),
        partial_segments=partial,
    )


def retry_backfill(
    *,
    session: Session,
    redis: Redis | None,
    actor: Actor,
    collection_id: str,
    segment_ids: list[str] | None = None,
) -> BackfillInfo:
    """Run failed or cancelled segments again (all of them, or those named); old attempts
    stay in history."""
    collection = _collection_row(session, actor, collection_id)
    report = get_report_row(session=session, actor=actor, report_id=str(collection.report_uuid))
    require_editor(actor, report)
    failed = [s for s in latest_segments(session, collection.id) if s.status in RETRYABLE]
    if segment_ids is not None:
        wanted = set(segment_ids)
        unknown = wanted - {s.execution_id for s in failed}
        if unknown:
            raise ParameterError(
                "segment_ids",
                f"Not a failed or cancelled segment of this backfill: {sorted(unknown)[0]}",
            )
        failed = [s for s in failed if s.execution_id in wanted]
    if not failed:
        raise Conflict("The backfill has no failed or cancelled segment to retry.")
    template = session.get_one(QueryTemplate, report.template_uuid)
    instance = session.get_one(Instance, report.instance_uuid)
    for old in failed:
        assert old.time_window_start and old.time_window_end
        new_execution(
            session=session,
            template=template,
            instance=instance,
            snapshot=old.parameters_snapshot,
            window=Window(old.time_window_start.date(), old.time_window_end.date()),
            triggered_by="backfill",
            user_uuid=actor.id,
            report=report,
            collection_uuid=collection.id,
            attempt=old.attempt + 1,
        )
    session.flush()
    refresh_collection(session, collection.id)
    session.commit()
    release_held(session=session, redis=redis, instance_uuid=instance.id)
    return _info(session, collection)


def cancel_backfill(
    *, session: Session, redis: Redis | None, actor: Actor, collection_id: str
) -> BackfillInfo:
    """Cancel every segment not finished yet; running ones stop within a second."""
    collection = _collection_row(session, actor, collection_id)
    report = get_report_row(session=session, actor=actor, report_id=str(collection.report_uuid))
    require_editor(actor, report)
    if collection.status not in {"pending", "running"}:
        raise Conflict(f"The backfill has already ended ({collection.status}).")
    now = datetime.now(UTC)
    open_ids = list(
        session.scalars(
            select(ReportExecution.execution_id).where(
                ReportExecution.collection_uuid == collection.id,
                ReportExecution.status.in_(("pending", "running")),
            )
        )
    )
    rowcount(
        session.execute(
            update(ReportExecution)
            .where(
                ReportExecution.collection_uuid == collection.id,
                ReportExecution.status.in_(("pending", "running")),
            )
            .values(
                status="cancelled",
                completed_at=now,
                updated_at=now,
                error_message="Backfill cancelled by " + actor.email,
            )
        )
    )
    collection.status = "cancelled"
    session.commit()
    if redis is not None:
        for execution_id in open_ids:
            dequeue_execution(redis, execution_id)
    release_held(session=session, redis=redis, instance_uuid=collection.instance_uuid)
    session.refresh(collection)
    refresh_collection(session, collection.id)
    session.commit()
    return _info(session, collection)

"""Backfills: one report over a past range, one run per calendar segment; start one, read
it, retry its failed segments or cancel it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from redis import Redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import (
    Instance,
    QueryTemplate,
    ReportDataCollection,
    ReportDefinition,
    ReportExecution,
)
from db.session import rowcount
from services.access import require_editor
from services.backfill_plans import is_whole_segment, plan_backfill
from services.backfill_progress import latest_segments, refresh_collection, release_held
from services.errors import BackfillNotFound, Conflict, NotFound, ParameterError, ValidationFailed
from services.executions import ExecutionInfo, execution_info, new_execution
from services.keys import by_id
from services.parameter_validation import validate
from services.reports import get_report_row
from services.runtime import dequeue_execution
from services.templates import definitions_of, today_in
from services.users import Actor
from services.windows import Window

#: Statuses of a run that has ended.
ENDED = ("completed", "failed", "cancelled")
#: Statuses of a segment that can be run again.
RETRYABLE = ("failed", "cancelled")


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

"""How a backfill moves on: held runs released within an instance's max_concurrency, and
its counts and status recomputed as its segments end."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session

from db.models import Instance, ReportDataCollection, ReportExecution
from services.runtime import enqueue_execution

log = logging.getLogger(__name__)

#: Statuses of a backfill whose segments have all ended.
BACKFILL_ENDED = ("completed", "partial", "failed", "cancelled")


def release_held(
    *, session: Session, redis: Redis | None, instance_uuid: uuid.UUID, now: datetime | None = None
) -> list[str]:
    """Queue held runs of an instance while it has fewer than max_concurrency in flight.

    In flight: running, or pending and queued. Held: pending and not queued yet (backfill
    segments, retries waiting out their backoff). Oldest backfill first, segments in time
    order. On PostgreSQL the instance row is locked, so two releases never overshoot.
    Commits before it enqueues, so that a worker finds the rows queued.
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

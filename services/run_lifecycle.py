"""A run from start to end, in one place: claim → engine → results → counters → release →
notifications. The worker's job calls `run_execution`; so do tests that run in-process."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from redis import Redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import ReportExecution
from db.session import rowcount
from services.backfill_progress import release_held
from services.errors import DomainError
from services.notifications import notify_run_end
from services.results import ResultsStore
from services.run_events import notify_backfill_if_ended, record_run_end
from services.run_worker import Query, QueryEnd, claim, prepare, run_query

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOutcome:
    execution_id: str
    status: str
    row_count: int | None = None
    error_message: str | None = None


def run_execution(
    *,
    session_factory: sessionmaker[Session],
    store: ResultsStore,
    redis: Redis | None,
    secret_key: str,
    smtp_url: str | None,
    execution_id: str,
) -> RunOutcome:
    """Run one execution to its end, then what its end calls for. Safe to call twice: only
    a pending row is claimed."""
    with session_factory() as session:
        execution = claim(session=session, execution_id=execution_id)
        if execution is None:
            status = session.scalar(
                select(ReportExecution.status).where(ReportExecution.execution_id == execution_id)
            )
            log.info("not claimed", extra={"execution_id": execution_id, "status": status})
            return RunOutcome(execution_id, status or "missing")
        execution_uuid = execution.id
        try:
            query: Query | QueryEnd = prepare(
                session=session, execution=execution, secret_key=secret_key
            )
        except DomainError as error:
            query = QueryEnd("failed", str(error))
    end = (
        query
        if isinstance(query, QueryEnd)
        else run_query(
            session_factory=session_factory,
            store=store,
            execution_uuid=execution_uuid,
            execution_id=execution_id,
            query=query,
        )
    )
    outcome = _record_end(session_factory, execution_uuid, end)
    if end.result is not None and outcome.status != "completed":
        store.delete(end.result.location)  # cancelled while the file was being written
    _after_end(session_factory, redis, smtp_url, execution_uuid)
    return outcome


def end_run(
    *,
    session: Session,
    execution_uuid: uuid.UUID,
    status: str,
    error_message: str | None = None,
    **result: object,
) -> bool:
    """Record a running run's end and the counters that follow it, in the caller's
    transaction; False when it had ended already (cancelled meanwhile: that stays)."""
    now = datetime.now(UTC)
    changed = rowcount(
        session.execute(
            update(ReportExecution)
            .where(ReportExecution.id == execution_uuid, ReportExecution.status == "running")
            .values(
                status=status,
                error_message=error_message,
                completed_at=now,
                updated_at=now,
                **result,
            )
        )
    )
    if changed:
        record_run_end(
            session, session.get_one(ReportExecution, execution_uuid, populate_existing=True)
        )
    return bool(changed)


def _record_end(
    session_factory: sessionmaker[Session], execution_uuid: uuid.UUID, end: QueryEnd
) -> RunOutcome:
    written = end.result
    result = (
        {}
        if written is None
        else {
            "output_location": written.location,
            "row_count": written.row_count,
            "size_bytes": written.size_bytes,
        }
    )
    with session_factory() as session:
        end_run(
            session=session,
            execution_uuid=execution_uuid,
            status=end.status,
            error_message=end.error_message,
            **result,
        )
        session.commit()
        execution = session.get_one(ReportExecution, execution_uuid)
        log.info(
            "run %s ended: %s",
            execution.execution_id,
            execution.status,
            extra={"execution_id": execution.execution_id, "status": execution.status},
        )
        return RunOutcome(
            execution.execution_id,
            execution.status,
            execution.row_count,
            execution.error_message,
        )


def _after_end(
    session_factory: sessionmaker[Session],
    redis: Redis | None,
    smtp_url: str | None,
    execution_uuid: uuid.UUID,
) -> None:
    """Release the instance's next held runs, then send the e-mails this end calls for (a
    slow mail server never holds the next runs back)."""
    with session_factory() as session:
        execution = session.get_one(ReportExecution, execution_uuid)
        release_held(session=session, redis=redis, instance_uuid=execution.instance_uuid)
        notify_run_end(session, smtp_url, execution)
        if execution.collection_uuid is not None:
            notify_backfill_if_ended(session, smtp_url, execution.collection_uuid)

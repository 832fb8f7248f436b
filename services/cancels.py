"""Cancelling one run: the row ends as cancelled, its job leaves the queue (a running one is
stopped by the worker watching it), and what follows a run's end follows: a backfill
recounts its segments and the instance's next held runs are released."""

from __future__ import annotations

from datetime import UTC, datetime

from redis import Redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import ReportDefinition, ReportExecution
from db.session import rowcount
from services.access import require_runner
from services.backfill_progress import release_held
from services.errors import Conflict, PermissionDenied
from services.executions import ACTIVE_STATUSES, ExecutionInfo, execution_info, get_execution_row
from services.run_events import record_run_end
from services.runtime import dequeue_execution
from services.users import Actor


def cancel_execution(
    *, session: Session, redis: Redis | None, actor: Actor, execution_id: str
) -> ExecutionInfo:
    """Cancel the pending or running execution `execution_id`, and only that one.

    A cancelled backfill segment ends that segment alone: the backfill goes on with its
    other segments, and its status is recounted when they have all ended. Commits before
    the job leaves the queue, so a worker that picks it up meanwhile sees it cancelled.
    """
    execution = get_execution_row(session=session, actor=actor, execution_id=execution_id)
    require_runner(actor)
    if not actor.is_admin and execution.user_uuid != actor.id:
        owner = session.scalar(
            select(ReportDefinition.owner_uuid).where(ReportDefinition.id == execution.report_uuid)
        )
        if owner != actor.id:
            raise PermissionDenied(
                "Only the person who started a run, its report's owner or an admin can cancel it."
            )
    now = datetime.now(UTC)
    changed = rowcount(
        session.execute(
            update(ReportExecution)
            .where(ReportExecution.id == execution.id, ReportExecution.status.in_(ACTIVE_STATUSES))
            .values(
                status="cancelled",
                completed_at=now,
                error_message="Cancelled by " + actor.email,
                updated_at=now,
            )
        )
    )
    if not changed:
        raise Conflict(f"The run has already ended ({execution.status}).")
    session.refresh(execution)
    record_run_end(session, execution)
    session.commit()
    if redis is not None:
        dequeue_execution(redis, execution.execution_id)
    release_held(session=session, redis=redis, instance_uuid=execution.instance_uuid)
    return execution_info(session=session, execution_uuid=execution.id)

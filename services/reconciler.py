"""The reconciler (the execution status poller): repairs what crashes and lost Redis data
leave behind. The database is the source of truth; Redis is only transport.

Every pass:
1. a queued pending run whose job is not in Redis (or has ended) is enqueued again;
2. a running run whose heartbeat stopped (its worker died) or that ran far past its
   instance's time limit is retried, with backoff, up to the instance's max_attempts, or
   failed with a reason a person understands;
3. held runs whose backoff is over are released, within each instance's concurrency;
4. backfills whose segments have all ended get their final status (and their e-mail).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from redis import Redis
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Instance, ReportDataCollection, ReportExecution
from services.backfill_progress import BACKFILL_ENDED, refresh_collection, release_held
from services.notifications import notify_run_end
from services.run_events import notify_backfill_if_ended, record_run_end
from services.runtime import enqueue_execution

log = logging.getLogger(__name__)

#: A running run whose heartbeat is older than this lost its worker (workers beat every 5 s).
STALE_HEARTBEAT_S = 20
#: A queued run younger than this may still be on its way to Redis (commit, then enqueue).
ENQUEUE_GRACE_S = 10
#: Seconds past the instance's statement timeout before a run that still beats is failed.
TIMEOUT_GRACE_S = 60
#: First retry waits this long; each further one twice as long.
BACKOFF_BASE_S = 10
_ENDED_JOB = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


@dataclass
class ReconcileReport:
    requeued: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)


def reconcile(
    *,
    session_factory: sessionmaker[Session],
    redis: Redis,
    smtp_url: str | None = None,
    now: datetime | None = None,
) -> ReconcileReport:
    now = now or datetime.now(UTC)
    report = ReconcileReport()
    with session_factory() as session:
        report.requeued = _requeue_lost(session, redis, now)
        _repair_running(session, now, report)
        # The dead worker's job still reads "started": drop it, or enqueueing the retry
        # would take it for a live job and skip it.
        for execution_id in report.retried:
            _drop_job(redis, execution_id)
        for execution_id in report.failed:
            execution = session.scalars(
                select(ReportExecution).where(ReportExecution.execution_id == execution_id)
            ).one()
            notify_run_end(session, smtp_url, execution)
        for instance_uuid in session.scalars(select(Instance.id)).all():
            report.released += release_held(
                session=session, redis=redis, instance_uuid=instance_uuid, now=now
            )
        _settle_backfills(session, smtp_url)
    if report.requeued or report.retried or report.failed:
        log.info(
            "reconciled: %d requeued, %d retried, %d failed, %d released",
            len(report.requeued),
            len(report.retried),
            len(report.failed),
            len(report.released),
        )
    return report


def _drop_job(redis: Redis, execution_id: str) -> None:
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(execution_id, connection=redis).delete()


def _job_alive(redis: Redis, execution_id: str) -> bool:
    try:
        status = Job.fetch(execution_id, connection=redis).get_status()
    except NoSuchJobError:
        return False
    return status not in _ENDED_JOB


def _requeue_lost(session: Session, redis: Redis, now: datetime) -> list[str]:
    pending = session.scalars(
        select(ReportExecution.execution_id).where(
            ReportExecution.status == "pending",
            ReportExecution.queued_at.is_not(None),
            ReportExecution.queued_at < now - timedelta(seconds=ENQUEUE_GRACE_S),
        )
    ).all()
    requeued = [e for e in pending if not _job_alive(redis, e)]
    for execution_id in requeued:
        enqueue_execution(redis, execution_id)
    return requeued


def _repair_running(session: Session, now: datetime, report: ReconcileReport) -> None:
    running = session.scalars(
        select(ReportExecution).where(ReportExecution.status == "running")
    ).all()
    for execution in running:
        instance = session.get_one(Instance, execution.instance_uuid)
        beat = execution.heartbeat_at or execution.started_at or execution.updated_at
        limit = instance.statement_timeout_seconds + TIMEOUT_GRACE_S
        if beat < now - timedelta(seconds=STALE_HEARTBEAT_S):
            reason = "the worker running it stopped (its process died or lost the database)"
        elif execution.started_at and execution.started_at < now - timedelta(seconds=limit):
            reason = (
                f"it ran past the instance's limit of {instance.statement_timeout_seconds} s "
                "and its worker did not stop it"
            )
        else:
            continue
        if execution.attempt < instance.max_attempts:
            backoff = BACKOFF_BASE_S * 2 ** (execution.attempt - 1)
            execution.status = "pending"
            execution.attempt += 1
            execution.queued_at = None
            execution.not_before = now + timedelta(seconds=backoff)
            execution.started_at = None
            execution.heartbeat_at = None
            execution.error_message = (
                f"Attempt {execution.attempt - 1} ended because {reason}; retrying."
            )
            report.retried.append(execution.execution_id)
        else:
            execution.status = "failed"
            execution.completed_at = now
            execution.error_message = (
                f"Gave up after {execution.attempt} attempts: the last one ended because {reason}."
            )
            record_run_end(session, execution)
            report.failed.append(execution.execution_id)
    session.commit()


#: How far back the reconciler looks for ended backfills whose e-mail was not sent yet.
UNMAILED_BACKFILLS_WITHIN = timedelta(days=1)


def _settle_backfills(session: Session, smtp_url: str | None) -> None:
    """Backfills marked running whose segments all ended (a crash between the two), and
    recent ended ones whose e-mail was not sent (a cancelled last segment ends a backfill
    in the web request, which sends no mail)."""
    running = session.scalars(
        select(ReportDataCollection).where(ReportDataCollection.status.in_(("pending", "running")))
    ).all()
    for collection in running:
        refresh_collection(session, collection.id)
    session.commit()
    unmailed = session.scalars(
        select(ReportDataCollection.id).where(
            ReportDataCollection.status.in_(BACKFILL_ENDED),
            ReportDataCollection.notified_at.is_(None),
            ReportDataCollection.updated_at >= datetime.now(UTC) - UNMAILED_BACKFILLS_WITHIN,
        )
    ).all()
    for collection_uuid in dict.fromkeys([*(c.id for c in running), *unmailed]):
        notify_backfill_if_ended(session, smtp_url, collection_uuid)

"""What admins watch: the run queues, their workers, failed jobs, the scheduler's pulse and
schedules running late. Read from Redis (RQ's registries) and the database; admins only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.results import Result
from rq.worker import BaseWorker
from rq_scheduler import Scheduler
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ReportDefinition, ReportSchedule
from services.errors import JobNotFound, PermissionDenied
from services.runtime import ALL_QUEUES, last_scheduler_tick
from services.users import Actor

#: The scheduler counts as alive while its last tick is younger than this.
SCHEDULER_STALE_AFTER = timedelta(seconds=60)
#: A schedule whose next_run_at is older than this has missed its slot.
LATE_AFTER = timedelta(minutes=2)
#: Failed jobs listed at most, newest first.
FAILED_JOBS_LIMIT = 50
#: Characters of an exception kept in a failed job's summary.
EXC_SUMMARY_CHARS = 300
# URLs in error text may carry credentials (DESIGN.md, Security): never show them.
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://\S+")


@dataclass(frozen=True)
class QueueStats:
    name: str
    queued: int
    started: int
    failed: int
    scheduled: int


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    state: str
    current_job_id: str | None
    heartbeat_age_seconds: float | None
    queues: list[str]


@dataclass(frozen=True)
class FailedJob:
    job_id: str
    queue: str
    func: str | None
    exc_summary: str | None
    ended_at: datetime | None


@dataclass(frozen=True)
class LateSchedule:
    schedule_id: str
    report_id: str
    next_run_at: datetime
    late_seconds: float


@dataclass(frozen=True)
class QueueOverview:
    queues: list[QueueStats]
    workers: list[WorkerInfo]
    scheduler_last_tick: datetime | None
    scheduler_healthy: bool
    failed_jobs: list[FailedJob]
    late_schedules: list[LateSchedule]
    checked_at: datetime


@dataclass(frozen=True)
class RequeuedJob:
    job_id: str
    queue: str


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can watch and manage the run queues.")


def queue_overview(
    *, session: Session, actor: Actor, redis: Redis, now: datetime | None = None
) -> QueueOverview:
    """Counts per queue, workers, failed jobs, the scheduler's last tick, late schedules."""
    _require_admin(actor)
    now = now or datetime.now(UTC)
    periodic = _periodic_counts(redis)
    queues = []
    for name in ALL_QUEUES:
        queue = Queue(name, connection=redis)
        queues.append(
            QueueStats(
                name=name,
                queued=queue.count,
                started=StartedJobRegistry(queue=queue).count,
                failed=FailedJobRegistry(queue=queue).count,
                scheduled=_scheduled_count(queue) + periodic.get(name, 0),
            )
        )
    workers = [_worker_info(worker, now) for worker in Worker.all(connection=redis)]
    workers.sort(key=lambda w: w.name)
    tick = last_scheduler_tick(connection=redis)
    listened = {queue for worker in workers for queue in worker.queues}
    healthy = (
        tick is not None and now - tick < SCHEDULER_STALE_AFTER and set(ALL_QUEUES) <= listened
    )
    return QueueOverview(
        queues=queues,
        workers=workers,
        scheduler_last_tick=tick,
        scheduler_healthy=healthy,
        failed_jobs=_failed_jobs(redis),
        late_schedules=_late_schedules(session, now),
        checked_at=now,
    )


def _scheduled_count(queue: Queue) -> int:
    registry = ScheduledJobRegistry(queue=queue)  # type: ignore[no-untyped-call]
    return registry.count


def _periodic_counts(redis: Redis) -> dict[str, int]:
    """Jobs rq-scheduler holds (the periodic ones), by the queue they go to."""
    counts: dict[str, int] = {}
    for job in Scheduler(connection=redis).get_jobs():
        counts[job.origin] = counts.get(job.origin, 0) + 1
    return counts


def _worker_info(worker: BaseWorker, now: datetime) -> WorkerInfo:
    heartbeat = worker.last_heartbeat
    age = None
    if heartbeat is not None:
        age = max(0.0, (now - heartbeat.replace(tzinfo=heartbeat.tzinfo or UTC)).total_seconds())
    return WorkerInfo(
        name=worker.name,
        state=str(worker.get_state()),
        current_job_id=worker.get_current_job_id(),
        heartbeat_age_seconds=age,
        queues=worker.queue_names(),
    )


def _failed_jobs(redis: Redis) -> list[FailedJob]:
    found: list[FailedJob] = []
    for name in ALL_QUEUES:
        registry = FailedJobRegistry(queue=Queue(name, connection=redis))
        ids = registry.get_job_ids(0, FAILED_JOBS_LIMIT - 1, desc=True)
        for job in Job.fetch_many(ids, connection=redis):
            if job is not None:
                found.append(_failed(job, name))
    oldest = datetime.min.replace(tzinfo=UTC)
    found.sort(key=lambda j: j.ended_at or oldest, reverse=True)
    return found[:FAILED_JOBS_LIMIT]


def _failed(job: Job, queue: str) -> FailedJob:
    ended_at = job.ended_at
    if ended_at is not None and ended_at.tzinfo is None:  # RQ stores naive UTC times
        ended_at = ended_at.replace(tzinfo=UTC)
    try:
        func: str | None = job.func_name
    except Exception:  # a job whose payload cannot be read still deserves a line
        func = None
    return FailedJob(
        job_id=job.id, queue=queue, func=func, exc_summary=_exc_summary(job), ended_at=ended_at
    )


def _exc_summary(job: Job) -> str | None:
    """The exception's last line (`ValueError: ...`), credentials-free and short."""
    result = job.latest_result()
    text = result.exc_string if result is not None and result.type == Result.Type.FAILED else None
    if not text:
        return None
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    summary = _URL.sub("<url>", lines[-1]) if lines else ""
    return summary[:EXC_SUMMARY_CHARS] or None


def _late_schedules(session: Session, now: datetime) -> list[LateSchedule]:
    rows = session.execute(
        select(ReportSchedule.schedule_id, ReportDefinition.report_id, ReportSchedule.next_run_at)
        .join(ReportDefinition, ReportDefinition.id == ReportSchedule.report_uuid)
        .where(
            ReportSchedule.is_active,
            ReportSchedule.is_paused.is_(False),
            ReportSchedule.next_run_at < now - LATE_AFTER,
        )
        .order_by(ReportSchedule.next_run_at)
    ).all()
    return [
        LateSchedule(
            schedule_id=row.schedule_id,
            report_id=row.report_id,
            next_run_at=row.next_run_at,
            late_seconds=(now - row.next_run_at).total_seconds(),
        )
        for row in rows
    ]


def requeue_job(*, actor: Actor, redis: Redis, job_id: str) -> RequeuedJob:
    """Put a failed job back on its queue; JobNotFound unless it is in a failed registry.

    An execution's job re-runs only a run that is still pending: the worker claims nothing
    else, so a failed run is retried through its report or backfill instead.
    """
    _require_admin(actor)
    for name in ALL_QUEUES:
        registry = FailedJobRegistry(queue=Queue(name, connection=redis))
        if job_id not in registry:
            continue
        try:
            registry.requeue(job_id)
        except (InvalidJobOperation, NoSuchJobError):
            break  # requeued or expired meanwhile
        return RequeuedJob(job_id=job_id, queue=name)
    raise JobNotFound(job_id)

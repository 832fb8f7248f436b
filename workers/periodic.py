"""Periodic jobs, defined as data and registered with rq-scheduler idempotently.

Each definition has a fixed job id, so registering again at every scheduler start replaces
the previous registration instead of adding one (Redash's habit). Registrations under our
prefix that no longer have a definition are cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rq_scheduler import Scheduler

from services.runtime import MAINTENANCE_QUEUE

#: Prefix of every periodic job id; the scheduler owns everything under it.
PERIODIC_JOB_PREFIX = "reportbuilder-periodic-"


@dataclass(frozen=True)
class PeriodicJob:
    """A job the scheduler enqueues every `interval_seconds`."""

    name: str
    func: str
    interval_seconds: int
    queue_name: str = MAINTENANCE_QUEUE
    #: Seconds a run may take; periodic jobs are short by design.
    timeout_seconds: int = 60

    @property
    def job_id(self) -> str:
        return f"{PERIODIC_JOB_PREFIX}{self.name}"


#: Every periodic job of the product.
PERIODIC_JOBS: tuple[PeriodicJob, ...] = (
    PeriodicJob(name="heartbeat", func="workers.maintenance.heartbeat", interval_seconds=10),
    # Every second (the scheduler's own poll): a due slot is queued within a few seconds.
    PeriodicJob(name="schedule-tick", func="workers.maintenance.schedule_tick", interval_seconds=1),
    PeriodicJob(name="reconciler", func="workers.maintenance.reconcile_runs", interval_seconds=30),
    # Hourly look; it rebuilds (~10 s) only once a day, when a new day of data is due.
    PeriodicJob(
        name="demo-refresh",
        func="workers.maintenance.refresh_demo",
        interval_seconds=3600,
        timeout_seconds=600,
    ),
)


def register_periodic_jobs(
    scheduler: Scheduler, jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS
) -> list[str]:
    """Make the scheduler hold exactly `jobs` under our prefix; return their job ids.

    A job already registered with the same definition keeps its next run time, so starting
    a second scheduler (or restarting one) neither adds a run nor delays one.
    """
    wanted = {job.job_id: job for job in jobs}
    registered: dict[str, Any] = {}
    for scheduled in list(scheduler.get_jobs()):
        if not scheduled.id.startswith(PERIODIC_JOB_PREFIX):
            continue
        if scheduled.id in wanted:
            registered[scheduled.id] = scheduled
        else:
            scheduler.cancel(scheduled)
            scheduled.delete()
    now = datetime.now(UTC)
    for job in jobs:
        current = registered.get(job.job_id)
        if current is not None and _same_definition(current, job):
            continue
        # Same id: the job hash is overwritten and its slot in the schedule moved, not added.
        scheduler.schedule(
            scheduled_time=now,
            func=job.func,
            interval=job.interval_seconds,
            id=job.job_id,
            queue_name=job.queue_name,
            timeout=job.timeout_seconds,
            # Never expire: the scheduler drops a registration whose job hash is gone, and
            # the fixed id means there is only ever one hash per periodic job.
            result_ttl=-1,
            description=f"periodic: {job.name}",
        )
    return sorted(wanted)


def _same_definition(scheduled: Any, job: PeriodicJob) -> bool:
    return bool(
        scheduled.func_name == job.func
        and scheduled.meta.get("interval") == job.interval_seconds
        and scheduled.origin == job.queue_name
        and scheduled.timeout == job.timeout_seconds
    )

"""Redis and RQ plumbing shared by services (which enqueue) and workers (which consume).

Services enqueue jobs by dotted name, so they never import `workers`; both sides take the
queue names from here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from redis import Redis
from rq import Queue
from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

#: Report runs (`workers.jobs.*`): long, one per execution, job id = execution id.
EXECUTIONS_QUEUE = "executions"
#: Short periodic jobs: heartbeat, schedule tick, reconciler.
MAINTENANCE_QUEUE = "maintenance"
#: Every queue the product uses, in the order a worker serves them: maintenance first, so
#: a backlog of runs never delays a schedule tick.
ALL_QUEUES = (MAINTENANCE_QUEUE, EXECUTIONS_QUEUE)

#: The job that runs one execution; its job id is the execution id.
RUN_EXECUTION_JOB = "workers.jobs.run_execution"
#: Job states after which a job with the same id may be enqueued again.
_ENDED_STATES = (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)

#: Redis key holding the ISO time (UTC) of the scheduler's last tick that a worker ran;
#: written by the periodic heartbeat job.
LAST_TICK_KEY = "reportbuilder:scheduler:last_tick"

#: Seconds a run may take before RQ stops it; the engine's own timeout is shorter.
DEFAULT_JOB_TIMEOUT_S = 3600
#: Seconds RQ keeps a finished job's return value; the database keeps the real outcome.
DEFAULT_RESULT_TTL_S = 24 * 3600


def redis_connection(url: str) -> Redis:
    """A client for `url` (``redis://``, ``rediss://`` or ``unix://``); connects lazily."""
    return Redis.from_url(url)


def enqueue_by_name(
    func_name: str,
    *,
    connection: Redis,
    queue_name: str,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    job_id: str | None = None,
    timeout: int = DEFAULT_JOB_TIMEOUT_S,
    result_ttl: int = DEFAULT_RESULT_TTL_S,
) -> str:
    """Enqueue the job `func_name` (``"workers.jobs.run_execution"``); return its job id.

    Arguments must be plain values (ids, strings, numbers), never ORM objects.
    """
    if queue_name not in ALL_QUEUES:
        raise ValueError(f"unknown queue {queue_name!r}; expected one of {ALL_QUEUES}")
    queue = Queue(queue_name, connection=connection)
    job = queue.enqueue_call(
        func_name,
        args=tuple(args),
        kwargs=dict(kwargs or {}),
        job_id=job_id,
        timeout=timeout,
        result_ttl=result_ttl,
    )
    return job.id


def enqueue_execution(
    connection: Redis, execution_id: str, *, timeout: int = DEFAULT_JOB_TIMEOUT_S
) -> str:
    """Put the run of `execution_id` on the executions queue, once.

    A job of that id still waiting or running is left alone, so the reconciler may call
    this for every pending execution; one that has ended is replaced.
    """
    queue = Queue(EXECUTIONS_QUEUE, connection=connection)
    for _ in range(3):
        try:
            job = queue.enqueue_call(
                RUN_EXECUTION_JOB,
                args=(execution_id,),
                job_id=execution_id,
                timeout=timeout,
                result_ttl=DEFAULT_RESULT_TTL_S,
                unique=True,
            )
            return job.id
        except DuplicateJobError:
            try:
                existing = Job.fetch(execution_id, connection=connection)
            except NoSuchJobError:
                continue  # it expired in between: try again
            if existing.get_status() not in _ENDED_STATES:
                return execution_id
            existing.delete()
    raise RuntimeError(f"could not enqueue {execution_id!r}: its job id keeps being taken")


def dequeue_execution(connection: Redis, execution_id: str) -> None:
    """Take the run of `execution_id` off the queue if it is still waiting.

    A running one is left alone: its worker watches the row and interrupts the query once
    it is cancelled, so the job ends cleanly (see services.run_worker). Workers run jobs
    in their own process (workers/runtime.py), so there is no work horse to kill.
    """
    try:
        job = Job.fetch(execution_id, connection=connection)
    except NoSuchJobError:
        return
    with contextlib.suppress(InvalidJobOperation, NoSuchJobError):
        if job.get_status() not in {*_ENDED_STATES, JobStatus.STARTED}:
            job.cancel()


def last_scheduler_tick(*, connection: Redis) -> datetime | None:
    """When the heartbeat last ran (scheduler and a worker both alive then), or None."""
    value = connection.get(LAST_TICK_KEY)
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None

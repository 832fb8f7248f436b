"""Start the long-running RQ processes: a worker and the scheduler."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from rq.worker import SimpleWorker
from rq_scheduler import Scheduler

import workers.jobs  # noqa: F401  (loaded before the first job: see run_worker)
from services.runtime import MAINTENANCE_QUEUE, redis_connection
from workers.periodic import PERIODIC_JOBS, PeriodicJob, register_periodic_jobs
from workers.queues import WORKER_QUEUES

#: Seconds between the scheduler's polls: the goal is a slot enqueued within 5 s of its time.
SCHEDULER_POLL_SECONDS = 1
#: Level of RQ's own loggers (rq.worker, rq.job, rq_scheduler). At INFO they write 4 lines
#: per job, and the periodic jobs run every second; our runs log their own start and end.
RQ_LOG_LEVEL = "WARNING"

#: Seconds the worker's pubsub thread (RQ's channel for stop/kill commands) waits for a
#: message before it looks again whether it should stop. RQ waits 60.
PUBSUB_WAKE_SECONDS = 1.0

log = logging.getLogger(__name__)


class ReportWorker(SimpleWorker):
    """RQ's SimpleWorker whose pubsub thread wakes every PUBSUB_WAKE_SECONDS.

    With redis-py 8.2, `PubSubWorkerThread.stop()` joins the thread without a time limit,
    and RQ's thread can be back asleep for up to 60 s (its wait for a subscription that
    the worker's own UNSUBSCRIBE just ended) when the worker stops: a burst worker or a
    SIGTERM then took a minute to return, now at most a second.
    """

    def subscribe(self) -> None:
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]  # RQ types it None
            sleep_time=PUBSUB_WAKE_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )


# Jobs run in the worker process itself (RQ's SimpleWorker), not in a work horse forked per
# job: the imports, the database connection pool, compiled statements and the DuckDB
# library stay warm, which takes a run's overhead from ~110 ms to ~40 ms
# (benchmarks/bench_execution.py). The price: a job that crashes the interpreter takes the
# worker down with it; the reconciler then retries or fails its run, and the process
# manager restarts the worker. Cancels do not need a horse to kill: the running job's
# cancel watch interrupts the engine's statement (services/run_worker.py).
def run_worker(
    redis_url: str,
    *,
    queues: Sequence[str] = WORKER_QUEUES,
    burst: bool = False,
    name: str | None = None,
) -> bool:
    """Serve `queues` until stopped (or until they are empty with `burst`).

    Returns whether any job was processed. SIGTERM/SIGINT stop it after the current job;
    a second one stops it at once.
    """
    connection = redis_connection(redis_url)
    worker = ReportWorker(list(queues), connection=connection, name=name)
    log.info("worker %s serving %s", worker.name, ", ".join(queues))
    return worker.work(burst=burst, logging_level=RQ_LOG_LEVEL)


class _SelfHealingScheduler(Scheduler):  # type: ignore[misc]
    """Registers the periodic jobs again whenever they went missing (a Redis FLUSHALL, a
    restart of Redis without persistence), so schedules keep firing."""

    def __init__(self, periodic_jobs: tuple[PeriodicJob, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._periodic_jobs = periodic_jobs

    def enqueue_jobs(self) -> Any:
        register_periodic_jobs(self, self._periodic_jobs)
        return super().enqueue_jobs()


def run_scheduler(
    redis_url: str,
    *,
    interval: float = SCHEDULER_POLL_SECONDS,
    periodic_jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS,
    burst: bool = False,
) -> None:
    """Register the periodic jobs, then move due jobs onto their queues until stopped."""
    connection = redis_connection(redis_url)
    scheduler = _SelfHealingScheduler(
        periodic_jobs, queue_name=MAINTENANCE_QUEUE, connection=connection, interval=interval
    )
    job_ids = register_periodic_jobs(scheduler, periodic_jobs)
    log.info("periodic jobs registered: %s", ", ".join(job_ids))
    logging.getLogger("rq_scheduler").setLevel(RQ_LOG_LEVEL)
    scheduler.run(burst=burst)

"""Periodic jobs: registered once whatever the restarts, and run by real processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq_scheduler import Scheduler

from services.runtime import MAINTENANCE_QUEUE, last_scheduler_tick, redis_connection
from tests.workers.helpers import reportbuilder
from workers.periodic import PERIODIC_JOB_PREFIX, PERIODIC_JOBS, PeriodicJob, register_periodic_jobs


def _scheduled(scheduler: Scheduler) -> dict[str, datetime]:
    return {job.id: when for job, when in scheduler.get_jobs(with_times=True)}


def test_registering_again_keeps_one_job_and_its_next_run(redis_url: str) -> None:
    scheduler = Scheduler(queue_name=MAINTENANCE_QUEUE, connection=redis_connection(redis_url))

    first = register_periodic_jobs(scheduler)
    before = _scheduled(scheduler)
    second = register_periodic_jobs(scheduler)

    assert first == second == sorted(job.job_id for job in PERIODIC_JOBS)
    assert _scheduled(scheduler) == before
    assert set(before) == set(first)


def test_a_changed_definition_replaces_the_registration(redis_url: str) -> None:
    scheduler = Scheduler(queue_name=MAINTENANCE_QUEUE, connection=redis_connection(redis_url))
    register_periodic_jobs(scheduler)
    faster = tuple(
        PeriodicJob(name=job.name, func=job.func, interval_seconds=job.interval_seconds + 5)
        for job in PERIODIC_JOBS
    )

    register_periodic_jobs(scheduler, faster)

    jobs = list(scheduler.get_jobs())
    assert len(jobs) == len(PERIODIC_JOBS)
    assert {job.meta["interval"] for job in jobs} == {job.interval_seconds for job in faster}


def test_periodic_jobs_without_a_definition_are_cancelled(redis_url: str) -> None:
    connection = redis_connection(redis_url)
    scheduler = Scheduler(queue_name=MAINTENANCE_QUEUE, connection=connection)
    retired = PeriodicJob(name="retired", func="workers.maintenance.heartbeat", interval_seconds=5)
    register_periodic_jobs(scheduler, (*PERIODIC_JOBS, retired))
    scheduler.enqueue_in(timedelta(hours=1), "workers.maintenance.heartbeat", job_id="not-ours")

    register_periodic_jobs(scheduler)

    assert set(_scheduled(scheduler)) == {job.job_id for job in PERIODIC_JOBS} | {"not-ours"}
    assert not connection.exists(f"rq:job:{PERIODIC_JOB_PREFIX}retired")


def test_no_heartbeat_before_the_scheduler_ran(redis_url: str) -> None:
    assert last_scheduler_tick(connection=redis_connection(redis_url)) is None


def test_the_scheduler_and_a_worker_record_the_heartbeat(redis_url: str) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)

    scheduler = reportbuilder("scheduler", "--burst", env={"REDIS_URL": redis_url})
    assert scheduler.returncode == 0, scheduler.stderr
    worker = reportbuilder("worker", "--burst", env={"REDIS_URL": redis_url})
    assert worker.returncode == 0, worker.stderr

    ticked_at = last_scheduler_tick(connection=redis_connection(redis_url))
    assert ticked_at is not None
    assert started <= ticked_at <= datetime.now(UTC)

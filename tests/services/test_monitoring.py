"""Monitoring: queue counts, workers, failed jobs, the scheduler's pulse, late schedules and
requeues, read from a real Redis; admins only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry
from rq_scheduler import Scheduler
from sqlalchemy.orm import Session

from db.models import ReportSchedule
from services.errors import JobNotFound, PermissionDenied
from services.monitoring import queue_overview, requeue_job
from services.reports import create_report
from services.runtime import EXECUTIONS_QUEUE, LAST_TICK_KEY, MAINTENANCE_QUEUE
from services.schedules import create_schedule
from tests.factories import World
from workers.periodic import PERIODIC_JOBS, register_periodic_jobs
from workers.runtime import ReportWorker


def _fail(redis: Redis, *args: object, queue: str = MAINTENANCE_QUEUE) -> str:
    """A job that fails in a real (in-process) worker: `int(*args)`."""
    job = Queue(queue, connection=redis).enqueue("builtins.int", *args)
    ReportWorker([Queue(queue, connection=redis)], connection=redis).work(burst=True)
    return job.id


@pytest.fixture
def listening(redis: Redis) -> Iterator[ReportWorker]:
    """A worker registered on both queues, as a running `reportbuilder worker` is."""
    queues = [Queue(name, connection=redis) for name in (MAINTENANCE_QUEUE, EXECUTIONS_QUEUE)]
    worker = ReportWorker(queues, connection=redis, name="listening-worker")
    worker.register_birth()  # type: ignore[no-untyped-call]
    worker.heartbeat()
    yield worker
    worker.register_death()  # type: ignore[no-untyped-call]


def test_only_admins_watch_or_requeue(session: Session, world: World, redis: Redis) -> None:
    for actor in (world.owner, world.viewer):
        with pytest.raises(PermissionDenied):
            queue_overview(session=session, actor=actor, redis=redis)
        with pytest.raises(PermissionDenied):
            requeue_job(actor=actor, redis=redis, job_id="any")


def test_queues_are_counted_by_state(session: Session, world: World, redis: Redis) -> None:
    executions = Queue(EXECUTIONS_QUEUE, connection=redis)
    executions.enqueue("builtins.print", "a")
    executions.enqueue("builtins.print", "b")
    executions.enqueue_in(timedelta(minutes=5), "builtins.print", "later")
    _fail(redis, "x")
    register_periodic_jobs(Scheduler(queue_name=MAINTENANCE_QUEUE, connection=redis))

    overview = queue_overview(session=session, actor=world.admin, redis=redis)

    counts = {q.name: (q.queued, q.started, q.failed, q.scheduled) for q in overview.queues}
    periodic = sum(1 for job in PERIODIC_JOBS if job.queue_name == MAINTENANCE_QUEUE)
    assert counts == {EXECUTIONS_QUEUE: (2, 0, 0, 1), MAINTENANCE_QUEUE: (0, 0, 1, periodic)}


def test_failed_jobs_are_listed_newest_first_without_credentials(
    session: Session, world: World, redis: Redis
) -> None:
    older = _fail(redis, "postgresql://admin:secret@db.internal/prod")
    newer = _fail(redis, "12a", queue=EXECUTIONS_QUEUE)

    failed = queue_overview(session=session, actor=world.admin, redis=redis).failed_jobs

    assert [(j.job_id, j.queue, j.func) for j in failed] == [
        (newer, EXECUTIONS_QUEUE, "builtins.int"),
        (older, MAINTENANCE_QUEUE, "builtins.int"),
    ]
    assert failed[0].exc_summary == "ValueError: invalid literal for int() with base 10: '12a'"
    assert failed[1].exc_summary is not None and "secret" not in failed[1].exc_summary
    assert "<url>" in failed[1].exc_summary
    assert failed[0].ended_at is not None and failed[0].ended_at.tzinfo is not None


def test_workers_are_shown_with_state_queues_and_heartbeat_age(
    session: Session, world: World, redis: Redis, listening: ReportWorker
) -> None:
    [worker] = queue_overview(session=session, actor=world.admin, redis=redis).workers

    assert worker.name == "listening-worker"
    assert sorted(worker.queues) == sorted([MAINTENANCE_QUEUE, EXECUTIONS_QUEUE])
    assert worker.current_job_id is None
    assert worker.heartbeat_age_seconds is not None and 0 <= worker.heartbeat_age_seconds < 30


def test_the_scheduler_is_healthy_with_a_recent_tick_and_every_queue_served(
    session: Session, world: World, redis: Redis, listening: ReportWorker
) -> None:
    now = datetime.now(UTC)

    def healthy(tick: datetime | None) -> bool:
        if tick is None:
            redis.delete(LAST_TICK_KEY)
        else:
            redis.set(LAST_TICK_KEY, tick.isoformat())
        overview = queue_overview(session=session, actor=world.admin, redis=redis, now=now)
        assert overview.scheduler_last_tick == tick
        return overview.scheduler_healthy

    assert healthy(now - timedelta(seconds=5))
    assert not healthy(now - timedelta(seconds=90))
    assert not healthy(None)


def test_the_scheduler_is_unhealthy_when_a_queue_has_no_worker(
    session: Session, world: World, redis: Redis
) -> None:
    worker = ReportWorker([Queue(EXECUTIONS_QUEUE, connection=redis)], connection=redis)
    worker.register_birth()  # type: ignore[no-untyped-call]
    redis.set(LAST_TICK_KEY, datetime.now(UTC).isoformat())
    try:
        overview = queue_overview(session=session, actor=world.admin, redis=redis)
    finally:
        worker.register_death()  # type: ignore[no-untyped-call]

    assert not overview.scheduler_healthy


def test_late_schedules_are_active_unpaused_and_two_minutes_overdue(
    session: Session, world: World, redis: Redis
) -> None:
    now = datetime.now(UTC)
    schedule_ids = []
    for name in ("late", "paused", "on time"):
        report = create_report(
            session=session, actor=world.owner, template_id="numbers", instance_id="wh", name=name
        )
        schedule_ids.append(
            create_schedule(
                session=session,
                actor=world.owner,
                report_id=report.report_id,
                schedule_type="daily",
            ).uuid
        )
    late, paused, on_time = (session.get_one(ReportSchedule, i) for i in schedule_ids)
    late.next_run_at = now - timedelta(minutes=10)
    paused.next_run_at = now - timedelta(minutes=10)
    paused.is_paused = True
    on_time.next_run_at = now - timedelta(seconds=30)
    session.commit()

    [found] = queue_overview(
        session=session, actor=world.admin, redis=redis, now=now
    ).late_schedules

    assert found.schedule_id == late.schedule_id
    assert found.late_seconds == pytest.approx(600, abs=1)


def test_a_failed_job_is_requeued_and_unknown_jobs_are_not_found(
    world: World, redis: Redis
) -> None:
    job_id = _fail(redis, "x", queue=EXECUTIONS_QUEUE)

    requeued = requeue_job(actor=world.admin, redis=redis, job_id=job_id)

    assert (requeued.job_id, requeued.queue) == (job_id, EXECUTIONS_QUEUE)
    assert Queue(EXECUTIONS_QUEUE, connection=redis).job_ids == [job_id]
    assert job_id not in FailedJobRegistry(EXECUTIONS_QUEUE, connection=redis)
    with pytest.raises(JobNotFound):
        requeue_job(actor=world.admin, redis=redis, job_id=job_id)
    with pytest.raises(JobNotFound):
        requeue_job(actor=world.admin, redis=redis, job_id="no-such-job")

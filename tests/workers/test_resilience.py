"""Crashes and lost Redis data lose no run: `kill -9` of a worker mid-run, and a Redis flush
while runs are pending. Real scheduler and worker processes, real Redis."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq import Worker
from rq_scheduler import Scheduler
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from db.models import ReportExecution, ReportSchedule
from services.cancels import cancel_execution
from services.executions import run_report
from services.instances import save_instance
from services.reconciler import ENQUEUE_GRACE_S, reconcile
from services.reports import create_report
from services.runtime import MAINTENANCE_QUEUE
from services.schedules import create_schedule
from services.users import grant_instance
from tests.databases import SKIP_POSTGRES, create_postgres_database, drop_postgres_database
from tests.factories import TEST_SECRET_KEY, World, add_template, wait_for
from tests.workers.helpers import Processes
from workers.periodic import PERIODIC_JOB_PREFIX, PERIODIC_JOBS

#: Sleeps on the PostgreSQL warehouse: a long run that holds no CPU (the machine is shared).
SQL_SLOW = """
SELECT 1 AS ok FROM pg_sleep({{ seconds }})
WHERE {{ window_start }} IS NOT NULL AND {{ window_end }} IS NOT NULL
"""
SLOW_PARAMETERS = [{"name": "seconds", "type": "number", "min": 0, "max": 600, "default": 240}]


@pytest.fixture
def pg_warehouse() -> Iterator[str]:
    """A PostgreSQL database playing the instance (dropped WITH FORCE: a killed worker's
    statement may still be sleeping there)."""
    if SKIP_POSTGRES:
        pytest.skip("no PostgreSQL server on this machine")
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


def execution(session: Session, execution_id: str) -> ReportExecution:
    session.expire_all()
    return session.query(ReportExecution).filter_by(execution_id=execution_id).one()


# Long by nature (a stale heartbeat is 20 s, the reconciler runs every 30 s): PostgreSQL
# only. The reconciler's repairs are covered on both databases in tests/services.
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_run_whose_worker_is_killed_is_retried_within_a_minute(
    session: Session,
    world: World,
    redis: Redis,
    processes: Processes,
    pg_warehouse: str,
) -> None:
    save_instance(
        session=session,
        secret_key=TEST_SECRET_KEY,
        instance_id="slowwh",
        name="Slow warehouse",
        engine="postgresql",
        connection_url=pg_warehouse,
        statement_timeout_seconds=300,
        max_attempts=3,
    )
    grant_instance(session=session, email=world.owner.email, instance_id="slowwh")
    add_template(session, "slow", SQL_SLOW, parameter_definitions=SLOW_PARAMETERS)
    report_id = create_report(
        session=session,
        actor=world.owner,
        template_id="slow",
        instance_id="slowwh",
        name="Slow",
        parameters={"seconds": 240},
    ).report_id

    doomed = processes.start("worker")
    run = run_report(session=session, redis=redis, actor=world.owner, report_id=report_id)
    wait_for(lambda: execution(session, run.execution_id).status == "running", timeout=60)
    # The scheduler (for the periodic reconciler) and a second worker join.
    processes.start("scheduler")
    processes.start("worker")
    wait_for(lambda: Worker.count(connection=redis) == 2, timeout=60)

    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    killed_at = time.monotonic()

    # The run must be retried, not failed: a killed worker is the product's fault, not the
    # query's, and the run has attempts to spare (max_attempts=3).
    wait_for(lambda: execution(session, run.execution_id).attempt >= 2, timeout=60, interval=0.5)
    print(f"retried {time.monotonic() - killed_at:.1f} s after the kill")  # shown with -s
    row = execution(session, run.execution_id)
    assert row.status != "failed", row.error_message
    assert row.attempt == 2
    assert "Attempt 1 ended because the worker running it stopped" in (row.error_message or "")

    # Once its backoff is over, the next reconciler pass releases it and the second worker
    # runs it.
    wait_for(lambda: execution(session, run.execution_id).queued_at is not None, timeout=45)

    def running_again() -> bool:
        again = execution(session, run.execution_id)
        return again.status == "running" and again.attempt == 2

    wait_for(running_again, timeout=20, interval=0.5)
    cancel_execution(session=session, redis=redis, actor=world.owner, execution_id=run.execution_id)
    wait_for(lambda: execution(session, run.execution_id).status == "cancelled", timeout=30)


def test_runs_pending_when_redis_is_flushed_all_complete_and_schedules_keep_firing(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    redis: Redis,
    processes: Processes,
) -> None:
    report_id = create_report(
        session=session,
        actor=world.owner,
        template_id="numbers",
        instance_id="wh",
        name="Numbers",
        parameters={"below": 10},
    ).report_id
    pending = [
        run_report(
            session=session, redis=redis, actor=world.owner, report_id=report_id
        ).execution_id
        for _ in range(5)
    ]
    schedule = create_schedule(
        session=session,
        actor=world.owner,
        report_id=report_id,
        schedule_type="custom",
        cron_expression="* * * * *",
    )
    # No slot falls due before the flush: one that did would be lost with Redis and wait
    # for the periodic reconciler (30 s) rather than this test's own pass below.
    session.execute(
        update(ReportSchedule)
        .where(ReportSchedule.id == schedule.uuid)
        .values(next_run_at=datetime.now(UTC) + timedelta(days=1))
    )
    session.commit()
    processes.start("scheduler")
    # A worker for the periodic jobs only, alive across the flush; the runs wait in Redis.
    processes.start("worker", "--queue", "maintenance")
    scheduler = Scheduler(queue_name=MAINTENANCE_QUEUE, connection=redis)
    wanted = sorted(job.job_id for job in PERIODIC_JOBS)
    wait_for(
        lambda: (
            sorted(j.id for j in scheduler.get_jobs() if j.id.startswith(PERIODIC_JOB_PREFIX))
            == wanted
        ),
        timeout=60,
    )

    # Redis loses everything: the queued runs and the periodic jobs. (FLUSHDB: the test's
    # database only — FLUSHALL would wipe the other suites sharing this server.)
    redis.flushdb()
    processes.start("worker", "--queue", "executions")

    # The scheduler registers its periodic jobs again …
    wait_for(
        lambda: (
            sorted(j.id for j in scheduler.get_jobs() if j.id.startswith(PERIODIC_JOB_PREFIX))
            == wanted
        ),
        timeout=30,
    )
    # … and the reconciler enqueues what the database still holds as pending (called here
    # rather than waiting up to 30 s for its periodic run).
    queued_at = max(execution(session, e).queued_at for e in pending)  # type: ignore[type-var]
    assert queued_at is not None
    repaired = reconcile(
        session_factory=session_factory,
        redis=redis,
        now=max(datetime.now(UTC), queued_at + timedelta(seconds=ENQUEUE_GRACE_S + 1)),
    )
    assert set(pending) <= set(repaired.requeued)
    wait_for(lambda: all(execution(session, e).status == "completed" for e in pending), timeout=60)

    # The tick runs again: make the schedule's current minute due and watch it start.
    flushed_at = datetime.now(UTC)
    slot = flushed_at.replace(second=0, microsecond=0)
    session.execute(
        update(ReportSchedule).where(ReportSchedule.id == schedule.uuid).values(next_run_at=slot)
    )
    session.commit()

    def fired() -> bool:
        session.expire_all()
        return (
            session.query(ReportExecution)
            .filter_by(schedule_uuid=schedule.uuid, scheduled_for=slot, status="completed")
            .count()
            == 1
        )

    wait_for(fired, timeout=60)

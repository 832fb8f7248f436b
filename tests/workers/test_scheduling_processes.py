"""Real `reportbuilder scheduler` and `reportbuilder worker` processes: every schedule slot
runs exactly once with two schedulers, one of them killed midway; restarts keep exactly one
registration per periodic job."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq_scheduler import Scheduler
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ReportExecution
from services.reports import create_report
from services.runtime import MAINTENANCE_QUEUE
from services.schedules import create_schedule
from tests.services.conftest import (  # noqa: F401  (fixtures)
    World,
    redis,
    store,
    wait_for,
    worker_env,
    world,
)
from tests.workers.helpers import TEST_SECRET_KEY, Processes
from workers.periodic import PERIODIC_JOB_PREFIX, PERIODIC_JOBS

#: How long the processes run: the issue asks for two minutes, no more.
RUN_SECONDS = 120
#: Seconds after its time by which a slot must have been started (tick every 2 s, scheduler
#: poll 1 s, plus a killed scheduler's lock, which expires after 11 s, and a loaded machine).
START_MARGIN_S = 20
SCHEDULES = 3


def registered(redis_client: Redis) -> list[str]:
    """Our periodic job ids as rq-scheduler holds them (repeats included)."""
    scheduler = Scheduler(queue_name=MAINTENANCE_QUEUE, connection=redis_client)
    return [j.id for j in scheduler.get_jobs() if j.id.startswith(PERIODIC_JOB_PREFIX)]


def minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


# The slot count is what matters here, and FOR UPDATE SKIP LOCKED is PostgreSQL's: running
# this two-minute test on SQLite too would double its length. The same race on SQLite is
# covered in seconds by test_concurrent_ticks_start_each_slot_once (tests/services).
@pytest.mark.parametrize("empty_database_url", ["postgresql"], indirect=True)
def test_two_schedulers_for_two_minutes_run_each_slot_exactly_once(
    session: Session,
    world: World,  # noqa: F811
    redis: Redis,  # noqa: F811
    processes: Processes,
) -> None:
    created = datetime.now(UTC)
    schedules = []
    for n in range(SCHEDULES):
        report_id = create_report(
            session=session,
            actor=world.owner,
            template_id="numbers",
            instance_id="wh",
            name=f"Every minute {n}",
            parameters={"below": 5},
        ).report_id
        schedules.append(
            create_schedule(
                session=session,
                actor=world.owner,
                report_id=report_id,
                schedule_type="custom",
                cron_expression="* * * * *",
            )
        )

    began = time.monotonic()
    first = processes.start("scheduler")
    processes.start("scheduler")
    processes.start("worker")
    time.sleep(RUN_SECONDS / 2)
    first.kill()  # kill -9, whatever it was doing
    first.wait()
    time.sleep(max(0.0, RUN_SECONDS - (time.monotonic() - began)))
    ended = datetime.now(UTC)
    processes.stop_all()

    session.expire_all()
    runs = session.execute(
        select(
            ReportExecution.schedule_uuid, ReportExecution.scheduled_for, ReportExecution.status
        ).where(ReportExecution.triggered_by == "schedule")
    ).all()
    per_slot = Counter((r.schedule_uuid, r.scheduled_for) for r in runs)
    assert per_slot and set(per_slot.values()) == {1}, per_slot  # exactly once each

    # Every minute that began while the processes ran (and early enough to be started
    # before they stopped) has its slot, and nothing else does.
    first_slot = minute_floor(created) + timedelta(minutes=1)
    must = []
    slot = first_slot
    while slot <= ended - timedelta(seconds=START_MARGIN_S):
        must.append(slot)
        slot += timedelta(minutes=1)
    assert len(must) >= 1
    for schedule in schedules:
        slots = sorted(r.scheduled_for for r in runs if r.schedule_uuid == schedule.uuid)
        assert slots[: len(must)] == must, (schedule.schedule_id, slots)
        assert all(s <= ended for s in slots)
        assert len(slots) <= len(must) + 1
    # The worker ran them too.
    early = [r for r in runs if r.scheduled_for <= ended - timedelta(seconds=2 * START_MARGIN_S)]
    assert {r.status for r in early} <= {"completed"}


@pytest.fixture
def schedulers(redis_url: str, tmp_path: Path) -> Iterator[Processes]:
    """Scheduler processes need Redis only."""
    started = Processes(
        {"REDIS_URL": redis_url, "SECRET_KEY": TEST_SECRET_KEY, "DATA_DIR": str(tmp_path)}
    )
    yield started
    started.stop_all()


def test_restarting_the_scheduler_neither_duplicates_nor_drops_periodic_jobs(
    redis: Redis,  # noqa: F811
    schedulers: Processes,
) -> None:
    processes = schedulers
    wanted = sorted(job.job_id for job in PERIODIC_JOBS)

    scheduler = processes.start("scheduler")
    wait_for(lambda: sorted(registered(redis)) == wanted, timeout=60)
    scheduler.send_signal(signal.SIGTERM)
    scheduler.wait(timeout=15)
    assert sorted(registered(redis)) == wanted  # stopping drops nothing

    killed = processes.start("scheduler")
    time.sleep(3)
    killed.kill()  # no chance to clean up
    killed.wait()
    assert sorted(registered(redis)) == wanted

    again = processes.start("scheduler")
    other = processes.start("scheduler")  # and a second one at the same time
    time.sleep(8)
    assert again.poll() is None and other.poll() is None
    assert sorted(registered(redis)) == wanted  # one registration each, no repeats
    # One job hash per periodic job, whatever the restarts.
    hashes = sorted(key.decode() for key in redis.scan_iter(f"rq:job:{PERIODIC_JOB_PREFIX}*"))
    assert hashes == [f"rq:job:{job_id}" for job_id in wanted]

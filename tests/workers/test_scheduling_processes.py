"""Real `reportbuilder scheduler` and `reportbuilder worker` processes: every schedule slot
runs exactly once with two schedulers, one of them killed midway; restarts keep exactly one
registration per periodic job."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from redis import Redis
from rq import Queue
from rq_scheduler import Scheduler
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from db.models import ReportExecution
from services.executions import ACTIVE_STATUSES
from services.reports import create_report
from services.runtime import MAINTENANCE_QUEUE
from services.schedules import create_schedule
from tests.factories import TEST_SECRET_KEY, World, wait_for
from tests.workers.helpers import Processes
from workers.periodic import PERIODIC_JOB_PREFIX, PERIODIC_JOBS

#: Seconds after its minute by which a slot must have been started (tick every second,
#: scheduler poll 1 s, plus a killed scheduler's lock, which expires after 11 s, and a loaded
#: machine).
START_MARGIN_S = 20
#: Seconds the worker may take to finish the slots' runs once they are all started.
FINISH_S = 60
SCHEDULES = 3


def registered(redis_client: Redis) -> list[str]:
    """Our periodic job ids as rq-scheduler holds them (repeats included)."""
    scheduler = Scheduler(queue_name=MAINTENANCE_QUEUE, connection=redis_client)
    return [j.id for j in scheduler.get_jobs() if j.id.startswith(PERIODIC_JOB_PREFIX)]


def minutes(first: datetime, last: datetime) -> set[datetime]:
    """Every whole minute from `first` (itself a whole minute) up to `last`."""
    found = set()
    while first <= last:
        found.add(first)
        first += timedelta(minutes=1)
    return found


def seconds_until(moment: datetime) -> float:
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def scheduled_runs(session: Session) -> Sequence[Row[UUID | None, datetime | None, str]]:
    """(schedule_uuid, scheduled_for, status) of every scheduled run, as committed now."""
    session.rollback()  # a new snapshot on every call
    return session.execute(
        select(
            ReportExecution.schedule_uuid,
            ReportExecution.scheduled_for,
            ReportExecution.status,
        ).where(ReportExecution.triggered_by == "schedule")
    ).all()


# The slot count is what matters here, and FOR UPDATE SKIP LOCKED is PostgreSQL's: running
# this minutes-long test on SQLite too would double its length. The same race on SQLite is
# covered in seconds by test_concurrent_ticks_start_each_slot_once (tests/services).
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_schedulers_one_killed_midway_run_each_slot_exactly_once(
    session: Session,
    world: World,
    redis: Redis,
    processes: Processes,
) -> None:
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
    session.commit()  # the worker's tick reads the schedules from its own session
    first_slots = {s.uuid: s.next_run_at for s in schedules if s.next_run_at is not None}
    assert len(first_slots) == SCHEDULES

    def started(slot: datetime) -> bool:
        return [r.scheduled_for for r in scheduled_runs(session)].count(slot) == SCHEDULES

    # Minutely slots: one must start while both schedulers run, the next after one of them
    # was killed (kill -9, whatever it was doing), which takes one to two minutes.
    before_kill = max(first_slots.values())
    after_kill = before_kill + timedelta(minutes=1)
    first = processes.start("scheduler")
    processes.start("scheduler")
    processes.start("worker")
    wait_for(lambda: started(before_kill), timeout=seconds_until(before_kill) + START_MARGIN_S)
    first.kill()
    first.wait()
    wait_for(lambda: started(after_kill), timeout=seconds_until(after_kill) + START_MARGIN_S)
    wait_for(
        lambda: all(r.status not in ACTIVE_STATUSES for r in scheduled_runs(session)),
        timeout=FINISH_S,
    )
    ended = datetime.now(UTC)
    processes.stop_all()

    runs = scheduled_runs(session)
    per_slot = Counter((r.schedule_uuid, r.scheduled_for) for r in runs)
    assert set(per_slot.values()) == {1}, per_slot  # none twice
    for uuid, first_slot in first_slots.items():
        # Every minute from the schedule's first slot to the one after the kill has its run,
        # and so does any later minute the processes ran for START_MARGIN_S past. A minute
        # in the last START_MARGIN_S before they stopped may or may not have started yet.
        required = minutes(first_slot, max(after_kill, ended - timedelta(seconds=START_MARGIN_S)))
        tolerated = minutes(first_slot, ended) - required
        slots = {slot for schedule_uuid, slot in per_slot if schedule_uuid == uuid}
        assert required <= slots <= required | tolerated, (uuid, sorted(slots))
        # The worker ran them all to the end.
        statuses = [
            r.status for r in runs if r.schedule_uuid == uuid and r.scheduled_for in required
        ]
        assert statuses == ["completed"] * len(required), (uuid, statuses)


def scheduler_instances(redis_client: Redis) -> set[bytes]:
    """The Redis keys of the scheduler processes that have started their loop."""
    return set(redis_client.scan_iter(f"{Scheduler.redis_scheduler_namespace_prefix}*"))


@pytest.fixture
def schedulers(redis_url: str, tmp_path: Path) -> Iterator[Processes]:
    """Scheduler processes need Redis only."""
    started = Processes(
        {"REDIS_URL": redis_url, "SECRET_KEY": TEST_SECRET_KEY, "DATA_DIR": str(tmp_path)}
    )
    yield started
    started.stop_all()


def test_restarting_the_scheduler_neither_duplicates_nor_drops_periodic_jobs(
    redis: Redis,
    schedulers: Processes,
) -> None:
    processes = schedulers
    wanted = sorted(job.job_id for job in PERIODIC_JOBS)

    scheduler = processes.start("scheduler")
    wait_for(lambda: sorted(registered(redis)) == wanted, timeout=60)
    scheduler.send_signal(signal.SIGTERM)
    scheduler.wait(timeout=15)
    assert sorted(registered(redis)) == wanted  # stopping drops nothing

    # A scheduler registers its periodic jobs, then its instance: kill it once it has.
    known = scheduler_instances(redis)
    killed = processes.start("scheduler")
    wait_for(lambda: len(scheduler_instances(redis) - known) == 1, timeout=60)
    killed.kill()  # no chance to clean up
    killed.wait()
    assert sorted(registered(redis)) == wanted

    known = scheduler_instances(redis)
    again = processes.start("scheduler")
    other = processes.start("scheduler")  # and a second one at the same time
    wait_for(lambda: len(scheduler_instances(redis) - known) == 2, timeout=60)
    # Each poll registers the jobs again (self-healing): let three polls enqueue their tick.
    queued = Queue(MAINTENANCE_QUEUE, connection=redis)
    polls = queued.count
    wait_for(lambda: queued.count >= polls + 3, timeout=30)
    assert again.poll() is None and other.poll() is None
    assert sorted(registered(redis)) == wanted  # one registration each, no repeats
    # One job hash per periodic job, whatever the restarts.
    hashes = sorted(key.decode() for key in redis.scan_iter(f"rq:job:{PERIODIC_JOB_PREFIX}*"))
    assert hashes == [f"rq:job:{job_id}" for job_id in wanted]

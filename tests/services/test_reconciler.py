"""The reconciler: what crashes and lost Redis data leave behind is repaired (both databases,
real Redis, `now` injected)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from db.models import Instance, ReportDataCollection, ReportExecution, ReportSchedule
from services.backfills import get_backfill, start_backfill
from services.executions import run_report
from services.reconciler import (
    BACKOFF_BASE_S,
    ENQUEUE_GRACE_S,
    STALE_HEARTBEAT_S,
    TIMEOUT_GRACE_S,
    reconcile,
)
from services.reports import create_report, get_report
from services.runtime import EXECUTIONS_QUEUE
from services.schedule_tick import tick
from services.schedules import create_schedule
from tests.factories import World


def make_report(session: Session, world: World) -> str:
    return create_report(
        session=session,
        actor=world.owner,
        template_id="numbers",
        instance_id="wh",
        name="Numbers",
        parameters={"below": 10},
    ).report_id


def queued_run(session: Session, world: World, report_id: str | None = None) -> str:
    """A pending run committed and marked queued, but never put on Redis (a lost enqueue)."""
    info = run_report(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=report_id or make_report(session, world),
    )
    return info.execution_id


def row(session: Session, execution_id: str) -> ReportExecution:
    session.expire_all()
    return session.query(ReportExecution).filter_by(execution_id=execution_id).one()


def set_row(session: Session, execution_id: str, **values: Any) -> None:
    session.execute(
        update(ReportExecution).where(ReportExecution.execution_id == execution_id).values(**values)
    )
    session.commit()


def running_since(session: Session, execution_id: str, now: datetime, *, beat_age: float) -> None:
    """Make the run look started a minute ago by a worker whose last beat is `beat_age` old."""
    set_row(
        session,
        execution_id,
        status="running",
        started_at=now - timedelta(seconds=60),
        heartbeat_at=now - timedelta(seconds=beat_age),
    )


def set_max_attempts(session: Session, attempts: int) -> None:
    session.execute(update(Instance).values(max_attempts=attempts))
    session.commit()


def queued_ids(redis: Redis) -> list[str]:
    return Queue(EXECUTIONS_QUEUE, connection=redis).job_ids


# --- pending runs whose job is gone ------------------------------------------------------


def test_a_queued_run_whose_job_is_missing_is_enqueued_again(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    execution_id = queued_run(session, world)
    queued_at = row(session, execution_id).queued_at
    assert queued_at is not None

    # Just queued: its enqueue may still be on its way.
    early = reconcile(session_factory=session_factory, redis=redis, now=queued_at)
    assert early.requeued == []
    assert queued_ids(redis) == []

    later = queued_at + timedelta(seconds=ENQUEUE_GRACE_S + 1)
    repaired = reconcile(session_factory=session_factory, redis=redis, now=later)
    assert repaired.requeued == [execution_id]
    assert queued_ids(redis) == [execution_id]

    # Its job is there now: a second pass leaves it alone.
    again = reconcile(
        session_factory=session_factory, redis=redis, now=later + timedelta(seconds=30)
    )
    assert again.requeued == []
    assert queued_ids(redis) == [execution_id]
    assert row(session, execution_id).status == "pending"


def test_a_pending_run_whose_job_ended_without_running_it_is_enqueued_again(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    info = run_report(
        session=session, redis=redis, actor=world.owner, report_id=make_report(session, world)
    )
    job = Job.fetch(info.execution_id, connection=redis)
    Queue(EXECUTIONS_QUEUE, connection=redis).remove(job)
    job.set_status(JobStatus.FAILED)
    queued_at = row(session, info.execution_id).queued_at
    assert queued_at is not None

    repaired = reconcile(
        session_factory=session_factory,
        redis=redis,
        now=queued_at + timedelta(seconds=ENQUEUE_GRACE_S + 1),
    )

    assert repaired.requeued == [info.execution_id]
    assert queued_ids(redis) == [info.execution_id]
    assert Job.fetch(info.execution_id, connection=redis).get_status() == JobStatus.QUEUED


def test_held_runs_are_not_taken_for_lost_ones(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    session.execute(update(Instance).values(max_concurrency=1))
    session.commit()
    info = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=make_report(session, world),
        segment_type="daily",
        lookback_days=4,
    )
    report = reconcile(
        session_factory=session_factory, redis=redis, now=datetime.now(UTC) + timedelta(minutes=5)
    )
    # One in flight (its job is queued), three held: nothing to repair or release.
    assert (report.requeued, report.released) == ([], [])
    assert queued_ids(redis) == [info.segments[0].execution_id]


# --- running runs whose worker is gone ---------------------------------------------------


def test_a_running_run_with_a_stale_heartbeat_is_retried_after_a_backoff(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    now = datetime.now(UTC)
    execution_id = queued_run(session, world)
    running_since(session, execution_id, now, beat_age=STALE_HEARTBEAT_S + 5)

    first = reconcile(session_factory=session_factory, redis=redis, now=now)

    assert first.retried == [execution_id]
    assert first.failed == []
    retry = row(session, execution_id)
    assert (retry.status, retry.attempt) == ("pending", 2)
    assert retry.queued_at is None and retry.started_at is None and retry.heartbeat_at is None
    assert retry.not_before == now + timedelta(seconds=BACKOFF_BASE_S)
    assert retry.error_message is not None
    assert "Attempt 1 ended because the worker running it stopped" in retry.error_message
    assert execution_id not in first.released

    # Held while the backoff lasts …
    waiting = reconcile(
        session_factory=session_factory,
        redis=redis,
        now=now + timedelta(seconds=BACKOFF_BASE_S - 1),
    )
    assert waiting.released == []
    assert row(session, execution_id).queued_at is None
    assert queued_ids(redis) == []

    # … then released onto the queue.
    after = now + timedelta(seconds=BACKOFF_BASE_S + 1)
    released = reconcile(session_factory=session_factory, redis=redis, now=after)
    assert released.released == [execution_id]
    assert row(session, execution_id).queued_at == after
    assert queued_ids(redis) == [execution_id]


def test_each_retry_waits_twice_as_long(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    set_max_attempts(session, 4)
    now = datetime.now(UTC)
    execution_id = queued_run(session, world)
    waits = []
    for attempt in (1, 2, 3):
        running_since(session, execution_id, now, beat_age=STALE_HEARTBEAT_S + 1)
        assert reconcile(session_factory=session_factory, redis=redis, now=now).retried == [
            execution_id
        ]
        retry = row(session, execution_id)
        assert retry.attempt == attempt + 1
        assert retry.not_before is not None
        waits.append((retry.not_before - now).total_seconds())
    assert waits == [BACKOFF_BASE_S, 2 * BACKOFF_BASE_S, 4 * BACKOFF_BASE_S]


def test_a_running_run_with_a_fresh_heartbeat_is_left_alone(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    now = datetime.now(UTC)
    execution_id = queued_run(session, world)
    running_since(session, execution_id, now, beat_age=STALE_HEARTBEAT_S - 5)

    report = reconcile(session_factory=session_factory, redis=redis, now=now)

    assert (report.retried, report.failed, report.requeued) == ([], [], [])
    kept = row(session, execution_id)
    assert (kept.status, kept.attempt) == ("running", 1)


def test_a_run_far_past_its_time_limit_is_retried_even_while_it_beats(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    now = datetime.now(UTC)
    execution_id = queued_run(session, world)
    limit = 60 + TIMEOUT_GRACE_S  # the world's instance: statement_timeout_seconds=60
    set_row(
        session,
        execution_id,
        status="running",
        started_at=now - timedelta(seconds=limit + 5),
        heartbeat_at=now - timedelta(seconds=1),
    )

    report = reconcile(session_factory=session_factory, redis=redis, now=now)

    assert report.retried == [execution_id]
    message = row(session, execution_id).error_message or ""
    assert "ran past the instance's limit of 60 s" in message


def test_at_max_attempts_a_run_fails_with_a_reason_a_person_understands(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    set_max_attempts(session, 2)
    now = datetime.now(UTC)
    report_id = make_report(session, world)
    execution_id = queued_run(session, world, report_id)
    set_row(session, execution_id, attempt=2)
    running_since(session, execution_id, now, beat_age=STALE_HEARTBEAT_S + 30)

    report = reconcile(session_factory=session_factory, redis=redis, now=now)

    assert report.failed == [execution_id]
    assert report.retried == []
    failed = row(session, execution_id)
    assert failed.status == "failed"
    assert failed.completed_at == now
    assert failed.error_message == (
        "Gave up after 2 attempts: the last one ended because the worker running it stopped "
        "(its process died or lost the database)."
    )
    assert get_report(session=session, actor=world.owner, report_id=report_id).last_status == (
        "failed"
    )
    # Failed for good: later passes leave it alone.
    again = reconcile(session_factory=session_factory, redis=redis, now=now + timedelta(minutes=5))
    assert (again.retried, again.failed, again.requeued, again.released) == ([], [], [], [])


def test_a_scheduled_run_given_up_on_counts_as_the_schedules_failure(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    set_max_attempts(session, 1)
    schedule = create_schedule(
        session=session,
        actor=world.owner,
        report_id=make_report(session, world),
        schedule_type="custom",
        cron_expression="* * * * *",
        now=datetime.now(UTC) - timedelta(minutes=2),
    )
    session.commit()  # the tick reads the schedules from its own session
    [execution_id] = tick(
        session_factory=session_factory, redis=None, now=datetime.now(UTC) - timedelta(minutes=1)
    )
    now = datetime.now(UTC)
    running_since(session, execution_id, now, beat_age=STALE_HEARTBEAT_S + 1)

    assert reconcile(session_factory=session_factory, redis=redis, now=now).failed == [execution_id]

    session.expire_all()
    counters = session.get_one(ReportSchedule, schedule.uuid)
    assert (counters.last_run_status, counters.failure_count, counters.run_count) == (
        "failed",
        1,
        1,
    )


def test_a_backfill_segment_given_up_on_leaves_the_backfill_partial(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    set_max_attempts(session, 1)
    info = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=make_report(session, world),
        segment_type="daily",
        lookback_days=2,
    )
    first, second = (s.execution_id for s in info.segments)
    now = datetime.now(UTC)
    set_row(session, second, status="completed", completed_at=now)
    running_since(session, first, now, beat_age=STALE_HEARTBEAT_S + 1)

    assert reconcile(session_factory=session_factory, redis=redis, now=now).failed == [first]

    session.expire_all()
    ended = get_backfill(session=session, actor=world.owner, collection_id=info.collection_id)
    assert ended.status == "partial"  # one completed, one failed
    assert (ended.completed_segments, ended.failed_segments, ended.progress) == (1, 1, 1.0)


def test_a_backfill_whose_segments_all_ended_gets_its_final_status(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    info = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=make_report(session, world),
        segment_type="daily",
        lookback_days=3,
    )
    # The worker died between ending the last segment and recounting the backfill.
    for segment in info.segments:
        set_row(session, segment.execution_id, status="completed")

    reconcile(session_factory=session_factory, redis=redis)

    session.expire_all()
    collection = session.get_one(ReportDataCollection, info.uuid)
    assert (collection.status, collection.completed_segments) == ("completed", 3)


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_ended_runs_are_never_touched(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    redis: Redis,
    status: str,
) -> None:
    now = datetime.now(UTC)
    execution_id = queued_run(session, world)
    set_row(
        session,
        execution_id,
        status=status,
        started_at=now - timedelta(hours=2),
        heartbeat_at=now - timedelta(hours=2),
        queued_at=now - timedelta(hours=2),
    )
    report = reconcile(session_factory=session_factory, redis=redis, now=now)
    assert (report.requeued, report.retried, report.failed) == ([], [], [])
    assert row(session, execution_id).status == status
    assert queued_ids(redis) == []


def test_the_retry_of_a_run_whose_worker_died_reaches_the_queue(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    now = datetime.now(UTC)
    info = run_report(
        session=session, redis=redis, actor=world.owner, report_id=make_report(session, world)
    )
    # A worker took the job and was killed with it: RQ's job hash still says "started".
    job = Job.fetch(info.execution_id, connection=redis)
    Queue(EXECUTIONS_QUEUE, connection=redis).remove(job)
    job.set_status(JobStatus.STARTED)
    running_since(session, info.execution_id, now, beat_age=STALE_HEARTBEAT_S + 5)

    assert reconcile(session_factory=session_factory, redis=redis, now=now).retried == [
        info.execution_id
    ]
    after_backoff = now + timedelta(seconds=BACKOFF_BASE_S + 1)
    released = reconcile(session_factory=session_factory, redis=redis, now=after_backoff)
    assert released.released == [info.execution_id]
    later = after_backoff + timedelta(seconds=ENQUEUE_GRACE_S + 30)
    reconcile(session_factory=session_factory, redis=redis, now=later)

    assert queued_ids(redis) == [info.execution_id]

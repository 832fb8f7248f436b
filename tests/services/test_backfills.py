"""Backfills: segmentation, the service on both databases, and real worker processes that
must never run more than the instance's max_concurrency segments at once."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import psycopg
import pytest
from redis import Redis
from rq import Queue, Worker
from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import Instance, ReportDataCollection, ReportExecution
from db.session import make_engine, make_session_factory
from services.backfill_plans import backfill_window, next_boundary, segments
from services.backfill_progress import release_held
from services.backfills import (
    BackfillInfo,
    cancel_backfill,
    get_backfill,
    report_backfills,
    retry_backfill,
    start_backfill,
)
from services.errors import (
    BackfillNotFound,
    Conflict,
    ParameterError,
    PermissionDenied,
    ReportNotFound,
)
from services.executions import run_report
from services.instances import save_instance
from services.reconciler import reconcile
from services.reports import create_report
from services.run_lifecycle import end_run
from services.runtime import EXECUTIONS_QUEUE
from services.users import grant_instance
from services.windows import Window
from tests.databases import SKIP_POSTGRES, create_postgres_database, drop_postgres_database
from tests.factories import (
    PROJECT_ROOT,
    TEST_SECRET_KEY,
    World,
    add_template,
    run_worker_burst,
    wait_for,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def pieces(window: Window, segment_type: str) -> list[tuple[str, str]]:
    """Segments as (first day, last day) pairs, both inclusive, for readable lists."""
    return [(s.start.isoformat(), s.last_day.isoformat()) for s in segments(window, segment_type)]


# --- segmentation ------------------------------------------------------------------------


def test_daily_segments_cross_the_year_end() -> None:
    assert pieces(Window(d("2023-12-30"), d("2024-01-03")), "daily") == [
        ("2023-12-30", "2023-12-30"),
        ("2023-12-31", "2023-12-31"),
        ("2024-01-01", "2024-01-01"),
        ("2024-01-02", "2024-01-02"),
    ]


def test_weekly_segments_are_monday_to_sunday_and_clipped_at_both_ends() -> None:
    # Wednesday 2023-12-27 to Wednesday 2024-01-17, across the year end.
    assert pieces(Window(d("2023-12-27"), d("2024-01-18")), "weekly") == [
        ("2023-12-27", "2023-12-31"),
        ("2024-01-01", "2024-01-07"),
        ("2024-01-08", "2024-01-14"),
        ("2024-01-15", "2024-01-17"),
    ]


def test_weekly_segments_in_a_leap_february() -> None:
    assert pieces(Window(d("2024-02-21"), d("2024-03-06")), "weekly") == [
        ("2024-02-21", "2024-02-25"),
        ("2024-02-26", "2024-03-03"),  # holds 2024-02-29
        ("2024-03-04", "2024-03-05"),
    ]


def test_a_window_of_whole_weeks_has_no_clipped_piece() -> None:
    assert pieces(Window(d("2024-01-01"), d("2024-01-15")), "weekly") == [
        ("2024-01-01", "2024-01-07"),
        ("2024-01-08", "2024-01-14"),
    ]


def test_monthly_segments_follow_calendar_months_in_a_leap_year() -> None:
    assert pieces(Window(d("2023-11-15"), d("2024-03-11")), "monthly") == [
        ("2023-11-15", "2023-11-30"),
        ("2023-12-01", "2023-12-31"),
        ("2024-01-01", "2024-01-31"),
        ("2024-02-01", "2024-02-29"),
        ("2024-03-01", "2024-03-10"),
    ]
    assert pieces(Window(d("2025-02-10"), d("2025-03-02")), "monthly") == [
        ("2025-02-10", "2025-02-28"),
        ("2025-03-01", "2025-03-01"),
    ]


def test_quarterly_segments_follow_calendar_quarters() -> None:
    assert pieces(Window(d("2023-11-15"), d("2024-08-21")), "quarterly") == [
        ("2023-11-15", "2023-12-31"),
        ("2024-01-01", "2024-03-31"),
        ("2024-04-01", "2024-06-30"),
        ("2024-07-01", "2024-08-20"),
    ]
    assert pieces(Window(d("2024-02-29"), d("2024-03-01")), "quarterly") == [
        ("2024-02-29", "2024-02-29")
    ]


@pytest.mark.parametrize("segment_type", ["daily", "weekly", "monthly", "quarterly"])
def test_segments_tile_any_window_at_calendar_boundaries(segment_type: str) -> None:
    starts = [d("2023-01-01") + timedelta(days=n) for n in range(0, 800, 37)]
    lengths = [1, 2, 6, 7, 8, 30, 31, 59, 92, 200, 365]
    for start, length in itertools.product(starts, lengths):
        window = Window(start, start + timedelta(days=length))
        cut = segments(window, segment_type)
        assert cut[0].start == window.start and cut[-1].end == window.end
        assert all(a.end == b.start for a, b in itertools.pairwise(cut))  # no gap, no overlap
        assert sum(s.days for s in cut) == window.days
        for piece in cut:
            assert piece.days >= 1
            # Every piece lies within one calendar period …
            assert piece.end <= next_boundary(piece.start, segment_type)
        # … and every inner boundary is a calendar boundary.
        for piece in cut[1:]:
            if segment_type == "weekly":
                assert piece.start.weekday() == 0
            elif segment_type == "monthly":
                assert piece.start.day == 1
            elif segment_type == "quarterly":
                assert piece.start.day == 1 and piece.start.month in {1, 4, 7, 10}


def test_an_unknown_segment_type_is_a_field_error() -> None:
    with pytest.raises(ParameterError) as refused:
        segments(Window(d("2024-01-01"), d("2024-02-01")), "hourly")
    assert refused.value.field == "segment_type"


def test_the_window_is_the_lookback_days_ending_with_the_end_date() -> None:
    window = backfill_window(365, d("2024-12-31"), freshest=d("2025-06-01"))
    assert window == Window(d("2024-01-02"), d("2025-01-01"))  # half-open
    assert window.days == 365
    assert backfill_window(1, d("2024-02-29"), freshest=d("2025-01-01")) == Window(
        d("2024-02-29"), d("2024-03-01")
    )


@pytest.mark.parametrize("lookback", [366, 0, -5, 10_000])
def test_a_lookback_beyond_365_days_or_below_one_is_a_field_error(lookback: int) -> None:
    with pytest.raises(ParameterError) as refused:
        backfill_window(lookback, d("2024-12-31"), freshest=d("2025-06-01"))
    assert refused.value.field == "lookback_days"


def test_an_end_date_after_the_freshest_day_is_capped() -> None:
    window = backfill_window(10, d("2025-01-31"), freshest=d("2025-01-20"))
    assert window == Window(d("2025-01-11"), d("2025-01-21"))
    assert window.last_day == d("2025-01-20")


# --- the service, both metadata databases ------------------------------------------------

#: Fails for the days listed in the warehouse's `broken` table; fixing a day = deleting it.
SQL_FRAGILE = """
SELECT CAST({{ window_start }} AS DATE) AS first_day,
       CASE WHEN EXISTS (SELECT 1 FROM broken WHERE day = CAST({{ window_start }} AS DATE))
            THEN error('the source data of this day is broken')
            ELSE {{ below }} END AS ok
"""


def freshest(world_lag: int = 2) -> date:
    return datetime.now(UTC).date() - timedelta(days=world_lag)


def set_max_concurrency(session: Session, instance_id: str, limit: int) -> None:
    session.execute(
        update(Instance).where(Instance.instance_id == instance_id).values(max_concurrency=limit)
    )
    session.commit()


def make_report(session: Session, world: World, template_id: str = "numbers") -> str:
    return create_report(
        session=session,
        actor=world.owner,
        template_id=template_id,
        instance_id=world.instance_id,
        name=f"Backfilled {template_id}",
        parameters={"below": 100},
    ).report_id


def backfill(session: Session, world: World, collection_id: str) -> BackfillInfo:
    """The backfill as a new request would see it (workers changed it meanwhile)."""
    session.expire_all()
    return get_backfill(session=session, actor=world.owner, collection_id=collection_id)


def runs_of(session: Session, collection_id: str) -> list[ReportExecution]:
    session.expire_all()
    collection = session.scalars(
        select(ReportDataCollection).where(ReportDataCollection.collection_id == collection_id)
    ).one()
    return list(
        session.scalars(
            select(ReportExecution)
            .where(ReportExecution.collection_uuid == collection.id)
            .order_by(ReportExecution.time_window_start, ReportExecution.attempt)
        )
    )


def test_a_backfill_makes_one_run_per_segment_and_queues_up_to_max_concurrency(
    session: Session, world: World, redis: Redis
) -> None:
    set_max_concurrency(session, "wh", 3)
    report_id = make_report(session, world)
    end = freshest() - timedelta(days=10)

    info = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=report_id,
        segment_type="weekly",
        lookback_days=60,
        end_date=end,
    )

    expected = segments(Window(end - timedelta(days=59), end + timedelta(days=1)), "weekly")
    assert (info.start_date, info.end_date) == (end - timedelta(days=59), end)
    assert info.status == "running"
    assert info.total_segments == len(expected) == len(info.segments)
    assert [(s.time_window_start, s.time_window_end) for s in info.segments] == [
        w.as_datetimes() for w in expected
    ]
    assert all(s.triggered_by == "backfill" and s.status == "pending" for s in info.segments)
    assert (info.completed_segments, info.failed_segments, info.running_segments) == (0, 0, 0)
    assert info.progress == 0.0
    runs = runs_of(session, info.collection_id)
    queued = [r.execution_id for r in runs if r.queued_at is not None]
    # The oldest three are in flight; the rest wait for them.
    assert queued == [r.execution_id for r in runs[:3]]
    assert sorted(Queue(EXECUTIONS_QUEUE, connection=redis).job_ids) == sorted(queued)
    assert [
        b.collection_id
        for b in report_backfills(session=session, actor=world.owner, report_id=report_id)
    ] == [info.collection_id]


def test_the_end_date_is_capped_by_data_freshness(
    session: Session, world: World, redis: Redis
) -> None:
    today = datetime.now(UTC).date()
    info = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=make_report(session, world),
        segment_type="daily",
        lookback_days=5,
        end_date=today + timedelta(days=30),
    )
    assert info.end_date == today - timedelta(days=2)  # the instance's lag
    assert info.start_date == today - timedelta(days=6)
    assert info.segments[-1].time_window_end == datetime.combine(
        today - timedelta(days=1), datetime.min.time(), tzinfo=UTC
    )


def test_lookback_limits_are_field_errors(session: Session, world: World, redis: Redis) -> None:
    report_id = make_report(session, world)

    def start(lookback: int) -> None:
        start_backfill(
            session=session,
            redis=redis,
            actor=world.owner,
            report_id=report_id,
            segment_type="monthly",
            lookback_days=lookback,
        )

    with pytest.raises(ParameterError) as too_long:
        start(366)
    assert too_long.value.field == "lookback_days"
    session.execute(update(Instance).values(max_lookback_days=90))
    session.commit()
    with pytest.raises(ParameterError) as beyond_instance:
        start(120)
    assert beyond_instance.value.field == "lookback_days"
    with pytest.raises(ParameterError) as bad_type:
        start_backfill(
            session=session,
            redis=redis,
            actor=world.owner,
            report_id=report_id,
            segment_type="hourly",
            lookback_days=30,
        )
    assert bad_type.value.field == "segment_type"
    assert report_backfills(session=session, actor=world.owner, report_id=report_id) == []


def test_a_second_backfill_while_one_runs_is_a_conflict_and_cancel_ends_it(
    session: Session, world: World, redis: Redis
) -> None:
    set_max_concurrency(session, "wh", 2)
    report_id = make_report(session, world)
    first = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=report_id,
        segment_type="daily",
        lookback_days=10,
    )

    with pytest.raises(Conflict) as refused:
        start_backfill(
            session=session,
            redis=redis,
            actor=world.owner,
            report_id=report_id,
            segment_type="weekly",
            lookback_days=30,
        )
    assert first.collection_id in str(refused.value)

    cancelled = cancel_backfill(
        session=session, redis=redis, actor=world.owner, collection_id=first.collection_id
    )
    assert cancelled.status == "cancelled"
    assert {s.status for s in cancelled.segments} == {"cancelled"}
    assert cancelled.progress == 1.0
    assert Queue(EXECUTIONS_QUEUE, connection=redis).count == 0  # the queued two were taken off
    with pytest.raises(Conflict):
        cancel_backfill(
            session=session, redis=redis, actor=world.owner, collection_id=first.collection_id
        )

    second = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=report_id,
        segment_type="weekly",
        lookback_days=30,
    )
    assert second.status == "running"


def test_held_segments_wait_for_runs_already_in_flight(
    session: Session, world: World, redis: Redis
) -> None:
    set_max_concurrency(session, "wh", 2)
    report_id = make_report(session, world)
    manual = run_report(session=session, redis=redis, actor=world.owner, report_id=report_id)

    info = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=report_id,
        segment_type="daily",
        lookback_days=5,
    )
    runs = runs_of(session, info.collection_id)
    assert [r.queued_at is not None for r in runs] == [True, False, False, False, False]

    # The manual run ends: one more segment goes; a segment in backoff does not.
    instance_uuid = runs[0].instance_uuid
    session.execute(
        update(ReportExecution)
        .where(ReportExecution.execution_id == manual.execution_id)
        .values(status="completed")
    )
    session.execute(
        update(ReportExecution)
        .where(ReportExecution.id == runs[1].id)
        .values(not_before=datetime.now(UTC) + timedelta(minutes=5))
    )
    session.commit()
    released = release_held(session=session, redis=redis, instance_uuid=instance_uuid)
    assert released == [runs[2].execution_id]
    assert release_held(session=session, redis=redis, instance_uuid=instance_uuid) == []
    later = release_held(
        session=session,
        redis=redis,
        instance_uuid=instance_uuid,
        now=datetime.now(UTC) + timedelta(minutes=6),
    )
    assert later == []  # still two in flight: nothing frees a place


def test_two_releases_at_once_never_exceed_max_concurrency(
    request: pytest.FixtureRequest,
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    database_url: str,
) -> None:
    """Two workers ending runs at the same moment both call release_held: the second must
    count the first one's releases (PostgreSQL locks the instance row for that)."""
    set_max_concurrency(session, "wh", 1)
    info = start_backfill(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=make_report(session, world),
        segment_type="daily",
        lookback_days=3,
    )
    runs = runs_of(session, info.collection_id)
    instance_uuid = runs[0].instance_uuid
    # The one in flight ends; two workers release at once.
    session.execute(
        update(ReportExecution).where(ReportExecution.id == runs[0].id).values(status="completed")
    )
    session.commit()

    counted = threading.Event()
    second_done = threading.Event()

    def pause_after_counting(*event_args: Any) -> None:
        statement = str(event_args[2])  # (conn, cursor, statement, parameters, …)
        if threading.current_thread().name == "first" and "count(" in statement.lower():
            counted.set()
            second_done.wait(timeout=1.5)  # on PostgreSQL the second waits for our lock

    engine = session.get_bind()
    event.listen(engine, "after_cursor_execute", pause_after_counting)
    released: dict[str, list[str]] = {}

    def release(name: str) -> None:
        with session_factory() as own:
            released[name] = release_held(session=own, redis=None, instance_uuid=instance_uuid)
        if name == "second":
            second_done.set()

    try:
        first = threading.Thread(target=release, args=("first",), name="first")
        first.start()
        assert counted.wait(timeout=10)
        second = threading.Thread(target=release, args=("second",), name="second")
        second.start()
        first.join(timeout=30)
        second.join(timeout=30)
    finally:
        event.remove(engine, "after_cursor_execute", pause_after_counting)

    in_flight = [r.execution_id for r in runs_of(session, info.collection_id) if r.queued_at]
    assert len(released["first"]) + len(released["second"]) == 1, released
    assert len(in_flight) - 1 == 1  # runs[0] (ended) kept its queued_at


def test_two_last_segments_ending_at_once_complete_the_backfill(
    request: pytest.FixtureRequest,
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    database_url: str,
) -> None:
    """Two workers end the last two segments at the same moment, each recounting the
    backfill in the transaction that ends its segment (services.run_lifecycle.end_run)."""
    info = start_backfill(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=make_report(session, world),
        segment_type="daily",
        lookback_days=2,
    )
    first, second = (r.id for r in runs_of(session, info.collection_id))
    session.execute(
        update(ReportExecution)
        .where(ReportExecution.collection_uuid == info.uuid)
        .values(status="running", started_at=datetime.now(UTC))
    )
    session.commit()

    def end(own: Session, execution_uuid: uuid.UUID) -> None:
        assert end_run(session=own, execution_uuid=execution_uuid, status="completed")

    second_ended = threading.Event()
    first_committed = threading.Event()

    def second_worker() -> None:
        with session_factory() as own:
            end(own, second)  # on SQLite this waits for the first worker's commit
            second_ended.set()
            first_committed.wait(timeout=10)
            own.commit()

    with session_factory() as first_worker:
        end(first_worker, first)
        thread = threading.Thread(target=second_worker)
        thread.start()
        second_ended.wait(timeout=2)
        first_worker.commit()
        first_committed.set()
    thread.join(timeout=30)

    ended = backfill(session, world, info.collection_id)
    assert {s.status for s in ended.segments} == {"completed"}
    assert (ended.status, ended.completed_segments) == ("completed", 2)


def test_failed_segments_are_retried_and_their_old_runs_stay_in_history(
    session: Session, world: World, redis: Redis, worker_env: dict[str, str]
) -> None:
    end = freshest() - timedelta(days=3)
    broken_days = [end - timedelta(days=5), end - timedelta(days=1)]
    connection = duckdb.connect(str(world.warehouse))
    connection.execute("CREATE TABLE broken (day DATE)")
    connection.executemany("INSERT INTO broken VALUES (?)", [(day,) for day in broken_days])
    connection.close()
    add_template(session, "fragile", SQL_FRAGILE)
    report_id = make_report(session, world, "fragile")

    info = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=report_id,
        segment_type="daily",
        lookback_days=7,
        end_date=end,
    )
    run_worker_burst(worker_env)

    ended = backfill(session, world, info.collection_id)
    assert ended.status == "partial"  # some completed, some failed
    assert ended.summary == "5 completed, 2 failed of 7"
    assert (ended.total_segments, ended.completed_segments, ended.failed_segments) == (7, 5, 2)
    assert ended.progress == 1.0
    failed = [s for s in ended.segments if s.status == "failed"]
    assert [s.time_window_start.date() for s in failed if s.time_window_start] == broken_days
    assert all("broken" in (s.error_message or "") for s in failed)
    with pytest.raises(ParameterError) as not_failed:
        retry_backfill(
            session=session,
            redis=redis,
            actor=world.owner,
            collection_id=info.collection_id,
            segment_ids=[ended.segments[0].execution_id],
        )
    assert not_failed.value.field == "segment_ids"

    connection = duckdb.connect(str(world.warehouse))
    connection.execute("DELETE FROM broken")  # the cause is fixed
    connection.close()
    retried = retry_backfill(
        session=session, redis=redis, actor=world.owner, collection_id=info.collection_id
    )
    assert retried.status == "running"
    assert retried.total_segments == 7
    assert retried.progress == pytest.approx(5 / 7)
    assert {s.attempt for s in retried.segments if s.status == "pending"} == {2}
    run_worker_burst(worker_env)

    done = backfill(session, world, info.collection_id)
    assert done.status == "completed"
    assert (done.completed_segments, done.failed_segments, done.progress) == (7, 0, 1.0)
    history = runs_of(session, info.collection_id)
    assert len(history) == 9
    for day in broken_days:
        start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        attempts = [(r.attempt, r.status) for r in history if r.time_window_start == start]
        assert attempts == [(1, "failed"), (2, "completed")]
    newest = {s.time_window_start: s.execution_id for s in done.segments}
    assert set(newest.values()) <= {r.execution_id for r in history if r.status == "completed"}
    with pytest.raises(Conflict):
        retry_backfill(
            session=session, redis=redis, actor=world.owner, collection_id=info.collection_id
        )


def test_only_the_owner_or_an_admin_changes_a_backfill(
    session: Session, world: World, redis: Redis
) -> None:
    report_id = make_report(session, world)
    info = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=report_id,
        segment_type="monthly",
        lookback_days=60,
    )
    cid = info.collection_id

    with pytest.raises(ReportNotFound):
        start_backfill(
            session=session,
            redis=redis,
            actor=world.other,
            report_id=report_id,
            segment_type="daily",
            lookback_days=3,
        )
    with pytest.raises(BackfillNotFound):
        get_backfill(session=session, actor=world.other, collection_id=cid)
    with pytest.raises(BackfillNotFound):
        cancel_backfill(session=session, redis=redis, actor=world.other, collection_id=cid)
    assert get_backfill(session=session, actor=world.viewer, collection_id=cid).collection_id == cid
    with pytest.raises(PermissionDenied):
        cancel_backfill(session=session, redis=redis, actor=world.viewer, collection_id=cid)
    with pytest.raises(PermissionDenied):
        retry_backfill(session=session, redis=redis, actor=world.viewer, collection_id=cid)
    assert (
        cancel_backfill(session=session, redis=redis, actor=world.admin, collection_id=cid).status
        == "cancelled"
    )


# --- real worker processes ---------------------------------------------------------------

#: Each segment sleeps `seconds` on the PostgreSQL warehouse (so concurrency is visible
#: without burning the CPU), and divides by zero for the weeks listed in `broken_weeks`.
SQL_SLEEPY = """
SELECT CAST({{ window_start }} AT TIME ZONE 'UTC' AS DATE) AS week_start,
       1 / (1 - (SELECT count(*) FROM broken_weeks
                 WHERE day = CAST({{ window_start }} AT TIME ZONE 'UTC' AS DATE)))::int AS ok
FROM pg_sleep({{ seconds }})
"""
SLEEPY_PARAMETERS = [{"name": "seconds", "type": "number", "min": 0, "max": 60, "default": 0.5}]
WEEKS = 26
MAX_CONCURRENCY = 3
#: More workers than the limit, so a release beyond it would show as a fourth running.
WORKERS = 4


@pytest.fixture
def pg_warehouse() -> Iterator[str]:
    """A PostgreSQL database playing the instance, with a `broken_weeks` table."""
    if SKIP_POSTGRES:
        pytest.skip("no PostgreSQL server on this machine")
    url = create_postgres_database()
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as c:
        c.execute("CREATE TABLE broken_weeks (day date PRIMARY KEY)")
    yield url
    drop_postgres_database(url)


def start_workers(env: dict[str, str], count: int, redis: Redis) -> list[subprocess.Popen[str]]:
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "cli", "worker"],
            env={**os.environ, **env},
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(count)
    ]
    wait_for(lambda: Worker.count(connection=redis) >= count, timeout=60)
    return processes


def stop_workers(processes: list[subprocess.Popen[str]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Sampler:
    """Counts an instance's running and in-flight runs every 0.1 s, from its own engine."""

    def __init__(self, database_url: str, instance_uuid: object) -> None:
        self._engine = make_engine(database_url)
        self._factory = make_session_factory(self._engine)
        self._instance = instance_uuid
        self._stop = threading.Event()
        self.running: list[int] = []
        self.in_flight: list[int] = []
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._engine.dispose()

    def _sample(self) -> None:
        mine = ReportExecution.instance_uuid == self._instance
        queued = and_(ReportExecution.status == "pending", ReportExecution.queued_at.is_not(None))
        while not self._stop.wait(0.1):
            with self._factory() as session:
                self.running.append(
                    session.scalar(
                        select(func.count()).where(mine, ReportExecution.status == "running")
                    )
                    or 0
                )
                self.in_flight.append(
                    session.scalar(
                        select(func.count()).where(
                            mine, or_(ReportExecution.status == "running", queued)
                        )
                    )
                    or 0
                )


def wait_until_segments_end(
    session: Session,
    world: World,
    session_factory: sessionmaker[Session],
    redis: Redis,
    collection_id: str,
) -> None:
    """Wait for every segment's newest run to end and the backfill to be recounted; a
    reconciler pass then changes nothing (the ends recount the backfill themselves)."""

    def segments_ended() -> bool:
        info = backfill(session, world, collection_id)
        # The last segment's end recounts the backfill after its own status is committed.
        return info.status != "running" and all(
            s.status not in {"pending", "running"} for s in info.segments
        )

    try:
        wait_for(segments_ended, timeout=90, interval=0.2)
    except BaseException:  # say where it stalled
        for r in runs_of(session, collection_id):
            print(r.execution_id, r.status, r.queued_at, r.started_at, r.error_message)
        print("queued in Redis:", Queue(EXECUTIONS_QUEUE, connection=redis).job_ids)
        raise
    reconcile(session_factory=session_factory, redis=redis)


# PostgreSQL only, to keep the suite short: the release race on SQLite is covered by
# test_two_releases_at_once_never_exceed_max_concurrency.
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_26_weekly_segments_never_run_more_than_3_at_once_and_one_failed_week_is_retried_alone(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    redis: Redis,
    worker_env: dict[str, str],
    database_url: str,
    pg_warehouse: str,
) -> None:
    instance = save_instance(
        session=session,
        secret_key=TEST_SECRET_KEY,
        instance_id="pgwh",
        name="PostgreSQL warehouse",
        engine="postgresql",
        connection_url=pg_warehouse,
        data_lag_days=2,
        max_concurrency=MAX_CONCURRENCY,
        statement_timeout_seconds=60,
    )
    grant_instance(session=session, email=world.owner.email, instance_id="pgwh")
    add_template(session, "sleepy", SQL_SLEEPY, parameter_definitions=SLEEPY_PARAMETERS)
    report_id = create_report(
        session=session,
        actor=world.owner,
        template_id="sleepy",
        instance_id="pgwh",
        name="Half a year, week by week",
        parameters={"seconds": 0.5},
    ).report_id
    # 26 whole ISO weeks ending with the last Sunday whose data is complete.
    last_sunday = freshest() - timedelta(days=(freshest().weekday() + 1) % 7)
    first_monday = last_sunday - timedelta(days=7 * WEEKS - 1)
    broken_week = first_monday + timedelta(weeks=9)
    with psycopg.connect(pg_warehouse.replace("postgresql+psycopg", "postgresql")) as c:
        c.execute("INSERT INTO broken_weeks VALUES (%s)", (broken_week,))

    workers = start_workers(worker_env, WORKERS, redis)
    try:
        with Sampler(database_url, instance.uuid) as sampler:
            info = start_backfill(
                session=session,
                redis=redis,
                actor=world.owner,
                report_id=report_id,
                segment_type="weekly",
                lookback_days=7 * WEEKS,
                end_date=last_sunday,
            )
            assert info.total_segments == WEEKS
            assert info.start_date == first_monday

            wait_until_segments_end(session, world, session_factory, redis, info.collection_id)

        assert max(sampler.running) <= MAX_CONCURRENCY, sampler.running
        assert max(sampler.in_flight) <= MAX_CONCURRENCY, sampler.in_flight
        assert max(sampler.running) >= 2, "segments should overlap; the sampling saw none"

        result = backfill(session, world, info.collection_id)
        assert result.status == "partial"
        assert (result.completed_segments, result.failed_segments) == (WEEKS - 1, 1)
        assert result.progress == 1.0
        [failed] = [s for s in result.segments if s.status == "failed"]
        assert failed.time_window_start is not None
        assert failed.time_window_start.date() == broken_week
        assert "division by zero" in (failed.error_message or "")

        with psycopg.connect(pg_warehouse.replace("postgresql+psycopg", "postgresql")) as c:
            c.execute("DELETE FROM broken_weeks")  # the cause is fixed
        retried = retry_backfill(
            session=session,
            redis=redis,
            actor=world.owner,
            collection_id=info.collection_id,
            segment_ids=[failed.execution_id],
        )
        assert retried.status == "running"
        assert [s.execution_id for s in retried.segments if s.status != "completed"] != [
            failed.execution_id
        ]

        wait_until_segments_end(session, world, session_factory, redis, info.collection_id)
        assert backfill(session, world, info.collection_id).status == "completed"
    finally:
        stop_workers(workers)

    done = backfill(session, world, info.collection_id)
    assert (done.total_segments, done.completed_segments, done.failed_segments) == (WEEKS, WEEKS, 0)
    history = runs_of(session, info.collection_id)
    assert len(history) == WEEKS + 1  # only the failed week ran again
    again = [r for r in history if r.time_window_start == failed.time_window_start]
    assert [(r.attempt, r.status) for r in again] == [(1, "failed"), (2, "completed")]
    [shown] = [s for s in done.segments if s.time_window_start == failed.time_window_start]
    assert shown.execution_id == again[-1].execution_id  # the newest wins
    assert shown.row_count == 1


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_cancelling_a_backfill_stops_its_running_segments_and_releases_no_more(
    session: Session,
    world: World,
    redis: Redis,
    worker_env: dict[str, str],
    pg_warehouse: str,
) -> None:
    save_instance(
        session=session,
        secret_key=TEST_SECRET_KEY,
        instance_id="pgwh",
        name="PostgreSQL warehouse",
        engine="postgresql",
        connection_url=pg_warehouse,
        data_lag_days=2,
        max_concurrency=2,
        statement_timeout_seconds=60,
    )
    grant_instance(session=session, email=world.owner.email, instance_id="pgwh")
    add_template(session, "sleepy", SQL_SLEEPY, parameter_definitions=SLEEPY_PARAMETERS)
    report_id = create_report(
        session=session,
        actor=world.owner,
        template_id="sleepy",
        instance_id="pgwh",
        name="Slow weeks",
        parameters={"seconds": 30},
    ).report_id
    workers = start_workers(worker_env, 2, redis)
    try:
        info = start_backfill(
            session=session,
            redis=redis,
            actor=world.owner,
            report_id=report_id,
            segment_type="weekly",
            lookback_days=70,
        )
        wait_for(lambda: backfill(session, world, info.collection_id).running_segments == 2)

        cancelled = cancel_backfill(
            session=session, redis=redis, actor=world.owner, collection_id=info.collection_id
        )
        assert cancelled.status == "cancelled"
        assert {s.status for s in cancelled.segments} == {"cancelled"}
        # The workers stop the statements and are free again long before the 30 s sleeps end.
        wait_for(
            lambda: all(w.get_state() == "idle" for w in Worker.all(connection=redis)), timeout=15
        )
    finally:
        stop_workers(workers)

    ended = backfill(session, world, info.collection_id)
    assert ended.status == "cancelled"
    assert {s.status for s in ended.segments} == {"cancelled"}
    assert all(r.status == "cancelled" for r in runs_of(session, info.collection_id))

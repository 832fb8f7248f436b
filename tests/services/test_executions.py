"""Runs end to end: real Redis, real worker processes, both metadata databases."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta

import psutil
import pyarrow.parquet as pq
import pytest
from redis import Redis
from rq import Queue
from rq.job import Job
from sqlalchemy import update
from sqlalchemy.orm import Session

from db.models import ReportExecution
from services.backfills import start_backfill
from services.cancels import cancel_execution
from services.errors import Conflict, ParameterError, ValidationFailed
from services.executions import (
    get_execution,
    list_executions,
    run_report,
    run_template,
)
from services.reports import create_report, get_report
from services.results import ResultsStore
from services.run_results import preview_result, result_download
from services.runtime import EXECUTIONS_QUEUE
from tests.factories import World, add_template, run_worker_burst, wait_for

#: x < 1000 keeps every row; the default window (last 30 complete days, data lag 2) holds
#: the 29 days from today-3 back to today-31: x = 0 … 28.
ROWS_IN_DEFAULT_WINDOW = 29


def test_an_ad_hoc_run_completes_with_its_rows_in_parquet(
    session: Session, world: World, redis: Redis, worker_env: dict[str, str], store: ResultsStore
) -> None:
    queued = run_template(
        session=session,
        redis=redis,
        actor=world.owner,
        template_id="numbers",
        instance_id="wh",
        parameters={"below": "10"},
    )
    assert queued.status == "pending"
    assert Queue(EXECUTIONS_QUEUE, connection=redis).job_ids == [queued.execution_id]

    run_worker_burst(worker_env)

    done = get_execution(session=session, actor=world.owner, execution_id=queued.execution_id)
    assert done.status == "completed", done.error_message
    assert done.row_count == 10
    assert done.size_bytes and done.size_bytes > 0
    assert done.started_at and done.completed_at and done.started_at <= done.completed_at
    assert done.output_location is not None
    table = pq.read_table(store.root / done.output_location)
    assert table.column("x").to_pylist() == list(range(10))
    assert done.parameters == {"below": 10}


def test_the_window_limits_the_rows_and_is_capped_by_data_freshness(
    session: Session, world: World, redis: Redis, worker_env: dict[str, str]
) -> None:
    today = datetime.now(UTC).date()
    everything = run_template(
        session=session, redis=redis, actor=world.owner, template_id="numbers", instance_id="wh"
    )
    # Asking for days up to today: the end is capped at today - 2 (the instance's lag).
    recent = run_template(
        session=session,
        redis=redis,
        actor=world.owner,
        template_id="numbers",
        instance_id="wh",
        start=today - timedelta(days=5),
        end=today,
    )
    assert recent.time_window_end == datetime.combine(
        today - timedelta(days=1), datetime.min.time(), tzinfo=UTC
    )
    run_worker_burst(worker_env)

    def rows(execution_id: str) -> int | None:
        return get_execution(
            session=session, actor=world.owner, execution_id=execution_id
        ).row_count

    assert rows(everything.execution_id) == ROWS_IN_DEFAULT_WINDOW
    assert rows(recent.execution_id) == 3  # today-5, today-4, today-3 (x = 2, 1, 0)


def test_a_failing_query_fails_with_the_engines_message(
    session: Session, world: World, redis: Redis, worker_env: dict[str, str]
) -> None:
    add_template(session, "broken", "SELECT * FROM no_such_table", parameter_definitions=[])
    queued = run_template(
        session=session, redis=redis, actor=world.owner, template_id="broken", instance_id="wh"
    )
    run_worker_burst(worker_env)

    failed = get_execution(session=session, actor=world.owner, execution_id=queued.execution_id)
    assert failed.status == "failed"
    assert failed.error_message is not None
    assert "no_such_table" in failed.error_message
    assert "duckdb:///" not in failed.error_message  # never the connection URL


def test_invalid_parameters_are_refused_before_anything_is_queued(
    session: Session, world: World, redis: Redis
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        run_template(
            session=session,
            redis=redis,
            actor=world.owner,
            template_id="numbers",
            instance_id="wh",
            parameters={"below": "-1", "nope": "1"},
        )
    assert refused.value.errors == {"below": "Must be at least 0.", "nope": "Unknown parameter."}
    assert Queue(EXECUTIONS_QUEUE, connection=redis).count == 0
    assert list_executions(session=session, actor=world.admin).total == 0


def test_a_report_run_uses_saved_parameters_with_overrides_and_updates_the_report(
    session: Session, world: World, redis: Redis, worker_env: dict[str, str]
) -> None:
    report = create_report(
        session=session,
        actor=world.owner,
        template_id="numbers",
        instance_id="wh",
        name="Small numbers",
        parameters={"below": 5},
    )
    first = run_report(session=session, redis=redis, actor=world.owner, report_id=report.report_id)
    second = run_report(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=report.report_id,
        overrides={"below": 7},
    )
    run_worker_burst(worker_env)

    def rows(execution_id: str) -> int | None:
        return get_execution(
            session=session, actor=world.owner, execution_id=execution_id
        ).row_count

    assert (rows(first.execution_id), rows(second.execution_id)) == (5, 7)
    after = get_report(session=session, actor=world.owner, report_id=report.report_id)
    assert after.execution_count == 2
    assert after.last_status == "completed"
    assert after.last_execution_id in {first.execution_id, second.execution_id}
    assert after.parameters == {"below": 5}  # overrides are not saved


def test_result_preview_and_csv_download(
    session: Session, world: World, redis: Redis, worker_env: dict[str, str], store: ResultsStore
) -> None:
    queued = run_template(
        session=session,
        redis=redis,
        actor=world.owner,
        template_id="numbers",
        instance_id="wh",
        parameters={"below": 12},
    )
    run_worker_burst(worker_env)

    preview = preview_result(
        session=session, actor=world.owner, store=store, execution_id=queued.execution_id, limit=3
    )
    assert preview.columns == ["x", "label"]
    assert preview.rows == [
        {"x": 0, "label": "n0"},
        {"x": 1, "label": "n1"},
        {"x": 2, "label": "n2"},
    ]
    assert preview.total_rows == 12
    download = result_download(
        session=session,
        actor=world.owner,
        store=store,
        execution_id=queued.execution_id,
        format="csv",
    )
    assert not isinstance(download.content, bytes)  # streamed
    csv_text = "".join(download.content)
    lines = csv_text.splitlines()
    assert lines[0] == "x,label"
    assert lines[1:] == [f"{i},n{i}" for i in range(12)]


def test_cancelling_a_pending_run_takes_it_off_the_queue(
    session: Session, world: World, redis: Redis, worker_env: dict[str, str]
) -> None:
    queued = run_template(
        session=session, redis=redis, actor=world.owner, template_id="numbers", instance_id="wh"
    )
    cancelled = cancel_execution(
        session=session, redis=redis, actor=world.owner, execution_id=queued.execution_id
    )
    assert cancelled.status == "cancelled"
    assert Queue(EXECUTIONS_QUEUE, connection=redis).job_ids == []
    run_worker_burst(worker_env)
    after = get_execution(session=session, actor=world.owner, execution_id=queued.execution_id)
    assert (after.status, after.output_location) == ("cancelled", None)
    with pytest.raises(Conflict):
        cancel_execution(
            session=session, redis=redis, actor=world.owner, execution_id=queued.execution_id
        )


def test_cancelling_a_long_duckdb_query_stops_the_query_and_ends_the_run_cancelled(
    session: Session,
    world: World,
    redis: Redis,
    background_worker: subprocess.Popen[str],
) -> None:
    # How soon the query stops is measured by benchmarks/bench_cancel.py, not asserted here.
    add_template(
        session,
        "endless",
        "SELECT count(*) AS n FROM range(1000000000000) a "
        "WHERE {{ window_start }} IS NOT NULL AND {{ window_end }} IS NOT NULL",
        parameter_definitions=[],
    )
    queued = run_template(
        session=session, redis=redis, actor=world.owner, template_id="endless", instance_id="wh"
    )

    def status() -> str:
        session.expire_all()
        return get_execution(
            session=session, actor=world.owner, execution_id=queued.execution_id
        ).status

    wait_for(lambda: status() == "running", timeout=60)
    # The query is under way once the worker, which runs it in its own process (SimpleWorker),
    # burns CPU.
    worker = psutil.Process(background_worker.pid)
    before = sum(worker.cpu_times()[:2])
    wait_for(lambda: sum(worker.cpu_times()[:2]) - before > 0.5, timeout=60)
    cancel_execution(
        session=session, redis=redis, actor=world.owner, execution_id=queued.execution_id
    )
    job = Job.fetch(queued.execution_id, connection=redis)

    def job_ended() -> bool:
        return job.get_status(refresh=True) in {"finished", "failed", "stopped", "canceled"}

    # The query never ends on its own: the job ends only if the cancel interrupted it.
    wait_for(job_ended, timeout=60)
    assert job.return_value() == {
        "execution_id": queued.execution_id,
        "status": "cancelled",
        "row_count": None,
    }
    assert status() == "cancelled"


def test_listing_filters_by_status_trigger_report_and_dates(session: Session, world: World) -> None:
    report = create_report(
        session=session, actor=world.owner, template_id="numbers", instance_id="wh", name="R"
    )
    adhoc = run_template(
        session=session, redis=None, actor=world.owner, template_id="numbers", instance_id="wh"
    )
    by_api = run_report(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=report.report_id,
        triggered_by="api",
    )
    cancel_execution(
        session=session, redis=None, actor=world.owner, execution_id=adhoc.execution_id
    )

    def ids(**filters: object) -> list[str]:
        page = list_executions(session=session, actor=world.owner, **filters)  # type: ignore[arg-type]
        return [e.execution_id for e in page.items]

    assert ids() == [by_api.execution_id, adhoc.execution_id]  # newest first
    assert ids(status="cancelled") == [adhoc.execution_id]
    assert ids(status="pending,running") == [by_api.execution_id]
    assert ids(triggered_by="api") == [by_api.execution_id]
    assert ids(report_id=report.report_id) == [by_api.execution_id]
    today = datetime.now(UTC).date()
    assert len(ids(start_date=today, end_date=today)) == 2
    assert ids(end_date=date(2000, 1, 1)) == []
    page = list_executions(session=session, actor=world.owner, page=2, limit=1)
    assert (page.total, [e.execution_id for e in page.items]) == (2, [adhoc.execution_id])


def test_a_run_that_selects_no_rows_completes_with_an_empty_result(
    session: Session, world: World, redis: Redis, worker_env: dict[str, str], store: ResultsStore
) -> None:
    queued = run_template(
        session=session,
        redis=redis,
        actor=world.owner,
        template_id="numbers",
        instance_id="wh",
        parameters={"below": 0},
    )
    run_worker_burst(worker_env)

    done = get_execution(session=session, actor=world.owner, execution_id=queued.execution_id)
    assert (done.status, done.row_count) == ("completed", 0), done.error_message
    preview = preview_result(
        session=session, actor=world.owner, store=store, execution_id=queued.execution_id
    )
    assert (preview.columns, preview.rows) == (["x", "label"], [])


def test_an_unknown_time_zone_is_a_field_error(session: Session, world: World) -> None:
    with pytest.raises(ParameterError) as refused:
        run_template(
            session=session,
            redis=None,
            actor=world.owner,
            template_id="numbers",
            instance_id="wh",
            timezone="Mars/Olympus",
        )
    assert refused.value.field == "timezone"


def test_a_reports_history_lists_running_runs_first_then_a_backfills_segments_in_window_order(
    session: Session, world: World
) -> None:
    report = create_report(
        session=session,
        actor=world.owner,
        template_id="numbers",
        instance_id="wh",
        name="History order",
        parameters={"below": "10"},
    )
    backfill = start_backfill(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=report.report_id,
        segment_type="daily",
        lookback_days=4,
    )
    later = backfill.segments[2].execution_id
    session.execute(
        update(ReportExecution)
        .where(ReportExecution.execution_id == later)
        .values(status="running")
    )
    session.commit()

    history = list_executions(
        session=session, actor=world.owner, report_id=report.report_id, history_order=True
    ).items

    assert history[0].execution_id == later
    rest = [e.time_window_start for e in history[1:]]
    assert rest == sorted(rest) and len(rest) == 3

"""The vertical slice: a job enqueued on real Redis, run by a real `reportbuilder worker`."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from rq.job import Job, JobStatus

from services.demo import build_demo_database, read_library
from services.runtime import EXECUTIONS_QUEUE, enqueue_by_name, redis_connection
from tests.workers.helpers import make_sales_database, reportbuilder

JOB = "workers.jobs.run_sql_to_parquet"


def test_a_worker_process_runs_the_job_and_writes_the_expected_parquet_rows(
    tmp_path: Path, redis_url: str
) -> None:
    database = make_sales_database(tmp_path / "sales.duckdb", first_day=date(2025, 3, 1), days=5)
    results = tmp_path / "results"
    connection = redis_connection(redis_url)
    job_id = enqueue_by_name(
        JOB,
        connection=connection,
        queue_name=EXECUTIONS_QUEUE,
        kwargs={
            "database_path": str(database),
            "sql": "SELECT day, region, amount FROM sales "
            "WHERE region = {{ region }} AND day >= {{ window_start }} AND day < {{ window_end }} "
            "ORDER BY day",
            "result_key": "executions/exe_slice001.parquet",
            "results_dir": str(results),
            "parameters": {
                "region": "south",
                "window_start": date(2025, 3, 2),
                "window_end": date(2025, 3, 5),
            },
        },
        job_id="exe_slice001",
    )

    worker = reportbuilder("worker", "--burst", env={"REDIS_URL": redis_url})

    assert worker.returncode == 0, worker.stderr
    job = Job.fetch(job_id, connection=connection)
    assert job.get_status() == JobStatus.FINISHED, job.latest_result()
    assert job.origin == EXECUTIONS_QUEUE
    outcome = job.return_value()
    assert outcome is not None
    assert outcome["location"] == "executions/exe_slice001.parquet"
    assert outcome["row_count"] == 3
    path = results / "executions" / "exe_slice001.parquet"
    assert outcome["size_bytes"] == path.stat().st_size
    assert pq.read_table(path).to_pylist() == [
        {"day": date(2025, 3, 2), "region": "south", "amount": 11},
        {"day": date(2025, 3, 3), "region": "south", "amount": 21},
        {"day": date(2025, 3, 4), "region": "south", "amount": 31},
    ]


def test_a_worker_process_runs_a_library_template_on_the_demo_warehouse(
    tmp_path: Path, redis_url: str
) -> None:
    today = date(2026, 1, 15)
    database = tmp_path / "demo.duckdb"
    build_demo_database(database, today=today)
    template = next(t for t in read_library() if t.template_id == "daily_trend")
    window_start, window_end = today - timedelta(days=9), today - timedelta(days=2)
    connection = redis_connection(redis_url)
    job_id = enqueue_by_name(
        JOB,
        connection=connection,
        queue_name=EXECUTIONS_QUEUE,
        args=(
            str(database),
            template.sql_template,
            "executions/exe_trend001.parquet",
            str(tmp_path / "results"),
            {"window_start": window_start, "window_end": window_end},
        ),
    )

    worker = reportbuilder(
        "worker", "--burst", "--queue", "executions", env={"REDIS_URL": redis_url}
    )

    assert worker.returncode == 0, worker.stderr
    assert Job.fetch(job_id, connection=connection).get_status() == JobStatus.FINISHED
    table = pq.read_table(tmp_path / "results" / "executions" / "exe_trend001.parquet")
    assert table.column("day").to_pylist() == [window_start + timedelta(days=i) for i in range(7)]
    with duckdb.connect(str(database), read_only=True) as check:
        expected = check.execute(
            "SELECT SUM(impressions), SUM(spend) FROM campaign_daily WHERE day >= ? AND day < ?",
            [window_start, window_end],
        ).fetchone()
    assert expected is not None
    assert sum(table.column("impressions").to_pylist()) == expected[0]
    assert sum(table.column("spend").to_pylist()) == pytest.approx(float(expected[1]))

"""`reportbuilder execute`: validation and exit codes, and real runs through Redis and a real
`reportbuilder worker` process, on both metadata databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result
from rq import Queue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli import EXIT_TIMEOUT, main
from db.models import ReportExecution
from db.session import make_engine, make_session_factory
from services.executions import get_execution
from services.instances import save_instance
from services.parameters import parse_definitions
from services.runtime import EXECUTIONS_QUEUE, redis_connection
from services.sql_templates import check_template
from services.users import system_actor
from tests.databases import migrated_sqlite_url
from tests.factories import (
    PROJECT_ROOT,
    TEST_SECRET_KEY,
    create_template,
    make_sales_database,
    wait_for,
)
from tests.workers.helpers import reportbuilder

#: Days of sales in the test warehouse, ending yesterday (UTC).
SALES_DAYS = 40
#: `sales(day, region, amount)` over the run's window, narrowed by two parameters.
SALES_SQL = """
SELECT day, region, amount, {{ label }} AS label
FROM sales
WHERE day >= CAST({{ window_start }} AS DATE)
  AND day < CAST({{ window_end }} AS DATE)
  AND amount >= {{ min_amount }}
  AND ({{ regions.empty }} OR region IN {{ regions }})
ORDER BY day, region
"""
SALES_PARAMETERS: list[dict[str, Any]] = [
    {"name": "min_amount", "type": "integer", "label": "Minimum amount", "min": 0, "default": 0},
    {
        "name": "regions",
        "type": "multi_select",
        "label": "Regions",
        "options": ["north", "south"],
    },
    {"name": "label", "type": "text", "label": "Label", "max_length": 20, "default": "sales"},
]
#: A template the engine rejects when it runs: its table does not exist.
BROKEN_SQL = "SELECT * FROM missing_table WHERE day >= CAST({{ window_start }} AS DATE)"
#: Seconds a test waits for the command to enqueue, or for a run to end.
PROCESS_TIMEOUT_S = 120


@dataclass(frozen=True)
class Sandbox:
    """A metadata database with a DuckDB instance `sales` and the templates
    `sales_by_day` and `broken`; `env` is what a `reportbuilder` process needs."""

    database_url: str
    redis_url: str
    results_dir: Path
    today: date

    @property
    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "RESULTS_DIR": str(self.results_dir),
            "SECRET_KEY": TEST_SECRET_KEY,
        }

    def invoke(self, *args: str, **env: str | None) -> Result:
        """`reportbuilder ARGS` in this process, with the sandbox's environment."""
        return CliRunner().invoke(main, list(args), env={**self.env, **env})

    def executions(self) -> int:
        engine = make_engine(self.database_url)
        try:
            with Session(engine) as session:
                return session.scalar(select(func.count()).select_from(ReportExecution)) or 0
        finally:
            engine.dispose()

    def queued(self) -> int:
        return Queue(EXECUTIONS_QUEUE, connection=redis_connection(self.redis_url)).count


def _make_sandbox(session: Session, database_url: str, redis_url: str, tmp_path: Path) -> Sandbox:
    today = datetime.now(UTC).date()
    warehouse = make_sales_database(
        tmp_path / "sales.duckdb", first_day=today - timedelta(days=SALES_DAYS), days=SALES_DAYS
    )
    save_instance(
        session=session,
        secret_key=TEST_SECRET_KEY,
        instance_id="sales",
        name="Sales",
        engine="duckdb",
        connection_url=f"duckdb:///{warehouse}",
        data_lag_days=1,
    )
    check_template(SALES_SQL, parse_definitions(SALES_PARAMETERS))
    create_template(
        session=session,
        template_id="sales_by_day",
        sql_template=SALES_SQL,
        parameter_definitions=SALES_PARAMETERS,
    )
    create_template(session=session, template_id="broken", sql_template=BROKEN_SQL)
    session.commit()
    return Sandbox(database_url, redis_url, tmp_path / "results", today)


@pytest.fixture
def sandbox(session: Session, database_url: str, redis_url: str, tmp_path: Path) -> Sandbox:
    """On SQLite and on PostgreSQL."""
    return _make_sandbox(session, database_url, redis_url, tmp_path)


@pytest.fixture
def sqlite_sandbox(tmp_path: Path, redis_url: str, request: pytest.FixtureRequest) -> Sandbox:
    """On SQLite only: for what the metadata database does not change."""
    database_url = migrated_sqlite_url(request, tmp_path)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return _make_sandbox(session, database_url, redis_url, tmp_path)
    finally:
        engine.dispose()


def _execute_with_a_burst_worker(sandbox: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    """`reportbuilder execute ARGS` as a child process; once it has queued its run, a
    `reportbuilder worker --burst` process runs the queue dry."""
    command = subprocess.Popen(
        [sys.executable, "-m", "cli", "execute", *args],
        env={**os.environ, **sandbox.env},
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            lambda: sandbox.queued() > 0 or command.poll() is not None, timeout=PROCESS_TIMEOUT_S
        )
        worker = reportbuilder("worker", "--burst", "--queue", EXECUTIONS_QUEUE, env=sandbox.env)
        assert worker.returncode == 0, worker.stderr
        stdout, stderr = command.communicate(timeout=PROCESS_TIMEOUT_S)
    finally:
        if command.poll() is None:
            command.kill()
            command.wait()
    assert command.returncode is not None
    return subprocess.CompletedProcess(command.args, command.returncode, stdout, stderr)


def _midnight(day: date) -> str:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).isoformat()


# -- real runs ----------------------------------------------------------------------------


def test_execute_wait_json_completes_with_the_row_count_and_writes_the_parquet_file(
    sandbox: Sandbox,
) -> None:
    first, last = sandbox.today - timedelta(days=10), sandbox.today - timedelta(days=6)

    done = _execute_with_a_burst_worker(
        sandbox,
        "sales_by_day",
        "--instance", "sales",
        "--param", "regions=south",
        "--param", "min_amount=0",
        "--start", first.isoformat(),
        "--end", last.isoformat(),
        "--wait",
        "--json",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)  # one JSON object, nothing else
    assert outcome["status"] == "completed"
    assert outcome["row_count"] == 5
    assert outcome["error_message"] is None
    assert outcome["template_id"] == "sales_by_day"
    assert outcome["instance_id"] == "sales"
    assert outcome["execution_id"].startswith("exe_")
    assert outcome["time_window_start"] == _midnight(first)
    assert outcome["time_window_end"] == _midnight(last + timedelta(days=1))
    assert outcome["parameters"] == {"min_amount": 0, "regions": ["south"], "label": "sales"}
    table = pq.read_table(sandbox.results_dir / outcome["output_location"])
    assert table.column("day").to_pylist() == [first + timedelta(days=i) for i in range(5)]
    assert set(table.column("region").to_pylist()) == {"south"}
    assert set(table.column("label").to_pylist()) == {"sales"}


def test_execute_wait_prints_status_row_count_and_output_location(sandbox: Sandbox) -> None:
    day = sandbox.today - timedelta(days=3)

    done = _execute_with_a_burst_worker(
        sandbox, "sales_by_day", "--instance", "sales", "--start", str(day), "--end", str(day),
        "--wait",
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    execution_id = lines[0].split()[1]
    assert lines[0] == f"execution {execution_id} pending"
    assert f"days {day} .. {day} (UTC)" in lines[1]
    assert lines[2:4] == ["status: completed", "rows: 2"]
    assert lines[4].startswith(f"output: executions/{execution_id}.parquet (in ")
    assert (sandbox.results_dir / "executions" / f"{execution_id}.parquet").is_file()


def test_a_query_failing_on_the_engine_exits_1_with_the_engine_message(sandbox: Sandbox) -> None:
    done = _execute_with_a_burst_worker(
        sandbox, "broken", "--instance", "sales", "--wait", "--json"
    )

    assert done.returncode == 1, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome["status"] == "failed"
    assert "missing_table" in outcome["error_message"]
    assert outcome["row_count"] is None
    assert outcome["output_location"] is None


def test_a_run_that_selects_no_rows_completes_with_row_count_0(sqlite_sandbox: Sandbox) -> None:
    done = _execute_with_a_burst_worker(
        sqlite_sandbox, "sales_by_day", "--instance", "sales", "-p", "min_amount=1000000",
        "--wait", "--json",
    )  # fmt: skip

    outcome = json.loads(done.stdout)
    assert (done.returncode, outcome["status"], outcome["error_message"]) == (0, "completed", None)
    assert outcome["row_count"] == 0


def test_without_wait_the_run_is_queued_over_the_last_30_complete_days(sandbox: Sandbox) -> None:
    queued = sandbox.invoke("execute", "sales_by_day", "--instance", "sales", "--json")

    assert queued.exit_code == 0, queued.output
    request = json.loads(queued.stdout)
    assert request["status"] == "pending"
    # data_lag_days=1: yesterday is the freshest complete day.
    assert request["time_window_start"] == _midnight(sandbox.today - timedelta(days=30))
    assert request["time_window_end"] == _midnight(sandbox.today)
    assert sandbox.queued() == 1
    worker = reportbuilder("worker", "--burst", "--queue", EXECUTIONS_QUEUE, env=sandbox.env)
    assert worker.returncode == 0, worker.stderr
    engine = make_engine(sandbox.database_url)
    try:
        with Session(engine) as session:
            run = get_execution(
                session=session,
                actor=system_actor(session=session),
                execution_id=request["execution_id"],
            )
    finally:
        engine.dispose()
    assert run.status == "completed"
    assert run.row_count == 30 * 2


def test_wait_gives_up_after_the_timeout_with_exit_3_and_the_run_goes_on(
    sqlite_sandbox: Sandbox,
) -> None:
    result = sqlite_sandbox.invoke(
        "execute", "sales_by_day", "--instance", "sales", "--wait", "--timeout", "0.6", "--json"
    )

    assert result.exit_code == EXIT_TIMEOUT, result.output
    outcome = json.loads(result.stdout)
    assert outcome["status"] == "pending"
    assert f"{outcome['execution_id']} is still pending after 0.6 s" in result.stderr
    assert sqlite_sandbox.queued() == 1


# -- invalid input: exit 2, nothing queued ------------------------------------------------


def test_an_invalid_parameter_value_exits_2_with_field_and_message(
    sqlite_sandbox: Sandbox,
) -> None:
    result = sqlite_sandbox.invoke(
        "execute", "sales_by_day", "--instance", "sales", "-p", "min_amount=-1",
        "-p", "regions=south,west",
    )  # fmt: skip

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "min_amount: Must be at least 0.",
        "regions: Choose one of the listed options.",
    ]
    assert sqlite_sandbox.executions() == 0
    assert sqlite_sandbox.queued() == 0


def test_with_json_validation_errors_are_also_one_json_object_on_stdout(
    sqlite_sandbox: Sandbox,
) -> None:
    result = sqlite_sandbox.invoke(
        "execute", "sales_by_day", "--instance", "sales", "-p", "min_amount=lots", "--json"
    )

    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout) == {"errors": {"min_amount": "Enter a whole number."}}
    assert "min_amount: Enter a whole number." in result.stderr


def test_an_unknown_parameter_name_exits_2(sqlite_sandbox: Sandbox) -> None:
    result = sqlite_sandbox.invoke(
        "execute", "sales_by_day", "--instance", "sales", "--param", "colour=red"
    )

    assert result.exit_code == 2, result.output
    assert "colour: Unknown parameter." in result.stderr
    assert sqlite_sandbox.executions() == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (["--param", "min_amount"], "expected NAME=VALUE, got 'min_amount'"),
        (["--param", "=5"], "expected NAME=VALUE, got '=5'"),
        (["-p", "regions=north", "-p", "regions=south"], "'regions' is given twice"),
    ],
    ids=["no-equals", "no-name", "twice"],
)
def test_a_malformed_param_exits_2(
    sqlite_sandbox: Sandbox, params: list[str], message: str
) -> None:
    result = sqlite_sandbox.invoke("execute", "sales_by_day", "--instance", "sales", *params)

    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert sqlite_sandbox.executions() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "--instance", "sales"], "template_id: Template 'nope' was not found."),
        (["sales_by_day", "--instance", "nope"], "instance: Instance 'nope' was not found."),
        (
            ["sales_by_day", "--instance", "sales", "--start", "2025-03-10", "--end", "2025-03-01"],
            "time_window: The end date is before the start date.",
        ),
        (["sales_by_day", "--instance", "sales", "--start", "2025-02-30"], "'--start'"),
        (["sales_by_day", "--instance", "sales", "--timezone", "Mars/Olympus"], "time zone"),
    ],
    ids=["unknown-template", "unknown-instance", "end-before-start", "bad-date", "bad-zone"],
)
def test_unknown_names_and_bad_windows_exit_2_without_a_traceback(
    sqlite_sandbox: Sandbox, args: list[str], message: str
) -> None:
    result = sqlite_sandbox.invoke("execute", *args)

    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert sqlite_sandbox.executions() == 0


# -- environment --------------------------------------------------------------------------


def test_execute_needs_redis_url(sqlite_sandbox: Sandbox) -> None:
    result = sqlite_sandbox.invoke("execute", "sales_by_day", "--instance", "sales", REDIS_URL=None)

    assert result.exit_code == 1
    assert "REDIS_URL is not set" in result.stderr
    assert sqlite_sandbox.executions() == 0


def test_an_unreachable_redis_is_reported_before_anything_is_recorded(
    sqlite_sandbox: Sandbox,
) -> None:
    result = sqlite_sandbox.invoke(
        "execute", "sales_by_day", "--instance", "sales", "--json",
        REDIS_URL="redis://127.0.0.1:1/0",
    )  # fmt: skip

    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"].startswith("Cannot reach Redis (REDIS_URL)")
    assert sqlite_sandbox.executions() == 0


def test_execute_on_a_database_without_schema_says_how_to_create_it(
    tmp_path: Path, redis_url: str
) -> None:
    result = CliRunner().invoke(
        main,
        ["execute", "sales_by_day", "--instance", "sales"],
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "REDIS_URL": redis_url},
    )

    assert result.exit_code == 1
    assert "run `reportbuilder db upgrade`" in result.stderr

"""`reportbuilder reports`: list, run now, schedule, unschedule, backfill (and its dry run),
backfill-status, retry and cancel-run, on a real SQLite metadata database and a real Redis."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rq import Queue
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli import main
from db.models import ReportDataCollection, ReportExecution
from db.session import make_engine, make_session_factory
from services.executions import new_report_run
from services.reports import create_report, get_report
from services.runtime import EXECUTIONS_QUEUE, redis_connection
from services.schedules import ScheduleInfo, report_schedule
from services.users import Actor, system_actor
from tests.databases import migrated_sqlite_url
from tests.factories import TEST_SECRET_KEY, create_instance, create_template

PARAMETERS: list[dict[str, Any]] = [
    {"name": "min_amount", "type": "integer", "label": "Minimum amount", "min": 0, "default": 0},
]
#: The service's message for a lookback it cannot use.
LOOKBACK_MESSAGE = "Look back a whole number of days between 1 and 365."


@dataclass(frozen=True)
class Sandbox:
    """A SQLite metadata database with one report, `report_id`, of the template
    `sales_by_day` on the instance `sales`, whose latest complete day is `freshest`."""

    database_url: str
    redis_url: str
    report_id: str
    freshest: date

    def invoke(self, *args: str) -> Result:
        """`reportbuilder ARGS` in this process, with the sandbox's environment."""
        env = {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": TEST_SECRET_KEY,
        }
        return CliRunner().invoke(main, list(args), env=env)

    @contextmanager
    def session(self) -> Iterator[tuple[Session, Actor]]:
        with _session(self.database_url) as session_and_actor:
            yield session_and_actor

    def count(self, model: type[ReportExecution] | type[ReportDataCollection]) -> int:
        with self.session() as (session, _):
            return session.scalar(select(func.count()).select_from(model)) or 0

    def schedule(self) -> ScheduleInfo | None:
        with self.session() as (session, actor):
            return report_schedule(session=session, actor=actor, report_id=self.report_id)

    def queued(self) -> int:
        return Queue(EXECUTIONS_QUEUE, connection=redis_connection(self.redis_url)).count


@contextmanager
def _session(database_url: str) -> Iterator[tuple[Session, Actor]]:
    """A session, and the command line's own account (the one the commands act as)."""
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            yield session, system_actor(session=session)
    finally:
        engine.dispose()


@pytest.fixture
def sandbox(tmp_path: Path, redis_url: str, request: pytest.FixtureRequest) -> Sandbox:
    database_url = migrated_sqlite_url(request, tmp_path)
    with _session(database_url) as (session, actor):
        # No worker runs here: the instance's connection URL is never used.
        create_instance(session=session, instance_id="sales", data_lag_days=1)
        create_template(
            session=session, template_id="sales_by_day", parameter_definitions=PARAMETERS
        )
        session.commit()
        report = create_report(
            session=session,
            actor=actor,
            template_id="sales_by_day",
            instance_id="sales",
            name="Sales by day",
            parameters={"min_amount": 0},
        )
        session.commit()
    # data_lag_days=1: yesterday (UTC) is the latest complete day.
    freshest = datetime.now(UTC).date() - timedelta(days=1)
    return Sandbox(database_url, redis_url, report.report_id, freshest)


def _midnight(day: date) -> str:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC).isoformat()


def _cells(line: str) -> list[str]:
    """A line of a printed table, cut into its cells (two spaces or more apart)."""
    return re.split(r"\s{2,}", line.strip())


def _three_weeks_ago_monday(sandbox: Sandbox) -> date:
    """A Monday whose week, and the two after it, have complete data."""
    this_monday = sandbox.freshest - timedelta(days=sandbox.freshest.weekday())
    return this_monday - timedelta(weeks=3)


# -- backfills ----------------------------------------------------------------------------


def test_backfill_dry_run_lists_each_segment_with_its_action_and_creates_nothing(
    sandbox: Sandbox,
) -> None:
    monday = _three_weeks_ago_monday(sandbox)
    start, end = monday + timedelta(days=2), monday + timedelta(days=15)  # Wed .. Tue
    done_from, done_to = monday + timedelta(days=7), monday + timedelta(days=13)
    with sandbox.session() as (session, actor):  # the middle week has completed before
        done = new_report_run(
            session=session, actor=actor, report_id=sandbox.report_id, start=done_from, end=done_to
        )
        done.status = "completed"
        session.commit()

    result = sandbox.invoke(
        "reports", "backfill", sandbox.report_id, "--start", str(start), "--end", str(end),
        "--segment", "weekly", "--dry-run",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"dry run for report {sandbox.report_id}: days {start} .. {end}, "
        "3 weekly segments, reprocess missing"
    )
    assert [_cells(line) for line in lines[1:5]] == [
        ["FIRST DAY", "LAST DAY", "ACTION", "WHY"],
        [str(start), str(monday + timedelta(days=6)), "create", "partial"],
        [str(done_from), str(done_to), "skip", "already completed"],
        [str(monday + timedelta(days=14)), str(end), "create", "partial"],
    ]
    assert lines[5].startswith("2 to create, 1 to skip; nothing was created")
    assert sandbox.count(ReportDataCollection) == 0
    assert sandbox.count(ReportExecution) == 1
    assert sandbox.queued() == 0


def test_backfill_dry_run_json_gives_half_open_windows(sandbox: Sandbox) -> None:
    monday = _three_weeks_ago_monday(sandbox)

    result = sandbox.invoke(
        "reports", "backfill", sandbox.report_id, "--start", str(monday),
        "--end", str(monday + timedelta(days=9)), "--dry-run", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    planned = json.loads(result.stdout)
    assert planned["dry_run"] is True
    assert [(s["window_start"], s["window_end"], s["action"], s["partial"]) for s in
            planned["segments"]] == [
        (str(monday), str(monday + timedelta(days=7)), "create", False),
        (str(monday + timedelta(days=7)), str(monday + timedelta(days=10)), "create", True),
    ]  # fmt: skip
    assert sandbox.count(ReportExecution) == 0


@pytest.mark.parametrize("lookback", ["abc", "0", "400"])
@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]], ids=["start", "dry-run"])
def test_a_bad_lookback_exits_2_with_the_field_error_and_creates_nothing(
    sandbox: Sandbox, lookback: str, dry_run: list[str]
) -> None:
    result = sandbox.invoke(
        "reports", "backfill", sandbox.report_id, "--lookback", lookback, *dry_run
    )

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"backfill.lookback_days: {LOOKBACK_MESSAGE}"]
    assert sandbox.count(ReportDataCollection) == 0
    assert sandbox.count(ReportExecution) == 0
    assert sandbox.queued() == 0


def test_with_json_a_bad_lookback_is_also_one_json_object_on_stdout(sandbox: Sandbox) -> None:
    result = sandbox.invoke("reports", "backfill", sandbox.report_id, "--lookback", "abc", "--json")

    assert result.exit_code == 2, result.output
    assert json.loads(result.stdout) == {"errors": {"backfill.lookback_days": LOOKBACK_MESSAGE}}


def test_a_backfill_segment_cancelled_is_counted_and_retried(sandbox: Sandbox) -> None:
    monday = _three_weeks_ago_monday(sandbox)
    started = sandbox.invoke(
        "reports", "backfill", sandbox.report_id, "--start", str(monday),
        "--end", str(monday + timedelta(days=20)), "--json",
    )  # fmt: skip
    assert started.exit_code == 0, started.output
    backfill = json.loads(started.stdout)
    collection_id = backfill["collection_id"]
    first = backfill["segments"][0]["execution_id"]
    assert [s["status"] for s in backfill["segments"]] == ["pending"] * 3
    assert sandbox.queued() == 3

    cancelled = sandbox.invoke("reports", "cancel-run", first)
    assert cancelled.exit_code == 0, cancelled.output
    assert cancelled.stdout == f"execution {first} cancelled\n"
    assert sandbox.queued() == 2

    status = sandbox.invoke("reports", "backfill-status", collection_id)
    again = sandbox.invoke("reports", "cancel-run", first)
    retried = sandbox.invoke("reports", "retry", collection_id, "--segment", first)

    assert status.exit_code == 0, status.output
    assert status.stdout.splitlines()[:3] == [
        f"backfill {collection_id} of report {sandbox.report_id}: running",
        f"days {monday} .. {monday + timedelta(days=20)}, weekly segments",
        "1 cancelled, 2 pending of 3",
    ]
    assert (
        f"{first}  days {monday} .. {monday + timedelta(days=6)} (UTC)  cancelled" in status.stdout
    )
    assert again.exit_code == 1
    assert "The run has already ended (cancelled)." in again.stderr
    assert retried.exit_code == 0, retried.output
    assert "3 pending of 3" in retried.stdout.splitlines()
    assert sandbox.count(ReportExecution) == 4  # the cancelled attempt stays in history
    assert sandbox.queued() == 3


def test_retrying_a_segment_that_did_not_fail_exits_2(sandbox: Sandbox) -> None:
    started = sandbox.invoke("reports", "backfill", sandbox.report_id, "--lookback", "3", "--json")
    backfill = json.loads(started.stdout)
    pending = backfill["segments"][0]["execution_id"]

    result = sandbox.invoke("reports", "retry", backfill["collection_id"], "--segment", pending)

    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"segment_ids: Not a failed or cancelled segment of this backfill: {pending}"
    ]


# -- run now ------------------------------------------------------------------------------


def test_run_with_a_preset_queues_a_run_over_that_window_with_the_overrides(
    sandbox: Sandbox,
) -> None:
    result = sandbox.invoke(
        "reports", "run", sandbox.report_id, "--preset", "last_7_days", "--param", "min_amount=5",
        "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["status"] == "pending"
    assert run["report_id"] == sandbox.report_id
    assert run["time_window_start"] == _midnight(sandbox.freshest - timedelta(days=6))
    assert run["time_window_end"] == _midnight(sandbox.freshest + timedelta(days=1))
    assert run["parameters"] == {"min_amount": 5}
    assert sandbox.queued() == 1
    with sandbox.session() as (session, actor):  # the override was for this run only
        saved = get_report(session=session, actor=actor, report_id=sandbox.report_id)
    assert saved.parameters == {"min_amount": 0}


def test_run_prints_the_execution_and_its_days(sandbox: Sandbox) -> None:
    day = sandbox.freshest - timedelta(days=3)

    result = sandbox.invoke(
        "reports", "run", sandbox.report_id, "--start", str(day), "--end", str(day)
    )

    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()
    assert first.startswith("execution exe_") and first.endswith(" pending")
    assert second == f"report {sandbox.report_id}, days {day} .. {day} (UTC)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--preset", "last_7_days", "--start", "2025-01-01"],
            "run_now.preset: Choose a preset or explicit dates, not both.",
        ),
        (["--preset", "someday"], "run_now.preset: Choose one of: last_7_days,"),
        (["--start", "2025-02-30"], "run_now.start_date: Enter a real date as YYYY-MM-DD."),
        (["--param", "min_amount=-1"], "run_now.parameters.min_amount: Must be at least 0."),
    ],
    ids=["preset-and-dates", "unknown-preset", "bad-date", "bad-override"],
)
def test_an_invalid_run_exits_2_with_the_field_error_and_queues_nothing(
    sandbox: Sandbox, args: list[str], message: str
) -> None:
    result = sandbox.invoke("reports", "run", sandbox.report_id, *args)

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message)
    assert sandbox.count(ReportExecution) == 0
    assert sandbox.queued() == 0


@pytest.mark.parametrize(
    "args",
    [
        ["run", "nope"],
        ["schedule", "nope", "--frequency", "daily"],
        ["unschedule", "nope"],
        ["backfill", "nope", "--lookback", "7", "--dry-run"],
    ],
    ids=lambda args: args[0],
)
def test_an_unknown_report_exits_2(sandbox: Sandbox, args: list[str]) -> None:
    result = sandbox.invoke("reports", *args)

    assert result.exit_code == 2, result.output
    assert result.stderr == "report: Report 'nope' was not found.\n"


# -- schedules ----------------------------------------------------------------------------


@pytest.mark.parametrize("weekday", ["wed", "Wednesday", "2"])
def test_schedule_weekly_on_wednesday_runs_only_on_wednesday(
    sandbox: Sandbox, weekday: str
) -> None:
    result = sandbox.invoke(
        "reports", "schedule", sandbox.report_id, "--frequency", "weekly", "--weekday", weekday,
        "--time", "07:30", "--timezone", "Europe/Berlin",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    schedule = sandbox.schedule()
    assert schedule is not None
    assert lines[0] == f"schedule {schedule.schedule_id} of report {sandbox.report_id} (active)"
    assert lines[1] == "weekly: At 07:30, only on Wednesday (Europe/Berlin)"
    assert lines[2] == "next runs:"
    upcoming = [datetime.fromisoformat(line.strip()) for line in lines[3:]]
    assert len(upcoming) == 5
    assert {(run.weekday(), run.hour, run.minute) for run in upcoming} == {(2, 7, 30)}
    assert (schedule.schedule_type, schedule.weekday, schedule.timezone) == (
        "weekly", 2, "Europe/Berlin",
    )  # fmt: skip


def test_schedule_again_changes_the_one_schedule_and_keeps_its_time_zone(sandbox: Sandbox) -> None:
    sandbox.invoke(
        "reports", "schedule", sandbox.report_id, "--frequency", "daily", "--timezone", "Asia/Tokyo"
    )
    first = sandbox.schedule()

    result = sandbox.invoke(
        "reports", "schedule", sandbox.report_id, "--frequency", "monthly", "--day", "15",
        "--paused",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "monthly: At 06:00, on day 15 of the month (Asia/Tokyo)" in result.stdout
    assert "next runs once resumed:" in result.stdout
    changed = sandbox.schedule()
    assert first is not None and changed is not None
    assert changed.schedule_id == first.schedule_id
    assert (changed.schedule_type, changed.day_of_month, changed.is_paused) == ("monthly", 15, True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--frequency", "hourly"], "schedule.frequency: Choose one of: daily, weekly,"),
        (["--frequency", "weekly", "--weekday", "someday"], "schedule.weekday: Choose a day"),
        (["--frequency", "monthly", "--day", "31"], "schedule.day_of_month: Choose a day between"),
        (["--frequency", "daily", "--time", "25:00"], "schedule.time_of_day: "),
        (["--frequency", "daily", "--timezone", "Mars/Olympus"], "schedule.timezone: "),
        (["--frequency", "custom"], "schedule.cron_expression: "),
    ],
    ids=["frequency", "weekday", "day", "time", "timezone", "no-cron"],
)
def test_an_invalid_schedule_exits_2_with_the_field_error_and_saves_nothing(
    sandbox: Sandbox, args: list[str], message: str
) -> None:
    result = sandbox.invoke("reports", "schedule", sandbox.report_id, *args)

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message)
    assert sandbox.schedule() is None


def test_unschedule_removes_the_schedule(sandbox: Sandbox) -> None:
    sandbox.invoke("reports", "schedule", sandbox.report_id, "--frequency", "daily")
    before = sandbox.schedule()
    assert before is not None

    removed = sandbox.invoke("reports", "unschedule", sandbox.report_id)
    again = sandbox.invoke("reports", "unschedule", sandbox.report_id)

    assert removed.exit_code == 0, removed.output
    assert (
        removed.stdout == f"schedule {before.schedule_id} removed from report {sandbox.report_id}\n"
    )
    assert sandbox.schedule() is None
    assert again.exit_code == 0, again.output
    assert again.stdout == f"report {sandbox.report_id} has no schedule\n"


# -- list ---------------------------------------------------------------------------------


def test_list_shows_each_report_with_how_it_runs(sandbox: Sandbox) -> None:
    sandbox.invoke("reports", "schedule", sandbox.report_id, "--frequency", "weekly")

    table = sandbox.invoke("reports", "list")
    listing = sandbox.invoke("reports", "list", "--json")

    assert table.exit_code == 0, table.output
    header, row = map(_cells, table.stdout.splitlines())
    assert header == ["ID", "NAME", "TEMPLATE", "INSTANCE", "RUNS", "STATE", "LAST RUN", "NEXT RUN"]
    assert row[:5] == [sandbox.report_id, "Sales by day", "sales_by_day", "sales", "weekly"]
    assert row[5:7] == ["active", "-"]  # never run yet
    [report] = json.loads(listing.stdout)
    assert (report["report_id"], report["run_kind"], report["state"]) == (
        sandbox.report_id, "weekly", "active",
    )  # fmt: skip
    assert report["next_run_at"] is not None

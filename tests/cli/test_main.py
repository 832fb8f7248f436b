"""The `reportbuilder` command: help everywhere, migrations both ways, and `run` end to end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import click
import psutil
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from cli import main
from cli.supervisor import free_port
from db import migrate
from db.models import ROLES, InstanceAccess, User
from db.session import make_engine
from services.users import authenticate_password, authenticate_token
from tests.factories import PROJECT_ROOT, TEST_SECRET_KEY, create_instance, create_template

#: The environment variables `reportbuilder run` must not inherit from the test run.
SETTINGS_VARIABLES = (
    "DATA_DIR",
    "DEMO_SCALE",
    "DATABASE_URL",
    "REDIS_URL",
    "RESULTS_DIR",
    "SECRET_KEY",
    "WEB_HOST",
    "WEB_PORT",
    "DEMO_INSTANCE",
)
#: The brief's promise: `make run` serves the app within 90 s.
RUN_START_TIMEOUT_S = 90


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _command_paths(command, (*prefix, name))


ALL_COMMANDS = [(), *_command_paths(main)]


def test_the_documented_commands_exist() -> None:
    assert {" ".join(path) for path in ALL_COMMANDS} >= {
        "db",
        "db upgrade",
        "db downgrade",
        "db current",
        "seed-demo",
        "worker",
        "scheduler",
        "web",
        "run",
        "execute",
        "templates",
        "create-user",
        "create-token",
    }


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda path: " ".join(path) or "reportbuilder")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    assert "--embedded" not in result.output


def test_db_upgrade_then_downgrade_base(empty_database_url: str) -> None:
    runner = CliRunner(env={"DATABASE_URL": empty_database_url})

    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert {"instances", "query_templates", "report_executions"} <= _tables(empty_database_url)
    current = runner.invoke(main, ["db", "current"])
    assert current.exit_code == 0, current.output
    assert f"current: {migrate.head_revision()}" in current.output
    assert "up to date" in current.output

    downgraded = runner.invoke(main, ["db", "downgrade", "base"])
    assert downgraded.exit_code == 0, downgraded.output
    assert _tables(empty_database_url) <= {"alembic_version"}
    again = runner.invoke(main, ["db", "upgrade"])
    assert again.exit_code == 0, again.output


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_seed_demo_migrates_and_creates_the_demo_once(tmp_path: Path) -> None:
    runner = CliRunner(env={"DATA_DIR": str(tmp_path), "DATABASE_URL": None, "RESULTS_DIR": None})

    first = runner.invoke(main, ["seed-demo", "--scale", "0.02"])
    second = runner.invoke(main, ["seed-demo"])  # keeps the warehouse's scale

    assert first.exit_code == 0, first.output
    assert "demo instance 'demo' created" in first.output
    assert second.exit_code == 0, second.output
    assert "already present" in second.output
    assert (tmp_path / "demo.duckdb").is_file()


def test_a_worker_needs_redis_url() -> None:
    result = CliRunner(env={"REDIS_URL": None, "SECRET_KEY": TEST_SECRET_KEY}).invoke(
        main, ["worker", "--burst"]
    )

    assert result.exit_code == 1
    assert "REDIS_URL is not set" in result.output


@pytest.mark.parametrize("command", [["worker", "--burst"], ["scheduler", "--burst"], ["web"]])
def test_standalone_processes_refuse_the_embedded_secret_key(command: list[str]) -> None:
    result = CliRunner(env={"REDIS_URL": "redis://127.0.0.1:1/0", "SECRET_KEY": None}).invoke(
        main, command
    )

    assert result.exit_code == 1
    assert "SECRET_KEY is not set" in result.output


def test_a_worker_refuses_an_unknown_queue() -> None:
    result = CliRunner(
        env={"REDIS_URL": "redis://127.0.0.1:1/0", "SECRET_KEY": TEST_SECRET_KEY}
    ).invoke(main, ["worker", "--queue", "nope"])

    assert result.exit_code == 2
    assert "unknown queue" in result.output


# -- templates ----------------------------------------------------------------------------


def _invoke(database_url: str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url}, input=input)


def test_templates_json_lists_each_template_with_its_parameter_definitions(
    session: Session, database_url: str
) -> None:
    create_template(
        session=session,
        template_id="sales_by_region",
        name="Sales by region",
        category="Sales",
        report_type="table",
        description="Sales per region.",
        min_data_age_days=14,
        sql_template="SELECT {{ region }} AS region, {{ top }} AS top",
        parameter_definitions=[
            {"name": "region", "type": "text", "label": "Region", "required": True,
             "default": "north"},
            {"name": "top", "type": "integer", "label": "Top", "min": 1, "default": 10},
        ],
    )  # fmt: skip
    create_template(session=session, template_id="plain", name="A plain one", category="Basics")
    session.commit()

    result = _invoke(database_url, "templates", "--json")

    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    assert [t["template_id"] for t in listing] == ["plain", "sales_by_region"]  # category order
    sales = listing[1]
    assert {k: v for k, v in sales.items() if k != "parameter_definitions"} == {
        "template_id": "sales_by_region",
        "name": "Sales by region",
        "category": "Sales",
        "report_type": "table",
        "description": "Sales per region.",
        "min_data_age_days": 14,
    }
    assert sales["parameter_definitions"] == [
        {"name": "region", "type": "text", "label": "Region", "required": True,
         "default": "north"},
        {"name": "top", "type": "integer", "label": "Top", "required": False, "default": 10,
         "min": 1},
    ]  # fmt: skip
    assert listing[0]["parameter_definitions"] == []


def test_templates_prints_a_table_of_id_name_category_type_and_parameter_count(
    session: Session, database_url: str
) -> None:
    create_template(
        session=session,
        template_id="sales_by_region",
        name="Sales by region",
        category="Sales",
        report_type="table",
        sql_template="SELECT {{ region }} AS region",
        parameter_definitions=[{"name": "region", "type": "text", "label": "Region"}],
    )
    session.commit()

    result = _invoke(database_url, "templates")

    assert result.exit_code == 0, result.output
    assert result.stdout.split("\n")[:2] == [
        "ID               NAME             CATEGORY  REPORT TYPE  PARAMETERS",
        "sales_by_region  Sales by region  Sales     table        1",
    ]


def test_templates_on_a_database_without_schema_says_how_to_create_it(tmp_path: Path) -> None:
    result = _invoke(f"sqlite:///{tmp_path / 'empty.db'}", "templates")

    assert result.exit_code == 1
    assert "no schema yet: run `reportbuilder db upgrade`" in result.stderr


# -- users and tokens ---------------------------------------------------------------------


def _user(session: Session, email: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


def test_create_user_with_a_password_and_instances(session: Session, database_url: str) -> None:
    instance = create_instance(session=session, instance_id="sales")
    session.commit()

    result = _invoke(
        database_url, "create-user", "Ana@Example.com", "--role", "analyst",
        "--password", "correct horse", "--name", "Ana", "--instance", "sales",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("created analyst ana@example.com (usr_")
    user = _user(session, "ana@example.com")
    assert user is not None
    assert (user.role, user.name) == ("analyst", "Ana")
    assert session.get(InstanceAccess, (user.id, instance.id)) is not None
    assert authenticate_password(session=session, email="ana@example.com", password="correct horse")


def test_create_user_prompts_for_the_password_twice_and_asks_again_when_too_short(
    session: Session, database_url: str
) -> None:
    result = _invoke(
        database_url,
        "create-user", "bo@example.com", "--role", "viewer",
        input="short\nlong enough\nnot the same\nlong enough\nlong enough\n",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Use at least 8 characters." in result.output
    assert "The two entered values do not match." in result.output
    assert "long enough" not in result.output  # hidden input is not echoed
    actor = authenticate_password(session=session, email="bo@example.com", password="long enough")
    assert actor is not None
    assert actor.role == "viewer"


def test_create_user_without_a_password_makes_a_token_only_account(
    session: Session, database_url: str
) -> None:
    result = _invoke(database_url, "create-user", "bot@example.com", "--role", "analyst",
                     "--no-password")  # fmt: skip

    assert result.exit_code == 0, result.output
    user = _user(session, "bot@example.com")
    assert user is not None
    assert user.password_hash is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ana@example.com", "--role", "boss"], "choose one of: admin, analyst, viewer"),
        (["ana@example.com"], "Missing option '--role'"),
        (["not-an-email", "--role", "viewer"], "email: Enter an e-mail address"),
        (["ana@example.com", "--role", "viewer", "--password", "short"], "password: Use at least"),
        (["ana@example.com", "--role", "viewer", "--instance", "nope"],
         "instance: Instance 'nope' was not found."),
        (["system@reportbuilder.local", "--role", "viewer"], "reserved"),
        (["ana@example.com", "--role", "viewer", "--password", "long enough", "--no-password"],
         "exclude each other"),
    ],
    ids=["role", "no-role", "email", "password", "instance", "reserved", "both-passwords"],
)  # fmt: skip
def test_create_user_refuses_invalid_input_with_exit_2_and_creates_nothing(
    session: Session, database_url: str, args: list[str], message: str
) -> None:
    result = _invoke(database_url, "create-user", *args, input="long enough\nlong enough\n")

    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert _user(session, "ana@example.com") is None


def test_create_user_refuses_a_duplicate_email(session: Session, database_url: str) -> None:
    first = _invoke(database_url, "create-user", "ana@example.com", "--role", "viewer",
                    "--no-password")  # fmt: skip
    again = _invoke(database_url, "create-user", "ANA@example.com", "--role", "admin",
                    "--no-password")  # fmt: skip

    assert first.exit_code == 0, first.output
    assert again.exit_code == 2
    assert "exists already" in again.stderr
    user = _user(session, "ana@example.com")
    assert user is not None
    assert user.role == "viewer"


def test_create_user_help_names_every_role() -> None:
    result = CliRunner().invoke(main, ["create-user", "--help"])

    assert f"--role {'|'.join(ROLES)}" in result.output


def test_create_token_prints_only_a_token_that_authenticates_and_replaces_the_last(
    session: Session, database_url: str
) -> None:
    _invoke(database_url, "create-user", "ana@example.com", "--role", "analyst", "--no-password")

    first = _invoke(database_url, "create-token", "ana@example.com")
    second = _invoke(database_url, "create-token", "Ana@example.com")

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    token = second.stdout.strip()
    assert second.stdout == token + "\n"  # nothing else: TOKEN=$(reportbuilder create-token …)
    assert "shown once" in second.stderr
    actor = authenticate_token(session=session, token=token)
    assert actor is not None
    assert actor.email == "ana@example.com"
    assert authenticate_token(session=session, token=first.stdout.strip()) is None


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@example.com", "User 'nobody@example.com' was not found."),
        ("system@reportbuilder.local", "it has no API token"),
    ],
    ids=["unknown", "system"],
)
def test_create_token_for_an_unknown_or_system_user_exits_2(
    database_url: str, email: str, message: str
) -> None:
    result = _invoke(database_url, "create-token", email)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr


# -- `reportbuilder run`, as a real process ----------------------------------------------


def _web_app_exists() -> bool:
    try:
        from app import create_app  # noqa: F401
    except ImportError:
        return False
    return True


needs_web_app = pytest.mark.skipif(
    not _web_app_exists(), reason="app.create_app (the web app) is not written yet"
)


class RunProcess:
    """`reportbuilder run` started as a child of the test, its output in a file."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = data_dir.parent / "run.log"
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
        env.update(
            DATA_DIR=str(data_dir), WEB_PORT=str(self.port), DEMO_SCALE="0.02", PYTHONUNBUFFERED="1"
        )
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "run"],
                env=env,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def wait_until_serving(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"run exited early:\n{self.log()}"
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        pytest.fail(f"{self.url} did not answer 200 within {timeout} s:\n{self.log()}")

    def descendants(self) -> list[psutil.Process]:
        children: list[psutil.Process] = psutil.Process(self.process.pid).children(recursive=True)
        return children

    def kill_everything(self) -> None:
        if self.process.poll() is None:
            for child in self.descendants():
                child.kill()
            self.process.kill()
            self.process.wait()


def _role(cmdline: list[str]) -> str:
    """`web`, `worker` or `scheduler` for `python -m cli ROLE …`; `redis` for the server."""
    if "cli" in cmdline:
        return cmdline[cmdline.index("cli") + 1]
    return "redis" if "redis-server" in cmdline[0] else cmdline[0]


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    return [p for p in processes if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def _wait_gone(processes: list[psutil.Process], timeout: float = 10) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while _alive(processes) and time.monotonic() < deadline:
        time.sleep(0.2)
    return _alive(processes)


@pytest.fixture
def run_process(tmp_path: Path) -> Iterator[RunProcess]:
    run = RunProcess(tmp_path / "data")
    try:
        yield run
    finally:
        run.kill_everything()


@needs_web_app
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_run_serves_the_app_and_stops_every_child_on_a_signal(
    run_process: RunProcess, signum: signal.Signals
) -> None:
    run_process.wait_until_serving(RUN_START_TIMEOUT_S)
    children = psutil.Process(run_process.process.pid).children()
    roles = sorted(_role(child.cmdline()) for child in children)
    assert roles == ["redis", "scheduler", "web", "worker"]
    everything = run_process.descendants()

    run_process.process.send_signal(signum)

    assert run_process.process.wait(timeout=60) == 0, run_process.log()
    assert _wait_gone(everything) == [], run_process.log()
    assert "stopped" in run_process.log()


@needs_web_app
def test_run_stops_the_rest_and_fails_when_a_child_dies(run_process: RunProcess) -> None:
    run_process.wait_until_serving(RUN_START_TIMEOUT_S)
    everything = run_process.descendants()
    worker = next(
        p for p in psutil.Process(run_process.process.pid).children() if "worker" in p.cmdline()
    )

    worker.kill()

    assert run_process.process.wait(timeout=60) == 1, run_process.log()
    assert _wait_gone(everything) == [], run_process.log()
    assert "worker exited with code -9" in run_process.log()

"""The `reportbuilder` command: help everywhere, migrations both ways, and `run` end to end."""

from __future__ import annotations

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
from click.testing import CliRunner
from sqlalchemy import inspect

from cli import main
from db import migrate
from db.session import make_engine
from tests.workers.helpers import PROJECT_ROOT, TEST_SECRET_KEY
from workers.supervisor import free_port

#: The environment variables `reportbuilder run` must not inherit from the test run.
SETTINGS_VARIABLES = (
    "DATA_DIR",
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

    first = runner.invoke(main, ["seed-demo"])
    second = runner.invoke(main, ["seed-demo"])

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
        env.update(DATA_DIR=str(data_dir), WEB_PORT=str(self.port), PYTHONUNBUFFERED="1")
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
        return psutil.Process(self.process.pid).children(recursive=True)

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

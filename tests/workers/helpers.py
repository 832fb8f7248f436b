"""Helpers for worker tests: small DuckDB files and `reportbuilder` child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: A SECRET_KEY for processes that refuse the embedded one.
TEST_SECRET_KEY = "test-secret-key-not-the-embedded-one"


def make_sales_database(path: Path, *, first_day: date, days: int) -> Path:
    """A DuckDB file with `sales(day, region, amount)`: two regions, amounts known in advance."""
    connection = duckdb.connect(str(path))
    try:
        connection.execute("CREATE TABLE sales (day DATE, region VARCHAR, amount BIGINT)")
        rows = [
            (first_day + timedelta(days=offset), region, offset * 10 + index)
            for offset in range(days)
            for index, region in enumerate(("north", "south"))
        ]
        connection.executemany("INSERT INTO sales VALUES (?, ?, ?)", rows)
    finally:
        connection.close()
    return path


def reportbuilder(
    *args: str, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `reportbuilder ARGS` as a real child process with `env` added to ours."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env={**os.environ, "SECRET_KEY": TEST_SECRET_KEY, **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Processes:
    """`reportbuilder` child processes, stopped at the end of the test."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {**os.environ, **env}
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            env=self.env,
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

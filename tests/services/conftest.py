"""A small world for service tests: a DuckDB instance, a template, and one user per role."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from db.models import QueryTemplate
from services.instances import save_instance
from services.results import ResultsStore
from services.users import Actor, create_user
from tests.workers.helpers import PROJECT_ROOT, TEST_SECRET_KEY

#: Rows of the test warehouse's table `numbers`: x = 0 … NUMBERS-1, one per day back from
#: the fixed day below.
NUMBERS = 500

SQL_NUMBERS = """
SELECT x, label
FROM numbers
WHERE x < {{ below }}
  AND day >= CAST({{ window_start }} AS DATE) AND day < CAST({{ window_end }} AS DATE)
ORDER BY x
"""


@dataclass(frozen=True)
class World:
    owner: Actor
    other: Actor
    viewer: Actor
    admin: Actor
    instance_id: str
    template_id: str
    warehouse: Path


def make_warehouse(path: Path) -> Path:
    connection = duckdb.connect(str(path))
    connection.execute(
        f"CREATE TABLE numbers AS SELECT range AS x, 'n' || range AS label, "
        f"current_date - CAST(range AS INTEGER) - 3 AS day FROM range({NUMBERS})"
    )
    connection.close()
    return path


def add_template(session: Session, template_id: str, sql: str, **fields: object) -> None:
    session.add(
        QueryTemplate(
            template_id=template_id,
            name=template_id.replace("_", " ").title(),
            sql_template=sql,
            parameter_definitions=fields.pop(
                "parameter_definitions",
                [{"name": "below", "type": "integer", "min": 0, "default": 1000}],
            ),
            report_config={"widgets": [{"type": "table", "title": "Rows", "config": {}}]},
            **fields,
        )
    )
    session.commit()


@pytest.fixture
def world(session: Session, tmp_path: Path) -> World:
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    save_instance(
        session=session,
        secret_key=TEST_SECRET_KEY,
        instance_id="wh",
        name="Warehouse",
        engine="duckdb",
        connection_url=f"duckdb:///{warehouse}",
        data_lag_days=2,
        statement_timeout_seconds=60,
    )
    add_template(session, "numbers", SQL_NUMBERS)
    users = {
        role: create_user(session=session, email=f"{role}@example.com", role=r, instance_ids=ids)
        for role, r, ids in [
            ("owner", "analyst", ["wh"]),
            ("other", "analyst", ["wh"]),
            ("viewer", "viewer", ["wh"]),
            ("admin", "admin", []),
        ]
    }
    session.commit()
    return World(**users, instance_id="wh", template_id="numbers", warehouse=warehouse)


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def store(tmp_path: Path) -> ResultsStore:
    return ResultsStore(tmp_path / "results")


@pytest.fixture
def worker_env(database_url: str, redis_url: str, store: ResultsStore) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RESULTS_DIR": str(store.root),
        "SECRET_KEY": TEST_SECRET_KEY,
    }


def run_worker_burst(env: dict[str, str]) -> None:
    """Run a real `reportbuilder worker --burst` process until the queues are empty."""
    done = subprocess.run(
        [sys.executable, "-m", "cli", "worker", "--burst"],
        env={**os.environ, **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture
def background_worker(worker_env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """A real worker process serving the queues for the whole test."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "worker"],
        env={**os.environ, **worker_env},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(condition: Callable[[], bool], *, timeout: float = 30, interval: float = 0.1) -> float:
    """Seconds it took for `condition` to hold; fails the test after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)
    return time.monotonic() - start


def session_factory_for(session: Session) -> sessionmaker[Session]:
    return sessionmaker(session.get_bind(), expire_on_commit=False)

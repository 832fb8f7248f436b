"""Fixtures every test folder shares: real SQLite and PostgreSQL metadata databases, real
Redis, the service world, and real worker processes.

The schema is migrated once per test session and backend; each test's database is a
clone of it (a copied SQLite file, or PostgreSQL's `CREATE DATABASE … TEMPLATE`), so a test
pays milliseconds, not an Alembic upgrade. Where the servers are: tests/databases.py.
Helpers that build rows and worlds: tests/factories.py.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db import migrate
from db.session import make_engine, make_session_factory
from services.results import ResultsStore
from tests.databases import (
    SKIP_POSTGRES,
    create_postgres_database,
    drop_postgres_database,
    migrated_sqlite_url,
    redis_test_url,
)
from tests.factories import PROJECT_ROOT, TEST_SECRET_KEY, World, build_world

#: The Hypothesis storage this run made (None: the environment named one, or a worker's).
_hypothesis_storage: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Hypothesis keeps its caches (constants, unicode data) and example database under
    ./.hypothesis even with `database=None`: send them to a temporary directory instead, so
    a test run leaves the tree as it found it. Set before collection, which may touch them;
    pytest-xdist workers inherit the variable and share the directory."""
    global _hypothesis_storage
    if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
        _hypothesis_storage = tempfile.mkdtemp(prefix="reportbuilder-hypothesis-")
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = _hypothesis_storage


def pytest_unconfigure(config: pytest.Config) -> None:
    if _hypothesis_storage is not None:
        shutil.rmtree(_hypothesis_storage, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The metadata database backend of the test: once "sqlite", once "postgresql"."""
    if request.param == "postgresql" and SKIP_POSTGRES:
        pytest.skip("no PostgreSQL server binaries on this machine (see make test's output)")
    return str(request.param)


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty metadata database: once on SQLite, once on PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.db'}"
        return
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite metadata database migrated to head once per test session, to copy from."""
    path = tmp_path_factory.mktemp("migrated") / "metadata.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrated_postgres_template() -> Iterator[str]:
    """The name of a PostgreSQL database migrated to head once per session, to clone from."""
    url = create_postgres_database()
    migrate.upgrade(url)
    try:
        yield str(make_url(url).database)
    finally:
        drop_postgres_database(url)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A metadata database migrated to head, on SQLite and on PostgreSQL."""
    if backend == "sqlite":
        yield migrated_sqlite_url(request, tmp_path)
        return
    url = create_postgres_database(template=request.getfixturevalue("migrated_postgres_template"))
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real Redis database, flushed before and after the test."""
    url = redis_test_url()
    client = Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def world(session: Session, tmp_path: Path) -> World:
    """A DuckDB instance, a template and one user per role (tests/factories.build_world)."""
    return build_world(session, tmp_path)


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

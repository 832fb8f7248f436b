"""Shared fixtures: real SQLite and PostgreSQL metadata databases, real Redis.

PostgreSQL: TEST_POSTGRES_URL names a server (default: the local one on 5432); each test
gets a database of its own, created and dropped around it. Redis: TEST_REDIS_URL (default:
database 15 of the local server), flushed before and after each test. `make test` starts
private servers where the default ones do not answer and points these variables at them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db import migrate
from db.session import make_engine, make_session_factory

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"

#: When set to 1 (by `make test` where no PostgreSQL binaries exist), PostgreSQL cases skip.
SKIP_POSTGRES = os.environ.get("TEST_SKIP_POSTGRES") == "1"


def postgres_server_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL") or DEFAULT_TEST_POSTGRES_URL


def create_postgres_database() -> str:
    """Create an empty database on the test server and return its URL."""
    server = make_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
    name = f"rbtest_{uuid.uuid4().hex[:12]}"
    try:
        with server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()
    return make_url(postgres_server_url()).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    server = make_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        server.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty metadata database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'metadata.db'}"
        return
    if SKIP_POSTGRES:
        pytest.skip("no PostgreSQL server binaries on this machine (see make test's output)")
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A metadata database migrated to head, on SQLite and on PostgreSQL."""
    migrate.upgrade(empty_database_url)
    return empty_database_url


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
    import redis

    url = os.environ.get("TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()

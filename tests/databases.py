"""Where the tests' real servers are, and how a test gets a database of its own.

PostgreSQL: TEST_POSTGRES_URL names a server (default: the local one on 5432). Redis:
TEST_REDIS_URL (default: database 15 of the local server); under pytest-xdist each worker
takes a database of its own below it (gw0 → 15, gw1 → 14, …). `make test` starts private
servers where the default ones do not answer and points these variables at them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.session import make_engine

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"

#: When set to 1 (by `make test` where no PostgreSQL binaries exist), PostgreSQL cases skip.
SKIP_POSTGRES = os.environ.get("TEST_SKIP_POSTGRES") == "1"


def postgres_server_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL") or DEFAULT_TEST_POSTGRES_URL


def redis_test_url() -> str:
    """The Redis database of this test process (one per pytest-xdist worker)."""
    url = os.environ.get("TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    base, _, number = url.rstrip("/").rpartition("/")
    database = int(number) - int(worker[2:])
    if database < 1:
        raise RuntimeError(f"no Redis database left below {url} for pytest-xdist worker {worker}")
    return f"{base}/{database}"


def create_postgres_database(template: str | None = None) -> str:
    """Create a database on the test server (empty, or a copy of `template`); its URL."""
    server = make_engine(postgres_server_url(), isolation_level="AUTOCOMMIT")
    name = f"rbtest_{uuid.uuid4().hex[:12]}"
    copy_of = f' TEMPLATE "{template}"' if template else ""
    try:
        with server.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy_of}'))
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


def migrated_sqlite_url(request: pytest.FixtureRequest, folder: Path) -> str:
    """A new SQLite metadata database at head in `folder` (a copy of the session's)."""
    path = folder / "metadata.db"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
    return f"sqlite:///{path}"

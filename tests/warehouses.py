"""Real warehouses for engine, service and browser tests: a PostgreSQL and a MariaDB database,
created and filled per test, dropped after.

MariaDB: TEST_MARIADB_URL names a server where root may create databases (default: the local
one on 127.0.0.1:3306, root without a password); `make test` sets it, or TEST_SKIP_MARIADB=1
where no MariaDB can run. Import the fixtures where they are used:
`from tests.warehouses import mariadb_warehouse_fixture  # noqa: F401` (the fixture is
named `mariadb_warehouse`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.session import make_engine
from tests.databases import SKIP_POSTGRES, create_postgres_database, drop_postgres_database

DEFAULT_TEST_MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/"
#: Set to 1 by `make test` where no MariaDB server answers or can be started.
SKIP_MARIADB = os.environ.get("TEST_SKIP_MARIADB") == "1"
#: The small table every warehouse holds: `campaigns` (id, name, spend, starts_on, created_at).
CAMPAIGNS = [
    (1, "Spring sale", "120.50", "2026-03-01", "2026-03-01 08:00:00"),
    (2, "Summer sale", "80.25", "2026-06-01", "2026-06-01 09:30:00"),
    (3, "Winter sale", "0.00", "2026-12-01", "2026-12-01 10:45:00"),
]
_CREATE = (
    "CREATE TABLE campaigns (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, "
    "spend DECIMAL(10, 2), starts_on DATE, created_at {timestamp})"
)


def mariadb_server_url() -> str:
    return os.environ.get("TEST_MARIADB_URL") or DEFAULT_TEST_MARIADB_URL


def mariadb_connect(database: str | None = None) -> Any:
    """A PyMySQL connection (autocommit) to the test server, or None when none answers."""
    import pymysql

    url = make_url(mariadb_server_url())
    try:
        return pymysql.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 3306,
            user=url.username or "root",
            password=url.password or "",
            database=database,
            autocommit=True,
            connect_timeout=3,
        )
    except pymysql.Error:
        return None


def mariadb_database_url(database: str) -> str:
    return (
        make_url(mariadb_server_url()).set(database=database).render_as_string(hide_password=False)
    )


@pytest.fixture(name="mariadb_warehouse")
def mariadb_warehouse_fixture() -> Iterator[str]:
    """The URL of a new MariaDB database holding `campaigns`; dropped after the test."""
    if SKIP_MARIADB:
        pytest.skip("TEST_SKIP_MARIADB=1: no MariaDB server on this machine (see make test)")
    server = mariadb_connect()
    if server is None:
        pytest.skip(
            f"NO MARIADB answers at {make_url(mariadb_server_url()).host}: MariaDB tests skipped "
            "(run them through `make test`, which starts one where it is installed)"
        )
    name = f"rbtest_{uuid.uuid4().hex[:12]}"
    try:
        with server.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            cursor.execute(f"USE `{name}`")
            cursor.execute(_CREATE.format(timestamp="DATETIME"))
            cursor.executemany("INSERT INTO campaigns VALUES (%s, %s, %s, %s, %s)", CAMPAIGNS)
        yield mariadb_database_url(name)
    finally:
        with server.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        server.close()


@pytest.fixture(name="postgres_warehouse")
def postgres_warehouse_fixture() -> Iterator[str]:
    """The URL of a new PostgreSQL database holding `campaigns` and a sequence `seq`."""
    if SKIP_POSTGRES:
        pytest.skip("no PostgreSQL server binaries on this machine (see make test's output)")
    url = create_postgres_database()
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(_CREATE.format(timestamp="TIMESTAMP")))
            connection.execute(text("CREATE SEQUENCE seq"))
            for row in CAMPAIGNS:
                connection.execute(
                    text(
                        "INSERT INTO campaigns VALUES (:id, :name, CAST(:spend AS NUMERIC), "
                        "CAST(:day AS DATE), CAST(:at AS TIMESTAMP))"
                    ),
                    dict(zip(("id", "name", "spend", "day", "at"), row, strict=True)),
                )
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        drop_postgres_database(url)

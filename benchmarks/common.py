"""What the benchmarks share: a throwaway PostgreSQL metadata database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.session import make_engine

#: The server benchmarks create their database on (TEST_POSTGRES_URL overrides it).
DEFAULT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def metadata_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    server_url = os.environ.get("TEST_POSTGRES_URL") or DEFAULT_SERVER_URL
    name = f"rbbench_{uuid.uuid4().hex[:8]}"
    server = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()

"""PostgreSQL through psycopg 3: a read-only transaction and a server-side cursor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pyarrow as pa
from sqlalchemy.engine import make_url

from services.engines.base import Column, Convert, Engine, RunningQuery, failure, record_batches
from services.errors import EngineError

#: Arrow types for common PostgreSQL type OIDs, with how to convert each value.
_TYPES: dict[int, tuple[pa.DataType, Convert]] = {
    16: (pa.bool_(), None),
    20: (pa.int64(), None),
    21: (pa.int16(), None),
    23: (pa.int32(), None),
    700: (pa.float32(), None),
    701: (pa.float64(), None),
    1700: (pa.float64(), float),  # numeric: Decimal → float, as dashboards need
    1082: (pa.date32(), None),
    1114: (pa.timestamp("us"), None),
    1184: (pa.timestamp("us", tz="UTC"), None),
    25: (pa.string(), None),
    1043: (pa.string(), None),
    1042: (pa.string(), None),
    19: (pa.string(), None),
    2950: (pa.string(), str),  # uuid
    114: (pa.string(), json.dumps),  # json
    3802: (pa.string(), json.dumps),  # jsonb
}
_FALLBACK: tuple[pa.DataType, Convert] = (pa.string(), str)


def conninfo(url: str) -> str:
    """A libpq URL from a SQLAlchemy one (``postgresql+psycopg://`` → ``postgresql://``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgreSQLEngine(Engine):
    dialect = "postgresql"

    def connect(self, timeout: float | None = None) -> psycopg.Connection[Any]:
        options = f"-c statement_timeout={int(timeout * 1000)}" if timeout else ""
        try:
            connection = psycopg.connect(conninfo(self.url), options=options, connect_timeout=10)
        except psycopg.Error as error:
            # The URL may hold a password: say what failed, not where.
            raise EngineError(
                f"Cannot connect to the PostgreSQL instance: {_first_line(error)}"
            ) from None
        connection.read_only = True
        return connection

    def execute(
        self,
        sql: str,
        binds: dict[str, Any],
        timeout: float,
        running: RunningQuery | None = None,
    ) -> Iterator[pa.RecordBatch]:
        running = running or RunningQuery()
        connection = self.connect(timeout)
        running.engine_execution_id = f"pg:{connection.info.backend_pid}"
        running._interrupt = connection.cancel_safe
        try:
            with connection.transaction(), connection.cursor(name="reportbuilder") as cursor:
                try:
                    cursor.execute(sql, binds)
                    assert cursor.description is not None
                    columns = [
                        Column(c.name, *_TYPES.get(c.type_code, _FALLBACK))
                        for c in cursor.description
                    ]
                    yield from record_batches(cursor.fetchmany, columns, self.batch_rows)
                except psycopg.Error as error:
                    # statement_timeout and our cancel both end the query as QueryCanceled.
                    stopped = isinstance(error, psycopg.errors.QueryCanceled)
                    raise failure(
                        running=running,
                        timeout=timeout,
                        timed_out=stopped and not running.cancelled.is_set(),
                        message=_first_line(error),
                    ) from None
        finally:
            running._interrupt = None
            connection.close()

    def cancel_remote(self, engine_execution_id: str) -> bool:
        kind, _, pid = engine_execution_id.partition(":")
        if kind != "pg" or not pid.isdigit():
            return False
        with psycopg.connect(conninfo(self.url), connect_timeout=10, autocommit=True) as connection:
            row = connection.execute("SELECT pg_cancel_backend(%s)", (int(pid),)).fetchone()
        return bool(row and row[0])


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]

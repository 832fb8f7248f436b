"""DuckDB files, read-only, with no access to anything outside the database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy.engine import make_url

from services.engines.base import (
    BATCH_ROWS,
    CANCELLED_MESSAGE,
    Deadline,
    Engine,
    EngineError,
    QueryCancelled,
    QueryTimeout,
    RunningQuery,
    timeout_message,
)


class DuckDBEngine(Engine):
    dialect = "duckdb"

    @property
    def path(self) -> str:
        database = make_url(self.url).database
        if not database:
            raise EngineError("a DuckDB instance needs a file: duckdb:////path/to/file.duckdb")
        return database

    def connect(self) -> duckdb.DuckDBPyConnection:
        try:
            connection = duckdb.connect(
                self.path,
                read_only=True,
                # Templates read this database only: no files, extensions or URLs.
                config={"enable_external_access": False, "threads": 2},
            )
        except duckdb.Error as error:
            raise EngineError(f"Cannot open the DuckDB database: {error}") from None
        connection.execute("SET TimeZone = 'UTC'")
        return connection

    def execute(
        self,
        sql: str,
        binds: dict[str, Any],
        timeout: float,
        running: RunningQuery | None = None,
    ) -> Iterator[pa.RecordBatch]:
        running = running or RunningQuery()
        connection = self.connect()
        running._interrupt = connection.interrupt
        try:
            with Deadline(timeout, connection.interrupt) as deadline:
                try:
                    reader = connection.sql(sql, params=binds).to_arrow_reader(BATCH_ROWS)
                    empty = True
                    for batch in reader:
                        empty = False
                        yield batch
                    if empty:  # still one batch, so the result's columns are known
                        yield pa.RecordBatch.from_pylist([], schema=reader.schema)
                except duckdb.InterruptException:
                    if deadline.expired.is_set():
                        raise QueryTimeout(timeout_message(timeout)) from None
                    raise QueryCancelled(CANCELLED_MESSAGE) from None
                except duckdb.Error as error:
                    if running.cancelled.is_set():
                        raise QueryCancelled(CANCELLED_MESSAGE) from None
                    if deadline.expired.is_set():
                        raise QueryTimeout(timeout_message(timeout)) from None
                    raise EngineError(_readable(error)) from None
        finally:
            running._interrupt = None
            connection.close()


def _readable(error: duckdb.Error) -> str:
    return str(error).strip()

"""DuckDB files, read-only, with no access to anything outside the database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy.engine import make_url

from services.engines.base import Deadline, Engine, RunningQuery, failure
from services.errors import EngineError


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
                    # DuckDB streams Arrow batches itself: no rows to convert, so not the
                    # shared `record_batches` loop.
                    reader = connection.sql(sql, params=binds).to_arrow_reader(self.batch_rows)
                    empty = True
                    for batch in reader:
                        empty = False
                        yield batch
                    if empty:  # still one batch, so the result's columns are known
                        yield pa.RecordBatch.from_pylist([], schema=reader.schema)
                except duckdb.Error as error:
                    raise failure(
                        running=running,
                        timeout=timeout,
                        timed_out=deadline.expired.is_set(),
                        # Only an interrupt (ours or the deadline's) stops a query this way.
                        cancelled=isinstance(error, duckdb.InterruptException),
                        message=str(error).strip(),
                    ) from None
        finally:
            running._interrupt = None
            connection.close()

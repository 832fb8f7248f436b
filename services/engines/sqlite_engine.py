"""SQLite files, opened read-only."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import make_url

from services.engines.base import Column, Engine, RunningQuery, failure, record_batches
from services.errors import EngineError

#: SQLite virtual-machine steps between two looks at the clock and the cancel flag.
_PROGRESS_STEPS = 10_000


class SQLiteEngine(Engine):
    dialect = "sqlite"

    def connect(self) -> sqlite3.Connection:
        database = make_url(self.url).database
        if not database or not Path(database).is_file():
            raise EngineError("The SQLite database file does not exist.")
        # A URI, percent-encoded: a raw `#` or `?` in the path would open another file,
        # read-write, and drop `mode=ro`.
        uri = Path(database).resolve().as_uri() + "?mode=ro"
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    def execute(
        self,
        sql: str,
        binds: dict[str, Any],
        timeout: float,
        running: RunningQuery | None = None,
    ) -> Iterator[pa.RecordBatch]:
        running = running or RunningQuery()
        connection = self.connect()
        deadline = time.monotonic() + timeout
        # A non-zero return from the progress handler aborts the statement.
        connection.set_progress_handler(
            lambda: int(running.cancelled.is_set() or time.monotonic() > deadline),
            _PROGRESS_STEPS,
        )
        running._interrupt = connection.interrupt
        try:
            cursor = connection.execute(sql, binds)
            # SQLite columns have no declared type: the first batch decides each one.
            columns = [Column(c[0], None) for c in cursor.description or ()]
            yield from record_batches(cursor.fetchmany, columns, self.batch_rows)
        except sqlite3.Error as error:
            raise failure(
                running=running,
                timeout=timeout,
                # The progress handler aborts with an OperationalError ("interrupted").
                timed_out=isinstance(error, sqlite3.OperationalError)
                and not running.cancelled.is_set()
                and time.monotonic() > deadline,
                message=str(error),
            ) from None
        finally:
            running._interrupt = None
            connection.close()

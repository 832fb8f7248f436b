"""SQLite files, opened read-only."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import make_url

from services.engines.base import (
    BATCH_ROWS,
    CANCELLED_MESSAGE,
    Engine,
    EngineError,
    QueryCancelled,
    QueryTimeout,
    RunningQuery,
    timeout_message,
)

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
            names = [c[0] for c in cursor.description or ()]
            schema: pa.Schema | None = None
            while True:
                rows = cursor.fetchmany(BATCH_ROWS)
                batch = _batch(rows, names, schema)
                schema = batch.schema
                yield batch
                if not rows:
                    break
        except sqlite3.OperationalError as error:
            if running.cancelled.is_set():
                raise QueryCancelled(CANCELLED_MESSAGE) from None
            if time.monotonic() > deadline:
                raise QueryTimeout(timeout_message(timeout)) from None
            raise EngineError(str(error)) from None
        except sqlite3.Error as error:
            raise EngineError(str(error)) from None
        finally:
            running._interrupt = None
            connection.close()


def _batch(rows: list[Any], names: list[str], schema: pa.Schema | None) -> pa.RecordBatch:
    """SQLite columns have no fixed type: the first batch decides, later ones follow it."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = []
    for index, values in enumerate(columns):
        kind = schema.field(index).type if schema is not None else None
        try:
            array = pa.array(values, type=kind)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            array = pa.array([None if v is None else str(v) for v in values], type=pa.string())
        if pa.types.is_null(array.type):
            array = array.cast(pa.string())
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, names=names)

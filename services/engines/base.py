"""The engine interface, and the pieces every engine shares: the batch-streaming loop, the
deadline, and how a driver's error becomes a timeout, a cancel or an engine error."""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from services.errors import EngineError, QueryCancelled, QueryTimeout
from services.sql_templates import Dialect

#: Rows per Arrow batch while streaming a result (an engine's `batch_rows` default).
BATCH_ROWS = 50_000

CANCELLED_MESSAGE = "The query was cancelled."

#: How to turn a driver's value into what Arrow stores (Decimal → float, bytes → text…);
#: None when Arrow takes the value as it is. Never called with None.
Convert = Callable[[Any], Any] | None


@dataclass(frozen=True)
class Column:
    """A result column: its name, its Arrow type and how to convert its values.

    `type` None: the column has no declared type (SQLite); the first batch decides it.
    """

    name: str
    type: pa.DataType | None
    convert: Convert = None


@dataclass
class RunningQuery:
    """A query in flight: its engine-side id, and how to interrupt it from another thread."""

    engine_execution_id: str | None = None
    _interrupt: Callable[[], None] | None = field(default=None, repr=False)
    cancelled: threading.Event = field(default_factory=threading.Event, repr=False)

    def interrupt(self) -> None:
        self.cancelled.set()
        if self._interrupt is not None:
            self._interrupt()


class Engine(abc.ABC):
    """Runs read-only SQL on one instance."""

    dialect: Dialect
    #: Rows per streamed batch; a test sets a small one to see a result span batches.
    batch_rows: int = BATCH_ROWS

    def __init__(self, url: str) -> None:
        self.url = url

    @abc.abstractmethod
    def execute(
        self,
        sql: str,
        binds: dict[str, Any],
        timeout: float,
        running: RunningQuery | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Run `sql` with `binds` (in this engine's parameter style) and stream the result.

        At least one batch, even for an empty result, so its columns are known. `running`
        is filled in with the engine's id for the query and an interrupt hook, so another
        thread can `cancel` it. Raises QueryTimeout after `timeout` seconds.
        """

    def cancel(self, running: RunningQuery) -> None:
        """Stop a query started by `execute` in this process."""
        running.interrupt()

    def cancel_remote(self, engine_execution_id: str) -> bool:
        """Stop a query started by another process, where the engine allows it."""
        return False


def record_batches(
    fetchmany: Callable[[int], Sequence[Sequence[Any]]],
    columns: Sequence[Column],
    batch_rows: int,
) -> Iterator[pa.RecordBatch]:
    """The rows of a DB-API cursor as Arrow batches of `batch_rows` rows, all of one schema;
    an empty result is one empty batch."""
    rows = fetchmany(batch_rows)
    first = to_batch(rows, columns, None)
    yield first
    while rows := fetchmany(batch_rows):
        yield to_batch(rows, columns, first.schema)


def to_batch(
    rows: Sequence[Sequence[Any]], columns: Sequence[Column], schema: pa.Schema | None
) -> pa.RecordBatch:
    """One Arrow batch of `rows`; untyped columns follow `schema` (the first batch's)."""
    arrays = []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        if column.convert is not None:
            values = [None if v is None else column.convert(v) for v in values]
        if column.type is not None:
            arrays.append(pa.array(values, type=column.type))
        else:
            arrays.append(_untyped(values, None if schema is None else schema.field(index).type))
    return pa.RecordBatch.from_arrays(arrays, names=[c.name for c in columns])


def _untyped(values: list[Any], kind: pa.DataType | None) -> pa.Array:
    """Values of a column without a declared type: `kind` when given, else what Arrow infers;
    text when the values disagree, or are all null."""
    try:
        array = pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = pa.array([None if v is None else str(v) for v in values], type=pa.string())
    if pa.types.is_null(array.type):
        array = array.cast(pa.string())
    return array


def failure(
    *, running: RunningQuery, timeout: float, timed_out: bool, message: str, cancelled: bool = False
) -> EngineError:
    """The error to raise for a driver's error: a timeout when the engine saw the limit pass,
    a cancel when someone interrupted the query, else the engine's `message`."""
    if timed_out:
        return QueryTimeout(timeout_message(timeout))
    if cancelled or running.cancelled.is_set():
        return QueryCancelled(CANCELLED_MESSAGE)
    return EngineError(message)


class Deadline:
    """Interrupts a query when its time is up, from a timer thread."""

    def __init__(self, seconds: float, interrupt: Callable[[], None]) -> None:
        self.expired = threading.Event()
        self._timer = threading.Timer(seconds, self._fire, args=(interrupt,))
        self._timer.daemon = True

    def _fire(self, interrupt: Callable[[], None]) -> None:
        self.expired.set()
        interrupt()

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def timeout_message(seconds: float) -> str:
    return f"The query ran longer than the instance's limit of {seconds:g} seconds and was stopped."

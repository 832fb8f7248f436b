"""The loop every row-reading engine streams through, the deadline, and how a driver's error
becomes a timeout, a cancel or an engine error."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from decimal import Decimal

import pyarrow as pa
import pytest

from services.engines.base import (
    Column,
    Deadline,
    RunningQuery,
    failure,
    record_batches,
)
from services.errors import EngineError, QueryCancelled, QueryTimeout


@pytest.fixture
def connection() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    yield connection
    connection.close()


def numbers(connection: sqlite3.Connection, count: int) -> sqlite3.Cursor:
    """A DB-API cursor over x = 1 … count."""
    return connection.execute(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) "
        "SELECT x FROM n WHERE x <= ?",
        (count, count),
    )


def test_rows_stream_in_batches_of_the_configured_size(connection: sqlite3.Connection) -> None:
    rows = numbers(connection, 5)

    batches = list(record_batches(rows.fetchmany, [Column("x", pa.int64())], 2))

    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert {b.schema for b in batches} == {pa.schema([("x", pa.int64())])}
    assert pa.Table.from_batches(batches).column("x").to_pylist() == [1, 2, 3, 4, 5]


def test_a_batch_is_read_only_when_the_previous_one_is_taken(
    connection: sqlite3.Connection,
) -> None:
    fetched: list[int] = []
    rows = numbers(connection, 5)

    def fetchmany(size: int) -> list[tuple[int]]:
        fetched.append(size)
        return rows.fetchmany(size)

    batches = record_batches(fetchmany, [Column("x", pa.int64())], 2)
    next(batches)

    assert fetched == [2]


def test_an_empty_result_is_one_empty_batch_with_its_columns(
    connection: sqlite3.Connection,
) -> None:
    rows = numbers(connection, 0)
    columns = [Column("x", pa.int64()), Column("label", pa.string())]

    batches = list(record_batches(lambda size: rows.fetchmany(size), columns, 10))

    assert len(batches) == 1
    assert batches[0].num_rows == 0
    assert batches[0].schema == pa.schema([("x", pa.int64()), ("label", pa.string())])


def test_values_are_converted_and_nulls_are_left_alone(connection: sqlite3.Connection) -> None:
    seen: list[object] = []

    def to_float(value: object) -> float:
        seen.append(value)
        return float(str(value))

    rows = connection.execute("SELECT '1.25' UNION ALL SELECT NULL")
    batches = list(record_batches(rows.fetchmany, [Column("d", pa.float64(), to_float)], 10))

    assert batches[0].column(0).to_pylist() == [1.25, None]
    assert seen == ["1.25"]


def test_an_untyped_column_takes_the_first_batchs_type_and_keeps_it(
    connection: sqlite3.Connection,
) -> None:
    rows = connection.execute("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3.5")

    batches = list(record_batches(rows.fetchmany, [Column("x", None)], 2))

    assert [b.schema.field(0).type for b in batches] == [pa.int64(), pa.int64()]
    assert pa.Table.from_batches(batches).column("x").to_pylist() == [1, 2, 3]


def test_an_untyped_column_of_mixed_or_null_values_is_text(connection: sqlite3.Connection) -> None:
    rows = connection.execute("SELECT 1, NULL UNION ALL SELECT 'a', NULL")

    batch = next(record_batches(rows.fetchmany, [Column("mixed", None), Column("n", None)], 10))

    assert batch.schema == pa.schema([("mixed", pa.string()), ("n", pa.string())])
    assert batch.column(0).to_pylist() == ["1", "a"]


def test_a_typed_column_refuses_values_of_another_type(connection: sqlite3.Connection) -> None:
    rows = connection.execute("SELECT 'not a number'")

    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        list(record_batches(rows.fetchmany, [Column("x", pa.int64())], 10))


def test_a_decimal_can_become_a_float_through_its_conversion() -> None:
    rows = [(Decimal("120.50"),)]

    batch = next(record_batches(lambda _: rows, [Column("spend", pa.float64(), float)], 10))

    assert batch.column(0).to_pylist() == [120.5]


def test_a_timed_out_query_is_a_timeout_even_when_also_cancelled() -> None:
    running = RunningQuery()
    running.cancelled.set()

    error = failure(running=running, timeout=2, timed_out=True, message="stopped")

    assert isinstance(error, QueryTimeout)
    assert "limit of 2 seconds" in str(error)


def test_an_interrupted_query_is_cancelled() -> None:
    flagged = RunningQuery()
    flagged.cancelled.set()

    assert isinstance(
        failure(running=flagged, timeout=2, timed_out=False, message="x"), QueryCancelled
    )
    assert isinstance(
        failure(running=RunningQuery(), timeout=2, timed_out=False, message="x", cancelled=True),
        QueryCancelled,
    )


def test_any_other_failure_is_an_engine_error_with_the_engines_message() -> None:
    error = failure(running=RunningQuery(), timeout=2, timed_out=False, message="no such table")

    assert type(error) is EngineError
    assert str(error) == "no such table"


def test_interrupting_a_running_query_sets_its_flag_and_calls_its_hook() -> None:
    called = threading.Event()
    running = RunningQuery(_interrupt=called.set)

    running.interrupt()

    assert running.cancelled.is_set() and called.is_set()


def test_a_deadline_interrupts_once_its_time_is_up() -> None:
    interrupted = threading.Event()

    with Deadline(0.05, interrupted.set) as deadline:
        assert interrupted.wait(timeout=5)

    assert deadline.expired.is_set()


def test_a_deadline_left_in_time_never_interrupts() -> None:
    interrupted = threading.Event()

    with Deadline(0.2, interrupted.set) as deadline:
        pass
    deadline._timer.join(timeout=5)  # a cancelled timer ends at once, without firing

    assert not deadline._timer.is_alive()
    assert not interrupted.is_set() and not deadline.expired.is_set()

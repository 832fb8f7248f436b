"""The PostgreSQL engine against a real database: a read-only transaction (not only the
parser), statement timeout, cancel, types and streaming."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import psycopg
import pyarrow as pa
import pytest

from services.engines.postgresql_engine import PostgreSQLEngine, conninfo
from services.errors import EngineError, QueryCancelled, QueryTimeout
from services.parameters import parse_definitions
from services.sql_templates import check_template, render
from tests.factories import wait_for
from tests.services.engines.helpers import Background, table
from tests.warehouses import postgres_warehouse_fixture  # noqa: F401

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_a_template_calling_nextval_fails_with_a_clear_error(postgres_warehouse: str) -> None:
    sql = "SELECT nextval('seq') AS n, {{ window_start }} AS s, {{ window_end }} AS e"
    check_template(sql, (), "postgresql")  # the parser lets a function call through
    rendered = render(sql, parse_definitions([]), {}, WINDOW, "postgresql")

    with pytest.raises(EngineError, match="cannot execute nextval\\(\\) in a read-only"):
        list(PostgreSQLEngine(postgres_warehouse).execute(rendered.sql, rendered.binds, 30))


def test_a_write_fails_at_the_database(postgres_warehouse: str) -> None:
    engine = PostgreSQLEngine(postgres_warehouse)

    # A plain DELETE cannot even be a cursor's query; a write through a function can.
    with pytest.raises(EngineError, match="syntax error"):
        list(engine.execute("DELETE FROM campaigns", {}, 30))
    with pytest.raises(EngineError, match="read-only transaction"):
        list(engine.execute("SELECT setval('seq', 42)", {}, 30))
    assert table(engine, "SELECT COUNT(*) AS n FROM campaigns").to_pylist() == [{"n": 3}]


def test_a_slow_query_is_stopped_as_a_timeout(postgres_warehouse: str) -> None:
    started = time.monotonic()

    with pytest.raises(QueryTimeout, match="limit of 1 seconds"):
        list(PostgreSQLEngine(postgres_warehouse).execute("SELECT pg_sleep(20)", {}, 1))
    assert time.monotonic() - started < 10


def test_a_running_query_is_cancelled(postgres_warehouse: str) -> None:
    engine = PostgreSQLEngine(postgres_warehouse)
    query = Background(engine, "SELECT pg_sleep(30)", timeout=60)
    wait_until_sleeping(postgres_warehouse, query)

    engine.cancel(query.running)

    assert isinstance(query.wait(), QueryCancelled)


def test_cancel_remote_stops_a_query_of_another_connection(postgres_warehouse: str) -> None:
    query = Background(PostgreSQLEngine(postgres_warehouse), "SELECT pg_sleep(30)", timeout=60)
    wait_until_sleeping(postgres_warehouse, query)
    assert query.running.engine_execution_id is not None

    assert PostgreSQLEngine(postgres_warehouse).cancel_remote(query.running.engine_execution_id)
    assert isinstance(query.wait(), EngineError)
    assert not PostgreSQLEngine(postgres_warehouse).cancel_remote("mysql:12")


def wait_until_sleeping(url: str, query: Background) -> None:
    """Wait until the query sleeps on the server (a cancel before it starts is lost); the
    server-side cursor's query runs at its first FETCH, not at DECLARE."""
    wait_for(lambda: query.running.engine_execution_id is not None, timeout=10)
    assert query.running.engine_execution_id is not None
    pid = int(query.running.engine_execution_id.removeprefix("pg:"))
    with psycopg.connect(conninfo(url), autocommit=True) as server:

        def sleeping() -> bool:
            row = server.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE pid = %s AND state = 'active' AND wait_event = 'PgSleep'",
                (pid,),
            ).fetchone()
            return bool(row and row[0])

        wait_for(sleeping, timeout=10)


def test_column_types_map_to_arrow_types(postgres_warehouse: str) -> None:
    result = table(
        PostgreSQLEngine(postgres_warehouse),
        "SELECT 1 AS i, 2::bigint AS l, 1.5::float8 AS f, 1.25::numeric(10, 2) AS d, "
        "'a'::text AS t, true AS b, DATE '2026-03-01' AS dt, "
        "TIMESTAMP '2026-03-01 08:00:00' AS ts, TIMESTAMPTZ '2026-03-01 08:00:00+00' AS tz, "
        "NULL AS n",
    )

    assert dict(zip(result.schema.names, result.schema.types, strict=True)) == {
        "i": pa.int32(),
        "l": pa.int64(),
        "f": pa.float64(),
        "d": pa.float64(),  # numeric becomes float, as dashboards need
        "t": pa.string(),
        "b": pa.bool_(),
        "dt": pa.date32(),
        "ts": pa.timestamp("us"),
        "tz": pa.timestamp("us", tz="UTC"),
        "n": pa.string(),
    }
    assert result.to_pylist() == [
        {
            "i": 1,
            "l": 2,
            "f": 1.5,
            "d": 1.25,
            "t": "a",
            "b": True,
            "dt": date(2026, 3, 1),
            "ts": datetime(2026, 3, 1, 8),
            "tz": datetime(2026, 3, 1, 8, tzinfo=UTC),
            "n": None,
        }
    ]


def test_a_table_of_the_warehouse_comes_through(postgres_warehouse: str) -> None:
    result = table(
        PostgreSQLEngine(postgres_warehouse),
        "SELECT id, name, spend, starts_on, created_at FROM campaigns ORDER BY id",
    )

    assert result.schema.types == [
        pa.int32(),
        pa.string(),
        pa.float64(),
        pa.date32(),
        pa.timestamp("us"),
    ]
    assert result.to_pylist()[0]["spend"] == 120.5
    assert result.to_pylist()[0]["starts_on"] == date(2026, 3, 1)


def test_results_stream_in_batches(postgres_warehouse: str) -> None:
    engine = PostgreSQLEngine(postgres_warehouse)
    engine.batch_rows = 2

    batches = list(engine.execute("SELECT x FROM generate_series(1, 5) AS x", {}, 30))

    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert pa.Table.from_batches(batches).column("x").to_pylist() == [1, 2, 3, 4, 5]


def test_an_empty_result_still_yields_one_batch_with_its_columns(postgres_warehouse: str) -> None:
    batches = list(
        PostgreSQLEngine(postgres_warehouse).execute(
            "SELECT id, name FROM campaigns WHERE id < 0", {}, 30
        )
    )

    assert len(batches) == 1
    assert batches[0].num_rows == 0 and batches[0].schema.names == ["id", "name"]

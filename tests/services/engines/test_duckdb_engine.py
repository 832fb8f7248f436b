"""The DuckDB engine on real files: read-only, timeout, cancel, types and streaming."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from sqlalchemy.engine import URL

from services.engines.duckdb_engine import DuckDBEngine
from services.errors import EngineError, QueryCancelled, QueryTimeout
from tests.factories import wait_for
from tests.services.engines.helpers import Background, table

#: A trillion-row cross join: only a timeout or a cancel stops it.
ENDLESS = "SELECT sum(a.range * b.range) AS s FROM range(1000000) a, range(1000000) b"


@pytest.fixture
def engine(tmp_path: Path) -> DuckDBEngine:
    """An engine on a file holding t(x) = 1 … 5."""
    path = tmp_path / "warehouse.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute("CREATE TABLE t AS SELECT range AS x FROM range(1, 6)")
    connection.close()
    return DuckDBEngine(f"duckdb:///{path}")


def test_a_write_fails_because_the_file_is_opened_read_only(engine: DuckDBEngine) -> None:
    with pytest.raises(EngineError, match="read-only"):
        list(engine.execute("INSERT INTO t VALUES (6)", {}, 30))

    assert table(engine, "SELECT count(*) AS n FROM t").to_pylist() == [{"n": 5}]


def test_files_outside_the_database_cannot_be_read(engine: DuckDBEngine, tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("secret\n1\n")

    with pytest.raises(EngineError):
        list(engine.execute(f"SELECT * FROM read_csv('{outside}')", {}, 30))


@pytest.mark.parametrize("name", ["shop#1.duckdb", "shop 50%.duckdb"])
def test_a_file_whose_name_has_uri_characters_opens_read_only(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    connection = duckdb.connect(str(path))
    connection.execute("CREATE TABLE t AS SELECT 1 AS x")
    connection.close()
    engine = DuckDBEngine(URL.create("duckdb", database=str(path)).render_as_string())

    assert table(engine, "SELECT x FROM t").to_pylist() == [{"x": 1}]
    with pytest.raises(EngineError, match="read-only"):
        list(engine.execute("CREATE TABLE u (y INTEGER)", {}, 30))
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_file_with_a_question_mark_fails_closed(tmp_path: Path) -> None:
    """DuckDB reads `?` in a path as the start of options: it then refuses the file."""
    path = tmp_path / "shop?x=1.duckdb"
    duckdb.connect(str(path)).close()
    engine = DuckDBEngine(URL.create("duckdb", database=str(path)).render_as_string())

    with pytest.raises(EngineError, match="Cannot open the DuckDB database"):
        list(engine.execute("SELECT 1", {}, 30))
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_a_slow_query_is_stopped_as_a_timeout(engine: DuckDBEngine) -> None:
    with pytest.raises(QueryTimeout, match="limit of 1 seconds"):
        list(engine.execute(ENDLESS, {}, 1))


def test_a_running_query_is_cancelled(engine: DuckDBEngine) -> None:
    query = Background(engine, ENDLESS, timeout=60)

    def interrupted() -> bool:
        query.running.interrupt()
        return query.ended()

    # DuckDB forgets an interrupt that comes before its query starts: interrupt until it ends.
    wait_for(interrupted, timeout=10)

    assert isinstance(query.wait(), QueryCancelled)


def test_column_types_map_to_arrow_types(engine: DuckDBEngine) -> None:
    result = table(
        engine,
        "SELECT 1::INTEGER AS i, 2::BIGINT AS l, 1.5::DOUBLE AS f, 1.25::DECIMAL(10, 2) AS d, "
        "'a' AS t, true AS b, DATE '2026-03-01' AS dt, TIMESTAMP '2026-03-01 08:00:00' AS ts, "
        "TIMESTAMPTZ '2026-03-01 08:00:00+00' AS tz, NULL AS n",
    )

    assert dict(zip(result.schema.names, result.schema.types, strict=True)) == {
        "i": pa.int32(),
        "l": pa.int64(),
        "f": pa.float64(),
        "d": pa.decimal128(10, 2),
        "t": pa.string(),
        "b": pa.bool_(),
        "dt": pa.date32(),
        "ts": pa.timestamp("us"),
        "tz": pa.timestamp("us", tz="UTC"),
        "n": pa.null(),
    }
    assert result.to_pylist() == [
        {
            "i": 1,
            "l": 2,
            "f": 1.5,
            "d": Decimal("1.25"),
            "t": "a",
            "b": True,
            "dt": date(2026, 3, 1),
            "ts": datetime(2026, 3, 1, 8),
            "tz": datetime(2026, 3, 1, 8, tzinfo=UTC),
            "n": None,
        }
    ]


def test_results_stream_in_batches(engine: DuckDBEngine) -> None:
    engine.batch_rows = 2

    batches = list(engine.execute("SELECT x FROM t ORDER BY x", {}, 30))

    assert max(b.num_rows for b in batches) <= 2 and len(batches) >= 3
    assert pa.Table.from_batches(batches).column("x").to_pylist() == [1, 2, 3, 4, 5]


def test_an_empty_result_still_yields_one_batch_with_its_columns(engine: DuckDBEngine) -> None:
    batches = list(engine.execute("SELECT x FROM t WHERE x < 0", {}, 30))

    assert len(batches) == 1
    assert batches[0].num_rows == 0 and batches[0].schema.names == ["x"]

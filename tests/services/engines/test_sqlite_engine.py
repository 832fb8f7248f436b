"""The SQLite engine on real files: read-only, timeout, cancel, types and streaming."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from services.engines.sqlite_engine import SQLiteEngine
from services.errors import EngineError, QueryCancelled, QueryTimeout
from tests.factories import wait_for
from tests.services.engines.helpers import Background, table

#: Counts without end: only a timeout or a cancel stops it.
ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"


@pytest.fixture
def engine(tmp_path: Path) -> SQLiteEngine:
    """An engine on a file holding t(x) = 1 … 5."""
    path = tmp_path / "warehouse.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
        connection.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(1, 6)])
    connection.close()
    return SQLiteEngine(f"sqlite:///{path}")


def test_a_write_fails_because_the_file_is_opened_read_only(
    engine: SQLiteEngine, tmp_path: Path
) -> None:
    with pytest.raises(EngineError, match="readonly"):
        list(engine.execute("INSERT INTO t VALUES (6)", {}, 30))
    with pytest.raises(EngineError, match="readonly"):
        list(engine.execute("CREATE TABLE u (y INTEGER)", {}, 30))
    check = create_engine(f"sqlite:///{tmp_path / 'warehouse.db'}")
    with check.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM t")).scalar() == 5
    check.dispose()


@pytest.mark.parametrize("name", ["shop#1.db", "shop?mode=rwc.db", "shop 50%.db"])
def test_a_file_whose_name_has_uri_characters_is_still_the_one_opened_read_only(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
        connection.execute("INSERT INTO t VALUES (1)")
    connection.close()
    engine = SQLiteEngine(URL.create("sqlite", database=str(path)).render_as_string())

    assert table(engine, "SELECT x FROM t").to_pylist() == [{"x": 1}]
    with pytest.raises(EngineError, match="readonly"):
        list(engine.execute("CREATE TABLE u (y INTEGER)", {}, 30))
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="does not exist"):
        list(SQLiteEngine(f"sqlite:///{tmp_path / 'nowhere.db'}").execute("SELECT 1", {}, 30))
    assert list(tmp_path.iterdir()) == []


def test_a_slow_query_is_stopped_as_a_timeout(engine: SQLiteEngine) -> None:
    with pytest.raises(QueryTimeout, match="limit of 1 seconds"):
        list(engine.execute(ENDLESS, {}, 1))


def test_a_running_query_is_cancelled(engine: SQLiteEngine) -> None:
    query = Background(engine, ENDLESS, timeout=60)
    # The progress handler reads the cancel flag, so one cancel stops it whenever it comes.
    wait_for(lambda: query.running._interrupt is not None, timeout=10)

    engine.cancel(query.running)

    assert isinstance(query.wait(), QueryCancelled)


def test_column_types_come_from_the_first_batchs_values(engine: SQLiteEngine) -> None:
    result = table(
        engine,
        "SELECT 1 AS i, 1.5 AS f, CAST('1.25' AS DECIMAL(10, 2)) AS d, 'a' AS t, 1 = 1 AS b, "
        "date('2026-03-01') AS dt, datetime('2026-03-01 08:00:00') AS ts, NULL AS n",
    )

    # SQLite has no boolean, date or timestamp: they are integers and text.
    assert dict(zip(result.schema.names, result.schema.types, strict=True)) == {
        "i": pa.int64(),
        "f": pa.float64(),
        "d": pa.float64(),
        "t": pa.string(),
        "b": pa.int64(),
        "dt": pa.string(),
        "ts": pa.string(),
        "n": pa.string(),
    }
    assert result.to_pylist() == [
        {
            "i": 1,
            "f": 1.5,
            "d": 1.25,
            "t": "a",
            "b": 1,
            "dt": "2026-03-01",
            "ts": "2026-03-01 08:00:00",
            "n": None,
        }
    ]


def test_results_stream_in_batches(engine: SQLiteEngine) -> None:
    engine.batch_rows = 2

    batches = list(engine.execute("SELECT x FROM t ORDER BY x", {}, 30))

    assert [b.num_rows for b in batches] == [2, 2, 1]
    assert pa.Table.from_batches(batches).column("x").to_pylist() == [1, 2, 3, 4, 5]


def test_an_empty_result_still_yields_one_batch_with_its_columns(engine: SQLiteEngine) -> None:
    batches = list(engine.execute("SELECT x FROM t WHERE x < 0", {}, 30))

    assert len(batches) == 1
    assert batches[0].num_rows == 0 and batches[0].schema.names == ["x"]

"""Every engine runs read-only at the database, not only by parsing: PostgreSQL in a read-only
transaction, SQLite opened read-only; and PostgreSQL's timeout and types."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL

from services.engines import EngineError, QueryTimeout
from services.engines.duckdb_engine import DuckDBEngine
from services.engines.postgresql_engine import PostgreSQLEngine
from services.engines.sqlite_engine import SQLiteEngine
from services.errors import TemplateDefinitionError
from services.parameters import parse_definitions
from services.sql_templates import check_read_only, check_template, render
from tests.warehouses import postgres_warehouse_fixture  # noqa: F401

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def test_a_postgresql_template_calling_nextval_fails_with_a_clear_error(
    postgres_warehouse: str,
) -> None:
    sql = "SELECT nextval('seq') AS n, {{ window_start }} AS s, {{ window_end }} AS e"
    check_template(sql, (), "postgresql")  # the parser lets a function call through
    rendered = render(sql, parse_definitions([]), {}, WINDOW, "postgresql")

    with pytest.raises(EngineError, match="cannot execute nextval\\(\\) in a read-only"):
        list(PostgreSQLEngine(postgres_warehouse).execute(rendered.sql, rendered.binds, 30))


def test_a_postgresql_write_fails_at_the_database(postgres_warehouse: str) -> None:
    engine = PostgreSQLEngine(postgres_warehouse)

    # A plain DELETE cannot even be a cursor's query; a write through a function can.
    with pytest.raises(EngineError, match="syntax error"):
        list(engine.execute("DELETE FROM campaigns", {}, 30))
    with pytest.raises(EngineError, match="read-only transaction"):
        list(engine.execute("SELECT setval('seq', 42)", {}, 30))
    rows = pa.Table.from_batches(
        list(engine.execute("SELECT COUNT(*) AS n FROM campaigns", {}, 30))
    )
    assert rows.to_pylist() == [{"n": 3}]


def test_a_slow_postgresql_query_is_a_timeout(postgres_warehouse: str) -> None:
    started = time.monotonic()

    with pytest.raises(QueryTimeout):
        list(PostgreSQLEngine(postgres_warehouse).execute("SELECT pg_sleep(20)", {}, 1))
    assert time.monotonic() - started < 10


def test_postgresql_types_come_through(postgres_warehouse: str) -> None:
    table = pa.Table.from_batches(
        list(
            PostgreSQLEngine(postgres_warehouse).execute(
                "SELECT id, name, spend, starts_on, created_at FROM campaigns ORDER BY id", {}, 30
            )
        )
    )

    assert [f.type for f in table.schema] == [
        pa.int32(),
        pa.string(),
        pa.float64(),
        pa.date32(),
        pa.timestamp("us"),
    ]
    assert table.to_pylist()[0]["spend"] == 120.5
    assert table.to_pylist()[0]["starts_on"] == date(2026, 3, 1)


def test_a_sqlite_write_fails_because_the_file_is_opened_read_only(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
        connection.execute("INSERT INTO t VALUES (1)")
    connection.close()
    engine = SQLiteEngine(f"sqlite:///{path}")

    with pytest.raises(EngineError, match="readonly"):
        list(engine.execute("INSERT INTO t VALUES (2)", {}, 30))
    with pytest.raises(EngineError, match="readonly"):
        list(engine.execute("CREATE TABLE u (y INTEGER)", {}, 30))
    check = create_engine(f"sqlite:///{path}")
    with check.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM t")).scalar() == 1
    check.dispose()


@pytest.mark.parametrize("name", ["shop#1.db", "shop?mode=rwc.db", "shop 50%.db"])
def test_a_sqlite_file_whose_name_has_uri_characters_is_still_the_one_opened_read_only(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x INTEGER)")
        connection.execute("INSERT INTO t VALUES (1)")
    connection.close()
    engine = SQLiteEngine(URL.create("sqlite", database=str(path)).render_as_string())

    rows = pa.Table.from_batches(list(engine.execute("SELECT x FROM t", {}, 30)))
    assert rows.to_pylist() == [{"x": 1}]
    with pytest.raises(EngineError, match="readonly"):
        list(engine.execute("CREATE TABLE u (y INTEGER)", {}, 30))
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("name", ["shop#1.duckdb", "shop 50%.duckdb"])
def test_a_duckdb_file_whose_name_has_uri_characters_opens_read_only(
    tmp_path: Path, name: str
) -> None:
    import duckdb

    path = tmp_path / name
    connection = duckdb.connect(str(path))
    connection.execute("CREATE TABLE t AS SELECT 1 AS x")
    connection.close()
    engine = DuckDBEngine(URL.create("duckdb", database=str(path)).render_as_string())

    rows = pa.Table.from_batches(list(engine.execute("SELECT x FROM t", {}, 30)))
    assert rows.to_pylist() == [{"x": 1}]
    with pytest.raises(EngineError, match="read-only"):
        list(engine.execute("CREATE TABLE u (y INTEGER)", {}, 30))
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("dialect", ["mysql", None])
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 /*! INTO OUTFILE '/tmp/x' */",
        "SELECT 1 /*M!100000 INTO OUTFILE '/tmp/x' */",
        "SELECT 1 /*!50000 , 2 */",
    ],
)
def test_mysql_executable_comments_are_refused(sql: str, dialect: Any) -> None:
    with pytest.raises(TemplateDefinitionError, match="MySQL executable comments"):
        check_read_only(sql, dialect)


def test_executable_comment_markers_are_plain_comments_for_postgresql() -> None:
    check_read_only("SELECT 1 /*! not executed by PostgreSQL */", "postgresql")
    check_read_only("SELECT 1 /* an ordinary comment */", "mysql")


def test_a_duckdb_file_with_a_question_mark_fails_closed(tmp_path: Path) -> None:
    """DuckDB reads `?` in a path as the start of options: it then refuses the file."""
    import duckdb

    path = tmp_path / "shop?x=1.duckdb"
    duckdb.connect(str(path)).close()
    engine = DuckDBEngine(URL.create("duckdb", database=str(path)).render_as_string())

    with pytest.raises(EngineError, match="Cannot open the DuckDB database"):
        list(engine.execute("SELECT 1", {}, 30))
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]

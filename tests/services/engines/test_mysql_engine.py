"""The MySQL/MariaDB engine against a real MariaDB database: types, read-only, timeout, cancel,
executable comments, and a library-style template rendered for MySQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy.engine import make_url

from services.engines import make_engine
from services.engines.mysql_engine import MySQLEngine, connect_arguments
from services.errors import EngineError, QueryCancelled, QueryTimeout, TemplateDefinitionError
from services.parameter_validation import validate
from services.parameters import parse_definitions
from services.sql_templates import check_read_only, check_template, render
from tests.factories import wait_for
from tests.services.engines.helpers import Background
from tests.warehouses import mariadb_connect, mariadb_warehouse_fixture  # noqa: F401

WINDOW = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def _table(engine: MySQLEngine, sql: str, binds: dict[str, object] | None = None) -> pa.Table:
    return pa.Table.from_batches(list(engine.execute(sql, binds or {}, 30)))


def test_make_engine_knows_mysql(mariadb_warehouse: str) -> None:
    assert isinstance(make_engine("mysql", mariadb_warehouse), MySQLEngine)


def test_column_types_come_through_as_arrow_types(mariadb_warehouse: str) -> None:
    engine = MySQLEngine(mariadb_warehouse)
    table = _table(
        engine,
        "SELECT id, name, spend, starts_on, created_at, CAST(1.5 AS DOUBLE) AS ratio, "
        "CAST('abc' AS BINARY) AS raw, NULL AS nothing FROM campaigns ORDER BY id",
    )

    types = {field.name: field.type for field in table.schema}
    assert types["id"] == pa.int64()
    assert types["name"] == pa.string()
    assert types["spend"] == pa.float64()
    assert types["starts_on"] == pa.date32()
    assert types["created_at"] == pa.timestamp("us")
    assert types["ratio"] == pa.float64()
    assert types["raw"] == pa.string()
    first = table.to_pylist()[0]
    assert first["spend"] == 120.5
    assert first["starts_on"] == date(2026, 3, 1)
    assert first["created_at"] == datetime(2026, 3, 1, 8, 0)
    assert first["raw"] == "abc"
    assert first["nothing"] is None
    assert table.num_rows == 3


def test_an_empty_result_still_yields_one_batch_with_its_columns(mariadb_warehouse: str) -> None:
    batches = list(
        MySQLEngine(mariadb_warehouse).execute(
            "SELECT id, name FROM campaigns WHERE id < 0", {}, 30
        )
    )

    assert len(batches) == 1
    assert batches[0].num_rows == 0
    assert batches[0].schema.names == ["id", "name"]


def test_literals_map_to_arrow_types(mariadb_warehouse: str) -> None:
    table = _table(
        MySQLEngine(mariadb_warehouse),
        "SELECT 1 AS i, CAST(1.5 AS DOUBLE) AS f, CAST(1.25 AS DECIMAL(10, 2)) AS d, 'a' AS t, "
        "TRUE AS b, DATE '2026-03-01' AS dt, TIMESTAMP '2026-03-01 08:00:00' AS ts, NULL AS n",
    )

    # MySQL has no boolean: TRUE is the integer 1. DECIMAL becomes float, as dashboards need.
    assert dict(zip(table.schema.names, table.schema.types, strict=True)) == {
        "i": pa.int64(),
        "f": pa.float64(),
        "d": pa.float64(),
        "t": pa.string(),
        "b": pa.int64(),
        "dt": pa.date32(),
        "ts": pa.timestamp("us"),
        "n": pa.string(),
    }
    assert table.to_pylist() == [
        {
            "i": 1,
            "f": 1.5,
            "d": 1.25,
            "t": "a",
            "b": 1,
            "dt": date(2026, 3, 1),
            "ts": datetime(2026, 3, 1, 8),
            "n": None,
        }
    ]


def test_results_stream_in_batches(mariadb_warehouse: str) -> None:
    engine = MySQLEngine(mariadb_warehouse)
    engine.batch_rows = 2

    batches = list(engine.execute("SELECT id FROM campaigns ORDER BY id", {}, 30))

    assert [b.num_rows for b in batches] == [2, 1]


def test_a_write_fails_at_the_database_even_past_the_parser(mariadb_warehouse: str) -> None:
    engine = MySQLEngine(mariadb_warehouse)

    with pytest.raises(EngineError, match=r"(?i)read only"):
        list(engine.execute("INSERT INTO campaigns VALUES (9, 'x', 1, NULL, NULL)", {}, 30))
    with pytest.raises(EngineError, match=r"(?i)read only"):
        list(engine.execute("UPDATE campaigns SET name = 'x'", {}, 30))

    assert _table(engine, "SELECT COUNT(*) AS n FROM campaigns").to_pylist() == [{"n": 3}]


def test_a_slow_query_is_stopped_as_a_timeout(mariadb_warehouse: str) -> None:
    engine = MySQLEngine(mariadb_warehouse)
    started = time.monotonic()

    with pytest.raises(QueryTimeout, match="limit of 1 seconds"):
        list(engine.execute("SELECT SLEEP(20) AS s FROM campaigns", {}, 1))
    assert time.monotonic() - started < 10


def test_a_running_query_is_cancelled_by_kill_query(mariadb_warehouse: str) -> None:
    engine = MySQLEngine(mariadb_warehouse)
    query = Background(engine, "SELECT SLEEP(30) AS s", timeout=60)
    _wait_until_sleeping(query)
    assert str(query.running.engine_execution_id).startswith("mysql:")

    engine.cancel(query.running)

    assert isinstance(query.wait(), QueryCancelled)


def test_cancel_remote_kills_a_query_of_another_connection(mariadb_warehouse: str) -> None:
    query = Background(MySQLEngine(mariadb_warehouse), "SELECT SLEEP(30) AS s", timeout=60)
    _wait_until_sleeping(query)
    assert query.running.engine_execution_id is not None

    assert MySQLEngine(mariadb_warehouse).cancel_remote(query.running.engine_execution_id)
    assert isinstance(query.wait(), QueryCancelled)
    assert not MySQLEngine(mariadb_warehouse).cancel_remote("pg:12")


def _wait_until_sleeping(query: Background) -> None:
    """Wait until the query runs on the server (a KILL before it starts finds nothing)."""
    wait_for(lambda: query.running.engine_execution_id is not None, timeout=10)
    thread_id = int(str(query.running.engine_execution_id).split(":")[1])
    server = mariadb_connect()
    assert server is not None

    def sleeping() -> bool:
        with server.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.processlist "
                "WHERE id = %s AND info LIKE 'SELECT SLEEP%%'",
                (thread_id,),
            )
            return bool(cursor.fetchone()[0])

    try:
        wait_for(sleeping, timeout=10)
    finally:
        server.close()


def test_a_wrong_password_is_never_in_the_error(mariadb_warehouse: str) -> None:
    url = make_url(mariadb_warehouse).set(username="nobody_here", password="s3cret-Pa55")
    engine = MySQLEngine(url.render_as_string(hide_password=False))

    with pytest.raises(EngineError) as raised:
        list(engine.execute("SELECT 1", {}, 5))
    assert "s3cret-Pa55" not in str(raised.value)
    assert "Access denied" in str(raised.value)


def test_url_options_become_driver_arguments() -> None:
    arguments = connect_arguments(
        "mysql+pymysql://u:p@db.example:3307/shop?charset=utf8&ssl_ca=/ca.pem&ssl_verify_cert=true"
    )

    assert arguments["host"] == "db.example" and arguments["port"] == 3307
    assert arguments["database"] == "shop" and arguments["charset"] == "utf8"
    assert arguments["ssl"] == {"ca": "/ca.pem", "verify_cert": True}
    with pytest.raises(EngineError, match="Unknown connection option 'init_command'"):
        connect_arguments("mysql+pymysql://u@h/db?init_command=DROP+TABLE+x")


def test_a_library_style_template_with_a_list_renders_and_runs_on_mariadb(
    mariadb_warehouse: str,
) -> None:
    sql = """
    SELECT name, CAST(spend AS DECIMAL(10, 2)) AS spend
    FROM campaigns
    WHERE starts_on >= CAST({{ window_start }} AS DATE)
      AND starts_on < CAST({{ window_end }} AS DATE)
      AND ({{ ids.empty }} OR id IN {{ ids }})
      AND name LIKE '%sale'
    ORDER BY id
    """
    definitions = parse_definitions(
        [
            {
                "name": "ids",
                "type": "multi_select",
                "label": "Campaigns",
                "item_type": "integer",
                "options": [
                    {"value": 1, "label": "Spring"},
                    {"value": 2, "label": "Summer"},
                    {"value": 3, "label": "Winter"},
                ],
            }
        ]
    )
    check_template(sql, definitions, "mysql")
    values = validate(definitions, {"ids": [1, 3]}, today=date(2026, 1, 1)).normalized
    rendered = render(sql, definitions, values, WINDOW, "mysql")

    rows = _table(MySQLEngine(mariadb_warehouse), rendered.sql, rendered.binds).to_pylist()

    assert rows == [{"name": "Spring sale", "spend": 120.5}, {"name": "Winter sale", "spend": 0.0}]


@pytest.mark.parametrize(
    "sql",
    ["SELECT 1 AS n /*! , 2 AS m */", "SELECT 1 AS n /*M!100000 , 2 AS m */"],
)
def test_executable_comments_are_refused_before_sending(mariadb_warehouse: str, sql: str) -> None:
    with pytest.raises(EngineError, match="executable comments"):
        _table(MySQLEngine(mariadb_warehouse), sql)


def test_a_statement_without_a_result_set_is_a_clear_error(mariadb_warehouse: str) -> None:
    with pytest.raises(EngineError, match="returned no rows to read"):
        _table(MySQLEngine(mariadb_warehouse), "DO 1")


def _running(marker: str) -> int:
    server = mariadb_connect()
    assert server is not None
    try:
        with server.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.processlist "
                "WHERE info LIKE %s AND id <> CONNECTION_ID()",
                (f"%{marker}%",),
            )
            count: int = cursor.fetchone()[0]
            return count
    finally:
        server.close()


def test_closing_a_result_early_stops_the_query_on_the_server(mariadb_warehouse: str) -> None:
    marker = "early_close_probe"
    # A billion rows: reading them all to close the cursor would take many minutes.
    sql = f"SELECT a.seq AS n /* {marker} */ FROM seq_1_to_100000 a, seq_1_to_10000 b"
    batches = MySQLEngine(mariadb_warehouse).execute(sql, {}, 600)
    assert next(batches).num_rows > 0
    assert _running(marker) == 1
    closer = threading.Thread(target=batches.close, daemon=True)
    closer.start()
    try:
        wait_for(lambda: _running(marker) == 0, timeout=5)
        closer.join(timeout=5)
        assert not closer.is_alive()
    finally:
        server = mariadb_connect()
        assert server is not None
        with server.cursor() as cursor:  # never leave the probe running
            cursor.execute(
                "SELECT id FROM information_schema.processlist WHERE info LIKE %s "
                "AND id <> CONNECTION_ID()",
                (f"%{marker}%",),
            )
            for (thread_id,) in cursor.fetchall():
                cursor.execute(f"KILL QUERY {int(thread_id)}")
        server.close()


@pytest.mark.parametrize("dialect", ["mysql", None])
@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 /*! INTO OUTFILE '/tmp/x' */",
        "SELECT 1 /*M!100000 INTO OUTFILE '/tmp/x' */",
        "SELECT 1 /*!50000 , 2 */",
    ],
)
def test_executable_comments_are_refused_by_the_template_check(sql: str, dialect: Any) -> None:
    with pytest.raises(TemplateDefinitionError, match="MySQL executable comments"):
        check_read_only(sql, dialect)


def test_executable_comment_markers_are_plain_comments_for_postgresql() -> None:
    check_read_only("SELECT 1 /*! not executed by PostgreSQL */", "postgresql")
    check_read_only("SELECT 1 /* an ordinary comment */", "mysql")

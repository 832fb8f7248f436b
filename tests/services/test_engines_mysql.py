"""The MySQL/MariaDB engine against a real MariaDB database: types, read-only, timeout, cancel,
and a library-style template rendered for MySQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest
from sqlalchemy.engine import make_url

from services.engines import QueryTimeout, make_engine
from services.engines.base import EngineError, QueryCancelled, RunningQuery
from services.engines.mysql_engine import MySQLEngine, connect_arguments
from services.parameters import parse_definitions, validate
from services.sql_templates import check_template, render
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


def test_results_stream_in_batches(mariadb_warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.engines.mysql_engine.BATCH_ROWS", 2)
    batches = list(
        MySQLEngine(mariadb_warehouse).execute("SELECT id FROM campaigns ORDER BY id", {}, 30)
    )

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
    running = RunningQuery()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            list(engine.execute("SELECT SLEEP(30) AS s", {}, 60, running))
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while running.engine_execution_id is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.engine_execution_id is not None
    assert running.engine_execution_id.startswith("mysql:")
    _wait_until_sleeping(running.engine_execution_id)
    engine.cancel(running)
    thread.join(timeout=10)

    assert not thread.is_alive()
    assert len(failure) == 1 and isinstance(failure[0], QueryCancelled)


def test_cancel_remote_kills_a_query_of_another_connection(mariadb_warehouse: str) -> None:
    engine = MySQLEngine(mariadb_warehouse)
    running = RunningQuery()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            list(engine.execute("SELECT SLEEP(30) AS s", {}, 60, running))
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while running.engine_execution_id is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.engine_execution_id is not None
    _wait_until_sleeping(running.engine_execution_id)

    assert MySQLEngine(mariadb_warehouse).cancel_remote(running.engine_execution_id)
    thread.join(timeout=10)
    assert failure and isinstance(failure[0], EngineError)
    assert not MySQLEngine(mariadb_warehouse).cancel_remote("pg:12")


def _wait_until_sleeping(engine_execution_id: str) -> None:
    thread_id = int(engine_execution_id.split(":")[1])
    server = mariadb_connect()
    assert server is not None
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline:
            with server.cursor() as cursor:
                cursor.execute(
                    "SELECT COUNT(*) FROM information_schema.processlist "
                    "WHERE id = %s AND info LIKE 'SELECT SLEEP%%'",
                    (thread_id,),
                )
                if cursor.fetchone()[0]:
                    return
            time.sleep(0.05)
    finally:
        server.close()
    pytest.fail("the query never started")


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
        deadline = time.monotonic() + 5
        while _running(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _running(marker) == 0
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

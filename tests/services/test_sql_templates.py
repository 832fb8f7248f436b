"""SQL templates: the read-only check, rendering to each driver's bind style, and previews."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import duckdb
import psycopg
import pymysql
import pytest
from sqlalchemy.engine import make_url

from services.errors import TemplateDefinitionError
from services.parameter_validation import validate
from services.parameters import parse_definitions
from services.sql_templates import RenderedSQL, check_template, preview_sql, render
from tests.databases import SKIP_POSTGRES, postgres_server_url

TODAY = date(2026, 1, 1)
WINDOW = (datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
DIALECTS = ("duckdb", "mysql", "postgresql", "sqlite")
#: The MariaDB (MySQL) test server: TEST_MARIADB_URL, else the local one.
_MARIADB = make_url(os.environ.get("TEST_MARIADB_URL") or "mysql+pymysql://root@127.0.0.1:3306/")
MARIADB_HOST, MARIADB_PORT = _MARIADB.host or "127.0.0.1", _MARIADB.port or 3306

DEFINITIONS = parse_definitions(
    [
        {"name": "name_part", "type": "text"},
        {"name": "min_clicks", "type": "integer"},
        {"name": "ratio", "type": "number"},
        {"name": "flag", "type": "boolean"},
        {"name": "day", "type": "date"},
        {"name": "period", "type": "date_range"},
        {"name": "granularity", "type": "enum", "options": ["daily", "weekly"]},
        {"name": "kinds", "type": "multi_select", "options": ["dsp", "sa"]},
        {"name": "campaigns", "type": "campaign_ids"},
        {"name": "numeric_ids", "type": "campaign_ids", "item_type": "integer"},
        {"name": "asins", "type": "asins"},
        {"name": "metric", "type": "column", "options": ["impressions", "clicks"]},
    ]
)


# --- check_template: what a template may be --------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1",
        "SELECT {{ name_part }} AS v",
        "SELECT {{name_part}} AS v",
        "select * from events where clicks >= {{ min_clicks }}",
        "WITH recent AS (SELECT * FROM events WHERE day >= {{ period.start }})"
        " SELECT * FROM recent",
        "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3) "
        "SELECT * FROM c",
        "SELECT a FROM x UNION SELECT a FROM y",
        "SELECT a FROM x UNION ALL SELECT a FROM y EXCEPT SELECT a FROM z",
        "SELECT * FROM events WHERE day BETWEEN {{ period.start }} AND {{ period.end }}",
        "SELECT * FROM events WHERE {{ campaigns.empty }} OR campaign_id IN {{ campaigns }}",
        "SELECT {{ metric }}, COUNT(*) FROM events GROUP BY {{ metric }} ORDER BY {{ metric }}",
        "SELECT * FROM events WHERE ts >= {{ window_start }} AND ts < {{ window_end }}",
        "SELECT * FROM events WHERE name LIKE '%' || {{ name_part }} || '%'",
        "SELECT 1 AS one;",
        "SELECT 1 /* a comment; DROP TABLE t */",
        "SELECT 1 -- ; DROP TABLE t",
    ],
)
def test_check_template_accepts_one_read_only_query(sql: str) -> None:
    check_template(sql, DEFINITIONS)  # raises TemplateDefinitionError when refused

    assert "{{" not in render(sql, DEFINITIONS, {"metric": "clicks"}, WINDOW, "duckdb").sql


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("INSERT INTO t SELECT 1", "SELECT"),
        ("INSERT INTO t VALUES ({{ name_part }})", "SELECT"),
        ("UPDATE t SET a = {{ min_clicks }}", "SELECT"),
        ("DELETE FROM t", "SELECT"),
        ("DROP TABLE t", "SELECT"),
        ("DROP VIEW v", "SELECT"),
        ("CREATE TABLE x AS SELECT 1", "SELECT"),
        ("CREATE VIEW v AS SELECT 1", "SELECT"),
        ("ALTER TABLE t ADD COLUMN x INT", "SELECT"),
        ("TRUNCATE t", "SELECT"),
        ("MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", "SELECT"),
        ("SELECT 1; SELECT 2", "exactly one"),
        ("SELECT {{ name_part }}; DROP TABLE t", "exactly one"),
        ("SELECT 1; DROP TABLE t; --", "exactly one"),
        ("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "DELETE is not allowed"),
        ("WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM i", "INSERT is not"),
        ("WITH u AS (UPDATE t SET a = 1 RETURNING *) SELECT * FROM u", "UPDATE is not allowed"),
        ("SELECT * INTO copy_of_t FROM t", "INTO is not allowed"),
        ("COPY t TO 'out.csv'", "SELECT"),
        ("ATTACH 'other.db' AS other", "SELECT"),
        ("DETACH other", "SELECT"),
        ("PRAGMA table_info('t')", "SELECT"),
        ("SET search_path TO evil", "SELECT"),
        ("INSTALL httpfs", "SELECT"),
        ("BEGIN", "SELECT"),
        ("GRANT SELECT ON t TO someone", "SELECT"),
        ("SELEC 1", "does not parse"),
        ("SELECT FROM WHERE", "does not parse"),
    ],
)
def test_check_template_rejects_what_is_not_one_read_only_query(sql: str, message: str) -> None:
    with pytest.raises(TemplateDefinitionError, match=message):
        check_template(sql, DEFINITIONS)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT {{ nope }}", r"\{\{ nope \}\} names no parameter"),
        ("SELECT {{ Name_part }}", "names no parameter"),
        ("SELECT {{ window_start.start }}", "names no parameter"),
        ("SELECT {{ name_part.start }}", r"only a date_range has \.start"),
        ("SELECT {{ campaigns.end }}", r"only a date_range has \.end"),
        ("SELECT {{ name_part.empty }}", r"only a list has \.empty"),
        ("SELECT {{ period }}", r"use \.start or \.end"),
        ("SELECT {{ name_part", "does not form a valid placeholder"),
        ("SELECT {{ }}", "does not form a valid placeholder"),
        ("SELECT {{ 1st }}", "does not form a valid placeholder"),
        ("SELECT {{ name_part.upper }}", "does not form a valid placeholder"),
        ("SELECT {{ name part }}", "does not form a valid placeholder"),
        ("SELECT {{{ name_part }}", "does not parse"),
        ("SELECT {{{{ name_part }}}}", "does not form a valid placeholder"),
    ],
)
def test_check_template_rejects_bad_placeholders(sql: str, message: str) -> None:
    with pytest.raises(TemplateDefinitionError, match=message):
        check_template(sql, DEFINITIONS)


@pytest.mark.parametrize(
    ("sql", "dialect"),
    [
        ("SELECT `spend` FROM t", "mysql"),
        ("SELECT x::int FROM t", "postgresql"),
        ("SELECT * FROM read_parquet('x.parquet')", "duckdb"),
    ],
)
def test_check_template_reads_the_dialect_of_the_source(sql: str, dialect: Any) -> None:
    check_template(sql, DEFINITIONS, dialect)


def test_check_template_for_one_dialect_refuses_what_only_another_accepts() -> None:
    check_template("SELECT `spend` FROM t", DEFINITIONS, "mysql")  # MySQL's quoted name

    with pytest.raises(TemplateDefinitionError, match="does not parse"):
        check_template("SELECT `spend` FROM t", DEFINITIONS, "postgresql")


def test_check_template_accepts_a_comment_after_the_final_semicolon() -> None:
    sql = "SELECT 1 AS one; -- the end"

    check_template(sql, DEFINITIONS)

    assert duckdb.connect().execute(sql).fetchall() == [(1,)]


# --- render: bind markers and values per dialect ----------------------------------------


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("duckdb", "SELECT $name_part AS v WHERE $name_part IS NOT NULL"),
        ("postgresql", "SELECT %(name_part)s AS v WHERE %(name_part)s IS NOT NULL"),
        ("mysql", "SELECT %(name_part)s AS v WHERE %(name_part)s IS NOT NULL"),
        ("sqlite", "SELECT :name_part AS v WHERE :name_part IS NOT NULL"),
    ],
)
def test_render_uses_the_driver_bind_style(dialect: Any, expected: str) -> None:
    sql = "SELECT {{ name_part }} AS v WHERE {{name_part}} IS NOT NULL"

    rendered = render(sql, DEFINITIONS, {"name_part": "x'; --"}, WINDOW, dialect)

    assert rendered == RenderedSQL(sql=expected, binds={"name_part": "x'; --"})


@pytest.mark.parametrize(
    ("dialect", "definition", "expected"),
    [
        ("duckdb", "campaigns", "x IN (SELECT UNNEST($campaigns))"),
        ("postgresql", "campaigns", "x IN (SELECT UNNEST(CAST(%(campaigns)s AS text[])))"),
        ("postgresql", "numeric_ids", "x IN (SELECT UNNEST(CAST(%(numeric_ids)s AS bigint[])))"),
        ("sqlite", "campaigns", "x IN (SELECT value FROM json_each(:campaigns))"),
        (
            "mysql",
            "numeric_ids",
            "x IN (SELECT rb_list.value FROM JSON_TABLE(%(numeric_ids)s, '$[*]' "
            "COLUMNS (value BIGINT PATH '$')) AS rb_list)",
        ),
    ],
)
def test_render_turns_a_list_into_a_one_column_subquery(
    dialect: Any, definition: str, expected: str
) -> None:
    rendered = render(f"x IN {{{{ {definition} }}}}", DEFINITIONS, {}, WINDOW, dialect)

    assert rendered.sql == expected


def test_render_binds_lists_as_arrays_or_json_text() -> None:
    values = {"campaigns": ["a", "b'"]}
    sql = "SELECT * FROM t WHERE {{ campaigns.empty }} OR x IN {{ campaigns }}"

    duck = render(sql, DEFINITIONS, values, WINDOW, "duckdb")
    lite = render(sql, DEFINITIONS, values, WINDOW, "sqlite")

    assert duck.binds == {"campaigns__empty": False, "campaigns": ["a", "b'"]}
    assert type(duck.binds["campaigns"]) is list
    assert lite.binds == {"campaigns__empty": False, "campaigns": '["a", "b\'"]'}


def test_render_empty_flag_is_true_for_a_missing_or_empty_list() -> None:
    all_values: list[dict[str, Any]] = [{}, {"campaigns": []}, {"campaigns": None}]
    for values in all_values:
        rendered = render("{{ campaigns.empty }}", DEFINITIONS, values, WINDOW, "duckdb")
        assert rendered.binds == {"campaigns__empty": True}


def test_render_binds_range_and_date_as_days() -> None:
    values = {"period": {"start": "2025-12-01", "end": "2025-12-31"}, "day": "2025-12-24"}
    sql = "SELECT {{ period.start }}, {{ period.end }}, {{ day }}"

    duck = render(sql, DEFINITIONS, values, WINDOW, "duckdb")
    lite = render(sql, DEFINITIONS, values, WINDOW, "sqlite")

    assert duck.sql == "SELECT $period__start, $period__end, $day"
    assert duck.binds == {
        "period__start": date(2025, 12, 1),
        "period__end": date(2025, 12, 31),
        "day": date(2025, 12, 24),
    }
    assert lite.binds == {
        "period__start": "2025-12-01",
        "period__end": "2025-12-31",
        "day": "2025-12-24",
    }


def test_render_binds_the_window_in_utc() -> None:
    berlin = timezone(timedelta(hours=1))
    window = (datetime(2026, 1, 1, 1, 0, tzinfo=berlin), datetime(2026, 1, 2, 1, 0, tzinfo=berlin))
    sql = "SELECT {{ window_start }}, {{ window_end }}"

    duck = render(sql, DEFINITIONS, {}, window, "duckdb")
    postgres = render(sql, DEFINITIONS, {}, window, "postgresql")

    assert duck.binds == {
        "window_start": datetime(2026, 1, 1, 0, 0),
        "window_end": datetime(2026, 1, 2, 0, 0),
    }
    assert duck.binds["window_start"].tzinfo is None
    assert postgres.binds["window_start"] == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert postgres.binds["window_start"].utcoffset() == timedelta(0)


def test_render_escapes_percent_signs_for_psycopg_only() -> None:
    sql = "SELECT * FROM t WHERE name LIKE 'a%' AND x = {{ name_part }}"

    postgres = render(sql, DEFINITIONS, {"name_part": "%s"}, WINDOW, "postgresql")
    duck = render(sql, DEFINITIONS, {"name_part": "%s"}, WINDOW, "duckdb")

    assert postgres.sql == "SELECT * FROM t WHERE name LIKE 'a%%' AND x = %(name_part)s"
    assert duck.sql == "SELECT * FROM t WHERE name LIKE 'a%' AND x = $name_part"


# --- column parameters: whitelisted, quoted identifiers ---------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
def test_render_quotes_a_whitelisted_column(dialect: Any) -> None:
    rendered = render(
        "SELECT {{ metric }} FROM t", DEFINITIONS, {"metric": "clicks"}, WINDOW, dialect
    )

    quote = "`" if dialect == "mysql" else '"'
    assert rendered.sql == f"SELECT {quote}clicks{quote} FROM t"
    assert rendered.binds == {}


@pytest.mark.parametrize("value", ["clicks; DROP TABLE t", 'clicks"', "spend", "", None])
def test_render_refuses_a_column_outside_its_whitelist(value: Any) -> None:
    with pytest.raises(TemplateDefinitionError, match="not an allowed column"):
        render("SELECT {{ metric }} FROM t", DEFINITIONS, {"metric": value}, WINDOW, "duckdb")


def test_a_column_value_outside_the_whitelist_is_a_field_error() -> None:
    result = validate(DEFINITIONS, {"metric": '"clicks" FROM t; --'}, today=TODAY)

    assert result.errors == {"metric": "Choose one of the listed options."}


def test_an_optional_column_left_empty_either_fails_validation_or_renders() -> None:
    definitions = parse_definitions([{"name": "metric", "type": "column", "options": ["clicks"]}])
    result = validate(definitions, {}, today=TODAY)

    if result.valid:
        rendered = render(
            "SELECT {{ metric }} FROM t", definitions, result.normalized, WINDOW, "duckdb"
        )
        assert "clicks" in rendered.sql
    else:
        assert "metric" in result.errors


# --- render: the same template executed on each engine ----------------------------------

EVENTS = [
    ("2025-11-30", "c1", "Summer sale", 5, 100),
    ("2025-12-01", "c1", "Summer sale", 3, 50),
    ("2025-12-10", "c2", "Winter push", 7, 70),
    ("2025-12-20", "c3", "Winter brand", 1, 10),
    ("2025-12-31", "c2", "Winter push", 2, 20),
    ("2026-01-01", "c2", "Winter push", 9, 90),
]
REPORT_SQL = """
SELECT campaign_id, SUM({{ metric }}) AS total
FROM events
WHERE day BETWEEN {{ period.start }} AND {{ period.end }}
  AND ({{ campaigns.empty }} OR campaign_id IN {{ campaigns }})
  AND name LIKE '%' || COALESCE({{ name_part }}, '') || '%'
  AND clicks >= {{ min_clicks }}
GROUP BY campaign_id
ORDER BY campaign_id
"""


def _postgres_connect() -> psycopg.Connection[Any]:
    if SKIP_POSTGRES:
        pytest.skip("no PostgreSQL server on this machine (TEST_SKIP_POSTGRES=1)")
    url = postgres_server_url().replace("postgresql+psycopg://", "postgresql://", 1)
    return psycopg.connect(url, autocommit=True)


Runner = Callable[[RenderedSQL], list[tuple[Any, ...]]]


def _mariadb_runner(create: str) -> Runner:
    """A runner over a temporary `events` table on the MariaDB test server."""
    try:
        connection = pymysql.connect(
            host=MARIADB_HOST, port=MARIADB_PORT, user="root", autocommit=True, connect_timeout=5
        )
    except pymysql.err.OperationalError as error:
        pytest.skip(f"no MariaDB server answers on {MARIADB_HOST}:{MARIADB_PORT}: {error}")
    with connection.cursor() as cursor:
        cursor.execute("CREATE DATABASE IF NOT EXISTS rbtest_sql_templates")
        cursor.execute("USE rbtest_sql_templates")
        cursor.execute(create.replace("CREATE TEMP TABLE", "CREATE TEMPORARY TABLE"))
        cursor.executemany("INSERT INTO events VALUES (%s, %s, %s, %s, %s)", EVENTS)

    def run(rendered: RenderedSQL) -> list[tuple[Any, ...]]:
        # MySQL concatenates with CONCAT: `||` is OR there.
        sql = rendered.sql.replace("'%%' || COALESCE(", "CONCAT('%%', COALESCE(").replace(
            ", '') || '%%'", ", ''), '%%')"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, rendered.binds or None)
            return list(cursor.fetchall())

    return run


@pytest.fixture(params=DIALECTS)
def engine_with_events(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Runner]]:
    """(dialect, run) over an in-memory (or temporary, on PostgreSQL) `events` table."""
    dialect = request.param
    create = (
        "CREATE TEMP TABLE events (day DATE, campaign_id TEXT, name TEXT, "
        "clicks INTEGER, impressions INTEGER)"
    )
    if dialect == "duckdb":
        duck = duckdb.connect()
        duck.execute(create)
        duck.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", EVENTS)
        yield dialect, lambda r: duck.execute(r.sql, r.binds).fetchall()
        duck.close()
    elif dialect == "sqlite":
        lite = sqlite3.connect(":memory:")
        lite.execute(create.replace("DATE", "TEXT"))
        lite.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", EVENTS)
        yield dialect, lambda r: lite.execute(r.sql, r.binds).fetchall()
        lite.close()
    elif dialect == "mysql":
        yield dialect, _mariadb_runner(create)
    else:
        with _postgres_connect() as pg:
            pg.execute(create)
            with pg.cursor() as cur:
                cur.executemany("INSERT INTO events VALUES (%s, %s, %s, %s, %s)", EVENTS)

            def run(rendered: RenderedSQL) -> list[tuple[Any, ...]]:
                with pg.cursor() as cur:
                    cur.execute(rendered.sql, rendered.binds)
                    return cur.fetchall()

            yield dialect, run


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"period": "2025-12-01..2025-12-31", "metric": "clicks", "name_part": "Winter"},
            [("c2", 9), ("c3", 1)],
        ),
        (
            {"period": "previous_month", "metric": "impressions", "campaigns": "c1, c2"},
            [("c1", 50), ("c2", 90)],
        ),
        (
            {"period": "previous_month", "metric": "clicks", "min_clicks": "3"},
            [("c1", 3), ("c2", 7)],
        ),
        (
            {"period": "last_7_days", "metric": "clicks", "name_part": "'; DROP TABLE events; --"},
            [],
        ),
    ],
)
def test_rendered_report_runs_with_the_same_result_on_every_engine(
    engine_with_events: tuple[Any, Runner], raw: dict[str, Any], expected: list[tuple[str, int]]
) -> None:
    dialect, run = engine_with_events
    raw = {"name_part": "", "min_clicks": 0, **raw}
    check_template(REPORT_SQL, DEFINITIONS)
    result = validate(DEFINITIONS, raw, today=TODAY)
    assert result.errors == {}

    rows = run(render(REPORT_SQL, DEFINITIONS, result.normalized, WINDOW, dialect))

    assert [(campaign, int(total)) for campaign, total in rows] == expected
    assert len(run(RenderedSQL("SELECT * FROM events", {}))) == len(EVENTS)


def test_rendered_window_reaches_each_engine_as_utc_timestamps(
    engine_with_events: tuple[Any, Runner],
) -> None:
    dialect, run = engine_with_events
    sql = "SELECT {{ window_start }} AS s, {{ window_end }} AS e"

    ((start, end),) = run(render(sql, DEFINITIONS, {}, WINDOW, dialect))

    if dialect in {"sqlite", "mysql"}:  # a bare parameter has no timestamp type: ISO text
        assert (str(start), str(end)) == ("2025-12-01 00:00:00", "2026-01-01 00:00:00")
    elif dialect == "duckdb":
        assert (start, end) == (datetime(2025, 12, 1), datetime(2026, 1, 1))
    else:
        assert (start, end) == WINDOW


OPTION_LISTS = parse_definitions(
    [
        {"name": "names", "type": "option_list", "options_source": "campaign_names"},
        {
            "name": "click_counts",
            "type": "option_list",
            "options_source": "click_counts",
            "item_type": "integer",
        },
    ]
)
OPTION_LIST_SQL = """
SELECT DISTINCT campaign_id FROM events
WHERE ({{ names.empty }} OR name IN {{ names }})
  AND ({{ click_counts.empty }} OR clicks IN {{ click_counts }})
ORDER BY campaign_id
"""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({}, ["c1", "c2", "c3"]),
        ({"names": "Winter push, Winter brand"}, ["c2", "c3"]),
        ({"names": ["Summer sale"], "click_counts": "5, 7"}, ["c1"]),
        ({"click_counts": [9, 1]}, ["c2", "c3"]),
    ],
)
def test_an_option_list_binds_as_a_list_on_every_engine(
    engine_with_events: tuple[Any, Runner], raw: dict[str, Any], expected: list[str]
) -> None:
    dialect, run = engine_with_events
    check_template(OPTION_LIST_SQL, OPTION_LISTS, dialect)
    result = validate(OPTION_LISTS, raw, today=TODAY)
    assert result.errors == {}

    rows = run(render(OPTION_LIST_SQL, OPTION_LISTS, result.normalized, WINDOW, dialect))

    assert [campaign for (campaign,) in rows] == expected


# --- preview_sql: literals for reading --------------------------------------------------


def test_preview_writes_values_as_literals() -> None:
    sql = (
        "SELECT {{ metric }} FROM events WHERE name = {{ name_part }} AND clicks > {{ min_clicks }}"
        " AND ratio < {{ ratio }} AND flag = {{ flag }} AND day = {{ day }}"
        " AND day BETWEEN {{ period.start }} AND {{ period.end }}"
        " AND campaign_id IN {{ campaigns }} AND id IN {{ numeric_ids }}"
        " AND ts >= {{ window_start }} AND asin IN {{ asins }} AND {{ asins.empty }}"
    )
    values = {
        "metric": "clicks",
        "name_part": "O'Brien",
        "min_clicks": 3,
        "ratio": 0.5,
        "flag": True,
        "day": "2025-12-24",
        "period": {"start": "2025-12-01", "end": "2025-12-31"},
        "campaigns": ["c1", "c'2"],
        "numeric_ids": [7, 8],
        "asins": [],
    }

    text = preview_sql(sql, DEFINITIONS, values, WINDOW)

    assert text == (
        "SELECT \"clicks\" FROM events WHERE name = 'O''Brien' AND clicks > 3"
        " AND ratio < 0.5 AND flag = TRUE AND day = DATE '2025-12-24'"
        " AND day BETWEEN DATE '2025-12-01' AND DATE '2025-12-31'"
        " AND campaign_id IN ('c1', 'c''2') AND id IN (7, 8)"
        " AND ts >= TIMESTAMP '2025-12-01 00:00:00' AND asin IN (NULL) AND TRUE"
    )


def test_preview_writes_null_for_a_missing_value() -> None:
    assert preview_sql("SELECT {{ name_part }}", DEFINITIONS, {}, WINDOW) == "SELECT NULL"


def test_preview_keeps_a_list_value_that_looks_like_a_bind_marker() -> None:
    text = preview_sql(
        "SELECT * FROM t WHERE x IN {{ asins }} AND ts >= {{ window_start }}",
        DEFINITIONS,
        {"asins": [":window_start"]},
        WINDOW,
    )

    assert text == (
        "SELECT * FROM t WHERE x IN (':window_start') AND ts >= TIMESTAMP '2025-12-01 00:00:00'"
    )

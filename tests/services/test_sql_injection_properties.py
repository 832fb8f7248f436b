"""Hostile values never change the statement and come back unchanged from every engine.

Property-based (hypothesis, derandomized so CI sees the same examples every run): quotes,
comments, semicolons, bind-marker look-alikes for every driver, unicode and 10k-long values
in every parameter that takes free values (text, number, integer, campaign_ids, asins).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.parameter_validation import validate
from services.parameters import parse_definitions
from services.sql_templates import RenderedSQL, check_template, render
from tests.databases import SKIP_POSTGRES, postgres_server_url

TODAY = date(2026, 1, 1)
WINDOW = (datetime(2025, 12, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
DIALECTS = ("duckdb", "postgresql", "sqlite")
LONG = 10_000

PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

DEFINITIONS = parse_definitions(
    [
        {"name": "value", "type": "text"},
        {"name": "amount", "type": "number"},
        {"name": "count", "type": "integer"},
        {"name": "campaigns", "type": "campaign_ids"},
        {"name": "numeric_ids", "type": "campaign_ids", "item_type": "integer"},
        {"name": "asins", "type": "asins"},
    ]
)
FREE_VALUE_TEMPLATE = (
    "SELECT {{ value }} AS v, {{ amount }} AS a, {{ count }} AS c FROM t"
    " WHERE name IN {{ campaigns }} AND id IN {{ numeric_ids }} AND asin IN {{ asins }}"
    " AND ({{ campaigns.empty }} OR {{ asins.empty }}) AND ts >= {{ window_start }}"
)
BENIGN = {
    "value": "benign",
    "amount": 1.5,
    "count": 1,
    "campaigns": ["c1"],
    "numeric_ids": [1],
    "asins": ["B000000001"],
}

#: Pieces an attacker would try: SQL quoting and comments, statement breaks, every driver's
#: bind markers and our own placeholders, array/JSON syntax, and awkward unicode.
# fmt: off
FRAGMENTS = (
    "'", "''", '"', "`", "\\", "\\'", "\\\\'", "--", "-- c\n", "/*", "*/", "/* x */", ";",
    "'; DROP TABLE t; --", '"; DROP TABLE t; --', "'); DROP TABLE t; --", "1; DROP TABLE t",
    "' OR '1'='1", "' OR 1=1 --", "UNION SELECT 1", "(", ")", ",", "%", "%%", "%s", "%(x)s",
    "%(value)s", "%(window_start)s", "$1", "$value", "$window_start", "$$", "$$ x $$", ":name",
    ":value", ":window_start", "?", "?1", "@p", "{{ x }}", "{{ value }}", "{{window_start}}",
    "{{", "}}", "{", "}", "NULL", "null", "{a,b}", '{"a": 1}', "[1, 2]", "E'\\x41'", "\u202e",
    "\u200f", "\u2066", "مرحبا", "שלום", "😀", "👩\u200d👩\u200d👧", "𝕏", "\ufeff", "\u00a0",
    "\n", "\r\n", "\t", "\x1b[31m", "\x7f", "ß", "İ", " ",
)
# fmt: on
#: The same pieces repeated to exactly 10k characters (the longest text a parameter takes).
LONG_FRAGMENTS = tuple((piece * LONG)[:LONG] for piece in ("'", "'; DROP TABLE t; --", "😀"))


def _characters(*, allow_nul: bool) -> st.SearchStrategy[str]:
    # SQLite (inside JSON lists) and PostgreSQL cannot hold NUL in text, so only DuckDB
    # gets "\x00"; lone surrogates are not valid str for any driver.
    return st.characters(
        exclude_categories=["Cs"], exclude_characters=[] if allow_nul else ["\x00"]
    )


def hostile_text(*, allow_nul: bool = False) -> st.SearchStrategy[str]:
    pieces = st.one_of(
        st.sampled_from(FRAGMENTS), st.text(_characters(allow_nul=allow_nul), max_size=12)
    )
    return st.one_of(st.lists(pieces, max_size=8).map("".join), st.sampled_from(LONG_FRAGMENTS))


def hostile_ids(*, allow_nul: bool = False) -> st.SearchStrategy[list[str]]:
    item = hostile_text(allow_nul=allow_nul).map(lambda s: s[:128]).filter(lambda s: s.strip())
    benign = st.sampled_from(["a", "b", "c1"])
    return st.lists(st.one_of(item, benign), max_size=12)


def _dedupe(items: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


# --- engines ----------------------------------------------------------------------------


@dataclass
class Engine:
    dialect: Any
    run: Callable[[RenderedSQL], list[tuple[Any, ...]]]
    allows_nul: bool


def _postgres_url() -> str:
    return postgres_server_url().replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(scope="module", params=DIALECTS)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """One connection per dialect for the whole module: in-memory DuckDB and SQLite, and
    the test PostgreSQL server (temporary tables only, so nothing outlives the session)."""
    if request.param == "duckdb":
        duck = duckdb.connect()
        yield Engine("duckdb", lambda r: duck.execute(r.sql, r.binds).fetchall(), allows_nul=True)
        duck.close()
    elif request.param == "sqlite":
        lite = sqlite3.connect(":memory:")
        yield Engine("sqlite", lambda r: lite.execute(r.sql, r.binds).fetchall(), allows_nul=False)
        lite.close()
    else:
        if SKIP_POSTGRES:
            pytest.skip("no PostgreSQL server on this machine (TEST_SKIP_POSTGRES=1)")
        with psycopg.connect(_postgres_url(), autocommit=True) as pg:

            def run(rendered: RenderedSQL) -> list[tuple[Any, ...]]:
                with pg.cursor() as cur:
                    cur.execute(rendered.sql, rendered.binds)
                    return cur.fetchall() if cur.description else []

            yield Engine("postgresql", run, allows_nul=False)


def _scalar(engine: Engine, name: str, normalized: dict[str, Any]) -> Any:
    rendered = render(
        f"SELECT {{{{ {name} }}}} AS v", DEFINITIONS, normalized, WINDOW, engine.dialect
    )
    ((value,),) = engine.run(rendered)
    return value


def _column(engine: Engine, name: str, values: list[Any]) -> list[Any]:
    rendered = render(
        f"SELECT * FROM {{{{ {name} }}}} AS t", DEFINITIONS, {name: values}, WINDOW, engine.dialect
    )
    return [row[0] for row in engine.run(rendered)]


def _sorted(items: Iterable[Any]) -> list[Any]:
    return sorted(items, key=repr)


# --- (a) the SQL text never depends on the values ---------------------------------------


@PROPERTY_SETTINGS
@pytest.mark.parametrize("dialect", DIALECTS)
@given(
    text=hostile_text(allow_nul=True),
    amount=st.floats(allow_nan=False, allow_infinity=False),
    count=st.integers(min_value=-(2**63), max_value=2**63 - 1),
    campaigns=hostile_ids(allow_nul=True),
    numeric_ids=st.lists(st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1), max_size=5),
    asins=hostile_ids(allow_nul=True),
)
def test_rendered_sql_is_the_same_text_for_any_values(
    dialect: Any,
    text: str,
    amount: float,
    count: int,
    campaigns: list[str],
    numeric_ids: list[int],
    asins: list[str],
) -> None:
    hostile = {
        "value": text,
        "amount": amount,
        "count": count,
        "campaigns": campaigns,
        "numeric_ids": numeric_ids,
        "asins": asins,
    }
    benign = render(FREE_VALUE_TEMPLATE, DEFINITIONS, BENIGN, WINDOW, dialect)

    rendered = render(FREE_VALUE_TEMPLATE, DEFINITIONS, hostile, WINDOW, dialect)

    assert rendered.sql == benign.sql
    assert rendered.binds.keys() == benign.binds.keys()
    assert rendered.binds["value"] == text
    lists = {k: rendered.binds[k] for k in ("campaigns", "numeric_ids", "asins")}
    if dialect == "sqlite":
        lists = {k: json.loads(v) for k, v in lists.items()}
    assert lists == {"campaigns": campaigns, "numeric_ids": numeric_ids, "asins": asins}


@PROPERTY_SETTINGS
@pytest.mark.parametrize("dialect", DIALECTS)
@given(
    raw=st.fixed_dictionaries(
        {},
        optional={
            "value": hostile_text(allow_nul=True),
            "amount": hostile_text(),
            "count": hostile_text(),
            "campaigns": st.one_of(hostile_text(), hostile_ids()),
            "numeric_ids": st.one_of(hostile_text(), hostile_ids()),
            "asins": st.one_of(hostile_text(), hostile_ids()),
        },
    )
)
def test_whatever_validation_accepts_renders_to_the_same_sql(
    dialect: Any, raw: dict[str, Any]
) -> None:
    result = validate(DEFINITIONS, raw, today=TODAY)
    values = {**BENIGN, **result.normalized}
    benign = render(FREE_VALUE_TEMPLATE, DEFINITIONS, BENIGN, WINDOW, dialect)

    rendered = render(FREE_VALUE_TEMPLATE, DEFINITIONS, values, WINDOW, dialect)

    assert rendered.sql == benign.sql
    assert set(result.errors) | set(result.normalized) == {d.name for d in DEFINITIONS}


@pytest.mark.parametrize("raw", [*FRAGMENTS, "1; DROP TABLE t", "1 OR 1=1", "1e3; --", "0x10"])
def test_hostile_text_never_validates_as_a_number(raw: str) -> None:
    result = validate(DEFINITIONS, {"amount": raw, "count": raw}, today=TODAY)

    for name in ("amount", "count"):
        if name in result.errors:
            assert result.errors[name].startswith("Enter a")
        else:  # only blank input gets through, as "no value"
            assert raw.strip() == "" and result.normalized[name] is None


# --- (b) the values come back unchanged from each engine --------------------------------


@PROPERTY_SETTINGS
@given(data=st.data())
def test_text_values_come_back_unchanged(engine: Engine, data: st.DataObject) -> None:
    raw = data.draw(hostile_text(allow_nul=False), label="raw")
    result = validate(DEFINITIONS, {"value": raw}, today=TODAY)
    assert result.errors == {}
    expected = raw.strip() or None

    assert result.normalized["value"] == expected
    assert _scalar(engine, "value", result.normalized) == expected


@pytest.mark.parametrize("raw", FRAGMENTS + LONG_FRAGMENTS)
def test_each_hostile_fragment_comes_back_unchanged(engine: Engine, raw: str) -> None:
    rendered = render(
        "SELECT {{ value }} AS v", DEFINITIONS, {"value": raw}, WINDOW, engine.dialect
    )

    assert engine.run(rendered) == [(raw,)]


def test_validation_refuses_nul_in_text_and_ids() -> None:
    # SQLite cuts JSON list items at NUL and PostgreSQL refuses it: no value may carry one.
    result = validate(DEFINITIONS, {"value": "a\x00b", "campaigns": ["c\x00"]}, today=TODAY)

    assert set(result.errors) == {"value", "campaigns"}


def test_nul_comes_back_unchanged_from_duckdb() -> None:
    rendered = render(
        "SELECT {{ value }} AS v", DEFINITIONS, {"value": "a\x00'b"}, WINDOW, "duckdb"
    )

    assert duckdb.connect().execute(rendered.sql, rendered.binds).fetchall() == [("a\x00'b",)]


@PROPERTY_SETTINGS
@given(
    raw=st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.floats(allow_nan=False, allow_infinity=False).map(lambda f: f" {f!r} "),
        st.integers(min_value=-(10**15), max_value=10**15),
        hostile_text(),
    )
)
def test_number_values_come_back_unchanged(engine: Engine, raw: Any) -> None:
    result = validate(DEFINITIONS, {"amount": raw}, today=TODAY)
    if "amount" in result.errors:
        assert result.errors["amount"] in {"Enter a number.", "Enter a finite number."}
        return
    value = result.normalized["amount"]
    assert value is None or value == float(raw)

    assert _scalar(engine, "amount", result.normalized) == value


@PROPERTY_SETTINGS
@given(
    raw=st.one_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1).map(lambda i: f" {i} "),
        hostile_text(),
    )
)
def test_integer_values_come_back_unchanged(engine: Engine, raw: Any) -> None:
    result = validate(DEFINITIONS, {"count": raw}, today=TODAY)
    if "count" in result.errors:
        assert result.errors["count"] == "Enter a whole number."
        return
    value = result.normalized["count"]
    assert value is None or value == int(raw)

    assert _scalar(engine, "count", result.normalized) == value


@PROPERTY_SETTINGS
@given(data=st.data(), name=st.sampled_from(["campaigns", "asins"]))
def test_id_lists_come_back_unchanged(engine: Engine, data: st.DataObject, name: str) -> None:
    raw = data.draw(hostile_ids(allow_nul=False), label="raw")
    result = validate(DEFINITIONS, {name: raw}, today=TODAY)
    assert result.errors == {}
    expected = _dedupe(item.strip() for item in raw)
    assert result.normalized[name] == expected

    assert _sorted(_column(engine, name, result.normalized[name])) == _sorted(expected)
    assert bool(_scalar(engine, f"{name}.empty", result.normalized)) is (not expected)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_in_a_list_matches_exactly_the_listed_values(engine: Engine, data: st.DataObject) -> None:
    ids = data.draw(hostile_ids(allow_nul=False), label="ids")
    result = validate(DEFINITIONS, {"campaigns": ids}, today=TODAY)
    assert result.errors == {}
    sql = (
        "SELECT x FROM (SELECT 'a' AS x UNION ALL SELECT 'b' UNION ALL SELECT '''') AS t"
        " WHERE x IN {{ campaigns }} ORDER BY x"
    )

    rows = engine.run(render(sql, DEFINITIONS, result.normalized, WINDOW, engine.dialect))

    expected = sorted(x for x in ("a", "b", "'") if x in result.normalized["campaigns"])
    assert [x for (x,) in rows] == expected


@PROPERTY_SETTINGS
@given(ids=st.lists(st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1), max_size=12))
def test_integer_id_lists_come_back_unchanged(engine: Engine, ids: list[int]) -> None:
    result = validate(DEFINITIONS, {"numeric_ids": ", ".join(map(str, ids))}, today=TODAY)
    assert result.errors == {}
    assert result.normalized["numeric_ids"] == _dedupe(ids)

    assert _sorted(_column(engine, "numeric_ids", result.normalized["numeric_ids"])) == _sorted(
        _dedupe(ids)
    )


@PROPERTY_SETTINGS
@given(data=st.data())
def test_long_list_items_come_back_unchanged(engine: Engine, data: st.DataObject) -> None:
    # Past validation's 128-character cap for ids: render binds whatever it is given.
    items = data.draw(
        st.lists(st.sampled_from(LONG_FRAGMENTS + FRAGMENTS), min_size=1, max_size=6, unique=True)
    )

    assert _sorted(_column(engine, "asins", items)) == _sorted(items)


# --- the classic: '; DROP TABLE t; -- ---------------------------------------------------

DROP_ATTEMPTS = (
    "'; DROP TABLE t; --",
    '"; DROP TABLE t; --',
    "'); DROP TABLE t; --",
    "1; DROP TABLE t",
    "x' OR '1'='1",
    "$$; DROP TABLE t; $$",
    "*/ DROP TABLE t; /*",
)


def test_drop_table_values_leave_the_table_unchanged(engine: Engine) -> None:
    rows = [(1, "alpha"), (2, "'; DROP TABLE t; --")]
    run = engine.run
    run(RenderedSQL("CREATE TEMP TABLE t (id INTEGER, name TEXT)", {}))
    try:
        for row in rows:
            run(RenderedSQL(*_insert(engine.dialect, row)))
        sql = (
            "SELECT id FROM t WHERE name = {{ value }} OR name IN {{ campaigns }}"
            " OR name IN {{ asins }} ORDER BY id"
        )
        check_template(sql, DEFINITIONS)

        for attempt in DROP_ATTEMPTS:
            raw = {"value": attempt, "campaigns": [attempt, "b"], "asins": f"{attempt},x"}
            result = validate(
                DEFINITIONS, {**raw, "count": attempt, "amount": attempt}, today=TODAY
            )
            assert set(result.errors) == {"count", "amount"}  # numbers refuse SQL outright
            rendered = render(sql, DEFINITIONS, result.normalized, WINDOW, engine.dialect)

            matched = run(rendered)

            assert matched == ([(2,)] if attempt == rows[1][1] else [])
            assert run(RenderedSQL("SELECT id, name FROM t ORDER BY id", {})) == rows
    finally:
        run(RenderedSQL("DROP TABLE IF EXISTS t", {}))


def _insert(dialect: str, row: tuple[int, str]) -> tuple[str, dict[str, Any]]:
    marker = {"duckdb": "${}", "postgresql": "%({})s", "sqlite": ":{}"}[dialect]
    sql = f"INSERT INTO t VALUES ({marker.format('id')}, {marker.format('name')})"
    return sql, {"id": row[0], "name": row[1]}

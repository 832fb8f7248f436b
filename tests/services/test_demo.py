"""The demo (services/demo/): a deterministic AMC-shaped warehouse, its instance, and every
library template running on it through the real rendering path.

The warehouse is built at a small scale: the full-size build belongs to benchmarks, not here.
"""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import MAX_LOOKBACK_DAYS, Instance, QueryTemplate
from services.demo import (
    DEMO_DATA_LAG_DAYS,
    DEMO_HISTORY_DAYS,
    DEMO_INSTANCE_ID,
    build_demo_database,
    demo_database_path,
    ensure_demo,
    warehouse_info,
)
from services.engines import make_engine
from services.errors import ParameterError
from services.instances import metadata_options
from services.library import LibraryTemplate, read_library
from services.parameter_validation import validate
from services.parameters import parse_definitions
from services.presets import DATE_PRESETS
from services.secrets import decrypt_url
from services.sql_templates import render
from services.users import system_actor
from services.windows import preset_window
from settings import Settings, load_settings
from tests.factories import TEST_SECRET_KEY, create_instance

TODAY = date(2026, 3, 10)
YESTERDAY = TODAY - timedelta(days=1)
#: Small enough to build in about a second, big enough for every template to find rows.
SCALE = 0.05
FACT_TABLES = ("dsp_impressions", "dsp_clicks", "sponsored_ads_traffic", "conversions")
LIBRARY = read_library()
#: Widget config keys that name result columns.
COLUMN_KEYS = ("column", "numerator", "denominator", "x", "series", "names", "values")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small demo warehouse for the module's read-only tests."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo_database(path, today=TODAY, scale=SCALE)
    return path


@pytest.fixture
def db(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        yield connection


def _one(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return row


def _checksums(path: Path, first: date | None = None, last: date | None = None) -> dict[str, Any]:
    """Row counts and a few aggregates per table, optionally for event days first..last."""
    where = ""
    if first and last:
        where = f"WHERE event_date BETWEEN DATE '{first}' AND DATE '{last}'"
    money = {
        "dsp_impressions": "sum(impression_cost)",
        "dsp_clicks": "count(DISTINCT creative_id)",
        "sponsored_ads_traffic": "sum(spend)",
        "conversions": "sum(product_sales) + sum(units_sold) + count(*) FILTER (new_to_brand)",
        "campaign_daily": "sum(spend) + sum(product_sales)",
    }
    with duckdb.connect(str(path), read_only=True) as connection:
        sums = {
            table: connection.execute(
                f"SELECT count(*), sum(hash(user_id, event_ts, campaign_id)) % 1000000007, "
                f"round({expression}, 2) FROM {table} {where}"
                if table != "campaign_daily"
                else f"SELECT count(*), sum(impressions + clicks + purchases), "
                f"round({expression}, 2) FROM {table} {where}"
            ).fetchone()
            for table, expression in money.items()
        }
        if not where:
            for table in ("campaigns", "asins", "creatives"):
                sums[table] = connection.execute(
                    f"SELECT count(*), sum(hash(COLUMNS(*))) % 1000000007 FROM {table}"
                ).fetchone()
    return sums


# -- the warehouse -----------------------------------------------------------------------


def test_the_warehouse_covers_the_history_up_to_yesterday(
    warehouse: Path, db: duckdb.DuckDBPyConnection
) -> None:
    first_day = YESTERDAY - timedelta(days=DEMO_HISTORY_DAYS - 1)
    for table in (*FACT_TABLES, "campaign_daily"):
        first, last, days = _one(
            db, f"SELECT min(event_date), max(event_date), count(DISTINCT event_date) FROM {table}"
        )
        assert first_day <= first and last <= YESTERDAY, table
        # Clicks and purchases are rare at this small scale: a day may have none.
        if table in {"dsp_clicks", "conversions"}:
            assert days > 0.8 * DEMO_HISTORY_DAYS, table
        else:
            assert (first, last, days) == (first_day, YESTERDAY, DEMO_HISTORY_DAYS), table
    # Behind the demo's data lag, every date preset's window (the last 365 days too) lies
    # inside the history: a run of any preset finds data for each of its days.
    freshest = TODAY - timedelta(days=DEMO_DATA_LAG_DAYS)
    windows = {}
    for preset in DATE_PRESETS:
        with suppress(ParameterError):  # a "to date" period with no complete day yet
            windows[preset] = preset_window(preset, freshest, max_days=MAX_LOOKBACK_DAYS)
    assert "last_365_days" in windows
    assert all(first_day <= w.start and w.end <= TODAY for w in windows.values()), windows
    info = warehouse_info(warehouse)
    assert info is not None
    assert (info.first_day, info.last_day, info.scale) == (first_day, YESTERDAY, SCALE)
    assert [p.name for p in warehouse.parent.iterdir()] == ["demo.duckdb"]


def test_the_warehouse_is_the_same_every_time_it_is_built(tmp_path: Path, warehouse: Path) -> None:
    again = tmp_path / "again.duckdb"
    build_demo_database(again, today=TODAY, scale=SCALE)

    assert _checksums(again) == _checksums(warehouse)


def test_a_day_holds_the_same_rows_whichever_day_the_warehouse_is_built(
    tmp_path: Path, warehouse: Path
) -> None:
    later = tmp_path / "later.duckdb"
    build_demo_database(later, today=TODAY + timedelta(days=3), scale=SCALE)
    overlap_first = YESTERDAY - timedelta(days=DEMO_HISTORY_DAYS - 4)

    assert _checksums(later, overlap_first, YESTERDAY) == _checksums(
        warehouse, overlap_first, YESTERDAY
    )


def test_a_current_warehouse_is_kept_and_a_stale_one_rebuilt(
    tmp_path: Path, warehouse: Path
) -> None:
    path = tmp_path / "demo.duckdb"
    shutil.copy(warehouse, path)

    assert build_demo_database(path, today=TODAY) is False
    assert build_demo_database(path, today=TODAY - timedelta(days=5)) is False
    assert build_demo_database(path, today=TODAY + timedelta(days=2)) is True

    info = warehouse_info(path)
    assert info is not None
    assert info.last_day == YESTERDAY + timedelta(days=2)
    assert info.scale == SCALE  # no scale asked for: the warehouse keeps its own
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.duckdb"]


def test_asking_for_another_scale_rebuilds(tmp_path: Path, warehouse: Path) -> None:
    path = tmp_path / "demo.duckdb"
    shutil.copy(warehouse, path)

    assert build_demo_database(path, today=TODAY, scale=SCALE) is False
    assert build_demo_database(path, today=TODAY, scale=0.02) is True

    info = warehouse_info(path)
    assert info is not None and info.scale == 0.02
    with pytest.raises(ValueError, match="scale"):
        build_demo_database(path, today=TODAY, scale=0)


def test_a_warehouse_from_an_older_generator_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE campaign_daily AS SELECT DATE '2026-03-09' AS day")

    assert build_demo_database(path, today=TODAY, scale=SCALE) is True
    assert warehouse_info(path) is not None


def test_every_generator_sql_file_ships_as_package_data() -> None:
    """A wheel holds only the package data pyproject.toml names: the generator reads them."""
    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    package = root / "services" / "demo"
    patterns = config["tool"]["setuptools"]["package-data"]["services.demo"]
    shipped = {path for pattern in patterns for path in package.glob(pattern)}
    assert shipped == set(package.rglob("*.sql"))
    assert {path.name for path in shipped} >= {"macros.sql", "conversions.sql"}


def test_weekends_differ_from_weekdays(db: duckdb.DuckDBPyConnection) -> None:
    def weekend_ratio(table: str, where: str = "") -> float:
        weekend, weekday = _one(
            db,
            f"SELECT avg(n) FILTER (WHERE isodow(d) >= 6), avg(n) FILTER (WHERE isodow(d) < 6) "
            f"FROM (SELECT event_date AS d, count(*) AS n FROM {table} {where} GROUP BY 1)",
        )
        return float(weekend / weekday)

    assert weekend_ratio("dsp_impressions") > 1.15
    assert weekend_ratio("sponsored_ads_traffic", "WHERE event_type = 'impression'") < 0.97


def test_the_fourth_quarter_sells_more(db: duckdb.DuckDBPyConnection) -> None:
    q4, rest = _one(
        db,
        "SELECT avg(n) FILTER (WHERE month(d) IN (11, 12)), avg(n) FILTER (WHERE month(d) < 11) "
        "FROM (SELECT event_date AS d, sum(product_sales) AS n FROM campaign_daily GROUP BY 1)",
    )

    assert q4 > 1.3 * rest


def test_some_campaigns_start_and_stop_within_the_period(db: duckdb.DuckDBPyConnection) -> None:
    flights = db.execute(
        "SELECT c.campaign_id, c.start_date, c.end_date, min(d.event_date), max(d.event_date) "
        "FROM campaigns AS c JOIN campaign_daily AS d USING (campaign_id) "
        "WHERE d.impressions > 0 AND c.start_date > (SELECT min(event_date) FROM campaign_daily) "
        "AND c.end_date < (SELECT max(event_date) FROM campaign_daily) GROUP BY ALL"
    ).fetchall()
    always_on = _one(db, "SELECT count(*) FROM campaigns WHERE end_date IS NULL")[0]

    assert len(flights) >= 3
    for _, start, end, first_delivery, last_delivery in flights:
        assert (first_delivery, last_delivery) == (start, end)
    assert always_on >= 10
    channels = {row[0] for row in db.execute("SELECT DISTINCT channel FROM campaigns").fetchall()}
    assert channels == {"dsp", "sponsored_products", "sponsored_brands", "sponsored_display"}


def test_users_overlap_and_those_reached_twice_buy_more(db: duckdb.DuckDBPyConnection) -> None:
    rows = db.execute(
        """
        WITH d AS (SELECT DISTINCT user_id FROM dsp_impressions),
        s AS (SELECT DISTINCT user_id FROM sponsored_ads_traffic),
        b AS (SELECT DISTINCT user_id FROM conversions)
        SELECT (d.user_id IS NOT NULL) AS dsp, (s.user_id IS NOT NULL) AS sponsored,
            count(*) AS users, count(b.user_id) / count(*) AS rate
        FROM d FULL JOIN s ON s.user_id = d.user_id
        LEFT JOIN b ON b.user_id = coalesce(d.user_id, s.user_id)
        GROUP BY ALL
        """
    ).fetchall()
    groups = {(dsp, sponsored): (users, rate) for dsp, sponsored, users, rate in rows}

    both_users, both_rate = groups[(True, True)]
    assert both_users > 0.2 * sum(users for users, _ in groups.values())
    assert both_rate > groups[(True, False)][1]
    assert both_rate > groups[(False, True)][1]


def test_conversions_follow_ad_events_of_known_campaigns_and_asins(
    db: duckdb.DuckDBPyConnection,
) -> None:
    lags, types, orphans, ntb_share = _one(
        db,
        "SELECT list(DISTINCT conversion_lag_days ORDER BY conversion_lag_days), "
        "list(DISTINCT attribution_type ORDER BY attribution_type), "
        "count(*) FILTER (WHERE a.asin IS NULL OR c.campaign_id IS NULL), "
        "avg(CAST(new_to_brand AS INTEGER)) "
        "FROM conversions AS v LEFT JOIN asins AS a USING (asin) "
        "LEFT JOIN campaigns AS c USING (campaign_id)",
    )

    assert lags == list(range(15))
    assert types == ["click", "view"]
    assert orphans == 0
    assert 0.2 < ntb_share < 0.6
    for table in ("dsp_impressions", "dsp_clicks", "sponsored_ads_traffic"):
        missing = _one(
            db,
            f"SELECT count(*) FROM {table} AS t LEFT JOIN creatives AS r USING (creative_id) "
            f"WHERE r.campaign_id IS DISTINCT FROM t.campaign_id "
            f"OR CAST(t.event_ts AS DATE) <> t.event_date",
        )[0]
        assert missing == 0, table
    asin = _one(db, "SELECT min(asin), max(length(asin)), min(length(asin)) FROM asins")
    assert asin[0].startswith("B0") and asin[1] == asin[2] == 10


# -- the instance ------------------------------------------------------------------------


def _settings(data_dir: Path) -> Settings:
    return load_settings({"DATA_DIR": str(data_dir), "SECRET_KEY": TEST_SECRET_KEY})


def test_ensure_demo_saves_the_instance_with_an_encrypted_url(
    tmp_path: Path, warehouse: Path, session: Session
) -> None:
    settings = _settings(tmp_path)
    shutil.copy(warehouse, demo_database_path(settings))

    summary = ensure_demo(session=session, settings=settings, today=TODAY)
    session.commit()

    instance = session.scalars(select(Instance)).one()
    url = f"duckdb:///{tmp_path / 'demo.duckdb'}"
    assert instance.instance_id == DEMO_INSTANCE_ID == summary.instance_id
    assert instance.name == "Demo warehouse (AMC-shaped)"
    assert instance.engine == "duckdb"
    assert (instance.data_lag_days, instance.max_concurrency) == (2, 10)
    assert (instance.statement_timeout_seconds, instance.timezone) == (300, "UTC")
    assert set(instance.metadata_queries) == {"campaigns", "asins"}
    assert instance.connection_url_encrypted != url
    assert str(tmp_path) not in instance.connection_url_encrypted
    assert decrypt_url(instance.connection_url_encrypted, secret_key=TEST_SECRET_KEY) == url
    assert (summary.created_database, summary.created_instance) == (False, True)
    assert (summary.first_day, summary.last_day, summary.scale) == (
        YESTERDAY - timedelta(days=DEMO_HISTORY_DAYS - 1),
        YESTERDAY,
        SCALE,
    )


def test_ensure_demo_is_idempotent(tmp_path: Path, warehouse: Path, session: Session) -> None:
    settings = _settings(tmp_path)
    shutil.copy(warehouse, demo_database_path(settings))

    first = ensure_demo(session=session, settings=settings, today=TODAY)
    session.commit()
    second = ensure_demo(session=session, settings=settings, today=TODAY)
    session.commit()

    assert first.created_instance and not second.created_instance
    assert first.template_ids == second.template_ids == tuple(t.template_id for t in LIBRARY)
    assert session.scalar(select(func.count()).select_from(Instance)) == 1
    assert session.scalar(select(func.count()).select_from(QueryTemplate)) == len(LIBRARY)


def test_ensure_demo_builds_a_missing_warehouse_and_repairs_an_old_instance_row(
    tmp_path: Path, session: Session
) -> None:
    settings = _settings(tmp_path)
    # The previous release stored the URL in plain text.
    create_instance(
        session=session, instance_id=DEMO_INSTANCE_ID, connection_url_encrypted="duckdb:///x"
    )
    session.commit()

    summary = ensure_demo(session=session, settings=settings, today=TODAY, scale=SCALE)
    session.commit()

    assert summary.created_database and not summary.created_instance
    assert summary.build_seconds > 0
    instance = session.scalars(select(Instance)).one()
    assert decrypt_url(instance.connection_url_encrypted, secret_key=TEST_SECRET_KEY).endswith(
        "/demo.duckdb"
    )


def test_the_metadata_queries_list_and_search_campaigns_and_asins(
    tmp_path: Path, warehouse: Path, session: Session
) -> None:
    settings = _settings(tmp_path)
    shutil.copy(warehouse, demo_database_path(settings))
    ensure_demo(session=session, settings=settings, today=TODAY)
    session.commit()
    actor = system_actor(session=session)

    def options(kind: str, search: str = "") -> list[Any]:
        return metadata_options(
            session=session,
            actor=actor,
            secret_key=TEST_SECRET_KEY,
            instance_id=DEMO_INSTANCE_ID,
            kind=kind,
            search=search,
            limit=200,
        )

    campaigns = options("campaigns")
    holiday = options("campaigns", "holiday")
    assert len(campaigns) >= 15
    assert 0 < len(holiday) < len(campaigns)
    assert all("Holiday" in o.label for o in holiday)
    assert [o.value for o in options("campaigns", campaigns[0].value)] == [campaigns[0].value]
    assert options("campaigns", "no such campaign") == []
    asins = options("asins")
    assert len(asins) >= 20 and all(len(o.value) == 10 for o in asins)
    [fryer] = options("asins", "air fryer")
    assert "Air Fryer" in fryer.label
    assert [o.value for o in options("asins", fryer.value.lower())] == [fryer.value]
    assert len(options("asins", "lumen")) == 10


# -- the library on the warehouse -----------------------------------------------------------


def _window() -> tuple[datetime, datetime]:
    """The last 60 days a conversion template may read: complete, attributed data only."""
    end = datetime.combine(YESTERDAY - timedelta(days=14) + timedelta(days=1), datetime.min.time())
    end = end.replace(tzinfo=UTC)
    return end - timedelta(days=60), end


def _run(warehouse: Path, template: LibraryTemplate, values: dict[str, Any]) -> pa.Table:
    definitions = parse_definitions(template.parameter_definitions)
    checked = validate(definitions, values, today=TODAY)
    assert checked.valid, checked.errors
    rendered = render(template.sql_template, definitions, checked.normalized, _window(), "duckdb")
    engine = make_engine("duckdb", f"duckdb:///{warehouse}")
    batches = list(engine.execute(rendered.sql, rendered.binds, timeout=60))
    return pa.Table.from_batches(batches) if batches else pa.table({})


def _referenced_columns(template: LibraryTemplate) -> set[str]:
    names: set[str] = set()
    for widget in template.report_config["widgets"]:
        config = widget.get("config", {})
        names.update(str(config[key]) for key in COLUMN_KEYS if config.get(key))
        for key in ("y", "columns"):
            names.update(config.get(key, []))
    return names - {"window_start", "window_end"}


@pytest.mark.parametrize("template", LIBRARY, ids=lambda t: t.template_id)
def test_every_library_template_runs_with_its_defaults(
    warehouse: Path, template: LibraryTemplate
) -> None:
    result = _run(warehouse, template, {})

    assert result.num_rows > 0
    missing = _referenced_columns(template) - set(result.column_names)
    assert not missing, f"report_config names columns the result lacks: {sorted(missing)}"


def _choices(warehouse: Path, definition: dict[str, Any]) -> list[Any]:
    """A few values of every kind a form may send for this parameter."""
    kind = definition["type"]
    if kind in {"enum", "column"}:
        return [o["value"] if isinstance(o, dict) else o for o in definition["options"]]
    if kind == "multi_select":
        first = definition["options"][0]
        return [[first["value"] if isinstance(first, dict) else first]]
    if kind == "boolean":
        return [True, False]
    if kind in {"campaign_ids", "asins"}:
        table, column = (
            ("campaigns", "campaign_id") if kind == "campaign_ids" else ("asins", "asin")
        )
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            ids = [
                r[0] for r in connection.execute(f"SELECT {column} FROM {table} LIMIT 3").fetchall()
            ]
        return [ids[:1], ids]
    if kind == "text":
        return ["Holiday", "it's; -- DROP"]
    if kind == "date":
        return [(_window()[0] + timedelta(days=20)).date().isoformat()]
    if kind in {"integer", "number"}:
        return [v for v in (definition.get("min"), definition.get("max")) if v is not None]
    raise AssertionError(f"no sample values for {kind}")


@pytest.mark.parametrize("template", LIBRARY, ids=lambda t: t.template_id)
def test_every_option_of_every_library_template_runs(
    warehouse: Path, template: LibraryTemplate
) -> None:
    for definition in template.parameter_definitions:
        for value in _choices(warehouse, definition):
            # A result may be empty (a filter matching nothing); the SQL must still run.
            _run(warehouse, template, {definition["name"]: value})

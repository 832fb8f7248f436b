"""The demo: a small DuckDB warehouse, its instance row, and the template library.

Everything here is idempotent, so `reportbuilder run` calls it at every start.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Instance, QueryTemplate
from settings import Settings

#: Slug of the demo instance.
DEMO_INSTANCE_ID = "demo"
#: File name of the demo warehouse inside DATA_DIR.
DEMO_DATABASE_FILENAME = "demo.duckdb"
#: Days of history the demo warehouse starts with, ending yesterday.
DEMO_HISTORY_DAYS = 400
#: Like AMC's 48 hours: the last two days are not complete yet.
DEMO_DATA_LAG_DAYS = 2
#: The template library shipped with the product: one `<id>.sql` + `<id>.yaml` per template.
LIBRARY_DIR = Path(__file__).resolve().parent.parent / "library"

log = logging.getLogger(__name__)

_TEMPLATE_ID = re.compile(r"[a-z][a-z0-9_]{1,63}")

#: The demo's campaigns: id, name, daily impressions, click-through rate, cost per click,
#: return on ad spend.
_CAMPAIGNS_SQL = """
    SELECT * FROM (VALUES
        (1001, 'Brand - Search',          42000, 0.045, 0.62, 6.5),
        (1002, 'Competitor - Search',     18000, 0.021, 1.35, 2.1),
        (1003, 'Category - Sponsored',    65000, 0.012, 0.88, 3.4),
        (1004, 'Retargeting - Display',  120000, 0.004, 0.95, 4.8),
        (1005, 'Prospecting - Video',    210000, 0.002, 1.60, 1.3),
        (1006, 'Holiday - Deals',         30000, 0.030, 0.74, 5.2)
    ) AS c(campaign_number, campaign_name, base_impressions, ctr, cpc, roas)
"""

#: Deterministic pseudo-random numbers in [0, 1) from (day, campaign, salt): the same day
#: always gets the same figures, whenever and however often the warehouse is built.
_NOISE_MACRO = """
    CREATE OR REPLACE TEMP MACRO rb_noise(n, c, k) AS
        ((n * 1103515245 + c * 12345 + k * 2654435761) % 2147483648) / 2147483648.0
"""

_CREATE_TABLE_SQL = """
    CREATE TABLE campaign_daily (
        day DATE NOT NULL,
        campaign_id VARCHAR NOT NULL,
        campaign_name VARCHAR NOT NULL,
        impressions BIGINT NOT NULL,
        clicks BIGINT NOT NULL,
        spend DECIMAL(12, 2) NOT NULL,
        sales DECIMAL(12, 2) NOT NULL,
        PRIMARY KEY (day, campaign_id)
    )
"""

_INSERT_DAYS_SQL = f"""
    INSERT INTO campaign_daily
    WITH campaigns AS ({_CAMPAIGNS_SQL}),
    days AS (
        SELECT CAST($first_day AS DATE) + CAST(i AS INTEGER) AS day
        FROM range(0, $day_count) AS r(i)
    ),
    grid AS (
        SELECT
            d.day,
            c.*,
            CAST(d.day - DATE '1970-01-01' AS BIGINT) AS n,
            (1 + 0.15 * sin(2 * pi() * isodow(d.day) / 7))
                * (1 + 0.20 * sin(2 * pi() * dayofyear(d.day) / 365.25)) AS season
        FROM days AS d CROSS JOIN campaigns AS c
    ),
    delivery AS (
        SELECT
            *,
            round(base_impressions * season * (0.8 + 0.4 * rb_noise(n, campaign_number, 1)))
                AS imps
        FROM grid
    ),
    clicked AS (
        SELECT *, round(imps * ctr * (0.85 + 0.3 * rb_noise(n, campaign_number, 2))) AS clk
        FROM delivery
    ),
    spent AS (
        SELECT *, clk * cpc * (0.9 + 0.2 * rb_noise(n, campaign_number, 3)) AS cost
        FROM clicked
    )
    SELECT
        day,
        'cmp_' || campaign_number AS campaign_id,
        campaign_name,
        CAST(imps AS BIGINT) AS impressions,
        CAST(clk AS BIGINT) AS clicks,
        CAST(round(cost, 2) AS DECIMAL(12, 2)) AS spend,
        CAST(round(cost * roas * (0.7 + 0.6 * rb_noise(n, campaign_number, 4)), 2)
            AS DECIMAL(12, 2)) AS sales
    FROM spent
    ORDER BY day, campaign_id
"""

#: The instance's metadata queries: options for campaign pickers (value, label).
DEMO_METADATA_QUERIES = {
    "campaigns": (
        "SELECT DISTINCT campaign_id AS value, campaign_name AS label "
        "FROM campaign_daily ORDER BY label"
    ),
}


class LibraryError(ValueError):
    """A template file of the library is missing a field or malformed."""


@dataclass(frozen=True)
class LibraryTemplate:
    """One template as the library files define it."""

    template_id: str
    name: str
    description: str
    category: str
    sql_template: str
    parameter_definitions: list[dict[str, Any]]
    report_type: str
    report_config: dict[str, Any]
    ui_schema: dict[str, Any]
    min_data_age_days: int


@dataclass(frozen=True)
class DemoSummary:
    """What `ensure_demo` found or made."""

    instance_id: str
    database_path: Path
    created_database: bool
    created_instance: bool
    template_ids: tuple[str, ...]


def demo_database_path(settings: Settings) -> Path:
    return settings.data_dir / DEMO_DATABASE_FILENAME


def ensure_demo(
    *,
    session: Session,
    settings: Settings,
    library_dir: Path = LIBRARY_DIR,
    today: date | None = None,
) -> DemoSummary:
    """Create (or top up) the demo warehouse, its instance row and the library templates.

    Flushes; the caller commits.
    """
    today = today or datetime.now(UTC).date()
    path = demo_database_path(settings)
    created_database = build_demo_database(path, today=today)
    created_instance = _ensure_demo_instance(session=session, database_path=path)
    template_ids = load_library(session=session, library_dir=library_dir)
    return DemoSummary(
        instance_id=DEMO_INSTANCE_ID,
        database_path=path,
        created_database=created_database,
        created_instance=created_instance,
        template_ids=tuple(template_ids),
    )


def build_demo_database(path: Path, *, today: date) -> bool:
    """Make `path` hold campaign_daily up to yesterday; True when the file was created.

    A new file is built under a temporary name and renamed, so a crash never leaves a
    half-built warehouse behind. An existing one only gets the days it is missing.
    """
    yesterday = today - timedelta(days=1)
    if path.exists():
        _top_up(path, yesterday=yesterday)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f".{path.name}.building")
    building.unlink(missing_ok=True)
    connection = duckdb.connect(str(building))
    try:
        connection.execute(_CREATE_TABLE_SQL)
        first_day = yesterday - timedelta(days=DEMO_HISTORY_DAYS - 1)
        _insert_days(connection, first_day=first_day, last_day=yesterday)
    finally:
        connection.close()
    os.replace(building, path)
    return True


def _top_up(path: Path, *, yesterday: date) -> None:
    try:
        connection = duckdb.connect(str(path))
    except duckdb.IOException as error:  # a worker holds the file open; try next start
        log.warning("demo warehouse busy, not topped up: %s", error)
        return
    try:
        row = connection.execute("SELECT max(day) FROM campaign_daily").fetchone()
        last_day = row[0] if row else None
        if isinstance(last_day, date) and last_day < yesterday:
            _insert_days(connection, first_day=last_day + timedelta(days=1), last_day=yesterday)
    finally:
        connection.close()


def _insert_days(connection: duckdb.DuckDBPyConnection, *, first_day: date, last_day: date) -> None:
    connection.execute(_NOISE_MACRO)
    day_count = (last_day - first_day).days + 1
    connection.execute(_INSERT_DAYS_SQL, {"first_day": first_day, "day_count": day_count})


def _ensure_demo_instance(*, session: Session, database_path: Path) -> bool:
    existing = session.scalar(select(Instance).where(Instance.instance_id == DEMO_INSTANCE_ID))
    if existing is not None:
        return False
    session.add(
        Instance(
            instance_id=DEMO_INSTANCE_ID,
            name="Demo warehouse",
            description="A small DuckDB warehouse of advertising campaigns, shaped like AMC.",
            engine="duckdb",
            # TODO(issue 3): encrypt with SECRET_KEY
            connection_url_encrypted=f"duckdb:///{database_path.absolute()}",
            data_lag_days=DEMO_DATA_LAG_DAYS,
            max_concurrency=10,
            timezone="UTC",
            metadata_queries=dict(DEMO_METADATA_QUERIES),
        )
    )
    session.flush()
    return True


def read_library(library_dir: Path = LIBRARY_DIR) -> list[LibraryTemplate]:
    """Every template in `library_dir`, sorted by id; raises LibraryError on a bad file."""
    return [_read_template(spec) for spec in sorted(library_dir.glob("*.yaml"))]


def load_library(*, session: Session, library_dir: Path = LIBRARY_DIR) -> list[str]:
    """Insert or update every library template by template_id; return their ids. Flushes."""
    templates = read_library(library_dir)
    ids = [template.template_id for template in templates]
    existing = {
        row.template_id: row
        for row in session.scalars(select(QueryTemplate).where(QueryTemplate.template_id.in_(ids)))
    }
    for template in templates:
        row = existing.get(template.template_id)
        if row is None:
            row = QueryTemplate(template_id=template.template_id)
            session.add(row)
        row.name = template.name
        row.description = template.description
        row.category = template.category
        row.sql_template = template.sql_template
        row.parameter_definitions = template.parameter_definitions
        row.report_type = template.report_type
        row.report_config = template.report_config
        row.ui_schema = template.ui_schema
        row.min_data_age_days = template.min_data_age_days
        row.is_public = True
    session.flush()
    return ids


def _read_template(spec_path: Path) -> LibraryTemplate:
    where = spec_path.name
    try:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise LibraryError(f"{where}: not valid YAML: {error}") from error
    if not isinstance(spec, dict):
        raise LibraryError(f"{where}: expected a mapping of fields")
    template_id = spec.get("id")
    if not isinstance(template_id, str) or not _TEMPLATE_ID.fullmatch(template_id):
        raise LibraryError(f"{where}: id must be a lowercase slug")
    if template_id != spec_path.stem:
        raise LibraryError(f"{where}: id {template_id!r} does not match the file name")
    sql_path = spec_path.with_suffix(".sql")
    if not sql_path.is_file():
        raise LibraryError(f"{where}: {sql_path.name} is missing")
    sql = sql_path.read_text(encoding="utf-8").strip()
    if not sql:
        raise LibraryError(f"{sql_path.name}: empty SQL")
    return LibraryTemplate(
        template_id=template_id,
        name=_field(spec, "name", str, where, required=True),
        description=_field(spec, "description", str, where, default=""),
        category=_field(spec, "category", str, where, default="General"),
        sql_template=sql,
        parameter_definitions=_field(spec, "parameter_definitions", list, where, default=[]),
        report_type=_field(spec, "report_type", str, where, default="table"),
        report_config=_field(spec, "report_config", dict, where, default={}),
        ui_schema=_field(spec, "ui_schema", dict, where, default={}),
        min_data_age_days=_field(spec, "min_data_age_days", int, where, default=0),
    )


def _field(
    spec: dict[str, Any],
    key: str,
    kind: type[Any],
    where: str,
    *,
    required: bool = False,
    default: Any = None,
) -> Any:
    value = spec.get(key)
    if value is None:
        if required:
            raise LibraryError(f"{where}: {key} is required")
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise LibraryError(f"{where}: {key} must be a {kind.__name__}")
    return value

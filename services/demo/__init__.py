"""The demo: its warehouse kept current, its instance row, and the template library loaded."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Instance
from services.demo.warehouse import (
    DEMO_HISTORY_DAYS,
    WarehouseInfo,
    build_demo_database,
    warehouse_info,
)
from services.instances import save_instance
from services.library import LIBRARY_DIR, load_library
from settings import Settings

__all__ = [
    "DEMO_DATABASE_FILENAME",
    "DEMO_DATA_LAG_DAYS",
    "DEMO_HISTORY_DAYS",
    "DEMO_INSTANCE_ID",
    "DEMO_INSTANCE_NAME",
    "DEMO_MAX_CONCURRENCY",
    "DEMO_METADATA_QUERIES",
    "DEMO_STATEMENT_TIMEOUT_S",
    "DemoSummary",
    "WarehouseInfo",
    "build_demo_database",
    "demo_database_path",
    "ensure_demo",
    "warehouse_info",
]

#: Slug of the demo instance.
DEMO_INSTANCE_ID = "demo"
#: Name people see for the demo instance.
DEMO_INSTANCE_NAME = "Demo warehouse (AMC-shaped)"
#: File name of the demo warehouse inside DATA_DIR.
DEMO_DATABASE_FILENAME = "demo.duckdb"
#: Like AMC's 48 hours: the last two days are not complete yet.
DEMO_DATA_LAG_DAYS = 2
#: Like AMC's limit of concurrent queries per instance.
DEMO_MAX_CONCURRENCY = 10
#: Seconds a demo query may run.
DEMO_STATEMENT_TIMEOUT_S = 300

#: The instance's metadata queries: options (value, label) for campaign and ASIN pickers,
#: narrowed by the user's search text ('' lists everything).
DEMO_METADATA_QUERIES = {
    "campaigns": (
        "SELECT campaign_id AS value, campaign_name || ' (' || channel || ')' AS label "
        "FROM campaigns "
        "WHERE {{ search }} = '' OR campaign_name ILIKE '%' || {{ search }} || '%' "
        "OR campaign_id = {{ search }} "
        "ORDER BY label LIMIT 200"
    ),
    "asins": (
        "SELECT asin AS value, asin || ' · ' || product_name AS label "
        "FROM asins "
        "WHERE {{ search }} = '' OR product_name ILIKE '%' || {{ search }} || '%' "
        "OR brand ILIKE '%' || {{ search }} || '%' OR asin = upper({{ search }}) "
        "ORDER BY label LIMIT 200"
    ),
}


@dataclass(frozen=True)
class DemoSummary:
    """What `ensure_demo` found or made."""

    instance_id: str
    database_path: Path
    created_database: bool
    created_instance: bool
    template_ids: tuple[str, ...]
    first_day: date | None = None
    last_day: date | None = None
    scale: float = 1.0
    build_seconds: float = 0.0


def demo_database_path(settings: Settings) -> Path:
    return settings.data_dir / DEMO_DATABASE_FILENAME


def ensure_demo(
    *,
    session: Session,
    settings: Settings,
    library_dir: Path = LIBRARY_DIR,
    today: date | None = None,
    scale: float | None = None,
) -> DemoSummary:
    """Make the demo warehouse current, save the demo instance and load the library.

    `scale` None keeps the scale of an existing warehouse (1.0 for a new one). The
    instance row is saved every time, so its URL and metadata queries follow the code.
    Flushes; the caller commits.
    """
    today = today or datetime.now(UTC).date()
    path = demo_database_path(settings)
    started = time.perf_counter()
    built = build_demo_database(path, today=today, scale=scale)
    build_seconds = time.perf_counter() - started if built else 0.0
    info = warehouse_info(path)
    existed = session.scalar(select(Instance.id).where(Instance.instance_id == DEMO_INSTANCE_ID))
    save_instance(
        session=session,
        secret_key=settings.secret_key,
        instance_id=DEMO_INSTANCE_ID,
        name=DEMO_INSTANCE_NAME,
        engine="duckdb",
        connection_url=f"duckdb:///{path.absolute()}",
        description=(
            "Synthetic advertising data shaped like Amazon Marketing Cloud: DSP impressions "
            "and clicks, sponsored-ads traffic and attributed conversions, up to yesterday."
        ),
        data_lag_days=DEMO_DATA_LAG_DAYS,
        max_concurrency=DEMO_MAX_CONCURRENCY,
        statement_timeout_seconds=DEMO_STATEMENT_TIMEOUT_S,
        timezone="UTC",
        metadata_queries=dict(DEMO_METADATA_QUERIES),
    )
    template_ids = load_library(session=session, library_dir=library_dir)
    return DemoSummary(
        instance_id=DEMO_INSTANCE_ID,
        database_path=path,
        created_database=built,
        created_instance=existed is None,
        template_ids=tuple(template_ids),
        first_day=info.first_day if info else None,
        last_day=info.last_day if info else None,
        scale=info.scale if info else 1.0,
        build_seconds=build_seconds,
    )

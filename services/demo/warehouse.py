"""The demo warehouse: a synthetic, AMC-shaped DuckDB file, built from hashes, rebuilt daily.

The warehouse holds ad events (DSP impressions and clicks, sponsored-ads traffic) and the
conversions attributed to them, for DEMO_HISTORY_DAYS days up to yesterday (UTC). Every
figure comes from hashing the day, the campaign and the event's position, so a day always
holds the same rows whenever, and however often, the warehouse is built. When a new day
starts the warehouse is rebuilt (not appended to): a build takes seconds, and a rebuild
under a temporary name followed by a rename never needs a write lock on the file workers
read, nor leaves a half-built file behind.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.resources import files
from pathlib import Path

import duckdb

from services.demo.catalog import load_catalog

#: Days of history, ending yesterday (UTC).
DEMO_HISTORY_DAYS = 400
#: Days a conversion may follow the ad event it is attributed to.
ATTRIBUTION_DAYS = 14
#: Pseudo-users at scale 1.0; the pool grows with the scale so frequencies stay alike.
USERS_PER_SCALE = 400_000
#: Bump when the generator changes: a warehouse built by another version is rebuilt.
#: (The figures also rest on DuckDB's hash(); a DuckDB upgrade may change new builds.)
GENERATOR_VERSION = 2
#: Events generated per row of rb_event_chunks (see campaign_days.sql).
_CHUNK = 16

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WarehouseInfo:
    """What a built warehouse says about itself (its `demo_info` row)."""

    generator_version: int
    scale: float
    first_day: date
    last_day: date


def warehouse_info(path: Path) -> WarehouseInfo | None:
    """The warehouse's own description; None when the file is missing or not ours."""
    if not path.is_file():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as connection:
            row = connection.execute(
                "SELECT generator_version, scale, first_day, last_day FROM demo_info"
            ).fetchone()
    except duckdb.Error as error:
        log.info("demo warehouse %s is not current: %s", path, error)
        return None
    if row is None:
        return None
    return WarehouseInfo(
        generator_version=int(row[0]), scale=float(row[1]), first_day=row[2], last_day=row[3]
    )


def build_demo_database(path: Path, *, today: date, scale: float | None = None) -> bool:
    """Make `path` hold the demo warehouse up to yesterday; True when it was (re)built.

    A warehouse of this generator version, this scale (None: any) and ending yesterday or
    later is kept. Otherwise a new one is built under a temporary name and renamed over.
    """
    if scale is not None and not 0 < scale <= 100:
        raise ValueError("scale must be above 0 and at most 100")
    yesterday = today - timedelta(days=1)
    info = warehouse_info(path)
    if (
        info is not None
        and info.generator_version == GENERATOR_VERSION
        and (scale is None or info.scale == scale)
        and info.last_day >= yesterday
    ):
        return False
    if scale is None:
        scale = info.scale if info is not None else 1.0
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(f".{path.name}.{os.getpid()}.building")
    building.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(building)) as connection:
            first_day = yesterday - timedelta(days=DEMO_HISTORY_DAYS - 1)
            _generate(connection, first_day=first_day, last_day=yesterday, scale=scale)
        # A write-ahead log left by the old file would be replayed into the new one.
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
        os.replace(building, path)
    finally:
        building.unlink(missing_ok=True)
        building.with_name(building.name + ".wal").unlink(missing_ok=True)
    return True


def _sql(name: str) -> str:
    """The text of `<name>.sql`, shipped inside this package."""
    return files("services.demo").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def _generate(
    connection: duckdb.DuckDBPyConnection, *, first_day: date, last_day: date, scale: float
) -> None:
    """Create every table of the warehouse for [first_day, last_day] in `connection`."""
    users = max(2_000, round(USERS_PER_SCALE * scale))
    # Conversions on the first days come from ad events before them: generate those too.
    lead_first = first_day - timedelta(days=ATTRIBUTION_DAYS)
    lead_last = first_day - timedelta(days=1)
    days = {"first_day": first_day, "last_day": last_day}
    load_catalog(connection, first_day=lead_first, last_day=last_day)
    connection.execute(
        _sql("macros").format(overlap_low=int(users * 0.3), overlap_high=int(users * 0.7))
    )
    connection.execute(
        _sql("days"), {"lead_first": lead_first, "day_count": (last_day - lead_first).days + 1}
    )
    connection.execute(_sql("campaign_days").format(scale=float(scale), chunk=_CHUNK))
    connection.execute(_sql("dsp_events").format(users=users, chunk=_CHUNK))
    connection.execute(_sql("sa_events").format(users=users, chunk=_CHUNK))
    connection.execute(_sql("final_dimensions"))
    connection.execute(
        "CREATE TABLE dsp_impressions AS SELECT * FROM rb_dsp_events($first_day, $last_day)",
        days,
    )
    connection.execute(
        "CREATE TEMP TABLE rb_dsp_lead AS SELECT * FROM rb_dsp_events($first, $last)",
        {"first": lead_first, "last": lead_last},
    )
    connection.execute(_sql("dsp_clicks"))
    connection.execute(
        "CREATE TABLE dsp_clicks AS SELECT * FROM rb_dsp_clicks "
        "WHERE event_date >= $first_day ORDER BY event_ts",
        {"first_day": first_day},
    )
    connection.execute(
        "CREATE TABLE sponsored_ads_traffic AS SELECT * FROM rb_sa_events($first_day, $last_day)",
        days,
    )
    connection.execute(
        "CREATE TEMP TABLE rb_sa_lead AS SELECT * FROM rb_sa_events($first, $last)",
        {"first": lead_first, "last": lead_last},
    )
    connection.execute(
        _sql("conversions").format(window_seconds=(ATTRIBUTION_DAYS + 1) * 86400), days
    )
    connection.execute(_sql("campaign_daily"))
    connection.execute(
        "CREATE TABLE demo_info AS SELECT CAST($version AS INTEGER) AS generator_version, "
        "CAST($scale AS DOUBLE) AS scale, CAST($first_day AS DATE) AS first_day, "
        "CAST($last_day AS DATE) AS last_day, CAST($users AS BIGINT) AS users",
        {"version": GENERATOR_VERSION, "scale": scale, "users": users, **days},
    )

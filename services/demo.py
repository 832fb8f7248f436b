"""The demo: a synthetic, AMC-shaped DuckDB warehouse, its instance row, and the library.

The warehouse holds ad events (DSP impressions and clicks, sponsored-ads traffic) and the
conversions attributed to them, for DEMO_HISTORY_DAYS days up to yesterday (UTC). Every
figure comes from hashing the day, the campaign and the event's position, so a day always
holds the same rows whenever, and however often, the warehouse is built. When a new day
starts the warehouse is rebuilt (not appended to): a build takes seconds, and a rebuild
under a temporary name followed by a rename never needs a write lock on the file workers
read, nor leaves a half-built file behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Instance
from services.instances import save_instance
from services.library import LIBRARY_DIR, load_library
from settings import Settings

#: Slug of the demo instance.
DEMO_INSTANCE_ID = "demo"
#: Name people see for the demo instance.
DEMO_INSTANCE_NAME = "Demo warehouse (AMC-shaped)"
#: File name of the demo warehouse inside DATA_DIR.
DEMO_DATABASE_FILENAME = "demo.duckdb"
#: Days of history, ending yesterday (UTC).
DEMO_HISTORY_DAYS = 400
#: Like AMC's 48 hours: the last two days are not complete yet.
DEMO_DATA_LAG_DAYS = 2
#: Like AMC's limit of concurrent queries per instance.
DEMO_MAX_CONCURRENCY = 10
#: Seconds a demo query may run.
DEMO_STATEMENT_TIMEOUT_S = 300
#: Days a conversion may follow the ad event it is attributed to.
ATTRIBUTION_DAYS = 14
#: Pseudo-users at scale 1.0; the pool grows with the scale so frequencies stay alike.
USERS_PER_SCALE = 400_000
#: Bump when the generator changes: a warehouse built by another version is rebuilt.
#: (The figures also rest on DuckDB's hash(); a DuckDB upgrade may change new builds.)
GENERATOR_VERSION = 2

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class WarehouseInfo:
    """What a built warehouse says about itself (its `demo_info` row)."""

    generator_version: int
    scale: float
    first_day: date
    last_day: date


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


# -- the dimensions ----------------------------------------------------------------------

#: Brands: number (for hashing), brand, advertiser, targeting keywords.
_BRANDS = (
    (1, "Northwind", "Northwind Outdoors",
     ("hiking backpack", "camping tent", "sleeping bag", "trekking poles", "northwind",
      "outdoor gear", "headlamp", "rain jacket")),
    (2, "Lumen", "Lumen Home",
     ("air fryer", "chef knife", "kitchen gadgets", "lumen", "smart bulb", "bed sheets",
      "electric kettle", "blender")),
    (3, "Pebble", "Pebble Kids",
     ("toddler toys", "magnetic tiles", "baby monitor", "pebble toys", "balance bike",
      "wooden blocks", "kids gifts", "bath toys")),
)  # fmt: skip

#: Products per brand number, best sellers first: name, category, price.
_PRODUCTS = {
    1: (
        ("Trail Backpack 35L", "Hiking", 89.99),
        ("Insulated Bottle 32oz", "Hiking", 29.99),
        ("Headlamp 400lm", "Camping", 24.99),
        ("Ultralight Tent 2P", "Camping", 229.00),
        ("Trekking Poles", "Hiking", 49.99),
        ("Down Sleeping Bag", "Camping", 159.00),
        ("Rain Jacket", "Apparel", 119.00),
        ("Hiking Socks 3-Pack", "Apparel", 19.99),
        ("Camp Stove", "Camping", 64.99),
        ("Camp Chair", "Camping", 54.99),
    ),
    2: (
        ("Air Fryer 5.8qt", "Kitchen", 99.99),
        ("Electric Kettle", "Kitchen", 42.99),
        ("Smart LED Bulb 4-Pack", "Lighting", 39.99),
        ("Chef Knife 8in", "Kitchen", 59.99),
        ("Cold Brew Maker", "Kitchen", 34.99),
        ("Linen Sheet Set", "Bedding", 89.00),
        ("Memory Foam Pillow", "Bedding", 49.00),
        ("Nonstick Pan Set", "Kitchen", 129.00),
        ("Desk Lamp", "Lighting", 44.99),
        ("Blender Pro", "Kitchen", 149.00),
    ),
    3: (
        ("Magnetic Tiles 60pc", "Toys", 59.99),
        ("Wooden Blocks 100pc", "Toys", 29.99),
        ("Plush Bear", "Toys", 19.99),
        ("Baby Monitor", "Baby", 119.99),
        ("Bath Toys Set", "Baby", 16.99),
        ("Balance Bike", "Toys", 89.00),
        ("Story Projector", "Baby", 39.99),
        ("Art Easel", "Toys", 69.99),
    ),
}

#: Channels by the short code campaign names use.
_CHANNELS = {
    "DSP": "dsp",
    "SP": "sponsored_products",
    "SB": "sponsored_brands",
    "SD": "sponsored_display",
}
#: Creative formats per channel; a campaign gets the first `creatives` of its list.
_FORMATS = {
    "DSP": ("video", "display", "responsive_ecommerce"),
    "SP": ("product_ad",),
    "SB": ("video", "product_collection", "store_spotlight"),
    "SD": ("image", "video"),
}


@dataclass(frozen=True)
class _Campaign:
    """A campaign and how it delivers: `channel` is a code of _CHANNELS; `cost` is a CPM
    for DSP and SD, a CPC for SP and SB; rates are per event."""

    number: int
    name: str
    channel: str
    brand: int
    daily_events: int
    ctr: float
    cost: float
    click_cvr: float
    view_cvr: float
    ntb_rate: float
    creatives: int
    start: date = date(2023, 1, 2)
    end: date | None = None

    @property
    def campaign_id(self) -> str:
        return f"58{self.number:08d}"


_ALWAYS_ON = (
    # number, name, channel, brand, daily events, ctr, cost, click cvr, view cvr, ntb, creatives
    _Campaign(101, "Northwind - DSP Prospecting", "DSP", 1, 4200, .004, 12.5, .02, .00033, .70, 3),
    _Campaign(102, "Northwind - DSP Retargeting", "DSP", 1, 2600, .009, 9.0, .016, .00054, .25, 3),
    _Campaign(201, "Lumen - DSP Prospecting", "DSP", 2, 3800, .004, 8.0, .015, .00018, .65, 2),
    _Campaign(202, "Lumen - DSP Retargeting", "DSP", 2, 2400, .010, 9.0, .016, .00055, .20, 3),
    _Campaign(301, "Pebble - DSP Streaming TV", "DSP", 3, 1500, .001, 30.0, .015, .0007, .60, 1),
    _Campaign(111, "Northwind - SP Auto", "SP", 1, 5000, .012, 1.05, .055, 0, .35, 1),
    _Campaign(112, "Northwind - SP Brand Keywords", "SP", 1, 2200, .030, .75, .07, 0, .15, 1),
    _Campaign(211, "Lumen - SP Category", "SP", 2, 4400, .010, 1.25, .07, 0, .40, 1),
    _Campaign(311, "Pebble - SP Auto", "SP", 3, 3000, .011, .95, .07, 0, .45, 1),
    _Campaign(121, "Northwind - SB Store Spotlight", "SB", 1, 2000, .008, 1.6, .05, 0, .50, 2),
    _Campaign(221, "Lumen - SB Video", "SB", 2, 2200, .009, 1.6, .06, 0, .55, 3),
    _Campaign(131, "Northwind - SD Audiences", "SD", 1, 2400, .004, 6.0, .03, .00018, .40, 2),
    _Campaign(231, "Lumen - SD Product Targeting", "SD", 2, 2000, .005, 5.5, .03, .00022, .45, 1),
)  # fmt: skip

#: Seasonal flights, every year: name, first (month, day), last (month, day), campaigns.
_FLIGHTS = (
    ("Spring Sale", (3, 15), (4, 10), (("DSP", 1), ("SP", 2))),
    ("Prime Day", (7, 1), (7, 16), (("DSP", 2), ("SB", 1), ("SP", 3))),
    ("Back to School", (8, 1), (9, 10), (("SD", 3), ("SP", 1))),
    ("Holiday", (11, 1), (12, 31), (("DSP", 1), ("DSP", 3), ("SP", 2))),
)
_FLIGHT_RATES = {  # daily events, ctr, cost, click cvr, view cvr, ntb rate, creatives
    "DSP": (3500, .006, 10.0, .03, .0003, .55, 2),
    "SP": (3000, .015, 1.2, .08, 0, .40, 1),
    "SB": (2000, .010, 1.6, .05, 0, .50, 2),
    "SD": (2200, .005, 5.5, .03, .00027, .45, 2),
}  # fmt: skip


def _campaigns(first_day: date, last_day: date) -> list[_Campaign]:
    """The always-on campaigns and every seasonal flight that overlaps the period."""
    campaigns = list(_ALWAYS_ON)
    for year in range(first_day.year, last_day.year + 1):
        for index, (flight, (m1, d1), (m2, d2), parts) in enumerate(_FLIGHTS, start=1):
            start, end = date(year, m1, d1), date(year, m2, d2)
            if end < first_day or start > last_day:
                continue
            for part, (channel, brand) in enumerate(parts, start=1):
                events, ctr, cost, click_cvr, view_cvr, ntb, creatives = _FLIGHT_RATES[channel]
                campaigns.append(
                    _Campaign(
                        number=year * 100 + index * 10 + part,
                        name=f"{_brand_name(brand)} - {flight} {year} {channel}",
                        channel=channel, brand=brand, daily_events=events, ctr=ctr, cost=cost,
                        click_cvr=click_cvr, view_cvr=view_cvr, ntb_rate=ntb,
                        creatives=creatives, start=start, end=end,
                    )
                )  # fmt: skip
    return campaigns


def _brand_name(number: int) -> str:
    return next(name for n, name, _, _ in _BRANDS if n == number)


def _asin(brand: int, index: int) -> str:
    """A stable, ASIN-like id: B0 and 8 upper-case letters and digits."""
    digest = hashlib.sha256(f"demo-asin:{brand}:{index}".encode()).digest()
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    return "B0" + "".join(alphabet[b % len(alphabet)] for b in digest[:8])


def _load_dimensions(connection: duckdb.DuckDBPyConnection, campaigns: list[_Campaign]) -> None:
    connection.execute(
        "CREATE TEMP TABLE rb_brands (brand_number INTEGER, brand VARCHAR, "
        "advertiser VARCHAR, asin_count INTEGER)"
    )
    connection.executemany(
        "INSERT INTO rb_brands VALUES (?, ?, ?, ?)",
        [(n, name, advertiser, len(_PRODUCTS[n])) for n, name, advertiser, _ in _BRANDS],
    )
    connection.execute(
        "CREATE TEMP TABLE rb_keywords "
        "(brand_number INTEGER, keyword_index INTEGER, keyword VARCHAR)"
    )
    connection.executemany(
        "INSERT INTO rb_keywords VALUES (?, ?, ?)",
        [(n, k, word) for n, _, _, words in _BRANDS for k, word in enumerate(words)],
    )
    connection.execute(
        "CREATE TEMP TABLE rb_asins (brand_number INTEGER, asin_index INTEGER, asin VARCHAR, "
        "product_name VARCHAR, category VARCHAR, price DOUBLE)"
    )
    connection.executemany(
        "INSERT INTO rb_asins VALUES (?, ?, ?, ?, ?, ?)",
        [
            (n, i, _asin(n, i), f"{_brand_name(n)} {name}", category, price)
            for n, products in _PRODUCTS.items()
            for i, (name, category, price) in enumerate(products)
        ],
    )
    connection.execute(
        "CREATE TEMP TABLE rb_campaigns (number BIGINT, campaign_id VARCHAR, "
        "campaign_name VARCHAR, channel VARCHAR, brand_number INTEGER, daily_events INTEGER, "
        "ctr DOUBLE, cost DOUBLE, click_cvr DOUBLE, view_cvr DOUBLE, ntb_rate DOUBLE, "
        "creatives INTEGER, start_date DATE, end_date DATE)"
    )
    connection.executemany(
        "INSERT INTO rb_campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (c.number, c.campaign_id, c.name, _CHANNELS[c.channel], c.brand, c.daily_events, c.ctr,
             c.cost, c.click_cvr, c.view_cvr, c.ntb_rate, c.creatives, c.start, c.end)
            for c in campaigns
        ],
    )  # fmt: skip
    connection.execute(
        "CREATE TEMP TABLE rb_creatives (campaign_id VARCHAR, k INTEGER, format VARCHAR)"
    )
    connection.executemany(
        "INSERT INTO rb_creatives VALUES (?, ?, ?)",
        [
            (c.campaign_id, k, _FORMATS[c.channel][(k - 1) % len(_FORMATS[c.channel])])
            for c in campaigns
            for k in range(1, c.creatives + 1)
        ],
    )


# -- the generator -----------------------------------------------------------------------

#: Events generated per row of rb_event_chunks (see _CAMPAIGN_DAYS).
_CHUNK = 16

_MACROS = """
-- Uniform [0, 1) numbers from a hash: the 16-bit slice k (0..3), or all 53 top bits.
CREATE TEMP MACRO rb_u(h, k) AS ((h >> (16 * k)) & 65535) / 65536.0;
CREATE TEMP MACRO rb_unit(h) AS (h >> 11) / 9007199254740992.0;
-- Seconds into the day for a uniform x, denser in the evening (a monotone warp of x).
CREATE TEMP MACRO rb_secs(x) AS least(86399, greatest(0, floor(86400 * (
    x - 0.6 / (2 * pi()) * (sin(2 * pi() * (x - 0.83)) + sin(2 * pi() * 0.83))))));
CREATE TEMP MACRO rb_ts(n, secs) AS
    make_timestamp(n * 86400000000 + CAST(secs AS BIGINT) * 1000000);
CREATE TEMP MACRO rb_device(user_id) AS
    [ 'mobile', 'mobile', 'mobile', 'mobile', 'mobile', 'desktop', 'desktop', 'desktop',
      'tablet', 'connected_tv'][1 + CAST(hash(user_id, 5) % 10 AS INTEGER)];
-- Users who see both DSP and sponsored ads convert more often.
CREATE TEMP MACRO rb_user_lift(user_id) AS
    CASE WHEN user_id - 100000000 BETWEEN {overlap_low} AND {overlap_high} THEN 1.5 ELSE 1.0 END;
-- Purchases lean to the weekend.
CREATE TEMP MACRO rb_buy_week(d) AS [1.05, 0.97, 0.95, 0.97, 1.0, 1.25, 1.3][isodow(d)];
CREATE TEMP MACRO rb_creative_lift(creative_id) AS
    [1.0, 1.3, 0.75][CAST(right(creative_id, 1) AS INTEGER)];
"""

_DAYS = """
CREATE TEMP TABLE rb_days AS
WITH days AS (
    SELECT CAST($lead_first AS DATE) + CAST(i AS INTEGER) AS day FROM range($day_count) AS r(i)
)
SELECT
    day,
    CAST(day - DATE '1970-01-01' AS BIGINT) AS n,
    -- DSP reaches more people at the weekend; shoppers search less on Saturdays.
    [0.96, 0.97, 0.98, 1.0, 1.04, 1.22, 1.28][isodow(day)] AS dsp_week,
    [1.08, 1.04, 1.02, 1.0, 0.94, 0.84, 1.0][isodow(day)] AS sa_week,
    [0.82, 0.86, 0.95, 0.96, 1.0, 1.0, 1.08, 1.0, 0.98, 1.08, 1.42, 1.6][month(day)]
    * CASE
        WHEN month(day) = 7 AND day(day) BETWEEN 8 AND 12 THEN 1.6          -- Prime Day
        WHEN (month(day) = 11 AND day(day) >= 22) OR (month(day) = 12 AND day(day) <= 2)
            THEN 1.5                                                         -- Cyber week
        WHEN month(day) = 12 AND day(day) BETWEEN 24 AND 26 THEN 0.8
        ELSE 1.0
      END AS season
FROM days
"""

_CAMPAIGN_DAYS = """
CREATE TEMP TABLE rb_campaign_days AS
SELECT
    d.day, d.n, c.*,
    CAST(round(c.daily_events * {scale} * d.season
        * CASE WHEN c.channel = 'dsp' THEN d.dsp_week ELSE d.sa_week END
        * (0.85 + 0.3 * rb_unit(hash(d.n, c.number, 101)))) AS BIGINT) AS events
FROM rb_days AS d
JOIN rb_campaigns AS c ON d.day >= c.start_date AND (c.end_date IS NULL OR d.day <= c.end_date)
ORDER BY d.day, c.number;
-- DuckDB runs a scan on several threads only when it spans several row groups: cut each
-- campaign-day into small runs of events so the generators below use every core.
CREATE TEMP TABLE rb_event_chunks AS
SELECT *, unnest(range(0, events, {chunk})) AS chunk_start
FROM rb_campaign_days
ORDER BY day, number, chunk_start;
"""

# DSP users sit in the lower 70% of the pool, sponsored-ads users in the upper 70%; the
# heaviest users of each are in the 40% both share.
_DSP_EVENTS = """
CREATE TEMP MACRO rb_dsp_events(first_day, last_day) AS TABLE
WITH events AS (
    SELECT day, n, number, campaign_id, creatives, cost, events,
        unnest(range(chunk_start, least(chunk_start + {chunk}, events))) AS i
    FROM rb_event_chunks
    WHERE channel = 'dsp' AND day BETWEEN first_day AND last_day
), drawn AS (
    SELECT *, hash(n, number, i) AS h FROM events
), placed AS (
    SELECT
        *,
        100000000 + CAST(floor({users} * 0.7 * (1 - pow(rb_unit(hash(h, 1)), 1.5))) AS BIGINT)
            AS user_id,
        least(creatives, CASE WHEN rb_u(h, 1) < 0.5 THEN 1 WHEN rb_u(h, 1) < 0.8 THEN 2 ELSE 3 END)
            AS k
    FROM drawn
)
SELECT
    rb_ts(n, rb_secs((i + rb_u(h, 0)) / events)) AS event_ts,
    day AS event_date,
    user_id,
    campaign_id,
    campaign_id || '0' || k AS creative_id,
    rb_device(user_id) AS device,
    round(cost / 1000 * (0.7 + 0.6 * rb_u(h, 2)), 6) AS impression_cost
FROM placed
"""

_SA_EVENTS = """
CREATE TEMP MACRO rb_sa_events(first_day, last_day) AS TABLE
WITH events AS (
    SELECT day, n, number, campaign_id, channel, brand_number, creatives, ctr, cost, events,
        unnest(range(chunk_start, least(chunk_start + {chunk}, events))) AS i
    FROM rb_event_chunks
    WHERE channel <> 'dsp' AND day BETWEEN first_day AND last_day
), drawn AS (
    SELECT *, hash(n, number, i) AS h, hash(n, number, i, 2) AS h2 FROM events
), placed AS (
    SELECT
        e.*,
        100000000 + CAST(floor({users} * (0.3 + 0.7 * pow(rb_unit(hash(h, 1)), 1.5))) AS BIGINT)
            AS user_id,
        rb_ts(n, rb_secs((i + rb_u(h, 0)) / events)) AS ts,
        least(creatives, CASE WHEN rb_u(h, 1) < 0.5 THEN 1 WHEN rb_u(h, 1) < 0.8 THEN 2 ELSE 3 END)
            AS k,
        CAST(floor(b.asin_count * pow(rb_u(h, 2), 1.6)) AS INTEGER) AS asin_index,
        CAST(floor(8 * rb_u(h2, 0)) AS INTEGER) AS keyword_index
    FROM drawn AS e JOIN rb_brands AS b USING (brand_number)
), clicked AS (
    SELECT
        *,
        rb_u(h2, 1) < ctr * rb_creative_lift('0' || k) AS is_click,
        least(ts + to_seconds(CAST(3 + floor(90 * rb_u(h2, 2)) AS BIGINT)),
              CAST(day AS TIMESTAMP) + INTERVAL 86399 SECOND) AS click_ts
    FROM placed
), typed AS (
    SELECT *, unnest(CASE WHEN is_click THEN ['impression', 'click'] ELSE ['impression'] END)
        AS event_type
    FROM clicked
)
SELECT
    CASE event_type WHEN 'click' THEN click_ts ELSE ts END AS event_ts,
    day AS event_date,
    user_id,
    t.campaign_id,
    channel,
    t.campaign_id || '0' || k AS creative_id,
    a.asin,
    CASE WHEN channel <> 'sponsored_display' THEN kw.keyword END AS keyword,
    CASE WHEN channel <> 'sponsored_display' THEN
        ['exact', 'phrase', 'broad', 'broad'][1 + CAST(floor(4 * rb_u(h2, 3)) AS INTEGER)]
    END AS match_type,
    CASE WHEN channel <> 'sponsored_display' THEN kw.keyword ||
        ['', '', '', '', ' best', ' on sale', ' gift', ' cheap', ' for kids', ' reviews'][
            1 + CAST(hash(h2, 3) % 10 AS INTEGER)]
    END AS search_term,
    event_type,
    CAST(event_type = 'impression' AS INTEGER) AS impressions,
    CAST(event_type = 'click' AS INTEGER) AS clicks,
    CASE
        WHEN channel = 'sponsored_display' AND event_type = 'impression'
            THEN round(cost / 1000 * (0.7 + 0.6 * rb_u(h2, 2)), 6)
        WHEN channel <> 'sponsored_display' AND event_type = 'click'
            THEN round(cost * (0.6 + 0.8 * rb_u(h2, 2)), 2)
        ELSE 0
    END AS spend
FROM typed AS t
JOIN rb_asins AS a USING (brand_number, asin_index)
JOIN rb_keywords AS kw ON kw.brand_number = t.brand_number AND kw.keyword_index = t.keyword_index
"""

_DSP_CLICKS = """
CREATE TEMP TABLE rb_dsp_clicks AS
SELECT
    least(i.event_ts + to_seconds(CAST(3 + floor(120 * rb_u(h, 1)) AS BIGINT)),
          CAST(i.event_date AS TIMESTAMP) + INTERVAL 86399 SECOND) AS event_ts,
    i.event_date, i.user_id, i.campaign_id, i.creative_id, i.device
FROM (
    SELECT *, hash(user_id, event_ts, campaign_id, creative_id, 11) AS h
    FROM (SELECT * FROM dsp_impressions UNION ALL SELECT * FROM rb_dsp_lead)
) AS i
JOIN rb_campaigns AS c USING (campaign_id)
WHERE rb_u(i.h, 0) < c.ctr * rb_creative_lift(i.creative_id)
ORDER BY event_ts
"""

# Each ad event may lead to a purchase up to ATTRIBUTION_DAYS later: clicks often and soon,
# views rarely and later. Halo purchases buy another product of the same brand.
_CONVERSIONS = """
CREATE TABLE conversions AS
WITH touches AS (
    SELECT 'view' AS attribution_type, event_ts, event_date, user_id, campaign_id,
        creative_id, NULL AS asin FROM dsp_impressions
    UNION ALL SELECT 'view', event_ts, event_date, user_id, campaign_id, creative_id, NULL
        FROM rb_dsp_lead
    UNION ALL SELECT 'click', event_ts, event_date, user_id, campaign_id, creative_id, NULL
        FROM rb_dsp_clicks
    UNION ALL SELECT CASE event_type WHEN 'click' THEN 'click' ELSE 'view' END,
        event_ts, event_date, user_id, campaign_id, creative_id, asin
        FROM (SELECT * FROM sponsored_ads_traffic UNION ALL SELECT * FROM rb_sa_lead)
        WHERE event_type = 'click' OR channel = 'sponsored_display'
), converted AS (
    SELECT t.*, c.brand_number, c.ntb_rate, hash(t.user_id, t.event_ts, t.campaign_id, 31) AS h
    FROM touches AS t JOIN rb_campaigns AS c USING (campaign_id)
    WHERE rb_unit(hash(t.user_id, t.event_ts, t.campaign_id, t.creative_id, 21))
        < CASE t.attribution_type WHEN 'click' THEN c.click_cvr ELSE c.view_cvr END
          * rb_creative_lift(t.creative_id) * rb_user_lift(t.user_id) * rb_buy_week(t.event_date)
), timed AS (
    SELECT
        *,
        event_ts + to_seconds(CAST(floor(
            pow(rb_u(h, 0), CASE attribution_type WHEN 'click' THEN 4.0 ELSE 2.2 END)
            * ({window_seconds} - 1 - epoch(event_ts - CAST(event_date AS TIMESTAMP)))
        ) AS BIGINT)) AS conversion_ts,
        CASE WHEN asin IS NOT NULL AND rb_u(h, 1) < 0.75 THEN NULL
            ELSE CAST(floor(b.asin_count * pow(rb_u(h, 2), 1.6)) AS INTEGER)
        END AS bought_index
    FROM converted JOIN rb_brands AS b USING (brand_number)
)
SELECT
    t.conversion_ts AS event_ts,
    CAST(t.conversion_ts AS DATE) AS event_date,
    t.user_id,
    t.campaign_id,
    coalesce(a.asin, t.asin) AS asin,
    t.attribution_type,
    CAST(CAST(t.conversion_ts AS DATE) - t.event_date AS INTEGER) AS conversion_lag_days,
    1 AS purchases,
    CAST(units AS INTEGER) AS units_sold,
    round(units * p.price, 2) AS product_sales,
    rb_u(t.h, 3) < t.ntb_rate AS new_to_brand
FROM (SELECT *, 1 + (rb_u(hash(h, 4), 0) < 0.22)::INTEGER + (rb_u(hash(h, 4), 1) < 0.06)::INTEGER
      AS units FROM timed) AS t
LEFT JOIN rb_asins AS a ON a.brand_number = t.brand_number AND a.asin_index = t.bought_index
JOIN rb_asins AS p ON p.asin = coalesce(a.asin, t.asin)
WHERE CAST(t.conversion_ts AS DATE) BETWEEN $first_day AND $last_day
ORDER BY event_ts, user_id, campaign_id
"""

_CAMPAIGN_DAILY = """
CREATE TABLE campaign_daily AS
WITH delivery AS (
    SELECT event_date, campaign_id, count(*) AS impressions, 0 AS clicks,
        sum(impression_cost) AS spend
    FROM dsp_impressions GROUP BY ALL
    UNION ALL
    SELECT event_date, campaign_id, 0, count(*), 0 FROM dsp_clicks GROUP BY ALL
    UNION ALL
    SELECT event_date, campaign_id, sum(impressions), sum(clicks), sum(spend)
    FROM sponsored_ads_traffic GROUP BY ALL
), sales AS (
    SELECT event_date, campaign_id, 0 AS impressions, 0 AS clicks, 0 AS spend,
        sum(purchases) AS purchases, sum(units_sold) AS units_sold,
        sum(product_sales) AS product_sales,
        count(*) FILTER (WHERE new_to_brand) AS ntb_purchases
    FROM conversions GROUP BY ALL
), combined AS (
    SELECT *, 0 AS purchases, 0 AS units_sold, 0 AS product_sales, 0 AS ntb_purchases
    FROM delivery
    UNION ALL BY NAME SELECT * FROM sales
)
SELECT
    event_date, campaign_id, c.campaign_name, c.channel, c.advertiser,
    CAST(sum(impressions) AS BIGINT) AS impressions,
    CAST(sum(clicks) AS BIGINT) AS clicks,
    CAST(round(sum(spend), 2) AS DECIMAL(14, 2)) AS spend,
    CAST(sum(purchases) AS BIGINT) AS purchases,
    CAST(sum(units_sold) AS BIGINT) AS units_sold,
    CAST(round(sum(product_sales), 2) AS DECIMAL(14, 2)) AS product_sales,
    CAST(sum(ntb_purchases) AS BIGINT) AS ntb_purchases
FROM combined JOIN campaigns AS c USING (campaign_id)
GROUP BY ALL
ORDER BY event_date, campaign_id
"""

_FINAL_DIMENSIONS = """
CREATE TABLE campaigns AS
SELECT c.campaign_id, c.campaign_name, c.channel, b.advertiser, b.brand, c.start_date,
    c.end_date
FROM rb_campaigns AS c JOIN rb_brands AS b USING (brand_number) ORDER BY c.campaign_id;
CREATE TABLE asins AS
SELECT a.asin, a.product_name, b.brand, a.category, CAST(a.price AS DECIMAL(10, 2)) AS price
FROM rb_asins AS a JOIN rb_brands AS b USING (brand_number) ORDER BY a.asin;
CREATE TABLE creatives AS
SELECT
    r.campaign_id || '0' || r.k AS creative_id,
    r.campaign_id,
    c.campaign_name || ' - ' || replace(r.format, '_', ' ') || ' ' || r.k AS creative_name,
    r.format
FROM rb_creatives AS r JOIN rb_campaigns AS c USING (campaign_id) ORDER BY creative_id;
"""


def _generate(
    connection: duckdb.DuckDBPyConnection, *, first_day: date, last_day: date, scale: float
) -> None:
    """Create every table of the warehouse for [first_day, last_day] in `connection`."""
    users = max(2_000, round(USERS_PER_SCALE * scale))
    # Conversions on the first days come from ad events before them: generate those too.
    lead_first = first_day - timedelta(days=ATTRIBUTION_DAYS)
    lead_last = first_day - timedelta(days=1)
    days = {"first_day": first_day, "last_day": last_day}
    _load_dimensions(connection, _campaigns(lead_first, last_day))
    connection.execute(_MACROS.format(overlap_low=int(users * 0.3), overlap_high=int(users * 0.7)))
    connection.execute(
        _DAYS, {"lead_first": lead_first, "day_count": (last_day - lead_first).days + 1}
    )
    connection.execute(_CAMPAIGN_DAYS.format(scale=float(scale), chunk=_CHUNK))
    connection.execute(_DSP_EVENTS.format(users=users, chunk=_CHUNK))
    connection.execute(_SA_EVENTS.format(users=users, chunk=_CHUNK))
    connection.execute(_FINAL_DIMENSIONS)
    connection.execute(
        "CREATE TABLE dsp_impressions AS SELECT * FROM rb_dsp_events($first_day, $last_day)",
        days,
    )
    connection.execute(
        "CREATE TEMP TABLE rb_dsp_lead AS SELECT * FROM rb_dsp_events($first, $last)",
        {"first": lead_first, "last": lead_last},
    )
    connection.execute(_DSP_CLICKS)
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
    connection.execute(_CONVERSIONS.format(window_seconds=(ATTRIBUTION_DAYS + 1) * 86400), days)
    connection.execute(_CAMPAIGN_DAILY)
    connection.execute(
        "CREATE TABLE demo_info AS SELECT CAST($version AS INTEGER) AS generator_version, "
        "CAST($scale AS DOUBLE) AS scale, CAST($first_day AS DATE) AS first_day, "
        "CAST($last_day AS DATE) AS last_day, CAST($users AS BIGINT) AS users",
        {"version": GENERATOR_VERSION, "scale": scale, "users": users, **days},
    )

"""What the demo warehouse is made of: brands, products, channels, campaigns and flights."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import duckdb


def load_catalog(connection: duckdb.DuckDBPyConnection, *, first_day: date, last_day: date) -> None:
    """Create the rb_* dimension tables for the campaigns that run within [first_day, last_day]."""
    _load_dimensions(connection, _campaigns(first_day, last_day))


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

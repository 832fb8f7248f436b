from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import cast

import pytest

from components.format import (
    MISSING,
    PLAN_BADGES,
    format_count,
    format_datetime,
    format_duration,
    format_relative,
    format_window,
    plan_badge,
    plural,
)
from services.reports import RUN_KINDS, ReportInfo

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("offset_s", "expected"),
    [
        (-10, "just now"),
        (-50, "1 min ago"),  # between 45 and 60 seconds: once a crash, now "1 min"
        (-59 * 60, "59 min ago"),
        (-3 * 3600, "3 h ago"),
        (-3 * 86400, "3 d ago"),
        (30, "in a moment"),
        (4 * 86400, "in 4 d"),
    ],
)
def test_relative_times_read_naturally(offset_s: int, expected: str) -> None:
    assert format_relative(NOW + timedelta(seconds=offset_s), now=NOW) == expected


def test_naive_times_are_taken_as_utc() -> None:
    assert format_relative(datetime(2026, 3, 2, 11, 0), now=NOW) == "1 h ago"
    assert format_datetime(datetime(2026, 3, 2, 11, 5)) == "2026-03-02 11:05 UTC"


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0.42, "0.4 s"), (12.4, "12 s"), (185, "3 min 05 s"), (7800, "2 h 10 min"), (None, MISSING)],
)
def test_durations(seconds: float | None, expected: str) -> None:
    assert format_duration(seconds) == expected


def test_windows_are_half_open_and_show_the_days_they_cover() -> None:
    assert format_window(date(2026, 3, 2), date(2026, 3, 9)) == "Mar 2 – Mar 8, 2026"
    assert format_window(date(2026, 3, 2), date(2026, 3, 3)) == "Mar 2, 2026"
    assert format_window(date(2025, 12, 29), date(2026, 1, 5)) == "Dec 29, 2025 – Jan 4, 2026"
    assert format_window(None, date(2026, 1, 1)) == MISSING


def test_counts_and_plurals() -> None:
    assert format_count(1234567) == "1,234,567"
    assert format_count(None) == MISSING
    assert plural(1, "run") == "1 run"
    assert plural(2, "run") == "2 runs"
    assert plural(0, "query", "queries") == "0 queries"


@pytest.mark.parametrize(
    ("run_kind", "badge"),
    [
        ("daily", "Daily"),
        ("weekly", "Weekly"),
        ("monthly", "Monthly"),
        ("quarterly", "Quarterly"),
        ("custom", "Custom schedule"),
        ("backfill", "Backfill"),
        ("once", "Once"),
    ],
)
def test_the_plan_badge_says_how_a_report_runs(run_kind: str, badge: str) -> None:
    assert plan_badge(cast(ReportInfo, SimpleNamespace(run_kind=run_kind))) == badge


def test_every_run_kind_has_its_own_badge() -> None:
    assert set(PLAN_BADGES) == set(RUN_KINDS)

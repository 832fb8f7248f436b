"""Relative date presets resolved on fixed days: year boundaries, leap years, first days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.presets import DATE_PRESETS, DAY_PRESETS, resolve_day, resolve_range

NEW_YEAR = date(2026, 1, 1)  # a Thursday, first day of a year, quarter and month
LEAP_DAY_AFTER = date(2024, 3, 1)  # a Friday, the day after 29 February
LATE_NOVEMBER = date(2026, 11, 26)  # a Thursday in the middle of a quarter

PRESET_SETTINGS = settings(max_examples=200, deadline=None, derandomize=True)
any_day = st.dates(min_value=date(1901, 1, 1), max_value=date(2399, 12, 31))


def _d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("preset", "today", "start", "end"),
    [
        ("yesterday", NEW_YEAR, "2025-12-31", "2025-12-31"),
        ("last_7_days", NEW_YEAR, "2025-12-25", "2025-12-31"),
        ("last_14_days", NEW_YEAR, "2025-12-18", "2025-12-31"),
        ("last_30_days", NEW_YEAR, "2025-12-02", "2025-12-31"),
        ("previous_week", NEW_YEAR, "2025-12-22", "2025-12-28"),
        ("previous_month", NEW_YEAR, "2025-12-01", "2025-12-31"),
        ("previous_quarter", NEW_YEAR, "2025-10-01", "2025-12-31"),
        ("week_to_date", NEW_YEAR, "2025-12-29", "2025-12-31"),
        ("month_to_date", NEW_YEAR, "2026-01-01", "2026-01-01"),
        ("quarter_to_date", NEW_YEAR, "2026-01-01", "2026-01-01"),
        ("year_to_date", NEW_YEAR, "2026-01-01", "2026-01-01"),
        ("yesterday", LEAP_DAY_AFTER, "2024-02-29", "2024-02-29"),
        ("last_7_days", LEAP_DAY_AFTER, "2024-02-23", "2024-02-29"),
        ("last_365_days", LEAP_DAY_AFTER, "2023-03-02", "2024-02-29"),
        ("previous_week", LEAP_DAY_AFTER, "2024-02-19", "2024-02-25"),
        ("previous_month", LEAP_DAY_AFTER, "2024-02-01", "2024-02-29"),
        ("previous_quarter", LEAP_DAY_AFTER, "2023-10-01", "2023-12-31"),
        ("week_to_date", LEAP_DAY_AFTER, "2024-02-26", "2024-02-29"),
        ("month_to_date", LEAP_DAY_AFTER, "2024-03-01", "2024-03-01"),
        ("quarter_to_date", LEAP_DAY_AFTER, "2024-01-01", "2024-02-29"),
        ("year_to_date", LEAP_DAY_AFTER, "2024-01-01", "2024-02-29"),
        ("last_7_days", LATE_NOVEMBER, "2026-11-19", "2026-11-25"),
        ("last_30_days", LATE_NOVEMBER, "2026-10-27", "2026-11-25"),
        ("last_90_days", LATE_NOVEMBER, "2026-08-28", "2026-11-25"),
        ("previous_week", LATE_NOVEMBER, "2026-11-16", "2026-11-22"),
        ("previous_month", LATE_NOVEMBER, "2026-10-01", "2026-10-31"),
        ("previous_quarter", LATE_NOVEMBER, "2026-07-01", "2026-09-30"),
        ("week_to_date", LATE_NOVEMBER, "2026-11-23", "2026-11-25"),
        ("month_to_date", LATE_NOVEMBER, "2026-11-01", "2026-11-25"),
        ("quarter_to_date", LATE_NOVEMBER, "2026-10-01", "2026-11-25"),
        ("year_to_date", LATE_NOVEMBER, "2026-01-01", "2026-11-25"),
        ("previous_month", date(2026, 3, 31), "2026-02-01", "2026-02-28"),
        ("previous_quarter", date(2026, 4, 1), "2026-01-01", "2026-03-31"),
        ("week_to_date", date(2026, 11, 23), "2026-11-23", "2026-11-23"),
    ],
)
def test_range_preset_resolves_to_inclusive_days(
    preset: str, today: date, start: str, end: str
) -> None:
    assert resolve_range(preset, today) == (_d(start), _d(end))


@pytest.mark.parametrize(
    ("preset", "today", "day"),
    [
        ("today", NEW_YEAR, "2026-01-01"),
        ("yesterday", NEW_YEAR, "2025-12-31"),
        ("yesterday", LEAP_DAY_AFTER, "2024-02-29"),
        ("start_of_week", NEW_YEAR, "2025-12-29"),
        ("start_of_week", LATE_NOVEMBER, "2026-11-23"),
        ("start_of_month", LATE_NOVEMBER, "2026-11-01"),
        ("start_of_quarter", LATE_NOVEMBER, "2026-10-01"),
        ("start_of_quarter", LEAP_DAY_AFTER, "2024-01-01"),
        ("start_of_year", LATE_NOVEMBER, "2026-01-01"),
    ],
)
def test_day_preset_resolves_to_one_day(preset: str, today: date, day: str) -> None:
    assert resolve_day(preset, today) == _d(day)


def test_unknown_presets_raise_key_error() -> None:
    with pytest.raises(KeyError):
        resolve_range("last_8_days", NEW_YEAR)
    with pytest.raises(KeyError):
        resolve_day("tomorrow", NEW_YEAR)


def test_every_preset_has_a_label() -> None:
    labels = [label for label, _ in DATE_PRESETS.values()] + [
        label for label, _ in DAY_PRESETS.values()
    ]
    assert all(label.strip() for label in labels)


@PRESET_SETTINGS
@given(today=any_day, preset=st.sampled_from(sorted(DATE_PRESETS)))
def test_every_range_ends_before_today_and_never_runs_backwards(today: date, preset: str) -> None:
    start, end = resolve_range(preset, today)

    assert start <= end
    # Today is never complete, except as the lone day of a period that starts today.
    assert end < today or (start == end == today and preset.endswith("_to_date"))


@PRESET_SETTINGS
@given(today=any_day, days=st.sampled_from([1, 7, 14, 30, 90, 365]))
def test_last_n_days_is_n_whole_days_ending_yesterday(today: date, days: int) -> None:
    preset = "yesterday" if days == 1 else f"last_{days}_days"

    start, end = resolve_range(preset, today)

    assert end == today - timedelta(days=1)
    assert (end - start).days + 1 == days


@PRESET_SETTINGS
@given(today=any_day)
def test_previous_week_is_the_monday_to_sunday_before_this_week(today: date) -> None:
    start, end = resolve_range("previous_week", today)

    assert start.weekday() == 0 and end.weekday() == 6
    assert (end - start).days == 6
    assert end < today <= end + timedelta(days=7)


@PRESET_SETTINGS
@given(today=any_day)
def test_previous_month_and_quarter_are_whole_periods_before_today(today: date) -> None:
    month_start, month_end = resolve_range("previous_month", today)
    quarter_start, quarter_end = resolve_range("previous_quarter", today)

    assert month_start.day == 1
    assert (month_end + timedelta(days=1)) == today.replace(day=1)
    assert quarter_start.day == 1 and quarter_start.month in {1, 4, 7, 10}
    assert (quarter_end + timedelta(days=1)).month in {1, 4, 7, 10}
    assert (quarter_end + timedelta(days=1)) == resolve_day("start_of_quarter", today)

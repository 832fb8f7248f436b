"""Relative date presets (last_7_days, previous_week …) resolved against a given day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _previous_week(today: date) -> tuple[date, date]:
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7), this_monday - timedelta(days=1)


def _previous_month(today: date) -> tuple[date, date]:
    last_day = today.replace(day=1) - timedelta(days=1)
    return last_day.replace(day=1), last_day


def _previous_quarter(today: date) -> tuple[date, date]:
    last_day = _quarter_start(today) - timedelta(days=1)
    return _quarter_start(last_day), last_day


def _last(days: int) -> Callable[[date], tuple[date, date]]:
    # N whole days ending yesterday: today's data is never complete.
    return lambda today: (today - timedelta(days=days), today - timedelta(days=1))


def _to_date(start: Callable[[date], date]) -> Callable[[date], tuple[date, date]]:
    # From the period's first day to yesterday; on its first day, just that day.
    return lambda today: (start(today), max(start(today), today - timedelta(days=1)))


#: Preset name → (label, resolver from "today" to an inclusive (start, end) pair).
DATE_PRESETS: dict[str, tuple[str, Callable[[date], tuple[date, date]]]] = {
    "yesterday": ("Yesterday", _last(1)),
    "last_7_days": ("Last 7 days", _last(7)),
    "last_14_days": ("Last 14 days", _last(14)),
    "last_30_days": ("Last 30 days", _last(30)),
    "last_90_days": ("Last 90 days", _last(90)),
    "last_365_days": ("Last 365 days", _last(365)),
    "previous_week": ("Previous week (Mon–Sun)", _previous_week),
    "previous_month": ("Previous month", _previous_month),
    "previous_quarter": ("Previous quarter", _previous_quarter),
    "week_to_date": ("Week to date", _to_date(lambda d: d - timedelta(days=d.weekday()))),
    "month_to_date": ("Month to date", _to_date(lambda d: d.replace(day=1))),
    "quarter_to_date": ("Quarter to date", _to_date(_quarter_start)),
    "year_to_date": ("Year to date", _to_date(lambda d: date(d.year, 1, 1))),
}

#: Single-day presets for `date` parameters.
DAY_PRESETS: dict[str, tuple[str, Callable[[date], date]]] = {
    "today": ("Today", lambda d: d),
    "yesterday": ("Yesterday", lambda d: d - timedelta(days=1)),
    "start_of_week": ("Start of this week", lambda d: d - timedelta(days=d.weekday())),
    "start_of_month": ("Start of this month", lambda d: d.replace(day=1)),
    "start_of_quarter": ("Start of this quarter", _quarter_start),
    "start_of_year": ("Start of this year", lambda d: date(d.year, 1, 1)),
}


def resolve_range(preset: str, today: date) -> tuple[date, date]:
    """The inclusive (start, end) days a range preset names; KeyError if unknown."""
    return DATE_PRESETS[preset][1](today)


def resolve_day(preset: str, today: date) -> date:
    return DAY_PRESETS[preset][1](today)

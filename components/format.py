"""How numbers, times and durations read on every page: one place, so pages agree."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from services.reports import ReportInfo

#: Shown where a value is missing (a run that has not started, a count not known yet).
MISSING = "—"
#: What a report's plan badge says, by ReportInfo.run_kind.
PLAN_BADGES = {
    "daily": "Daily",
    "weekly": "Weekly",
    "monthly": "Monthly",
    "quarterly": "Quarterly",
    "custom": "Custom schedule",
    "backfill": "Backfill",
    "once": "Once",
}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_datetime(moment: datetime | None) -> str:
    """UTC, to the minute: "2025-03-04 14:05 UTC"."""
    if moment is None:
        return MISSING
    return _aware(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_relative(moment: datetime | None, *, now: datetime | None = None) -> str:
    """How far `moment` is from now: 3 min ago, in 2 h, just now."""
    if moment is None:
        return MISSING
    now = now or datetime.now(UTC)
    seconds = (_aware(moment) - now).total_seconds()
    future, seconds = seconds > 0, abs(seconds)
    if seconds < 45:
        return "in a moment" if future else "just now"
    if seconds < 3_600:
        amount, unit = max(1, round(seconds / 60)), "min"
    elif seconds < 86_400:
        amount, unit = round(seconds / 3_600), "h"
    else:
        amount, unit = round(seconds / 86_400), "d"
    return f"in {amount} {unit}" if future else f"{amount} {unit} ago"


def format_duration(seconds: float | None) -> str:
    """A duration for people: 0.4 s, 12 s, 3 min 05 s, 2 h 10 min."""
    if seconds is None:
        return MISSING
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_count(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


def format_window(start: datetime | date | None, end: datetime | date | None) -> str:
    """A half-open window [start, end) as the days it covers: "Mar 3 – Mar 9, 2025"."""
    if start is None or end is None:
        return MISSING
    first = start.date() if isinstance(start, datetime) else start
    last = (end.date() if isinstance(end, datetime) else end) - timedelta(days=1)
    if last <= first:
        return first.strftime("%b %-d, %Y")
    if first.year == last.year:
        return f"{first.strftime('%b %-d')} – {last.strftime('%b %-d, %Y')}"
    return f"{first.strftime('%b %-d, %Y')} – {last.strftime('%b %-d, %Y')}"


def plural(count: int, word: str, words: str | None = None) -> str:
    """A count with its noun: 1 run, 3 runs."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def plan_badge(report: ReportInfo) -> str:
    """How the report runs, for its badge: "Daily", "Custom schedule", "Backfill", "Once"."""
    return PLAN_BADGES.get(report.run_kind, report.run_kind.capitalize())

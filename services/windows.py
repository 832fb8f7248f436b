"""Time windows: half-open [start, end) ranges of whole days (UTC midnights), capped by
data freshness, and (for backfills) cut into calendar-aligned segments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.errors import ParameterError
from services.presets import DATE_PRESETS, resolve_range

#: Days an ad-hoc run covers when no window is given.
DEFAULT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Window:
    """[start, end): the days from `start` up to, not including, `end`."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def as_datetimes(self) -> tuple[datetime, datetime]:
        return midnight(self.start), midnight(self.end)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def freshest_day(
    *, timezone: str, data_lag_days: int, min_data_age_days: int, now: datetime | None = None
) -> date:
    """The last day whose data is complete: today (in `timezone`) minus the larger lag.

    Today itself is never complete, so the lag is at least one day.
    """
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()
    return today - timedelta(days=max(data_lag_days, min_data_age_days, 1))


def default_window(freshest: date, days: int = DEFAULT_WINDOW_DAYS) -> Window:
    """The last `days` whole days whose data is complete."""
    end = freshest + timedelta(days=1)
    return Window(end - timedelta(days=days), end)


def requested_window(
    start: date | None,
    end: date | None,
    freshest: date,
    *,
    max_days: int | None = None,
    field: str = "time_window",
) -> Window:
    """The window for inclusive days start..end, its end capped by freshness and its start
    by the instance's history (`max_days` days back from the freshest day).

    Either day may be missing: the end defaults to the freshest day and the start to
    DEFAULT_WINDOW_DAYS before the end.
    """
    if end is not None and start is not None and end < start:
        raise ParameterError(field, "The end date is before the start date.")
    last = min(end or freshest, freshest)
    if max_days is not None:
        check_history(last, freshest, max_days, field=field)
    try:
        first = start or (last - timedelta(days=DEFAULT_WINDOW_DAYS - 1))
    except OverflowError:
        raise ParameterError(field, "Choose days after the year 1.") from None
    if first > last:
        raise ParameterError(
            field,
            f"Data is complete up to {freshest.isoformat()} only; choose a start on or before it.",
        )
    if max_days is not None:
        check_history(first, freshest, max_days, field=field)
    return Window(first, last + timedelta(days=1))


def earliest_day(freshest: date, max_days: int) -> date:
    """The first day of the `max_days` days of history that end with the freshest day."""
    return freshest - timedelta(days=max_days - 1)


def check_history(first: date, freshest: date, max_days: int, *, field: str) -> None:
    """ParameterError unless `first` is within the instance's `max_days` days of history."""
    earliest = earliest_day(freshest, max_days)
    if first < earliest:
        raise ParameterError(
            field,
            f"This instance keeps {max_days} days of history: "
            f"choose a start on or after {earliest.isoformat()}.",
        )


#: Date-range presets a one-off run offers, in the order shown.
RUN_PRESETS = (
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "previous_week",
    "previous_month",
    "previous_quarter",
    "month_to_date",
)


def preset_window(preset: str, freshest: date, *, max_days: int, field: str = "preset") -> Window:
    """The window a range preset names, as of the latest complete data: presets resolve
    against the day after the freshest one, so "last 7 days" ends with the freshest day and
    "previous month" is the last month whose data is complete.
    """
    if preset not in DATE_PRESETS:
        raise ParameterError(field, f"Unknown date range {preset!r}.")
    first, last = resolve_range(preset, freshest + timedelta(days=1))
    return requested_window(first, last, freshest, max_days=max_days, field=field)

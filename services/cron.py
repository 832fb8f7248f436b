"""Cron expressions in IANA time zones, DST-safe.

Slots are computed on local wall-clock time and then placed in the zone: a local time that
does not exist (the hour skipped in spring) runs at the same offset after the gap (02:30
becomes 03:30), and a local time that happens twice (the hour repeated in autumn) runs
once, at its first occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cron_descriptor import ExpressionDescriptor, Options
from croniter import CroniterBadDateError, croniter

from services.errors import ParameterError

#: Cron for each schedule type, at 06:00 local time by default; weekly on `weekday`
#: (cron's numbering: 0 = Sunday … 6 = Saturday), monthly and quarterly on `day`.
DEFAULT_CRONS = {
    "daily": "{minute} {hour} * * *",
    "weekly": "{minute} {hour} * * {weekday}",
    "monthly": "{minute} {hour} {day} * *",
    "quarterly": "{minute} {hour} {day} 1,4,7,10 *",
}
#: Weekday names, Monday first, as `cron_for` takes them (0 = Monday … 6 = Sunday).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: Latest day of the month a monthly schedule may name: every month has it.
MAX_DAY_OF_MONTH = 28
_FIELD = re.compile(r"^[0-9*,/\-A-Za-z]+$")
#: Slots looked at, at most, when finding the latest one due (a minutely cron over a week).
_MAX_STEPS = 20_000


def zone(timezone: str, field: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(
            field, f"Unknown time zone {timezone!r}; use an IANA name such as Europe/Berlin."
        ) from None


def cron_for(
    schedule_type: str, *, hour: int = 6, minute: int = 0, weekday: int = 0, day: int = 1
) -> str:
    """The cron of a daily / weekly / monthly / quarterly schedule at hour:minute local;
    weekly on `weekday` (0 = Monday … 6 = Sunday), monthly and quarterly on `day`."""
    if schedule_type not in DEFAULT_CRONS:
        raise ParameterError("schedule_type", "Choose daily, weekly, monthly, quarterly or custom.")
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ParameterError("time_of_day", "Enter a time between 00:00 and 23:59.")
    if not 0 <= weekday <= 6:
        raise ParameterError("weekday", "Choose a day of the week.")
    if not 1 <= day <= MAX_DAY_OF_MONTH:
        raise ParameterError(
            "day_of_month", f"Choose a day between 1 and {MAX_DAY_OF_MONTH} (every month has it)."
        )
    cron_weekday = (weekday + 1) % 7
    return DEFAULT_CRONS[schedule_type].format(
        minute=minute, hour=hour, weekday=cron_weekday, day=day
    )


def check_cron(expression: str) -> str:
    """A 5-field cron expression (minute hour day-of-month month day-of-week), normalized."""
    fields = expression.split()
    if len(fields) != 5 or not all(_FIELD.match(f) for f in fields):
        raise ParameterError(
            "cron_expression",
            "Use five fields: minute hour day-of-month month day-of-week (e.g. 0 6 * * 1).",
        )
    normalized = " ".join(fields)
    if not croniter.is_valid(normalized):
        raise ParameterError("cron_expression", "This is not a valid cron expression.")
    try:
        croniter(normalized, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError:
        raise ParameterError(
            "cron_expression", "This cron never runs (no such date, e.g. 30 February)."
        ) from None
    return normalized


def _placed(naive: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time (fold=0: see the module docstring)."""
    return naive.replace(tzinfo=tz).astimezone(UTC)


def next_runs(expression: str, timezone: str, after: datetime, count: int = 1) -> list[datetime]:
    """The next `count` slots strictly after `after`, in UTC, in order, without repeats."""
    tz = zone(timezone)
    # Start an hour early: around a DST change (at most an hour anywhere but Lord Howe's
    # half hour) local and UTC order may differ.
    local_start = after.astimezone(tz).replace(tzinfo=None) - timedelta(hours=1)
    iterator = croniter(expression, local_start)
    runs: list[datetime] = []
    for _ in range(_MAX_STEPS):
        slot = _placed(iterator.get_next(datetime), tz)
        if slot > after and (not runs or slot > runs[-1]):
            runs.append(slot)
            if len(runs) == count:
                break
    return runs


def latest_due(expression: str, timezone: str, since: datetime, now: datetime) -> datetime | None:
    """The last slot in (since - 1 µs, now]: after downtime, missed slots run once."""
    tz = zone(timezone)
    iterator = croniter(expression, now.astimezone(tz).replace(tzinfo=None) + timedelta(hours=1))
    for _ in range(_MAX_STEPS):
        slot = _placed(iterator.get_prev(datetime), tz)
        if slot < since:
            return None
        if slot <= now:
            return slot
    return None


def local_iso(instant: datetime, timezone: str) -> str:
    return instant.astimezone(zone(timezone)).isoformat()


def utc_iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def describe_cron(expression: str) -> str:
    """A cron expression in words, e.g. "At 06:00, only on Monday" (24-hour times)."""
    options = Options()
    options.use_24hour_time_format = True
    options.verbose = False
    return str(ExpressionDescriptor(check_cron(expression), options).get_description())

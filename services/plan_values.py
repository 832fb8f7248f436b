"""Report plans as values: a run now, a schedule, a backfill, and `read_plan`, which reads
them from raw form or request values (strings, JSON) and names every field it cannot read.

`services.report_plans` carries plans out; this module only reads and describes them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from db.models import MAX_LOOKBACK_DAYS, SCHEDULE_TYPES, SEGMENT_TYPES
from services.backfill_plans import REPROCESS_MODES
from services.cron import MAX_DAY_OF_MONTH, zone
from services.errors import ParameterError, ValidationFailed
from services.schedules import schedule_cron
from services.windows import RUN_PRESETS

#: Default time of day of a new schedule, local to its zone.
DEFAULT_TIME_OF_DAY = "06:00"


#: A whole number as typed: a sign and at most 9 ASCII digits (int() refuses the rest).
_DIGITS = re.compile(r"[+-]?[0-9]{1,9}")


@dataclass(frozen=True)
class RunNow:
    """One run now: a date-range preset or explicit days (or the default window), with
    parameter overrides for this run only."""

    preset: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SchedulePlan:
    """A schedule: a frequency at a time of day (weekly on a weekday, 0 = Monday; monthly
    and quarterly on a day of the month) or a custom cron, in an IANA time zone."""

    frequency: str = "weekly"
    time_of_day: str = DEFAULT_TIME_OF_DAY
    weekday: int = 0
    day_of_month: int = 1
    cron_expression: str | None = None
    timezone: str = "UTC"
    paused: bool = False

    @property
    def cron(self) -> str:
        """The cron expression it runs on; ParameterError says what is wrong."""
        return schedule_cron(
            self.frequency,
            self.cron_expression,
            self.time_of_day,
            weekday=self.weekday,
            day_of_month=self.day_of_month,
        )


@dataclass(frozen=True)
class BackfillPlan:
    """A backfill: `lookback_days` ending with `end_date` (default: the freshest day), or
    the days `start_date`..`end_date`; cut into `segment` pieces; `reprocess` says which
    segments that ran before run again (missing | failed | all)."""

    segment: str = "weekly"
    lookback_days: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    reprocess: str = "missing"


@dataclass(frozen=True)
class RunPlan:
    """Any of: a run now, a schedule, a backfill (a new report may have none of them)."""

    run_now: RunNow | None = None
    schedule: SchedulePlan | None = None
    backfill: BackfillPlan | None = None

    @property
    def is_empty(self) -> bool:
        return self.run_now is None and self.schedule is None and self.backfill is None


# --- reading raw values -------------------------------------------------------------------


class _Reader:
    """Reads raw values (strings from a form, JSON from a request) into typed ones and
    collects every field error instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def whole(
        self, raw: Any, name: str, low: int, high: int, message: str, *, default: int | None
    ) -> int | None:
        """A whole number in low..high; "", None → default; anything else is an error
        ("abc", 2.5, "nan", "inf", "1e400", True)."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return default
        number = _whole_number(raw)
        if number is None or not low <= number <= high:
            self.fail(name, message)
            return None
        return number

    def day(self, raw: Any, name: str) -> date | None:
        if raw is None or raw == "":
            return None
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        try:  # a day, or a moment whose day counts ("2025-01-31T00:00Z"); nothing trailing
            return datetime.fromisoformat(str(raw).strip()).date()
        except ValueError:
            self.fail(name, "Enter a real date as YYYY-MM-DD.")
            return None

    def choice(self, raw: Any, name: str, allowed: Iterable[str], default: str) -> str:
        value = default if raw is None or raw == "" else str(raw)
        allowed = tuple(allowed)
        if value not in allowed:
            self.fail(name, f"Choose one of: {', '.join(allowed)}.")
            return default
        return value

    def check(self, name: str, step: Any) -> Any:
        """Run a check that raises ParameterError; its message goes under `name`."""
        try:
            return step()
        except ParameterError as error:
            self.fail(name, error.message)
            return None


def _whole_number(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if math.isfinite(raw) and raw.is_integer() else None
    text = str(raw).strip()
    if _DIGITS.fullmatch(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def read_plan(raw: Mapping[str, Any] | None) -> RunPlan:
    """The plan in `raw`; ValidationFailed names every field that cannot be read.

    Shape (every part optional): {"run_now": true | {"preset", "start_date", "end_date",
    "parameters"}, "schedule": {"frequency", "time_of_day", "weekday", "day_of_month",
    "cron_expression", "timezone", "paused"}, "backfill": {"segment", "lookback_days",
    "start_date", "end_date", "reprocess"}}. Field names in errors are dotted:
    "schedule.time_of_day", "backfill.lookback_days" …
    """
    raw = raw or {}
    reader = _Reader()
    plan = RunPlan(
        run_now=_read_run_now(reader, raw.get("run_now")),
        schedule=_read_schedule(reader, raw.get("schedule")),
        backfill=_read_backfill(reader, raw.get("backfill")),
    )
    if reader.errors:
        raise ValidationFailed(reader.errors)
    return plan


def _section(reader: _Reader, raw: Any, name: str) -> Mapping[str, Any] | None:
    if raw is None or raw is False:
        return None
    if raw is True:
        return {}
    if not isinstance(raw, Mapping):
        reader.fail(name, "Expected an object.")
        return None
    return raw


def _read_run_now(reader: _Reader, raw: Any) -> RunNow | None:
    values = _section(reader, raw, "run_now")
    if values is None:
        return None
    preset = values.get("preset") or None
    if preset is not None:
        preset = reader.choice(preset, "run_now.preset", RUN_PRESETS, RUN_PRESETS[0])
    overrides = values.get("parameters") or {}
    if not isinstance(overrides, Mapping):
        reader.fail("run_now.parameters", "Parameters are a mapping of name to value.")
        overrides = {}
    return RunNow(
        preset=preset,
        start_date=reader.day(values.get("start_date"), "run_now.start_date"),
        end_date=reader.day(values.get("end_date"), "run_now.end_date"),
        overrides=dict(overrides),
    )


def _read_schedule(reader: _Reader, raw: Any) -> SchedulePlan | None:
    values = _section(reader, raw, "schedule")
    if values is None:
        return None
    frequency = reader.choice(values.get("frequency"), "schedule.frequency", SCHEDULE_TYPES, "")
    weekday = reader.whole(
        values.get("weekday"), "schedule.weekday", 0, 6, "Choose a day of the week.", default=0
    )
    day = reader.whole(
        values.get("day_of_month"),
        "schedule.day_of_month",
        1,
        MAX_DAY_OF_MONTH,
        f"Choose a day between 1 and {MAX_DAY_OF_MONTH} (every month has it).",
        default=1,
    )
    timezone = str(values.get("timezone") or "UTC").strip()
    reader.check("schedule.timezone", lambda: zone(timezone))
    plan = SchedulePlan(
        frequency=frequency,
        time_of_day=str(values.get("time_of_day") or DEFAULT_TIME_OF_DAY).strip(),
        weekday=weekday or 0,
        day_of_month=day or 1,
        cron_expression=str(values.get("cron_expression") or "").strip() or None,
        timezone=timezone,
        paused=bool(values.get("paused", False)),
    )
    if frequency:
        try:
            plan.cron  # noqa: B018 - read for its checks
        except ParameterError as error:
            reader.fail(f"schedule.{error.field}", error.message)
    return plan


def _read_backfill(reader: _Reader, raw: Any) -> BackfillPlan | None:
    values = _section(reader, raw, "backfill")
    if values is None:
        return None
    segment = reader.choice(
        values.get("segment") or values.get("segment_type"),
        "backfill.segment",
        SEGMENT_TYPES,
        "weekly",
    )
    lookback = reader.whole(
        values.get("lookback_days"),
        "backfill.lookback_days",
        1,
        MAX_LOOKBACK_DAYS,
        f"Look back a whole number of days between 1 and {MAX_LOOKBACK_DAYS}.",
        default=None,
    )
    start = reader.day(values.get("start_date"), "backfill.start_date")
    end = reader.day(values.get("end_date"), "backfill.end_date")
    unreadable = {"backfill.lookback_days", "backfill.start_date"} & set(reader.errors)
    if start is None and lookback is None and not unreadable:
        reader.fail("backfill.lookback_days", "Give a lookback in days, or a start date.")
    if start is not None and lookback is not None:
        reader.fail("backfill.lookback_days", "Give a lookback or a start date, not both.")
    reprocess = reader.choice(
        values.get("reprocess"), "backfill.reprocess", REPROCESS_MODES, "missing"
    )
    return BackfillPlan(
        segment=segment,
        lookback_days=lookback,
        start_date=start,
        end_date=end,
        reprocess=reprocess,
    )

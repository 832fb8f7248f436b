"""Cron expressions in IANA zones: DST in both directions, month ends, leap days, errors."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.cron import check_cron, cron_for, latest_due, local_iso, next_runs, utc_iso
from services.errors import ParameterError


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def local(moment: datetime, timezone: str) -> str:
    """A UTC instant as local wall-clock text, for readable assertions."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


# (zone, the spring-forward day, a local time skipped that day, the fall-back day,
#  a local time that happens twice that day)
DST_CHANGES = [
    ("America/New_York", "2025-03-09", "02:30", "2025-11-02", "01:30"),
    ("Europe/Berlin", "2025-03-30", "02:30", "2025-10-26", "02:30"),
    # Southern hemisphere: clocks go forward in October and back in April.
    ("Australia/Sydney", "2025-10-05", "02:30", "2025-04-06", "02:30"),
]


def _cron_at(hhmm: str) -> str:
    hour, minute = hhmm.split(":")
    return f"{int(minute)} {int(hour)} * * *"


def _day_before(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC) - timedelta(days=2)


@pytest.mark.parametrize(("timezone", "spring", "skipped", "_fall", "_twice"), DST_CHANGES)
def test_a_slot_in_the_skipped_hour_runs_once_an_hour_later(
    timezone: str, spring: str, skipped: str, _fall: str, _twice: str
) -> None:
    runs = next_runs(_cron_at(skipped), timezone, _day_before(spring), count=4)
    days = [run.astimezone(ZoneInfo(timezone)).date().isoformat() for run in runs]

    assert len(set(days)) == 4, "one run per day, the change day included"
    on_the_day = runs[days.index(spring)]
    hour, minute = (int(part) for part in skipped.split(":"))
    shifted = f"{spring} {hour + 1:02d}:{minute:02d}"
    assert local(on_the_day, timezone).startswith(shifted)
    # The days around it keep their wall-clock time.
    assert all(local(r, timezone)[11:16] == skipped for r in runs if r is not on_the_day)


@pytest.mark.parametrize(("timezone", "_spring", "_skipped", "fall", "twice"), DST_CHANGES)
def test_a_slot_in_the_repeated_hour_runs_once_at_its_first_occurrence(
    timezone: str, _spring: str, _skipped: str, fall: str, twice: str
) -> None:
    runs = next_runs(_cron_at(twice), timezone, _day_before(fall), count=4)
    zone = ZoneInfo(timezone)
    on_the_day = [r for r in runs if r.astimezone(zone).date().isoformat() == fall]

    assert len(on_the_day) == 1
    first, second = (
        datetime.fromisoformat(f"{fall}T{twice}").replace(tzinfo=zone, fold=fold) for fold in (0, 1)
    )
    assert first.astimezone(UTC) < second.astimezone(UTC)
    assert on_the_day[0] == first.astimezone(UTC)
    assert all(local(r, timezone)[11:16] == twice for r in runs)


def test_new_york_daily_slots_in_utc_across_both_changes() -> None:
    assert next_runs("30 2 * * *", "America/New_York", utc(2025, 3, 8, 12), 2) == [
        utc(2025, 3, 9, 7, 30),  # 02:30 does not exist: 03:30 EDT
        utc(2025, 3, 10, 6, 30),
    ]
    assert next_runs("30 1 * * *", "America/New_York", utc(2025, 11, 1, 12), 2) == [
        utc(2025, 11, 2, 5, 30),  # 01:30 EDT, not 01:30 EST an hour later
        utc(2025, 11, 3, 6, 30),
    ]


@pytest.mark.parametrize(("timezone", "spring", "_skipped", "fall", "_twice"), DST_CHANGES)
@pytest.mark.parametrize("cron", ["0 * * * *", "30 * * * *", "*/20 * * * *"])
def test_sub_daily_crons_never_repeat_an_instant_nor_skip_more_than_the_missing_hour(
    cron: str, timezone: str, spring: str, _skipped: str, fall: str, _twice: str
) -> None:
    for day, extra in ((spring, timedelta(0)), (fall, timedelta(hours=1))):
        runs = next_runs(cron, timezone, _day_before(day) + timedelta(days=1), count=150)
        assert runs == sorted(set(runs)), "strictly increasing: no UTC instant twice"
        step = runs[1] - runs[0]
        gaps = [b - a for a, b in itertools.pairwise(runs)]
        # Spring: the skipped hour's slots run an hour later, on the hour after it, so
        # the runs stay evenly spaced; autumn: the repeated hour runs once, so exactly
        # one gap is that hour longer.
        assert max(gaps) == step + extra
        assert sum(1 for gap in gaps if gap != step) == (1 if extra else 0)
        local_days = {r.astimezone(ZoneInfo(timezone)).date().isoformat() for r in runs}
        assert day in local_days


def test_hourly_runs_on_the_fall_back_day_skip_only_the_repeated_hour() -> None:
    runs = next_runs("0 * * * *", "America/New_York", utc(2025, 11, 2, 3), 5)
    assert runs == [
        utc(2025, 11, 2, 4),  # 00:00 EDT
        utc(2025, 11, 2, 5),  # 01:00 EDT (first occurrence)
        utc(2025, 11, 2, 7),  # 02:00 EST; 01:00 EST (06:00 UTC) is the repeat
        utc(2025, 11, 2, 8),
        utc(2025, 11, 2, 9),
    ]


def test_hourly_runs_on_the_spring_forward_day_are_an_hour_apart() -> None:
    runs = next_runs("0 * * * *", "America/New_York", utc(2025, 3, 9, 4), 4)
    assert runs == [utc(2025, 3, 9, h) for h in (5, 6, 7, 8)]  # 00:00 EST, 01:00, 03:00 EDT …


def test_the_31st_runs_only_in_months_that_have_one() -> None:
    runs = next_runs("0 6 31 * *", "Europe/Berlin", utc(2025, 1, 1), 7)
    assert [r.astimezone(ZoneInfo("Europe/Berlin")).strftime("%m-%d %H:%M") for r in runs] == [
        "01-31 06:00",
        "03-31 06:00",
        "05-31 06:00",
        "07-31 06:00",
        "08-31 06:00",
        "10-31 06:00",
        "12-31 06:00",
    ]
    assert runs[0] == utc(2025, 1, 31, 5)  # CET
    assert runs[1] == utc(2025, 3, 31, 4)  # CEST, the day after the change


def test_l_means_the_last_day_of_every_month() -> None:
    assert check_cron("0 6 L * *") == "0 6 L * *"
    runs = next_runs("0 6 L * *", "UTC", utc(2024, 1, 15), 4)
    assert [r.date().isoformat() for r in runs] == [
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
        "2024-04-30",
    ]


def test_february_29th_waits_for_the_next_leap_year() -> None:
    assert next_runs("0 0 29 2 *", "UTC", utc(2025, 1, 1), 2) == [
        utc(2028, 2, 29),
        utc(2032, 2, 29),
    ]
    assert next_runs("0 0 29 2 *", "Australia/Sydney", utc(2025, 1, 1), 1) == [
        utc(2028, 2, 28, 13)  # midnight AEDT (+11)
    ]


def test_quarterly_runs_on_the_first_day_of_each_quarter() -> None:
    cron = cron_for("quarterly")
    assert cron == "0 6 1 1,4,7,10 *"
    runs = next_runs(cron, "America/New_York", utc(2025, 2, 10), 4)
    assert [local(r, "America/New_York") for r in runs] == [
        "2025-04-01 06:00 EDT",
        "2025-07-01 06:00 EDT",
        "2025-10-01 06:00 EDT",
        "2026-01-01 06:00 EST",
    ]


@pytest.mark.parametrize(
    ("schedule_type", "expected"),
    [
        ("daily", "15 7 * * *"),
        ("weekly", "15 7 * * 1"),
        ("monthly", "15 7 1 * *"),
        ("quarterly", "15 7 1 1,4,7,10 *"),
    ],
)
def test_each_schedule_type_has_a_default_cron(schedule_type: str, expected: str) -> None:
    assert cron_for(schedule_type, hour=7, minute=15) == expected


def test_cron_for_refuses_unknown_types_and_impossible_times() -> None:
    with pytest.raises(ParameterError) as unknown:
        cron_for("hourly")
    assert unknown.value.field == "schedule_type"
    with pytest.raises(ParameterError) as late:
        cron_for("daily", hour=24)
    assert late.value.field == "time_of_day"


@pytest.mark.parametrize(
    "expression",
    [
        "0 6 * * * *",  # six fields
        "0 6 * *",  # four
        "junk",
        "every day at six",
        "61 * * * *",
        "0 25 * * *",
        "0 6 32 * *",
        "0 6 * 13 *",
        "0 6 * * 8",
        "",
        "@daily",
        "0 6 * * 1; DROP TABLE x",
    ],
)
def test_invalid_cron_is_a_field_error(expression: str) -> None:
    with pytest.raises(ParameterError) as refused:
        check_cron(expression)
    assert refused.value.field == "cron_expression"


def test_a_cron_is_normalized_to_single_spaces() -> None:
    assert check_cron("  0   6 * *\t1 ") == "0 6 * * 1"


def test_a_cron_that_never_fires_is_a_field_error() -> None:
    with pytest.raises(ParameterError) as refused:
        check_cron("0 0 30 2 *")
        next_runs("0 0 30 2 *", "UTC", utc(2025, 1, 1))
    assert refused.value.field == "cron_expression"


@pytest.mark.parametrize("timezone", ["Mars/Olympus_Mons", "", "../../etc/passwd", "EST5EDT,x"])
def test_an_unknown_zone_is_a_field_error(timezone: str) -> None:
    with pytest.raises(ParameterError) as refused:
        next_runs("0 6 * * *", timezone, utc(2025, 1, 1))
    assert refused.value.field == "timezone"


def test_next_runs_are_strictly_after_the_given_instant() -> None:
    assert next_runs("0 6 * * *", "UTC", utc(2025, 1, 1, 6), 1) == [utc(2025, 1, 2, 6)]
    assert next_runs("0 6 * * *", "UTC", utc(2025, 1, 1, 5, 59, 59), 1) == [utc(2025, 1, 1, 6)]


def test_after_downtime_only_the_latest_slot_is_due() -> None:
    since = utc(2025, 1, 1, 6)  # the slot the schedule was waiting for
    now = utc(2025, 1, 4, 9, 30)  # three days later
    assert latest_due("0 6 * * *", "UTC", since, now) == utc(2025, 1, 4, 6)
    assert latest_due("*/5 * * * *", "UTC", since, now) == utc(2025, 1, 4, 9, 30)
    assert latest_due("0 * * * *", "Europe/Berlin", since, now) == utc(2025, 1, 4, 9)


def test_latest_due_includes_the_waited_for_slot_and_nothing_before_it() -> None:
    slot = utc(2025, 1, 1, 6)
    assert latest_due("0 6 * * *", "UTC", slot, slot) == slot
    assert latest_due("0 6 * * *", "UTC", slot, slot - timedelta(seconds=1)) is None
    # A slot before `since` (already run) is not due again.
    assert latest_due("0 6 * * *", "UTC", slot + timedelta(minutes=1), utc(2025, 1, 2, 5)) is None


def test_latest_due_across_the_fall_back_day_picks_the_first_occurrence() -> None:
    since = utc(2025, 11, 1, 5, 30)  # 01:30 EDT the day before
    assert latest_due("30 1 * * *", "America/New_York", since, utc(2025, 11, 2, 7)) == utc(
        2025, 11, 2, 5, 30
    )


def test_preview_text_shows_the_zone_offset_and_utc_with_z() -> None:
    moment = utc(2025, 7, 1, 4)
    assert local_iso(moment, "Europe/Berlin") == "2025-07-01T06:00:00+02:00"
    assert utc_iso(moment) == "2025-07-01T04:00:00Z"

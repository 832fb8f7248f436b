"""The RunReportModal's layout, its step logic (components.run_steps), its plain words
(components.plan_words) and the schedule fields it holds, as plain functions; the plan
itself is read by services.report_plans."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from components.ids import page_id
from components.plan_words import (
    PlanFacts,
    describe_freshness,
    describe_plan,
    describe_segments,
)
from components.run_modal import BUTTON_CLASS, create_outcome, create_run_modal, create_stepper
from components.run_steps import raw_plan, section_classes, step_of, step_view
from components.schedule_form import (
    create_next_runs,
    describe_schedule,
    field_classes,
    format_run,
    schedule_errors,
    schedule_form_values,
    schedule_values,
    timezone_options,
)
from services.backfill_plans import BackfillPlanInfo, PlannedSegment
from services.errors import ValidationFailed
from services.report_plans import (
    BackfillPlan,
    PlanCheck,
    RunNow,
    RunPlan,
    SchedulePlan,
    read_plan,
)
from services.schedules import PreviewRun, ScheduleInfo, preview
from services.windows import Window

#: The schedule fields' values as a new weekly schedule starts (see schedule_form).
WEEKLY = schedule_values("weekly", "0", "1", "06:00", "UTC", "")


def text_of(node: Any) -> str:
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list | tuple):
        return " ".join(text_of(child) for child in node)
    return text_of(getattr(node, "children", None) or "")


def ids_of(node: Any) -> list[Any]:
    if isinstance(node, list | tuple):
        return [found for child in node for found in ids_of(child)]
    if not hasattr(node, "to_plotly_json"):
        return []
    own = [node.id] if getattr(node, "id", None) is not None else []
    return own + ids_of(getattr(node, "children", None))


def hidden(class_name: str) -> bool:
    return "d-none" in class_name.split()


def form_plan(
    run_type: str,
    schedule: dict[str, Any] | None = None,
    *,
    run_now: bool = False,
    with_backfill: bool = False,
    segment: str | None = "weekly",
    lookback: Any = "182",
) -> dict[str, Any]:
    """The raw plan step 2 sends, the schedule fields starting as a new weekly schedule."""
    fields = {**WEEKLY, **(schedule or {})}
    return raw_plan(run_type, fields, run_now, with_backfill, segment, lookback)


# --- steps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "shown_pane", "back", "next_", "submit", "cancel"),
    [
        (1, 0, False, True, False, "Cancel"),
        (2, 1, True, True, False, "Cancel"),
        (3, 2, True, False, True, "Cancel"),
        (4, 3, False, False, False, "Close"),
    ],
)
def test_each_step_shows_its_pane_and_the_buttons_that_move_on(
    step: int, shown_pane: int, back: bool, next_: bool, submit: bool, cancel: str
) -> None:
    view = step_view(step)

    assert [not hidden(p) for p in view.panes] == [i == shown_pane for i in range(4)]
    assert (not hidden(view.back), not hidden(view.next), not hidden(view.submit)) == (
        back,
        next_,
        submit,
    )
    assert view.cancel_label == cancel
    assert all(BUTTON_CLASS in c for c in (view.back, view.next, view.submit))


def test_steps_out_of_range_are_clamped() -> None:
    assert step_view(0) == step_view(1)
    assert step_view(9) == step_view(4)


def test_a_step_crafted_in_the_browser_store_is_read_as_a_step_from_one_to_four() -> None:
    assert [step_of({"step": v}) for v in (2, "3", "99", "-1", "abc", "1e9", None)] == [
        2,
        3,
        4,
        1,
        1,
        1,
        1,
    ]
    assert step_of(None) == 1


def test_the_stepper_marks_done_current_and_coming_steps() -> None:
    items = create_stepper(3).children

    assert [i.className.split()[-1] for i in items] == [
        "rb-step-done",
        "rb-step-done",
        "rb-step-active",
        "rb-step-todo",
    ]
    assert text_of(items[2]).endswith("Review")
    assert items[2].to_plotly_json()["props"]["aria-current"] == "step"


def test_the_modal_starts_closed_at_parameters_with_the_schedule_fields() -> None:
    modal = create_run_modal()

    assert modal.is_open is False
    assert "Parameters" in text_of(modal)
    found = ids_of(modal)
    for name in ("frequency", "weekday", "day", "time", "timezone", "cron", "meaning"):
        assert page_id(name) in found, name
    assert page_id("next-runs") in found and page_id("schedule-type") not in found


@pytest.mark.parametrize(
    ("run_type", "with_backfill", "shown"),
    [
        ("once", False, (False, False)),
        ("once", True, (False, False)),
        ("recurring", False, (True, False)),
        ("recurring", True, (True, True)),
        ("backfill", False, (False, True)),
    ],
)
def test_run_type_shows_only_its_sections(
    run_type: str, with_backfill: bool, shown: tuple[bool, bool]
) -> None:
    classes = section_classes(run_type, with_backfill)

    assert tuple(not hidden(c) for c in classes) == shown


@pytest.mark.parametrize(
    ("frequency", "shown"),
    [
        ("daily", {"time"}),
        ("weekly", {"weekday", "time"}),
        ("monthly", {"day", "time"}),
        ("quarterly", {"day", "time"}),
        ("custom", {"cron"}),
    ],
)
def test_each_frequency_shows_only_the_fields_it_needs(frequency: str, shown: set[str]) -> None:
    classes = field_classes(frequency)

    assert {name for name, c in classes.items() if not hidden(c)} == shown


# --- the plan step 2 makes ----------------------------------------------------------------


def test_what_each_run_type_plans() -> None:
    once = read_plan(form_plan("once", with_backfill=True))
    weekly = read_plan(form_plan("recurring"))
    everything = read_plan(form_plan("recurring", run_now=True, with_backfill=True))
    backfill = read_plan(form_plan("backfill", run_now=True, lookback="84"))

    assert once == RunPlan(run_now=RunNow())
    assert weekly == RunPlan(schedule=SchedulePlan(frequency="weekly"))
    assert everything == RunPlan(
        run_now=RunNow(),
        schedule=SchedulePlan(frequency="weekly"),
        backfill=BackfillPlan(segment="weekly", lookback_days=182),
    )
    assert backfill == RunPlan(backfill=BackfillPlan(segment="weekly", lookback_days=84))


def test_the_form_plan_is_read_with_what_the_form_left_empty_filled_in() -> None:
    fields = schedule_values("weekly", None, None, " 07:15", None, "")

    plan = read_plan(raw_plan("recurring", fields, None, True, None, " 84 "))

    assert plan == RunPlan(
        schedule=SchedulePlan(frequency="weekly", time_of_day="07:15", timezone="UTC"),
        backfill=BackfillPlan(segment="weekly", lookback_days=84),
    )


@pytest.mark.parametrize(
    ("fields", "cron"),
    [
        ({"time_of_day": "07:30"}, "30 7 * * 1"),
        ({"weekday": "2"}, "0 6 * * 3"),
        ({"weekday": "6", "time_of_day": "23:59"}, "59 23 * * 0"),
        ({"frequency": "monthly", "day_of_month": "15", "time_of_day": "00:05"}, "5 0 15 * *"),
        ({"frequency": "quarterly", "day_of_month": "28"}, "0 6 28 1,4,7,10 *"),
        ({"frequency": "custom", "cron_expression": "0  9 * * 1-5"}, "0 9 * * 1-5"),
    ],
)
def test_the_cron_of_a_schedule_comes_from_its_fields(fields: dict[str, Any], cron: str) -> None:
    plan = read_plan(form_plan("recurring", fields))

    assert plan.schedule is not None and plan.schedule.cron == cron


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        (form_plan("recurring", {"time_of_day": "25:00"}), "schedule.time_of_day"),
        (form_plan("recurring", {"time_of_day": "soon"}), "schedule.time_of_day"),
        (form_plan("recurring", {"frequency": "custom"}), "schedule.cron_expression"),
        (
            form_plan("recurring", {"frequency": "custom", "cron_expression": "every day"}),
            "schedule.cron_expression",
        ),
        (
            form_plan("recurring", {"frequency": "monthly", "day_of_month": "29"}),
            "schedule.day_of_month",
        ),
        (form_plan("recurring", {"timezone": "Mars/Olympus"}), "schedule.timezone"),
        (form_plan("backfill", lookback=400), "backfill.lookback_days"),
        (form_plan("backfill", lookback="12.5"), "backfill.lookback_days"),
        (form_plan("backfill", lookback="nan"), "backfill.lookback_days"),
        (form_plan("recurring", with_backfill=True, lookback=None), "backfill.lookback_days"),
    ],
)
def test_step_two_problems_name_their_field(plan: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        read_plan(plan)

    assert field in refused.value.errors


def test_a_sound_plan_reads_and_once_ignores_schedule_and_backfill_fields() -> None:
    berlin = form_plan("recurring", {"timezone": "Europe/Berlin"}, with_backfill=True)
    once = form_plan("once", {"time_of_day": "x"}, with_backfill=True, lookback="nan")

    assert read_plan(berlin).schedule == SchedulePlan(timezone="Europe/Berlin")
    assert read_plan(once) == RunPlan(run_now=RunNow())


# --- the schedule fields in words ---------------------------------------------------------


def test_a_weekly_schedule_on_a_chosen_weekday_is_said_in_words_with_its_next_runs() -> None:
    meaning, runs, errors = describe_schedule({**WEEKLY, "weekday": "2", "timezone": "Asia/Tokyo"})

    assert (meaning, errors) == ("At 06:00, only on Wednesday (Asia/Tokyo)", {})
    assert len(runs) == 5
    assert all(text_of(run).startswith("Wed ") and " JST " in text_of(run) for run in runs)


def test_a_monthly_schedule_and_a_custom_cron_are_said_in_words() -> None:
    monthly, _, _ = describe_schedule({**WEEKLY, "frequency": "monthly", "day_of_month": "15"})
    custom, _, _ = describe_schedule(
        {**WEEKLY, "frequency": "custom", "cron_expression": "30 7 * * 1-5"}
    )

    assert monthly == "At 06:00, on day 15 of the month (UTC)"
    assert custom == "At 07:30, Monday through Friday (UTC)"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"frequency": "monthly", "day_of_month": "29"}, "day_of_month"),
        ({"time_of_day": "30:00"}, "time_of_day"),
        ({"frequency": "custom", "cron_expression": "0 6 *"}, "cron_expression"),
    ],
)
def test_a_wrong_schedule_field_is_named_for_the_form_and_nothing_is_said(
    fields: dict[str, Any], field: str
) -> None:
    meaning, runs, errors = describe_schedule({**WEEKLY, **fields})

    assert (meaning, runs) == ("", [])
    assert set(errors) == {field}


def test_service_errors_are_named_as_the_form_names_its_fields() -> None:
    errors = {"schedule.time_of_day": "Bad time.", "backfill.lookback_days": "Bad lookback."}

    assert schedule_errors(errors) == {"time_of_day": "Bad time."}


def test_an_existing_schedule_fills_the_fields_it_was_made_from() -> None:
    schedule = ScheduleInfo(
        schedule_id="sch_1",
        uuid=None,  # type: ignore[arg-type]
        report_id="rpt_1",
        schedule_type="weekly",
        cron_expression="15 18 * * 5",
        timezone="Europe/Berlin",
        default_parameters={},
        is_active=True,
        is_paused=False,
        next_run_at=None,
        last_run_at=None,
        last_run_status=None,
        run_count=0,
        failure_count=0,
        time_of_day="18:15",
        weekday=4,
        day_of_month=None,
    )

    values = schedule_form_values(schedule, "UTC")

    assert values == ["weekly", "4", "1", "18:15", "Europe/Berlin", ""]
    assert schedule_form_values(None, "Asia/Tokyo") == [
        "weekly",
        "0",
        "1",
        "06:00",
        "Asia/Tokyo",
        "",
    ]
    plan = read_plan({"schedule": schedule_values(*values)}).schedule
    assert plan is not None and plan.cron == schedule.cron_expression


def test_the_next_runs_read_in_the_chosen_zone_with_utc_beside() -> None:
    after = datetime(2025, 1, 8, 12, tzinfo=UTC)  # a Wednesday
    runs = preview("0 6 * * 1", "America/New_York", 5, after=after)

    items = create_next_runs(runs, "America/New_York")

    assert len(items) == 5
    assert format_run(runs[0], "America/New_York") == (
        "Mon 13 Jan 2025, 06:00 EST",
        "2025-01-13 11:00 UTC",
    )
    assert "Mon 20 Jan 2025, 06:00 EST" in text_of(items[1])


def test_the_timezone_picker_offers_iana_names() -> None:
    values = [o["value"] for o in timezone_options()]

    assert {"UTC", "Europe/Berlin", "America/New_York"} <= set(values)
    assert values == sorted(values)


# --- plain words of the review ------------------------------------------------------------


def test_the_data_lag_is_explained() -> None:
    freshest = date(2025, 2, 1)

    assert describe_freshness(freshest, data_lag_days=2, min_data_age_days=0) == (
        "Data is complete up to Sat 1 Feb 2025 because this instance's data arrives 2 days late."
    )
    assert "waits 14 days for conversions" in describe_freshness(
        freshest, data_lag_days=2, min_data_age_days=14
    )
    assert "today's data is never complete" in describe_freshness(
        freshest, data_lag_days=0, min_data_age_days=0
    )


def test_the_segment_preview_counts_segments() -> None:
    window = Window(date(2024, 11, 4), date(2025, 1, 27))  # 12 whole ISO weeks

    assert describe_segments(window, 12, "weekly") == (
        "84 days, Mon 4 Nov 2024 to Sun 26 Jan 2025: 12 weekly segments."
    )


def _planned(start: date, end: date, count: int) -> BackfillPlanInfo:
    pieces = [PlannedSegment(start, end, "create", False) for _ in range(count)]
    return BackfillPlanInfo(start, end, "weekly", "missing", pieces)


FACTS = PlanFacts(
    report_name="Weekly ROAS",
    template_name="ROAS by campaign",
    instance_name="Demo",
    max_concurrency=10,
    freshness="Data is complete up to Sat 1 Feb 2025.",
)


def test_the_review_says_everything_a_weekly_report_with_a_6_month_backfill_does() -> None:
    plan = RunPlan(
        run_now=RunNow(),
        schedule=SchedulePlan(frequency="weekly", timezone="Europe/Berlin"),
        backfill=BackfillPlan(segment="weekly", lookback_days=182),
    )
    check = PlanCheck(
        freshest=date(2025, 2, 1),
        run_window=Window(date(2025, 1, 3), date(2025, 2, 2)),
        first_runs=(PreviewRun(local="2025-02-03T06:00:00+01:00", utc="2025-02-03T05:00:00Z"),),
        schedule_window=Window(date(2025, 1, 26), date(2025, 2, 2)),
        backfill=_planned(date(2024, 8, 4), date(2025, 2, 1), 27),
    )

    sentences = describe_plan(plan, check, FACTS)

    assert sentences[0].startswith("Create the report “Weekly ROAS” from the template ROAS")
    assert sentences[1] == (
        "Run it on its schedule: at 06:00, only on Monday (Europe/Berlin); the first run is "
        "Mon 3 Feb 2025, 06:00 CET. Each run covers the previous 7 days of complete data."
    )
    assert sentences[2] == (
        "Also run it once now, over 30 days of complete data (Fri 3 Jan 2025 to Sat 1 Feb 2025)."
    )
    assert sentences[3].startswith("Backfill 182 days (Sun 4 Aug 2024 to Sat 1 Feb 2025) in 27")
    assert "at most 10 run at the same time" in sentences[3]
    assert sentences[4] == FACTS.freshness
    assert sentences[-1].startswith("Then open the report's page")


def test_a_backfill_counts_only_the_segments_it_will_run() -> None:
    info = _planned(date(2025, 1, 6), date(2025, 2, 2), 4)
    info.segments[0] = PlannedSegment(date(2025, 1, 6), date(2025, 1, 13), "skip", False)
    plan = RunPlan(backfill=BackfillPlan(start_date=date(2025, 1, 6)))

    sentences = describe_plan(plan, PlanCheck(freshest=date(2025, 2, 2), backfill=info), FACTS)

    assert any(
        s.startswith("Backfill 28 days (Mon 6 Jan 2025 to Sun 2 Feb 2025) in 3 weekly")
        for s in sentences
    )
    assert not any(s.startswith(("Run it", "Also run")) for s in sentences)


def test_a_once_plan_runs_once_and_backfills_nothing() -> None:
    check = PlanCheck(
        freshest=date(2025, 2, 1), run_window=Window(date(2025, 1, 3), date(2025, 2, 2))
    )

    sentences = describe_plan(RunPlan(run_now=RunNow()), check, FACTS)

    assert any(s.startswith("Run it once now") for s in sentences)
    assert not any("Backfill" in s or "schedule" in s for s in sentences)


def test_the_outcome_says_what_was_made_and_opens_the_report() -> None:
    done = create_outcome("rpt_1", ["Created the report.", "Queued a run now (exe_1)."])

    assert "Created the report." in text_of(done) and "Queued a run now (exe_1)." in text_of(done)
    assert " ".join(text_of(done).split()).endswith("Opening the report rpt_1 …")

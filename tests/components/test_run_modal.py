"""The RunReportModal's step logic and plain words, as plain functions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from components.run_modal import (
    BUTTON_CLASS,
    Outcome,
    PlanFacts,
    RunPlan,
    create_next_runs,
    create_outcome,
    create_run_modal,
    create_stepper,
    describe_freshness,
    describe_plan,
    describe_segments,
    format_run,
    lookback_days,
    plan_cron,
    plan_problems,
    read_plan,
    section_classes,
    step_view,
    timezone_options,
)
from services.errors import ParameterError
from services.schedules import preview
from services.windows import Window


def text_of(node: Any) -> str:
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list | tuple):
        return " ".join(text_of(child) for child in node)
    return text_of(getattr(node, "children", None) or "")


def hidden(class_name: str) -> bool:
    return "d-none" in class_name.split()


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


def test_the_modal_starts_closed_at_parameters() -> None:
    modal = create_run_modal()

    assert modal.is_open is False
    assert "Parameters" in text_of(modal)


@pytest.mark.parametrize(
    ("run_type", "with_backfill", "schedule_type", "shown"),
    [
        ("once", False, "weekly", (False, False, False)),
        ("recurring", False, "weekly", (True, False, False)),
        ("recurring", True, "custom", (True, True, True)),
        ("backfill", False, "custom", (False, True, False)),
    ],
)
def test_run_type_shows_only_its_sections(
    run_type: str, with_backfill: bool, schedule_type: str, shown: tuple[bool, ...]
) -> None:
    classes = section_classes(run_type, with_backfill, schedule_type)

    assert tuple(not hidden(c) for c in classes) == shown


def test_what_each_run_type_does() -> None:
    once = RunPlan(run_type="once")
    weekly = RunPlan(run_type="recurring", schedule_type="weekly")
    weekly_backfilled = RunPlan(
        run_type="recurring", schedule_type="weekly", run_now=True, with_backfill=True
    )
    backfill = RunPlan(run_type="backfill", run_now=True)
    custom = RunPlan(run_type="recurring", schedule_type="custom")

    assert (once.runs_now, once.backfills, once.frequency) == (True, False, "once")
    assert (weekly.runs_now, weekly.backfills, weekly.frequency) == (False, False, "weekly")
    assert (weekly_backfilled.runs_now, weekly_backfilled.backfills) == (True, True)
    assert (backfill.runs_now, backfill.backfills, backfill.frequency) == (False, True, "once")
    assert custom.frequency == "once"


def test_read_plan_fills_what_the_form_left_empty() -> None:
    plan = read_plan(None, None, "  0 6 * * 1 ", " 07:15", None, None, 1, None, "84")

    assert plan == RunPlan(
        run_type="once",
        schedule_type="weekly",
        cron_expression="0 6 * * 1",
        time_of_day="07:15",
        timezone="UTC",
        run_now=False,
        with_backfill=True,
        segment_type="weekly",
        lookback_days="84",
    )


def test_the_cron_of_a_schedule_comes_from_its_type_and_time() -> None:
    assert plan_cron(RunPlan(run_type="recurring", time_of_day="07:30")) == "30 7 * * 1"
    assert plan_cron(RunPlan(schedule_type="monthly", time_of_day="00:05")) == "5 0 1 * *"
    assert plan_cron(RunPlan(schedule_type="custom", cron_expression="0  9 * * 1-5")) == (
        "0 9 * * 1-5"
    )


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        (RunPlan(run_type="recurring", time_of_day="25:00"), "time_of_day"),
        (RunPlan(run_type="recurring", time_of_day="soon"), "time_of_day"),
        (RunPlan(run_type="recurring", schedule_type="custom"), "cron_expression"),
        (
            RunPlan(run_type="recurring", schedule_type="custom", cron_expression="every day"),
            "cron_expression",
        ),
        (RunPlan(run_type="recurring", timezone="Mars/Olympus"), "timezone"),
        (RunPlan(run_type="backfill", lookback_days=400), "lookback_days"),
        (RunPlan(run_type="backfill", lookback_days="12.5"), "lookback_days"),
        (RunPlan(run_type="recurring", with_backfill=True, lookback_days=None), "lookback_days"),
    ],
)
def test_step_two_problems_name_their_field(plan: RunPlan, field: str) -> None:
    assert field in plan_problems(plan, max_lookback_days=365)


def test_a_sound_plan_has_no_problems_and_once_ignores_schedule_fields() -> None:
    weekly = RunPlan(run_type="recurring", timezone="Europe/Berlin", with_backfill=True)

    assert plan_problems(weekly, max_lookback_days=365) == {}
    assert plan_problems(RunPlan(run_type="once", time_of_day="x"), max_lookback_days=1) == {}


def test_the_lookback_is_capped_by_the_instance_history() -> None:
    assert lookback_days("182", 365) == 182
    with pytest.raises(ParameterError, match="between 1 and 90"):
        lookback_days(182, 90)


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


def test_the_review_says_everything_a_weekly_report_with_a_6_month_backfill_does() -> None:
    plan = RunPlan(
        run_type="recurring",
        schedule_type="weekly",
        time_of_day="06:00",
        timezone="Europe/Berlin",
        run_now=True,
        with_backfill=True,
        segment_type="weekly",
        lookback_days=182,
    )
    facts = PlanFacts(
        report_name="Weekly ROAS",
        template_name="ROAS by campaign",
        instance_name="Demo",
        once_window=Window(date(2025, 1, 3), date(2025, 2, 2)),
        first_run="Mon 3 Feb 2025, 06:00 CET",
        backfill_window=Window(date(2024, 8, 4), date(2025, 2, 2)),
        segment_count=27,
        max_concurrency=10,
        freshness="Data is complete up to Sat 1 Feb 2025.",
    )

    sentences = describe_plan(plan, facts)

    assert sentences[0].startswith("Create the report “Weekly ROAS” from the template ROAS")
    assert sentences[1] == (
        "Run it every Monday at 06:00 (Europe/Berlin); the first run is Mon 3 Feb 2025, "
        "06:00 CET. Each run covers the previous 7 days of complete data."
    )
    assert sentences[2].startswith("Also run it once now, over the last 30 days")
    assert sentences[3].startswith("Backfill 182 days (Sun 4 Aug 2024 to Sat 1 Feb 2025) in 27")
    assert "at most 10 run at the same time" in sentences[3]
    assert sentences[-1].startswith("Then open the report's page")


def test_a_once_plan_runs_once_and_backfills_nothing() -> None:
    facts = PlanFacts(
        report_name="R",
        template_name="T",
        instance_name="I",
        once_window=Window(date(2025, 1, 3), date(2025, 2, 2)),
    )

    sentences = describe_plan(RunPlan(run_type="once"), facts)

    assert any(s.startswith("Run it once now") for s in sentences)
    assert not any("Backfill" in s or "every" in s for s in sentences)


def test_the_timezone_picker_offers_iana_names() -> None:
    values = [o["value"] for o in timezone_options()]

    assert {"UTC", "Europe/Berlin", "America/New_York"} <= set(values)
    assert values == sorted(values)


def test_a_partly_failed_submit_says_what_was_done_and_opens_the_report_on_request() -> None:
    failed = create_outcome(Outcome("rpt_1", ("Created the report.",), "The backfill failed."))
    done = create_outcome(Outcome("rpt_1", ("Created the report.",)))

    assert "The backfill failed." in text_of(failed)
    assert "Open the report anyway" in text_of(failed)
    assert "Opening the report" in text_of(done)

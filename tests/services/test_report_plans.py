"""Report plans: raw values read into a plan, and every plan shape (once, schedule, backfill,
their combinations) carried out all or nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.models import (
    Dashboard,
    DashboardWidget,
    Instance,
    ReportDataCollection,
    ReportDefinition,
    ReportExecution,
    ReportSchedule,
)
from services import run_lifecycle
from services.backfill_plans import segments
from services.backfill_progress import backfill_status
from services.backfills import get_backfill, retry_backfill
from services.cancels import cancel_execution
from services.errors import ParameterError, ValidationFailed
from services.executions import run_report
from services.report_plans import (
    BackfillPlan,
    RunNow,
    RunPlan,
    SchedulePlan,
    apply_plan,
    check_plan,
    create_report_with_plan,
    edit_report,
    preview_backfill,
    read_plan,
)
from services.reports import create_report, get_report
from services.run_worker import claim
from services.schedules import report_schedule
from services.windows import Window, default_window, freshest_day
from tests.factories import World

#: What one plan may make; atomicity is checked by counting each.
MADE = (ReportDefinition, Dashboard, DashboardWidget, ReportSchedule, ReportExecution)


def freshest() -> date:
    """The world's last complete day: its instance (UTC) lags 2 days."""
    return freshest_day(timezone="UTC", data_lag_days=2, min_data_age_days=0)


def monday_before(day: date, weeks: int) -> date:
    return day - timedelta(days=day.weekday() + 7 * weeks)


def window_of(run: Any) -> tuple[date, date]:
    """A run's first and last day, both included."""
    return run.time_window_start.date(), run.time_window_end.date() - timedelta(days=1)


def counts(session: Session) -> dict[str, int]:
    session.expire_all()
    made = {
        model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (*MADE, ReportDataCollection)
    }
    return made


def set_instance(session: Session, **values: Any) -> None:
    session.execute(update(Instance).values(**values))
    session.commit()


def new_report(session: Session, world: World, plan: RunPlan, **fields: Any) -> Any:
    fields.setdefault("parameters", {"below": 100})
    return create_report_with_plan(
        session=session,
        redis=None,
        actor=world.owner,
        template_id=world.template_id,
        instance_id=world.instance_id,
        name=fields.pop("name", "Planned"),
        plan=plan,
        **fields,
    )


def plain_report(session: Session, world: World) -> str:
    """A report made by an earlier request: committed, so a refused plan cannot undo it."""
    report_id = create_report(
        session=session,
        actor=world.owner,
        template_id=world.template_id,
        instance_id=world.instance_id,
        name="Plain",
        parameters={"below": 100},
    ).report_id
    session.commit()
    return report_id


def apply(session: Session, world: World, report_id: str, plan: RunPlan) -> Any:
    return apply_plan(
        session=session, redis=None, actor=world.owner, report_id=report_id, plan=plan
    )


def end_run(session: Session, execution_id: str, status: str) -> None:
    """End a run as a worker would: claimed, then ended with the counters that follow."""
    execution = claim(session=session, execution_id=execution_id)
    assert execution is not None, f"{execution_id} is not pending"
    run_lifecycle.end_run(session=session, execution_uuid=execution.id, status=status)
    session.commit()


def backfill_of(session: Session, world: World, collection_id: str) -> Any:
    session.expire_all()
    return get_backfill(session=session, actor=world.owner, collection_id=collection_id)


def backfill_of_report(session: Session, world: World, report_id: str) -> str:
    row = session.scalars(
        select(ReportDataCollection.collection_id)
        .join(ReportDefinition, ReportDefinition.id == ReportDataCollection.report_uuid)
        .where(ReportDefinition.report_id == report_id)
    ).one()
    return row


# --- reading raw values -------------------------------------------------------------------


@pytest.mark.parametrize("lookback", ["nan", "inf", "-inf", "1e400", "abc", 0, 366, 2.5, True])
def test_an_unreadable_lookback_is_a_field_error(lookback: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        read_plan({"backfill": {"lookback_days": lookback}})

    assert set(refused.value.errors) == {"backfill.lookback_days"}


@pytest.mark.parametrize(("lookback", "days"), [("84", 84), (" 7 ", 7), ("1e2", 100), (28.0, 28)])
def test_a_whole_lookback_is_read_whatever_its_spelling(lookback: Any, days: int) -> None:
    plan = read_plan({"backfill": {"lookback_days": lookback, "segment": "daily"}})

    assert plan.backfill == BackfillPlan(segment="daily", lookback_days=days)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"backfill": {"start_date": "2025-02-30"}}, "backfill.start_date"),
        ({"backfill": {"start_date": "2025-01-019"}}, "backfill.start_date"),
        ({"backfill": {"start_date": "2025-01-01junk"}}, "backfill.start_date"),
        ({"backfill": {"lookback_days": 7, "end_date": "31/01/2025"}}, "backfill.end_date"),
        ({"backfill": {"segment": "hourly", "lookback_days": 7}}, "backfill.segment"),
        ({"backfill": {"lookback_days": 7, "reprocess": "some"}}, "backfill.reprocess"),
        ({"backfill": {}}, "backfill.lookback_days"),
        ({"run_now": {"start_date": "2025-02-30"}}, "run_now.start_date"),
        ({"run_now": {"preset": "last_decade"}}, "run_now.preset"),
        ({"run_now": {"parameters": [1, 2]}}, "run_now.parameters"),
        ({"schedule": {"frequency": "hourly"}}, "schedule.frequency"),
        ({"schedule": {"frequency": "daily", "time_of_day": "25:00"}}, "schedule.time_of_day"),
        ({"schedule": {"frequency": "daily", "time_of_day": "soon"}}, "schedule.time_of_day"),
        ({"schedule": {"frequency": "weekly", "weekday": 7}}, "schedule.weekday"),
        ({"schedule": {"frequency": "monthly", "day_of_month": 29}}, "schedule.day_of_month"),
        ({"schedule": {"frequency": "daily", "timezone": "Mars/Olympus"}}, "schedule.timezone"),
        ({"schedule": {"frequency": "custom"}}, "schedule.cron_expression"),
        (
            {"schedule": {"frequency": "custom", "cron_expression": "0 6 30 2 *"}},
            "schedule.cron_expression",
        ),
        ({"schedule": "weekly"}, "schedule"),
    ],
)
def test_each_unreadable_value_names_its_dotted_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        read_plan(raw)

    assert field in refused.value.errors


def test_every_unreadable_field_is_named_at_once() -> None:
    raw = {
        "run_now": {"end_date": "2025-13-01"},
        "schedule": {"frequency": "monthly", "day_of_month": "29", "time_of_day": "24:00"},
        "backfill": {"lookback_days": "nan", "segment": "yearly"},
    }

    with pytest.raises(ValidationFailed) as refused:
        read_plan(raw)

    assert set(refused.value.errors) == {
        "run_now.end_date",
        "schedule.day_of_month",
        "schedule.time_of_day",
        "backfill.lookback_days",
        "backfill.segment",
    }


def test_a_lookback_and_a_start_date_together_are_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        read_plan({"backfill": {"lookback_days": 7, "start_date": "2025-01-01"}})

    assert "not both" in refused.value.errors["backfill.lookback_days"]


def test_a_form_plan_is_read_with_the_defaults_it_left_out() -> None:
    plan = read_plan(
        {
            "run_now": True,
            "schedule": {"frequency": "weekly", "weekday": "2", "timezone": "Europe/Berlin"},
            "backfill": {"start_date": "2025-01-06", "end_date": "2025-02-02"},
        }
    )

    assert plan == RunPlan(
        run_now=RunNow(),
        schedule=SchedulePlan(frequency="weekly", weekday=2, timezone="Europe/Berlin"),
        backfill=BackfillPlan(start_date=date(2025, 1, 6), end_date=date(2025, 2, 2)),
    )
    assert plan.schedule is not None and plan.schedule.cron == "0 6 * * 3"
    moment = read_plan(
        {"run_now": {"start_date": "2025-01-06T00:00:00Z", "end_date": " 2025-01-12"}}
    )
    assert moment.run_now == RunNow(start_date=date(2025, 1, 6), end_date=date(2025, 1, 12))
    assert read_plan(None).is_empty and read_plan({"run_now": False}).is_empty


# --- once ---------------------------------------------------------------------------------


def test_a_run_now_covers_the_default_window_of_complete_data(
    session: Session, world: World
) -> None:
    outcome = new_report(session, world, RunPlan(run_now=RunNow()))

    run = outcome.execution
    assert run is not None and run.status == "pending" and run.report_id == outcome.report.report_id
    expected = default_window(freshest())
    assert (run.time_window_start, run.time_window_end) == expected.as_datetimes()
    assert run.parameters == {"below": 100}
    assert outcome.schedule is None and outcome.backfill is None
    assert outcome.report.frequency == "once"


@pytest.mark.parametrize(
    ("preset", "days"), [("last_7_days", 7), ("last_30_days", 30), ("last_90_days", 90)]
)
def test_a_preset_run_ends_with_the_freshest_day(
    session: Session, world: World, preset: str, days: int
) -> None:
    report_id = plain_report(session, world)

    run = apply(session, world, report_id, RunPlan(run_now=RunNow(preset=preset))).execution

    assert window_of(run) == (freshest() - timedelta(days=days - 1), freshest())


def test_a_previous_month_run_is_the_last_whole_month_of_complete_data(
    session: Session, world: World
) -> None:
    report_id = plain_report(session, world)

    run = apply(session, world, report_id, RunPlan(run_now=RunNow(preset="previous_month")))

    first, last = window_of(run.execution)
    assert first.day == 1 and (last + timedelta(days=1)).day == 1
    assert last < freshest() + timedelta(days=1) and (freshest() - last).days <= 31


def test_a_run_over_explicit_days_with_overrides_keeps_the_report_as_it_was(
    session: Session, world: World
) -> None:
    report_id = plain_report(session, world)
    first, last = freshest() - timedelta(days=20), freshest() - timedelta(days=10)
    plan = RunPlan(run_now=RunNow(start_date=first, end_date=last, overrides={"below": 3}))

    outcome = apply(session, world, report_id, plan)

    assert window_of(outcome.execution) == (first, last)
    assert outcome.execution.parameters == {"below": 3}
    assert outcome.report.parameters == {"below": 100}  # the override was for this run only
    assert get_report(session=session, actor=world.owner, report_id=report_id).parameters == {
        "below": 100
    }


def test_a_run_window_ending_in_the_future_is_capped_by_freshness(
    session: Session, world: World
) -> None:
    report_id = plain_report(session, world)
    first = freshest() - timedelta(days=5)
    plan = RunPlan(run_now=RunNow(start_date=first, end_date=freshest() + timedelta(days=40)))

    run = apply(session, world, report_id, plan).execution

    assert window_of(run) == (first, freshest())


def test_a_run_window_beyond_the_instance_history_is_refused_and_runs_nothing(
    session: Session, world: World
) -> None:
    set_instance(session, max_lookback_days=30)
    report_id = plain_report(session, world)
    before = counts(session)

    for run_now, field in [
        (RunNow(start_date=freshest() - timedelta(days=30)), "run_now.time_window"),
        (RunNow(start_date=date(1, 1, 1), end_date=date(9999, 12, 31)), "run_now.time_window"),
        (RunNow(preset="last_90_days"), "run_now.preset"),
        (RunNow(preset="last_7_days", start_date=freshest()), "run_now.preset"),
    ]:
        with pytest.raises(ParameterError) as refused:
            apply(session, world, report_id, RunPlan(run_now=run_now))
        assert refused.value.field == field

    assert counts(session) == before
    inside = RunNow(start_date=freshest() - timedelta(days=29))
    assert window_of(apply(session, world, report_id, RunPlan(run_now=inside)).execution) == (
        freshest() - timedelta(days=29),
        freshest(),
    )


def test_an_empty_plan_for_an_existing_report_is_refused(session: Session, world: World) -> None:
    with pytest.raises(ParameterError) as refused:
        apply(session, world, plain_report(session, world), RunPlan())

    assert refused.value.field == "plan"


# --- schedules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "cron", "description", "read_back", "at", "within_days", "on"),
    [
        (
            SchedulePlan(frequency="daily", time_of_day="07:30", timezone="Europe/Berlin"),
            "30 7 * * *",
            "At 07:30",
            ("07:30", None, None),
            (7, 30),
            1,
            lambda local: True,
        ),
        (
            SchedulePlan(frequency="weekly", weekday=2, timezone="America/New_York"),
            "0 6 * * 3",
            "At 06:00, only on Wednesday",
            ("06:00", 2, None),
            (6, 0),
            7,
            lambda local: local.weekday() == 2,
        ),
        (
            SchedulePlan(frequency="monthly", day_of_month=15, time_of_day="05:45"),
            "45 5 15 * *",
            "At 05:45, on day 15 of the month",
            ("05:45", None, 15),
            (5, 45),
            31,
            lambda local: local.day == 15,
        ),
        (
            SchedulePlan(frequency="quarterly", timezone="Asia/Tokyo"),
            "0 6 1 1,4,7,10 *",
            "At 06:00, on day 1 of the month, only in January, April, July, and October",
            ("06:00", None, 1),
            (6, 0),
            92,
            lambda local: local.day == 1 and local.month in (1, 4, 7, 10),
        ),
        (
            SchedulePlan(frequency="custom", cron_expression="30 7 * * 1-5"),
            "30 7 * * 1-5",
            "At 07:30, Monday through Friday",
            (None, None, None),
            (7, 30),
            3,
            lambda local: local.weekday() < 5,
        ),
    ],
)
def test_a_schedule_runs_on_the_cron_its_plan_describes(
    session: Session,
    world: World,
    plan: SchedulePlan,
    cron: str,
    description: str,
    read_back: tuple[Any, ...],
    at: tuple[int, int],
    within_days: int,
    on: Callable[[datetime], bool],
) -> None:
    before = datetime.now(UTC)

    outcome = new_report(session, world, RunPlan(schedule=plan))

    schedule = outcome.schedule
    assert schedule is not None
    assert (schedule.schedule_type, schedule.cron_expression) == (plan.frequency, cron)
    assert (schedule.timezone, schedule.is_paused) == (plan.timezone, False)
    assert schedule.description == description
    assert (schedule.time_of_day, schedule.weekday, schedule.day_of_month) == read_back
    assert outcome.execution is None and outcome.backfill is None
    assert outcome.report.frequency == ("once" if plan.frequency == "custom" else plan.frequency)
    assert outcome.report.schedule_id == schedule.schedule_id
    # The next run is the cron's first slot after now, on the zone's wall clock.
    next_run = schedule.next_run_at
    assert next_run is not None and before < next_run
    assert next_run - before <= timedelta(days=within_days, hours=1)
    local = next_run.astimezone(ZoneInfo(plan.timezone))
    assert (local.hour, local.minute) == at and on(local)


def test_applying_a_schedule_changes_the_active_one_in_place(
    session: Session, world: World
) -> None:
    created = new_report(session, world, RunPlan(schedule=SchedulePlan(frequency="daily")))
    report_id = created.report.report_id
    assert created.schedule is not None

    changed = apply(
        session,
        world,
        report_id,
        RunPlan(schedule=SchedulePlan(frequency="weekly", weekday=4, time_of_day="18:15")),
    )

    assert changed.schedule is not None
    assert changed.schedule.schedule_id == created.schedule.schedule_id
    assert changed.schedule.cron_expression == "15 18 * * 5"
    assert changed.schedule.description == "At 18:15, only on Friday"
    assert changed.report.frequency == "weekly"
    assert counts(session)["ReportSchedule"] == 1
    next_run = changed.schedule.next_run_at
    assert next_run is not None and next_run.weekday() == 4 and next_run.hour == 18


def test_a_schedule_may_be_made_paused_and_paused_later(session: Session, world: World) -> None:
    paused = new_report(
        session, world, RunPlan(schedule=SchedulePlan(frequency="daily", paused=True))
    )
    running = new_report(
        session, world, RunPlan(schedule=SchedulePlan(frequency="daily")), name="Running"
    )
    assert paused.schedule is not None and paused.schedule.is_paused is True
    assert running.schedule is not None and running.schedule.is_paused is False

    later = apply(
        session,
        world,
        running.report.report_id,
        RunPlan(schedule=SchedulePlan(frequency="daily", paused=True)),
    )

    assert later.schedule is not None and later.schedule.is_paused is True
    assert later.schedule.schedule_id == running.schedule.schedule_id
    assert paused.report.state == "paused" and later.report.state == "paused"


# --- backfills ----------------------------------------------------------------------------


def test_a_lookback_backfill_ends_with_the_freshest_day(session: Session, world: World) -> None:
    outcome = new_report(
        session, world, RunPlan(backfill=BackfillPlan(segment="daily", lookback_days=10))
    )

    backfill = outcome.backfill
    assert backfill is not None and backfill.status == "running"
    assert (backfill.start_date, backfill.end_date) == (
        freshest() - timedelta(days=9),
        freshest(),
    )
    assert backfill.total_segments == len(backfill.segments) == 10
    assert all(s.triggered_by == "backfill" for s in backfill.segments)
    assert backfill.partial_segments == ()  # days are always whole
    assert outcome.execution is None and outcome.schedule is None


def test_an_explicit_range_is_cut_into_weeks_with_clipped_ends_flagged(
    session: Session, world: World
) -> None:
    monday = monday_before(freshest(), 8)
    first, last = monday + timedelta(days=2), monday + timedelta(days=24)  # Wed .. Thu
    plan = BackfillPlan(segment="weekly", start_date=first, end_date=last)
    report_id = plain_report(session, world)

    preview = preview_backfill(session=session, actor=world.owner, report_id=report_id, plan=plan)
    started = apply(session, world, report_id, RunPlan(backfill=plan)).backfill

    assert [(s.window_start, s.window_end, s.partial) for s in preview.segments] == [
        (first, monday + timedelta(days=7), True),
        (monday + timedelta(days=7), monday + timedelta(days=14), False),
        (monday + timedelta(days=14), monday + timedelta(days=21), False),
        (monday + timedelta(days=21), last + timedelta(days=1), True),
    ]
    assert {s.action for s in preview.segments} == {"create"}
    assert (started.start_date, started.end_date) == (first, last)
    assert [window_of(s) for s in started.segments] == [
        (s.window_start, s.window_end - timedelta(days=1)) for s in preview.segments
    ]
    clipped = {started.segments[0].execution_id, started.segments[-1].execution_id}
    assert set(started.partial_segments) == clipped


def test_an_explicit_range_is_capped_by_freshness_and_the_instance_history(
    session: Session, world: World
) -> None:
    set_instance(session, max_lookback_days=60)
    report_id = plain_report(session, world)
    first = freshest() - timedelta(days=10)

    capped = preview_backfill(
        session=session,
        actor=world.owner,
        report_id=report_id,
        plan=BackfillPlan(segment="daily", start_date=first, end_date=date(9999, 12, 31)),
    )
    assert (capped.start_date, capped.end_date) == (first, freshest())
    assert len(capped.segments) == 11

    for plan, field in [
        (BackfillPlan(start_date=freshest() - timedelta(days=60)), "backfill.start_date"),
        (BackfillPlan(start_date=date(1, 1, 1)), "backfill.start_date"),
        (BackfillPlan(lookback_days=61), "backfill.lookback_days"),
        (BackfillPlan(start_date=freshest(), end_date=first), "backfill.start_date"),
    ]:
        with pytest.raises(ParameterError) as refused:
            apply(session, world, report_id, RunPlan(backfill=plan))
        assert refused.value.field == field
    assert counts(session)["ReportDataCollection"] == 0


def test_a_dry_run_lists_the_segments_and_creates_nothing(session: Session, world: World) -> None:
    report_id = plain_report(session, world)
    before = counts(session)

    planned = preview_backfill(
        session=session,
        actor=world.owner,
        report_id=report_id,
        plan=BackfillPlan(segment="monthly", lookback_days=90),
    )

    assert counts(session) == before
    assert planned.segment_type == "monthly" and planned.reprocess == "missing"
    assert (planned.start_date, planned.end_date) == (freshest() - timedelta(days=89), freshest())
    window = Window(planned.start_date, planned.end_date + timedelta(days=1))
    assert [s.window for s in planned.segments] == segments(window, "monthly")
    assert planned.to_create == planned.segments


def _ended_backfill(session: Session, world: World) -> tuple[str, list[str], date]:
    """A report whose daily backfill of 4 days ended: completed, failed, cancelled,
    completed. Returns the report, the segments' run ids, and the first day."""
    first = freshest() - timedelta(days=9)
    plan = BackfillPlan(segment="daily", start_date=first, end_date=first + timedelta(days=3))
    outcome = new_report(session, world, RunPlan(backfill=plan))
    assert outcome.backfill is not None
    runs = [s.execution_id for s in outcome.backfill.segments]
    for run_id, status in zip(runs, ["completed", "failed", "cancelled", "completed"], strict=True):
        end_run(session, run_id, status)
    return outcome.report.report_id, runs, first


@pytest.mark.parametrize(
    ("reprocess", "actions"),
    [
        # first .. first+3 ran (completed, failed, cancelled, completed); +4, +5 never ran
        ("missing", ["skip", "create", "create", "skip", "create", "create"]),
        ("failed", ["skip", "create", "create", "skip", "skip", "skip"]),
        ("all", ["create"] * 6),
    ],
)
def test_reprocess_chooses_segments_by_how_their_window_last_ran(
    session: Session, world: World, reprocess: str, actions: list[str]
) -> None:
    report_id, _, first = _ended_backfill(session, world)
    plan = BackfillPlan(
        segment="daily",
        start_date=first,
        end_date=first + timedelta(days=5),
        reprocess=reprocess,
    )
    before = counts(session)

    planned = preview_backfill(session=session, actor=world.owner, report_id=report_id, plan=plan)
    assert counts(session) == before
    assert [s.action for s in planned.segments] == actions
    reasons = {s.reason for s in planned.segments if s.action == "skip"}
    assert reasons <= {"completed", "never run"}

    started = apply(session, world, report_id, RunPlan(backfill=plan)).backfill

    made = [first + timedelta(days=i) for i, action in enumerate(actions) if action == "create"]
    assert [window_of(s)[0] for s in started.segments] == made
    assert started.total_segments == len(made)
    assert counts(session)["ReportExecution"] == before["ReportExecution"] + len(made)


def test_a_run_now_of_the_same_window_counts_as_a_completed_segment(
    session: Session, world: World
) -> None:
    report_id = plain_report(session, world)
    day = freshest() - timedelta(days=3)
    run = run_report(
        session=session, redis=None, actor=world.owner, report_id=report_id, start=day, end=day
    )
    plan = BackfillPlan(segment="daily", start_date=day, end_date=day + timedelta(days=1))

    def actions() -> list[tuple[str, str]]:
        planned = preview_backfill(
            session=session, actor=world.owner, report_id=report_id, plan=plan
        )
        return [(s.action, s.reason) for s in planned.segments]

    assert actions() == [("skip", "running"), ("create", "")]
    end_run(session, run.execution_id, "completed")
    assert actions() == [("skip", "completed"), ("create", "")]


def test_a_backfill_with_nothing_left_to_run_is_refused(session: Session, world: World) -> None:
    first = freshest() - timedelta(days=4)
    plan = BackfillPlan(segment="daily", start_date=first, end_date=first + timedelta(days=1))
    outcome = new_report(session, world, RunPlan(backfill=plan))
    assert outcome.backfill is not None
    for segment in outcome.backfill.segments:
        end_run(session, segment.execution_id, "completed")
    before = counts(session)

    with pytest.raises(ParameterError) as refused:
        apply(session, world, outcome.report.report_id, RunPlan(backfill=plan))

    assert refused.value.field == "backfill.reprocess"
    assert counts(session) == before


# --- combinations -------------------------------------------------------------------------


def test_a_weekly_report_runs_now_and_backfills_six_months_in_one_go(
    session: Session, world: World
) -> None:
    plan = RunPlan(
        run_now=RunNow(preset="last_7_days"),
        schedule=SchedulePlan(frequency="weekly", weekday=2, timezone="Europe/Berlin"),
        backfill=BackfillPlan(segment="weekly", lookback_days=182),
    )

    outcome = new_report(session, world, plan)

    report, schedule, run, backfill = (
        outcome.report,
        outcome.schedule,
        outcome.execution,
        outcome.backfill,
    )
    assert schedule is not None and run is not None and backfill is not None
    assert report.frequency == "weekly" and report.timezone == "Europe/Berlin"
    assert schedule.description == "At 06:00, only on Wednesday"
    assert window_of(run) == (freshest() - timedelta(days=6), freshest())
    window = Window(freshest() - timedelta(days=181), freshest() + timedelta(days=1))
    assert backfill.total_segments == len(segments(window, "weekly"))
    made = counts(session)
    assert made["ReportDefinition"] == made["Dashboard"] == made["ReportSchedule"] == 1
    assert made["ReportDataCollection"] == 1
    assert made["ReportExecution"] == 1 + backfill.total_segments
    assert report.execution_count == 1 + backfill.total_segments


def test_check_plan_says_what_a_new_report_would_do_without_making_it(
    session: Session, world: World
) -> None:
    before = counts(session)
    plan = RunPlan(
        run_now=RunNow(),
        schedule=SchedulePlan(frequency="monthly", day_of_month=15),
        backfill=BackfillPlan(segment="monthly", lookback_days=90),
    )

    check = check_plan(
        session=session,
        actor=world.owner,
        template_id=world.template_id,
        instance_id=world.instance_id,
        plan=plan,
        preview_count=3,
    )

    assert counts(session) == before
    assert check.freshest == freshest()
    assert check.run_window == default_window(freshest())
    assert len(check.first_runs) == 3
    assert all("-15T06:00:00" in r.local for r in check.first_runs)
    assert check.backfill is not None and check.backfill.to_create == check.backfill.segments
    set_instance(session, max_lookback_days=30)
    with pytest.raises(ValidationFailed) as refused:
        check_plan(
            session=session,
            actor=world.owner,
            template_id=world.template_id,
            instance_id=world.instance_id,
            plan=RunPlan(
                run_now=RunNow(preset="last_90_days"),
                backfill=BackfillPlan(lookback_days=90),
            ),
        )
    assert set(refused.value.errors) == {"run_now.preset", "backfill.lookback_days"}


# --- all or nothing -----------------------------------------------------------------------

#: A plan with every part, each valid.
WHOLE = {
    "run_now": {},
    "schedule": {"frequency": "weekly", "weekday": 2},
    "backfill": {"segment": "weekly", "lookback_days": 28},
}


@pytest.mark.parametrize(
    ("part", "field"),
    [
        ({"backfill": {"lookback_days": "nan"}}, "backfill.lookback_days"),
        ({"backfill": {"lookback_days": "inf"}}, "backfill.lookback_days"),
        ({"backfill": {"lookback_days": "1e400"}}, "backfill.lookback_days"),
        (
            {"schedule": {"frequency": "custom", "cron_expression": "61 * * * *"}},
            "schedule.cron_expression",
        ),
        ({"schedule": {"frequency": "daily", "time_of_day": "25:00"}}, "schedule.time_of_day"),
    ],
)
def test_a_plan_that_cannot_be_read_creates_nothing(
    session: Session, world: World, part: dict[str, Any], field: str
) -> None:
    before = counts(session)

    with pytest.raises(ValidationFailed) as refused:
        new_report(session, world, read_plan({**WHOLE, **part}))

    assert field in refused.value.errors
    assert counts(session) == before == dict.fromkeys(before, 0)


@pytest.mark.parametrize(
    ("plan", "fields", "field"),
    [
        # refused after the report, its dashboard and the schedule were flushed
        (
            RunPlan(
                schedule=SchedulePlan(frequency="weekly"),
                backfill=BackfillPlan(lookback_days=120),
            ),
            {},
            "backfill.lookback_days",
        ),
        # refused after the report and its dashboard were flushed
        (
            RunPlan(schedule=SchedulePlan(frequency="custom", cron_expression="0 6 30 2 *")),
            {},
            "schedule.cron_expression",
        ),
        # refused last: after the schedule and the backfill's segments were flushed
        (
            RunPlan(
                run_now=RunNow(overrides={"below": -5}),
                schedule=SchedulePlan(frequency="weekly"),
                backfill=BackfillPlan(lookback_days=28),
            ),
            {},
            "run_now.parameters.below",
        ),
        # refused first: the report's own parameters
        (
            RunPlan(schedule=SchedulePlan(frequency="weekly"), run_now=RunNow()),
            {"parameters": {"below": -1}},
            "parameters.below",
        ),
    ],
)
def test_a_refused_part_leaves_no_report_dashboard_schedule_run_or_backfill(
    session: Session, world: World, plan: RunPlan, fields: dict[str, Any], field: str
) -> None:
    set_instance(session, max_lookback_days=90)
    before = counts(session)

    with pytest.raises((ParameterError, ValidationFailed)) as refused:
        new_report(session, world, plan, **fields)

    error = refused.value
    assert isinstance(error, ParameterError | ValidationFailed)
    named = set(error.errors) if isinstance(error, ValidationFailed) else {error.field}
    assert field in named
    assert counts(session) == before == dict.fromkeys(before, 0)
    # The session is usable afterwards: a plan without the refused part goes through.
    assert new_report(session, world, RunPlan(run_now=RunNow())).execution is not None


def test_a_refused_part_of_a_plan_for_an_existing_report_changes_nothing(
    session: Session, world: World
) -> None:
    created = new_report(session, world, RunPlan(schedule=SchedulePlan(frequency="daily")))
    assert created.schedule is not None
    before = counts(session)
    plan = RunPlan(
        schedule=SchedulePlan(frequency="monthly", day_of_month=3),
        backfill=BackfillPlan(lookback_days=7),
        run_now=RunNow(overrides={"below": "many"}),
    )

    with pytest.raises(ValidationFailed) as refused:
        apply(session, world, created.report.report_id, plan)

    assert set(refused.value.errors) == {"run_now.parameters.below"}
    assert counts(session) == before
    schedule = report_schedule(
        session=session, actor=world.owner, report_id=created.report.report_id
    )
    assert schedule is not None and schedule.cron_expression == created.schedule.cron_expression


# --- editing ------------------------------------------------------------------------------


def test_edit_report_changes_fields_and_schedule_together(session: Session, world: World) -> None:
    report_id = plain_report(session, world)

    edited = edit_report(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=report_id,
        changes={"name": "Renamed", "parameters": {"below": 7}},
        schedule=SchedulePlan(frequency="monthly", day_of_month=15),
    )

    assert (edited.report.name, edited.report.parameters) == ("Renamed", {"below": 7})
    assert edited.schedule is not None and edited.schedule.cron_expression == "0 6 15 * *"
    assert edited.report.frequency == "monthly"

    removed = edit_report(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=report_id,
        changes={"description": "No longer scheduled"},
        remove_schedule=True,
    )

    assert removed.report.description == "No longer scheduled"
    assert removed.report.frequency == "once" and removed.report.schedule_id is None
    assert counts(session)["ReportSchedule"] == 0


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        (SchedulePlan(frequency="daily", time_of_day="25:00"), "schedule.time_of_day"),
        (SchedulePlan(frequency="custom", cron_expression="every day"), "schedule.cron_expression"),
        (SchedulePlan(frequency="daily", timezone="Mars/Olympus"), "schedule.timezone"),
    ],
)
def test_an_edit_with_an_invalid_schedule_changes_nothing(
    session: Session, world: World, schedule: SchedulePlan, field: str
) -> None:
    report_id = plain_report(session, world)

    with pytest.raises(ParameterError) as refused:
        edit_report(
            session=session,
            redis=None,
            actor=world.owner,
            report_id=report_id,
            changes={"name": "Renamed", "parameters": {"below": 7}},
            schedule=schedule,
        )

    assert refused.value.field == field
    session.expire_all()
    report = get_report(session=session, actor=world.owner, report_id=report_id)
    assert (report.name, report.parameters) == ("Plain", {"below": 100})
    assert counts(session)["ReportSchedule"] == 0


# --- a backfill's status, cancels and retries ---------------------------------------------


@pytest.mark.parametrize(
    ("current", "statuses", "status"),
    [
        ("running", ["completed", "pending"], "running"),
        ("running", ["failed", "running"], "running"),
        ("running", ["completed", "completed"], "completed"),
        ("running", ["completed", "failed"], "partial"),
        ("running", ["completed", "cancelled"], "partial"),
        ("running", ["failed", "cancelled"], "failed"),
        ("running", ["cancelled"], "failed"),
        ("cancelled", ["completed", "cancelled"], "cancelled"),
        ("cancelled", ["completed"], "cancelled"),
        ("partial", ["completed", "completed"], "completed"),  # after a retry succeeded
    ],
)
def test_a_backfill_status_follows_its_segments(
    current: str, statuses: list[str], status: str
) -> None:
    assert backfill_status(current, statuses) == status


def test_cancelling_one_segment_cancels_only_it_and_the_backfill_ends_partial(
    session: Session, world: World
) -> None:
    set_instance(session, max_concurrency=2)
    plan = BackfillPlan(segment="daily", lookback_days=13)
    outcome = new_report(session, world, RunPlan(backfill=plan))
    assert outcome.backfill is not None
    collection_id = outcome.backfill.collection_id
    runs = [s.execution_id for s in outcome.backfill.segments]

    def queued() -> list[str]:
        session.expire_all()
        rows = session.scalars(
            select(ReportExecution.execution_id)
            .where(ReportExecution.queued_at.is_not(None), ReportExecution.status == "pending")
            .order_by(ReportExecution.time_window_start)
        )
        return list(rows)

    assert queued() == runs[:2]

    cancelled = cancel_execution(
        session=session, redis=None, actor=world.owner, execution_id=runs[1]
    )

    assert cancelled.status == "cancelled"
    assert queued() == [runs[0], runs[2]]  # the next held segment took its place
    going = backfill_of(session, world, collection_id)
    assert going.status == "running"
    assert [s.status for s in going.segments].count("cancelled") == 1
    assert going.summary == "1 cancelled, 12 pending of 13"

    end_run(session, runs[0], "completed")
    for run_id in runs[2:12]:
        end_run(session, run_id, "completed")
    end_run(session, runs[12], "failed")
    ended = backfill_of(session, world, collection_id)

    assert ended.status == "partial"
    assert ended.summary == "11 completed, 1 failed, 1 cancelled of 13"
    assert (ended.completed_segments, ended.failed_segments, ended.cancelled_segments) == (
        11,
        1,
        1,
    )
    assert ended.progress == 1.0
    assert {s.execution_id for s in ended.retryable} == {runs[1], runs[12]}


def test_a_cancelled_segment_is_retried_alone_and_the_backfill_completes(
    session: Session, world: World
) -> None:
    report_id, runs, first = _ended_backfill(session, world)
    collection_id = backfill_of_report(session, world, report_id)
    assert backfill_of(session, world, collection_id).status == "partial"

    retried = retry_backfill(
        session=session,
        redis=None,
        actor=world.owner,
        collection_id=collection_id,
        segment_ids=[runs[2]],  # the cancelled one
    )

    assert retried.status == "running"
    again = retried.segments[2]
    assert (again.attempt, again.status, window_of(again)[0]) == (
        2,
        "pending",
        first + timedelta(2),
    )
    assert [s.status for s in retried.segments] == ["completed", "failed", "pending", "completed"]
    end_run(session, again.execution_id, "completed")
    assert backfill_of(session, world, collection_id).status == "partial"  # one still failed

    rest = retry_backfill(
        session=session, redis=None, actor=world.owner, collection_id=collection_id
    )
    assert [s.attempt for s in rest.segments] == [1, 2, 2, 1]
    end_run(session, rest.segments[1].execution_id, "completed")
    done = backfill_of(session, world, collection_id)
    assert done.status == "completed" and done.summary == "4 completed of 4"


def test_retrying_all_takes_failed_and_cancelled_segments(session: Session, world: World) -> None:
    report_id, runs, _ = _ended_backfill(session, world)
    collection_id = backfill_of_report(session, world, report_id)

    retried = retry_backfill(
        session=session, redis=None, actor=world.owner, collection_id=collection_id
    )

    assert [(s.attempt, s.status) for s in retried.segments] == [
        (1, "completed"),
        (2, "pending"),
        (2, "pending"),
        (1, "completed"),
    ]
    with pytest.raises(ParameterError) as not_retryable:
        retry_backfill(
            session=session,
            redis=None,
            actor=world.owner,
            collection_id=collection_id,
            segment_ids=[runs[0]],
        )
    assert not_retryable.value.field == "segment_ids"


@pytest.mark.parametrize("typed", ["--5", "+-5", "²", "1" * 5000, "5e", "0x10"])
def test_read_plan_refuses_numbers_int_cannot_read_with_a_field_error(typed: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        read_plan({"backfill": {"segment": "weekly", "lookback_days": typed}})
    assert "backfill.lookback_days" in refused.value.errors
    with pytest.raises(ValidationFailed) as day:
        read_plan({"schedule": {"frequency": "monthly", "day_of_month": typed}})
    assert "schedule.day_of_month" in day.value.errors


def test_a_typed_frequency_keeps_a_cron_given_with_it() -> None:
    plan = read_plan(
        {"schedule": {"frequency": "weekly", "cron_expression": "0 9 * * 1-5", "timezone": "UTC"}}
    ).schedule
    assert plan is not None and plan.cron == "0 9 * * 1-5"

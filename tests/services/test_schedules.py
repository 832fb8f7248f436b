"""Schedules: the service (both databases) and the tick that starts each due slot once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import QueryTemplate, ReportExecution, ReportSchedule
from services.errors import (
    Conflict,
    ParameterError,
    PermissionDenied,
    ReportNotFound,
    ScheduleNotFound,
    ValidationFailed,
)
from services.executions import get_execution
from services.reports import create_report, get_report, update_report
from services.runtime import EXECUTIONS_QUEUE
from services.schedule_tick import period_window, tick
from services.schedules import (
    ScheduleInfo,
    create_schedule,
    delete_schedule,
    get_schedule,
    next_due,
    preview,
    report_schedule,
    schedule_preview,
    update_schedule,
)
from services.users import Actor
from services.windows import Window
from tests.factories import World, run_worker_burst

#: A fixed "now" for the service: a Wednesday, 12:00 UTC.
T0 = datetime(2025, 6, 4, 12, 0, tzinfo=UTC)


def make_report(
    session: Session, world: World, *, actor: Actor | None = None, **fields: Any
) -> str:
    fields.setdefault("parameters", {"below": 10})
    info = create_report(
        session=session,
        actor=actor or world.owner,
        template_id="numbers",
        instance_id="wh",
        name=fields.pop("name", "Numbers"),
        **fields,
    )
    session.commit()  # as the request that creates it would: the scheduler must see it
    return info.report_id


def make_schedule(
    session: Session, world: World, report_id: str, *, now: datetime = T0, **fields: Any
) -> ScheduleInfo:
    fields.setdefault("schedule_type", "daily")
    schedule = create_schedule(
        session=session, actor=world.owner, report_id=report_id, now=now, **fields
    )
    session.commit()  # as the request that creates it would: the scheduler must see it
    return schedule


def slot_runs(session: Session, schedule: ScheduleInfo) -> list[ReportExecution]:
    session.expire_all()
    return list(
        session.scalars(
            select(ReportExecution)
            .where(ReportExecution.schedule_uuid == schedule.uuid)
            .order_by(ReportExecution.scheduled_for)
        )
    )


def schedule_row(session: Session, schedule: ScheduleInfo) -> ReportSchedule:
    session.expire_all()
    return session.get_one(ReportSchedule, schedule.uuid)


# --- the service -------------------------------------------------------------------------


def test_a_daily_schedule_gets_its_next_run_in_its_zone(session: Session, world: World) -> None:
    report_id = make_report(session, world)
    schedule = make_schedule(
        session, world, report_id, time_of_day="07:30", timezone="America/New_York"
    )

    assert schedule.cron_expression == "30 7 * * *"
    assert schedule.timezone == "America/New_York"
    # 12:00 UTC is 08:00 EDT: today's 07:30 has passed, so tomorrow's, 11:30 UTC.
    assert schedule.next_run_at == datetime(2025, 6, 5, 11, 30, tzinfo=UTC)
    assert (schedule.is_active, schedule.is_paused) == (True, False)
    assert (schedule.run_count, schedule.failure_count) == (0, 0)
    assert get_report(session=session, actor=world.owner, report_id=report_id).frequency == "daily"
    assert report_schedule(session=session, actor=world.owner, report_id=report_id) == schedule


def test_the_zone_defaults_to_the_reports(session: Session, world: World) -> None:
    report_id = make_report(session, world, timezone="Australia/Sydney")
    schedule = make_schedule(session, world, report_id, schedule_type="weekly")
    assert schedule.timezone == "Australia/Sydney"
    assert schedule.cron_expression == "0 6 * * 1"
    # Monday 2025-06-09 06:00 AEST (+10).
    assert schedule.next_run_at == datetime(2025, 6, 8, 20, 0, tzinfo=UTC)


def test_a_custom_schedule_takes_any_five_field_cron(session: Session, world: World) -> None:
    report_id = make_report(session, world)
    schedule = make_schedule(
        session, world, report_id, schedule_type="custom", cron_expression="*/15 9-17 * * 1-5"
    )
    assert schedule.next_run_at == datetime(2025, 6, 4, 12, 15, tzinfo=UTC)
    assert get_report(session=session, actor=world.owner, report_id=report_id).frequency == "once"


def test_a_second_active_schedule_is_a_conflict(session: Session, world: World) -> None:
    report_id = make_report(session, world)
    first = make_schedule(session, world, report_id)
    with pytest.raises(Conflict) as refused:
        make_schedule(session, world, report_id, schedule_type="weekly")
    assert first.schedule_id in str(refused.value)
    # Another report may have its own.
    make_schedule(session, world, make_report(session, world, name="Other"))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"schedule_type": "custom", "cron_expression": "61 * * * *"}, "cron_expression"),
        ({"schedule_type": "custom", "cron_expression": "0 6 * * * *"}, "cron_expression"),
        ({"schedule_type": "custom", "cron_expression": "junk"}, "cron_expression"),
        ({"schedule_type": "custom"}, "cron_expression"),
        ({"schedule_type": "hourly"}, "schedule_type"),
        ({"time_of_day": "25:00"}, "time_of_day"),
        ({"time_of_day": "noon"}, "time_of_day"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
    ],
)
def test_invalid_schedules_are_field_errors(
    session: Session, world: World, fields: dict[str, Any], field: str
) -> None:
    report_id = make_report(session, world)
    with pytest.raises(ParameterError) as refused:
        make_schedule(session, world, report_id, **fields)
    assert refused.value.field == field
    assert report_schedule(session=session, actor=world.owner, report_id=report_id) is None


def test_invalid_default_parameters_are_field_errors(session: Session, world: World) -> None:
    report_id = make_report(session, world)
    with pytest.raises(ValidationFailed) as refused:
        make_schedule(session, world, report_id, default_parameters={"below": -3})
    assert set(refused.value.errors) == {"default_parameters.below"}


def test_a_cron_that_never_fires_is_refused_as_a_field_error(
    session: Session, world: World
) -> None:
    report_id = make_report(session, world)
    with pytest.raises(ParameterError) as refused:
        make_schedule(
            session, world, report_id, schedule_type="custom", cron_expression="0 0 30 2 *"
        )
    assert refused.value.field == "cron_expression"


def test_pause_and_resume_recompute_the_next_run(session: Session, world: World) -> None:
    report_id = make_report(session, world)
    schedule = make_schedule(session, world, report_id)
    assert schedule.next_run_at == datetime(2025, 6, 5, 6, tzinfo=UTC)

    paused = update_schedule(
        session=session,
        actor=world.owner,
        schedule_id=schedule.schedule_id,
        changes={"is_paused": True},
        now=T0 + timedelta(days=1),
    )
    assert paused.is_paused
    assert get_report(session=session, actor=world.owner, report_id=report_id).state == "paused"

    resumed = update_schedule(
        session=session,
        actor=world.owner,
        schedule_id=schedule.schedule_id,
        changes={"is_paused": False},
        now=T0 + timedelta(days=10),
    )
    # Resuming never catches up: the next slot is the first one after the resume.
    assert not resumed.is_paused
    assert resumed.next_run_at == datetime(2025, 6, 15, 6, tzinfo=UTC)
    assert get_report(session=session, actor=world.owner, report_id=report_id).state == "active"


def test_changing_cron_and_zone_moves_the_next_run(session: Session, world: World) -> None:
    report_id = make_report(session, world)
    schedule = make_schedule(session, world, report_id)

    changed = update_schedule(
        session=session,
        actor=world.owner,
        schedule_id=schedule.schedule_id,
        changes={"cron_expression": "30 8 * * *", "timezone": "Europe/Berlin"},
        now=T0,
    )
    assert (changed.cron_expression, changed.timezone) == ("30 8 * * *", "Europe/Berlin")
    assert changed.next_run_at == datetime(2025, 6, 5, 6, 30, tzinfo=UTC)  # 08:30 CEST

    weekly = update_schedule(
        session=session,
        actor=world.owner,
        schedule_id=schedule.schedule_id,
        changes={"schedule_type": "weekly", "time_of_day": "09:00"},
        now=T0,
    )
    assert (weekly.schedule_type, weekly.cron_expression) == ("weekly", "0 9 * * 1")
    assert weekly.next_run_at == datetime(2025, 6, 9, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cron_expression": "0 6 * *"}, "cron_expression"),
        ({"timezone": "Nowhere/Else"}, "timezone"),
    ],
)
def test_invalid_changes_are_field_errors(
    session: Session, world: World, changes: dict[str, Any], field: str
) -> None:
    schedule = make_schedule(session, world, make_report(session, world))
    with pytest.raises(ParameterError) as refused:
        update_schedule(
            session=session, actor=world.owner, schedule_id=schedule.schedule_id, changes=changes
        )
    assert refused.value.field == field


def test_unknown_changes_are_refused(session: Session, world: World) -> None:
    schedule = make_schedule(session, world, make_report(session, world))
    with pytest.raises(ValidationFailed) as refused:
        update_schedule(
            session=session,
            actor=world.owner,
            schedule_id=schedule.schedule_id,
            changes={"run_count": 0},
        )
    assert set(refused.value.errors) == {"run_count"}


def test_deleting_a_schedule_keeps_its_runs(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    report_id = make_report(session, world)
    schedule = make_schedule(session, world, report_id)
    [execution_id] = tick(session_factory=session_factory, redis=redis, now=schedule.next_run_at)

    delete_schedule(session=session, actor=world.owner, schedule_id=schedule.schedule_id)

    with pytest.raises(ScheduleNotFound):
        get_schedule(session=session, actor=world.owner, schedule_id=schedule.schedule_id)
    assert report_schedule(session=session, actor=world.owner, report_id=report_id) is None
    run = get_execution(session=session, actor=world.owner, execution_id=execution_id)
    assert run.triggered_by == "schedule"
    assert run.scheduled_for == schedule.next_run_at
    make_schedule(session, world, report_id)  # the report may be scheduled again


def test_preview_shows_local_times_with_offsets_and_utc_with_z(
    session: Session, world: World
) -> None:
    runs = preview("30 2 * * *", "America/New_York", 3, after=datetime(2025, 3, 8, 12, tzinfo=UTC))
    assert [(r.local, r.utc) for r in runs] == [
        ("2025-03-09T03:30:00-04:00", "2025-03-09T07:30:00Z"),  # 02:30 does not exist
        ("2025-03-10T02:30:00-04:00", "2025-03-10T06:30:00Z"),
        ("2025-03-11T02:30:00-04:00", "2025-03-11T06:30:00Z"),
    ]
    schedule = make_schedule(session, world, make_report(session, world), timezone="Europe/Berlin")
    shown = schedule_preview(
        session=session, actor=world.owner, schedule_id=schedule.schedule_id, count=4
    )
    assert len(shown) == 4
    for run in shown:
        assert run.local.endswith(("+01:00", "+02:00")) and "T06:00:00" in run.local
        assert run.utc.endswith("Z")
        assert datetime.fromisoformat(run.local) == datetime.fromisoformat(run.utc)
    assert len(preview("* * * * *", "UTC", 500)) == 50
    with pytest.raises(ParameterError) as refused:
        preview("0 6 * * *", "Not/AZone")
    assert refused.value.field == "timezone"


def test_someone_elses_schedule_is_not_found(session: Session, world: World) -> None:
    report_id = make_report(session, world)
    schedule = make_schedule(session, world, report_id)
    sid = schedule.schedule_id
    other = world.other

    with pytest.raises(ReportNotFound):
        create_schedule(session=session, actor=other, report_id=report_id, schedule_type="daily")
    with pytest.raises(ScheduleNotFound):
        get_schedule(session=session, actor=other, schedule_id=sid)
    with pytest.raises(ScheduleNotFound):
        get_schedule(session=session, actor=other, schedule_id=str(schedule.uuid))
    with pytest.raises(ScheduleNotFound):
        update_schedule(session=session, actor=other, schedule_id=sid, changes={"is_paused": True})
    with pytest.raises(ScheduleNotFound):
        schedule_preview(session=session, actor=other, schedule_id=sid)
    with pytest.raises(ScheduleNotFound):
        delete_schedule(session=session, actor=other, schedule_id=sid)
    assert get_schedule(session=session, actor=world.admin, schedule_id=sid) == schedule


def test_viewers_read_schedules_but_change_nothing(session: Session, world: World) -> None:
    report_id = make_report(session, world)
    schedule = make_schedule(session, world, report_id)
    viewer = world.viewer

    assert get_schedule(session=session, actor=viewer, schedule_id=schedule.schedule_id)
    with pytest.raises(PermissionDenied):
        create_schedule(session=session, actor=viewer, report_id=report_id, schedule_type="daily")
    with pytest.raises(PermissionDenied):
        update_schedule(
            session=session,
            actor=viewer,
            schedule_id=schedule.schedule_id,
            changes={"is_paused": True},
        )
    with pytest.raises(PermissionDenied):
        delete_schedule(session=session, actor=viewer, schedule_id=schedule.schedule_id)
    assert not get_schedule(
        session=session, actor=world.owner, schedule_id=schedule.schedule_id
    ).is_paused


def test_admins_change_anyones_schedule(session: Session, world: World) -> None:
    schedule = make_schedule(session, world, make_report(session, world))
    paused = update_schedule(
        session=session,
        actor=world.admin,
        schedule_id=schedule.schedule_id,
        changes={"is_paused": True},
    )
    assert paused.is_paused


# --- the period a run covers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "freshest", "expected"),
    [
        ("daily", date(2025, 6, 2), Window(date(2025, 6, 2), date(2025, 6, 3))),
        ("weekly", date(2025, 6, 2), Window(date(2025, 5, 27), date(2025, 6, 3))),
        ("monthly", date(2025, 6, 2), Window(date(2025, 5, 3), date(2025, 6, 3))),
        ("monthly", date(2025, 3, 30), Window(date(2025, 2, 28), date(2025, 3, 31))),
        ("quarterly", date(2025, 6, 30), Window(date(2025, 4, 1), date(2025, 7, 1))),
        ("quarterly", date(2024, 5, 30), Window(date(2024, 2, 29), date(2024, 5, 31))),
    ],
)
def test_a_scheduled_run_covers_its_frequencys_period_up_to_the_freshest_day(
    frequency: str, freshest: date, expected: Window
) -> None:
    assert period_window(frequency, freshest) == expected


# --- the tick ----------------------------------------------------------------------------


def test_a_due_slot_starts_one_run(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    report_id = make_report(session, world, parameters={"below": 10})
    schedule = make_schedule(session, world, report_id, default_parameters={"below": 4})
    slot = schedule.next_run_at
    assert slot == datetime(2025, 6, 5, 6, tzinfo=UTC)

    assert tick(session_factory=session_factory, redis=redis, now=slot - timedelta(seconds=1)) == []
    started = tick(session_factory=session_factory, redis=redis, now=slot + timedelta(seconds=1))

    [run] = slot_runs(session, schedule)
    assert started == [run.execution_id]
    assert run.triggered_by == "schedule"
    assert run.status == "pending"
    assert run.scheduled_for == slot
    assert run.parameters_snapshot == {"below": 4}  # the schedule's defaults win
    # Daily, instance lag 2 days: the day two days before the slot's day.
    assert (run.time_window_start, run.time_window_end) == (
        datetime(2025, 6, 3, tzinfo=UTC),
        datetime(2025, 6, 4, tzinfo=UTC),
    )
    assert run.user_uuid == world.owner.id
    assert run.queued_at is not None
    assert Queue(EXECUTIONS_QUEUE, connection=redis).job_ids == [run.execution_id]
    row = schedule_row(session, schedule)
    assert row.next_run_at == datetime(2025, 6, 6, 6, tzinfo=UTC)
    assert (row.run_count, row.last_run_at, row.last_run_status) == (1, slot, "pending")
    report = get_report(session=session, actor=world.owner, report_id=report_id)
    assert report.execution_count == 1
    assert report.last_execution_id == run.execution_id


def test_a_weekly_schedule_covers_seven_days_and_the_templates_data_age(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    session.execute(
        update(QueryTemplate)
        .where(QueryTemplate.template_id == "numbers")
        .values(min_data_age_days=14)
    )
    session.commit()
    schedule = make_schedule(session, world, make_report(session, world), schedule_type="weekly")
    slot = schedule.next_run_at
    assert slot == datetime(2025, 6, 9, 6, tzinfo=UTC)  # Monday

    tick(session_factory=session_factory, redis=redis, now=slot)

    [run] = slot_runs(session, schedule)
    # The template needs 14 days: the week ends with 2025-05-26 (= 06-09 − 14).
    assert (run.time_window_start, run.time_window_end) == (
        datetime(2025, 5, 20, tzinfo=UTC),
        datetime(2025, 5, 27, tzinfo=UTC),
    )


def test_a_slot_in_the_skipped_hour_starts_once_an_hour_later(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    schedule = make_schedule(
        session,
        world,
        make_report(session, world),
        time_of_day="02:30",
        timezone="America/New_York",
        now=datetime(2025, 3, 8, 12, tzinfo=UTC),
    )
    slot = datetime(2025, 3, 9, 7, 30, tzinfo=UTC)  # 03:30 EDT: 02:30 does not exist
    assert schedule.next_run_at == slot

    for minutes in (0, 30, 60, 90):
        tick(session_factory=session_factory, redis=redis, now=slot + timedelta(minutes=minutes))

    assert [r.scheduled_for for r in slot_runs(session, schedule)] == [slot]
    assert schedule_row(session, schedule).next_run_at == datetime(2025, 3, 10, 6, 30, tzinfo=UTC)


def test_a_slot_in_the_repeated_hour_starts_once_at_its_first_occurrence(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    schedule = make_schedule(
        session,
        world,
        make_report(session, world),
        time_of_day="01:30",
        timezone="America/New_York",
        now=datetime(2025, 11, 1, 12, tzinfo=UTC),
    )
    first = datetime(2025, 11, 2, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2025, 11, 2, 6, 30, tzinfo=UTC)  # 01:30 EST, an hour later
    assert schedule.next_run_at == first

    assert len(tick(session_factory=session_factory, redis=redis, now=first)) == 1
    assert tick(session_factory=session_factory, redis=redis, now=second) == []
    assert tick(session_factory=session_factory, redis=redis, now=second + timedelta(hours=1)) == []

    assert [r.scheduled_for for r in slot_runs(session, schedule)] == [first]
    assert schedule_row(session, schedule).next_run_at == datetime(2025, 11, 3, 6, 30, tzinfo=UTC)


def test_ticking_twice_at_the_same_time_starts_nothing_more(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    schedule = make_schedule(session, world, make_report(session, world))
    assert schedule.next_run_at is not None
    now = schedule.next_run_at + timedelta(seconds=3)

    first = tick(session_factory=session_factory, redis=redis, now=now)
    second = tick(session_factory=session_factory, redis=redis, now=now)

    assert len(first) == 1
    assert second == []
    assert len(slot_runs(session, schedule)) == 1
    assert schedule_row(session, schedule).run_count == 1


def test_after_downtime_the_missed_slots_run_once(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    schedule = make_schedule(session, world, make_report(session, world))
    assert schedule.next_run_at is not None
    now = schedule.next_run_at + timedelta(days=3, hours=2)

    started = tick(session_factory=session_factory, redis=redis, now=now)
    again = tick(session_factory=session_factory, redis=redis, now=now + timedelta(minutes=1))

    assert len(started) == 1
    assert again == []
    [run] = slot_runs(session, schedule)
    assert run.scheduled_for == schedule.next_run_at + timedelta(days=3)  # the latest slot
    row = schedule_row(session, schedule)
    assert row.next_run_at == schedule.next_run_at + timedelta(days=4)
    assert row.run_count == 1


def test_paused_and_inactive_schedules_do_not_fire(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    paused = make_schedule(session, world, make_report(session, world, name="Paused"))
    update_schedule(
        session=session,
        actor=world.owner,
        schedule_id=paused.schedule_id,
        changes={"is_paused": True},
        now=T0,
    )
    inactive = make_schedule(session, world, make_report(session, world, name="Inactive"))
    session.execute(
        update(ReportSchedule).where(ReportSchedule.id == inactive.uuid).values(is_active=False)
    )
    session.commit()
    off_report = make_report(session, world, name="Report switched off")
    off = make_schedule(session, world, off_report)
    update_report(
        session=session, actor=world.owner, report_id=off_report, changes={"is_active": False}
    )
    session.commit()

    for days in (1, 2, 3):
        assert (
            tick(session_factory=session_factory, redis=redis, now=T0 + timedelta(days=days)) == []
        )

    for schedule in (paused, inactive, off):
        assert slot_runs(session, schedule) == []
        assert schedule_row(session, schedule).run_count == 0
    assert Queue(EXECUTIONS_QUEUE, connection=redis).count == 0


def test_a_report_whose_parameters_became_invalid_gets_a_failed_run_that_says_why(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    schedule = make_schedule(session, world, make_report(session, world, parameters={"below": 10}))
    # The template now allows at most 5.
    session.execute(
        update(QueryTemplate)
        .where(QueryTemplate.template_id == "numbers")
        .values(parameter_definitions=[{"name": "below", "type": "integer", "min": 0, "max": 5}])
    )
    session.commit()

    started = tick(session_factory=session_factory, redis=redis, now=schedule.next_run_at)

    assert started == []
    [run] = slot_runs(session, schedule)
    assert run.status == "failed"
    assert run.scheduled_for == schedule.next_run_at
    assert run.error_message is not None
    assert "no longer valid" in run.error_message and "below" in run.error_message
    assert run.completed_at is not None
    assert Queue(EXECUTIONS_QUEUE, connection=redis).count == 0
    row = schedule_row(session, schedule)
    assert (row.last_run_status, row.failure_count, row.run_count) == ("failed", 1, 1)
    assert row.next_run_at == datetime(2025, 6, 6, 6, tzinfo=UTC)


def test_the_schedule_follows_how_its_runs_end(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    redis: Redis,
    worker_env: dict[str, str],
) -> None:
    schedule = make_schedule(session, world, make_report(session, world))
    first_slot = schedule.next_run_at
    assert first_slot is not None
    tick(session_factory=session_factory, redis=redis, now=first_slot)
    run_worker_burst(worker_env)

    row = schedule_row(session, schedule)
    assert (row.last_run_status, row.failure_count, row.run_count) == ("completed", 0, 1)

    session.execute(
        update(QueryTemplate)
        .where(QueryTemplate.template_id == "numbers")
        .values(sql_template="SELECT x FROM no_such_table WHERE {{ below }} > 0")
    )
    session.commit()
    tick(session_factory=session_factory, redis=redis, now=first_slot + timedelta(days=1))
    run_worker_burst(worker_env)

    row = schedule_row(session, schedule)
    assert (row.last_run_status, row.failure_count, row.run_count) == ("failed", 1, 2)
    assert [r.status for r in slot_runs(session, schedule)] == ["completed", "failed"]


def test_one_tick_starts_every_due_schedule_and_leaves_the_rest(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    due = [
        make_schedule(session, world, make_report(session, world, name=f"Due {n}"))
        for n in range(5)
    ]
    later = make_schedule(
        session, world, make_report(session, world, name="Later"), time_of_day="07:00"
    )
    now = datetime(2025, 6, 5, 6, 0, 30, tzinfo=UTC)

    started = tick(session_factory=session_factory, redis=redis, now=now)

    assert len(started) == 5
    assert all(len(slot_runs(session, s)) == 1 for s in due)
    assert slot_runs(session, later) == []
    # Batches smaller than what is due: one tick goes through all of them.
    more = [
        make_schedule(session, world, make_report(session, world, name=f"More {n}"))
        for n in range(3)
    ]
    assert len(tick(session_factory=session_factory, redis=redis, now=now, batch=2)) == 3
    assert tick(session_factory=session_factory, redis=redis, now=now, batch=2) == []
    assert all(len(slot_runs(session, s)) == 1 for s in more)


def test_concurrent_ticks_start_each_slot_once(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    schedules = [
        make_schedule(
            session,
            world,
            make_report(session, world, name=f"Minutely {n}"),
            schedule_type="custom",
            cron_expression="* * * * *",
        )
        for n in range(12)
    ]
    errors: list[BaseException] = []

    def ticker(start: datetime) -> None:
        for minute in range(4):
            for second in (0, 1):
                now = start + timedelta(minutes=minute, seconds=second)
                try:
                    tick(session_factory=session_factory, redis=redis, now=now)
                except Exception as error:  # collected: a tick must not crash on a race
                    errors.append(error)

    first_slot = schedules[0].next_run_at
    assert first_slot is not None
    threads = [threading.Thread(target=ticker, args=(first_slot,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    expected = [first_slot + timedelta(minutes=m) for m in range(4)]
    for schedule in schedules:
        assert [r.scheduled_for for r in slot_runs(session, schedule)] == expected
        assert schedule_row(session, schedule).run_count == 4


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_tick_skips_schedules_another_scheduler_holds(
    session: Session, session_factory: sessionmaker[Session], world: World, redis: Redis
) -> None:
    """FOR UPDATE SKIP LOCKED (PostgreSQL): a held schedule is skipped, not waited for."""
    held = make_schedule(session, world, make_report(session, world, name="Held"))
    free = make_schedule(session, world, make_report(session, world, name="Free"))
    now = held.next_run_at
    assert now is not None

    with session_factory() as other_scheduler:
        other_scheduler.scalars(
            select(ReportSchedule).where(ReportSchedule.id == held.uuid).with_for_update()
        ).all()
        # Not blocked by the lock: it takes the free schedule and leaves the held one.
        started = tick(session_factory=session_factory, redis=redis, now=now)
        other_scheduler.rollback()

    assert len(started) == 1
    assert slot_runs(session, held) == []
    assert len(slot_runs(session, free)) == 1
    assert len(tick(session_factory=session_factory, redis=redis, now=now)) == 1
    assert len(slot_runs(session, held)) == 1


def test_a_tick_without_redis_commits_and_leaves_the_enqueue_to_the_reconciler(
    session: Session, session_factory: sessionmaker[Session], world: World
) -> None:
    schedule = make_schedule(session, world, make_report(session, world))
    started = tick(session_factory=session_factory, redis=None, now=schedule.next_run_at)
    [run] = slot_runs(session, schedule)
    assert started == [run.execution_id]
    assert run.status == "pending" and run.queued_at is not None


# --- when a page showing schedules looks again -------------------------------------------


def test_next_due_is_the_earliest_active_unpaused_slot_the_user_sees(
    session: Session, world: World
) -> None:
    early, late, paused = (make_report(session, world, name=n) for n in ("Early", "Late", "Paused"))
    theirs = make_report(session, world, actor=world.other, name="Theirs")
    make_schedule(session, world, early, time_of_day="07:00")
    make_schedule(session, world, late, time_of_day="09:00")
    resting = make_schedule(session, world, paused, time_of_day="06:30")
    update_schedule(
        session=session,
        actor=world.owner,
        schedule_id=resting.schedule_id,
        changes={"is_paused": True},
        now=T0,
    )
    create_schedule(
        session=session,
        actor=world.other,
        report_id=theirs,
        schedule_type="daily",
        time_of_day="06:00",
        now=T0,
    )
    tomorrow = datetime(2025, 6, 5, tzinfo=UTC)

    assert next_due(session=session, actor=world.owner) == tomorrow.replace(hour=7)
    assert next_due(session=session, actor=world.owner, report_id=late) == tomorrow.replace(hour=9)
    assert next_due(session=session, actor=world.owner, report_id=paused) is None
    assert next_due(session=session, actor=world.admin) == tomorrow.replace(hour=6)
    assert next_due(session=session, actor=world.viewer) == tomorrow.replace(hour=6)
    with pytest.raises(ReportNotFound):
        next_due(session=session, actor=world.other, report_id=early)


def test_next_due_stays_in_the_past_until_the_tick_starts_the_slot(
    session: Session, session_factory: sessionmaker[Session], world: World
) -> None:
    report_id = make_report(session, world)
    slot = make_schedule(session, world, report_id).next_run_at
    assert slot is not None

    assert next_due(session=session, actor=world.owner, report_id=report_id) == slot
    tick(session_factory=session_factory, redis=None, now=slot + timedelta(seconds=1))
    session.expire_all()

    assert next_due(session=session, actor=world.owner, report_id=report_id) == slot + timedelta(
        days=1
    )

"""What live pages ask each tick (the change signature) and Home's failures needing attention,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from db.models import ReportExecution
from services.activity import activity, unresolved_failures
from services.errors import ReportNotFound
from services.executions import run_report
from services.reports import create_report
from services.schedules import create_schedule, update_schedule
from services.users import Actor
from tests.factories import World

#: A window well inside the warehouse's data (the data lag is 2 days).
START, END = date.today() - timedelta(days=20), date.today() - timedelta(days=14)
SINCE = date.today() - timedelta(days=7)


def make_report(session: Session, world: World, actor: Actor | None = None, name: str = "N") -> str:
    return create_report(
        session=session,
        actor=actor or world.owner,
        template_id="numbers",
        instance_id="wh",
        name=name,
        parameters={"below": 10},
    ).report_id


def queue_run(
    session: Session, world: World, report_id: str, *, start: date = START, end: date = END
) -> str:
    return run_report(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=report_id,
        start=start,
        end=end,
    ).execution_id


def set_status(session: Session, execution_id: str, status: str) -> None:
    """Move a run along as the worker would (the row's updated_at moves with it)."""
    values: dict[str, Any] = {"status": status}
    if status in {"completed", "failed", "cancelled"}:
        values["completed_at"] = datetime.now(UTC)
    session.execute(
        update(ReportExecution).where(ReportExecution.execution_id == execution_id).values(values)
    )
    session.commit()


def signature(session: Session, actor: Actor, report_id: str | None = None) -> str:
    return activity(session=session, actor=actor, report_id=report_id).signature


# --- the change signature ------------------------------------------------------------------


def test_the_signature_holds_still_until_a_run_starts_moves_and_ends(
    session: Session, world: World
) -> None:
    report_id = make_report(session, world)
    idle = activity(session=session, actor=world.owner, report_id=report_id)
    assert signature(session, world.owner, report_id) == idle.signature
    assert (idle.in_flight, idle.wake_at) == (False, None)

    execution_id = queue_run(session, world, report_id)
    queued = activity(session=session, actor=world.owner, report_id=report_id)
    assert queued.in_flight is True
    seen = {idle.signature, queued.signature}

    for status in ("running", "completed"):
        set_status(session, execution_id, status)
        seen.add(signature(session, world.owner, report_id))
    assert len(seen) == 4
    assert activity(session=session, actor=world.owner, report_id=report_id).in_flight is False


def test_the_signature_of_every_visible_report_sees_runs_the_report_page_ignores(
    session: Session, world: World
) -> None:
    first, second = make_report(session, world, name="First"), make_report(session, world)
    before_all = signature(session, world.owner)
    before_first = signature(session, world.owner, first)

    queue_run(session, world, second)

    assert signature(session, world.owner) != before_all
    assert signature(session, world.owner, first) == before_first
    assert activity(session=session, actor=world.owner).in_flight is True


def test_someone_elses_runs_leave_the_signature_alone(session: Session, world: World) -> None:
    make_report(session, world)
    theirs = make_report(session, world, actor=world.other, name="Theirs")
    before = activity(session=session, actor=world.owner)

    run_report(session=session, redis=None, actor=world.other, report_id=theirs)

    after = activity(session=session, actor=world.owner)
    assert after.signature == before.signature
    assert after.in_flight is False
    assert activity(session=session, actor=world.admin).in_flight is True


def test_someone_elses_report_is_not_found(session: Session, world: World) -> None:
    report_id = make_report(session, world)

    with pytest.raises(ReportNotFound):
        activity(session=session, actor=world.other, report_id=report_id)


def test_a_passing_slot_changes_the_signature_before_the_tick_starts_it(
    session: Session, world: World
) -> None:
    report_id = make_report(session, world)
    schedule = create_schedule(
        session=session, actor=world.owner, report_id=report_id, schedule_type="daily"
    )
    slot = schedule.next_run_at
    assert slot is not None

    waiting = activity(
        session=session, actor=world.owner, report_id=report_id, now=slot - timedelta(seconds=1)
    )
    due = activity(
        session=session, actor=world.owner, report_id=report_id, now=slot + timedelta(seconds=1)
    )

    assert waiting.wake_at == due.wake_at == slot
    assert waiting.signature != due.signature


def test_pausing_a_schedule_changes_the_signature_and_clears_the_wake_up(
    session: Session, world: World
) -> None:
    report_id = make_report(session, world)
    schedule = create_schedule(
        session=session, actor=world.owner, report_id=report_id, schedule_type="weekly"
    )
    before = activity(session=session, actor=world.owner, report_id=report_id)

    update_schedule(
        session=session,
        actor=world.owner,
        schedule_id=schedule.schedule_id,
        changes={"is_paused": True},
    )

    after = activity(session=session, actor=world.owner, report_id=report_id)
    assert after.signature != before.signature
    assert (before.wake_at, after.wake_at) == (schedule.next_run_at, None)


# --- failures that need attention -----------------------------------------------------------


def test_a_failure_needs_attention_until_a_later_run_of_its_window_completes(
    session: Session, world: World
) -> None:
    report_id = make_report(session, world)
    failed = queue_run(session, world, report_id)
    set_status(session, failed, "failed")

    def listed() -> list[str]:
        found = unresolved_failures(session=session, actor=world.owner, since=SINCE)
        return [e.execution_id for e in found]

    assert listed() == [failed]

    other_window = queue_run(session, world, report_id, start=START, end=END - timedelta(days=1))
    set_status(session, other_window, "completed")
    retry = queue_run(session, world, report_id)
    set_status(session, retry, "running")
    assert listed() == [failed]  # another window, or a retry still running, changes nothing

    set_status(session, retry, "completed")
    assert listed() == []


def test_a_run_completed_before_the_failure_does_not_clear_it(
    session: Session, world: World
) -> None:
    report_id = make_report(session, world)
    earlier = queue_run(session, world, report_id)
    set_status(session, earlier, "completed")
    failed = queue_run(session, world, report_id)
    set_status(session, failed, "failed")

    found = unresolved_failures(session=session, actor=world.owner, since=SINCE)

    assert [e.execution_id for e in found] == [failed]


def test_the_same_window_of_another_report_does_not_clear_a_failure(
    session: Session, world: World
) -> None:
    failing, other = make_report(session, world, name="Failing"), make_report(session, world)
    failed = queue_run(session, world, failing)
    set_status(session, failed, "failed")
    set_status(session, queue_run(session, world, other), "completed")

    found = unresolved_failures(session=session, actor=world.owner, since=SINCE)

    assert [e.execution_id for e in found] == [failed]


def test_only_failures_the_user_may_see_and_recent_enough_need_attention(
    session: Session, world: World
) -> None:
    report_id = make_report(session, world)
    failed = queue_run(session, world, report_id)
    set_status(session, failed, "failed")

    tomorrow = date.today() + timedelta(days=1)

    assert unresolved_failures(session=session, actor=world.other, since=SINCE) == []
    assert unresolved_failures(session=session, actor=world.owner, since=tomorrow) == []
    assert [
        e.execution_id
        for e in unresolved_failures(session=session, actor=world.admin, since=SINCE, limit=1)
    ] == [failed]

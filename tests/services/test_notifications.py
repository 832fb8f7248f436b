"""E-mail about scheduled runs and whole backfills, sent to a real SMTP server (aiosmtpd)
started by the test; RQ workers and both metadata databases."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from db.models import QueryTemplate, ReportDataCollection, ReportExecution
from services.backfills import get_backfill, start_backfill
from services.cancels import cancel_execution
from services.executions import run_report
from services.reconciler import STALE_HEARTBEAT_S, reconcile
from services.reports import create_report, update_report
from services.run_events import notify_backfill_if_ended
from services.schedule_tick import tick
from services.schedules import ScheduleInfo, create_schedule
from tests.factories import World, run_worker_burst
from tests.workers.helpers import reportbuilder

RECIPIENTS = ["ana@example.com", "bo@example.org"]


@dataclass
class Inbox:
    """What the test's SMTP server received.

    Complete as soon as the sender returns: the server stores a mail before it answers the
    DATA command, and smtplib waits for that answer, so no test waits for mail to arrive.
    """

    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    """A real SMTP server on a free local port: (SMTP_URL, its inbox)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", inbox
    controller.stop()


def make_report(session: Session, world: World, emails: list[str] = RECIPIENTS) -> str:
    report_id = create_report(
        session=session,
        actor=world.owner,
        template_id="numbers",
        instance_id="wh",
        name="Weekly numbers",
        parameters={"below": 10},
    ).report_id
    update_report(
        session=session,
        actor=world.owner,
        report_id=report_id,
        changes={"notification_emails": emails},
    )
    return report_id


def due_schedule(session: Session, world: World, report_id: str) -> ScheduleInfo:
    """A minutely schedule whose next slot has just passed, committed for the tick to see."""
    schedule = create_schedule(
        session=session,
        actor=world.owner,
        report_id=report_id,
        schedule_type="custom",
        cron_expression="* * * * *",
        now=datetime.now(UTC) - timedelta(minutes=1, seconds=5),
    )
    session.commit()
    return schedule


def text_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def test_a_scheduled_runs_end_sends_one_mail_to_the_reports_recipients(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    redis: Redis,
    worker_env: dict[str, str],
    smtp: tuple[str, Inbox],
) -> None:
    smtp_url, inbox = smtp
    schedule = due_schedule(session, world, make_report(session, world))
    [execution_id] = tick(session_factory=session_factory, redis=redis, now=schedule.next_run_at)

    run_worker_burst({**worker_env, "SMTP_URL": smtp_url})

    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert sorted(recipients) == sorted(RECIPIENTS)
    assert message["Subject"] == "[Report Builder] Weekly numbers: scheduled run completed"
    body = text_of(message)
    assert execution_id in body
    assert "completed with" in body and "rows" in body
    assert "Period: " in body


def test_a_failed_scheduled_run_says_why(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    redis: Redis,
    worker_env: dict[str, str],
    smtp: tuple[str, Inbox],
) -> None:
    smtp_url, inbox = smtp
    schedule = due_schedule(session, world, make_report(session, world))
    session.execute(
        update(QueryTemplate).values(
            sql_template="SELECT * FROM missing_table WHERE {{ below }} > 0"
        )
    )
    session.commit()
    tick(session_factory=session_factory, redis=redis, now=schedule.next_run_at)

    run_worker_burst({**worker_env, "SMTP_URL": smtp_url})

    [(_, message)] = inbox.messages
    assert message["Subject"].endswith("scheduled run failed")
    assert "missing_table" in text_of(message)


def test_a_whole_backfill_sends_one_mail_when_it_ends(
    session: Session,
    world: World,
    redis: Redis,
    worker_env: dict[str, str],
    smtp: tuple[str, Inbox],
) -> None:
    smtp_url, inbox = smtp
    info = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=make_report(session, world),
        segment_type="daily",
        lookback_days=4,
    )

    run_worker_burst({**worker_env, "SMTP_URL": smtp_url})

    assert len(inbox.messages) == 1  # one for the backfill, none per segment
    recipients, message = inbox.messages[0]
    assert sorted(recipients) == sorted(RECIPIENTS)
    assert message["Subject"] == "[Report Builder] Weekly numbers: backfill completed"
    body = text_of(message)
    assert info.collection_id in body
    assert "4 completed, 0 failed, 0 cancelled, of 4" in body
    session.expire_all()
    assert session.get_one(ReportDataCollection, info.uuid).notified_at is not None


def test_the_backfill_mail_goes_once_even_when_asked_twice(
    session: Session, world: World, smtp: tuple[str, Inbox]
) -> None:
    smtp_url, inbox = smtp
    info = start_backfill(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=make_report(session, world),
        segment_type="daily",
        lookback_days=2,
    )
    # Still running: nothing to say yet.
    assert notify_backfill_if_ended(session, smtp_url, info.uuid) is False
    session.execute(
        update(ReportExecution)
        .where(ReportExecution.collection_uuid == info.uuid)
        .values(status="completed")
    )
    session.execute(
        update(ReportDataCollection)
        .where(ReportDataCollection.id == info.uuid)
        .values(status="completed", completed_segments=2)
    )
    session.commit()

    first = notify_backfill_if_ended(session, smtp_url, info.uuid)
    second = notify_backfill_if_ended(session, smtp_url, info.uuid)

    assert (first, second) == (True, False)
    assert len(inbox.messages) == 1


def test_nothing_is_sent_without_smtp_url(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    redis: Redis,
    worker_env: dict[str, str],
    smtp: tuple[str, Inbox],
) -> None:
    _, inbox = smtp
    report_id = make_report(session, world)
    schedule = due_schedule(session, world, report_id)
    tick(session_factory=session_factory, redis=redis, now=schedule.next_run_at)
    info = start_backfill(
        session=session,
        redis=redis,
        actor=world.owner,
        report_id=report_id,
        segment_type="daily",
        lookback_days=2,
    )

    run_worker_burst(worker_env)  # no SMTP_URL

    session.expire_all()
    assert get_backfill(
        session=session, actor=world.owner, collection_id=info.collection_id
    ).status == ("completed")
    assert inbox.messages == []  # the burst has ended: every mail it meant to send is in


def test_manual_runs_and_reports_without_recipients_send_nothing(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    redis: Redis,
    worker_env: dict[str, str],
    smtp: tuple[str, Inbox],
) -> None:
    smtp_url, inbox = smtp
    manual = run_report(
        session=session, redis=redis, actor=world.owner, report_id=make_report(session, world)
    )
    silent = make_report(session, world, emails=[])
    schedule = due_schedule(session, world, silent)
    [scheduled] = tick(session_factory=session_factory, redis=redis, now=schedule.next_run_at)

    run_worker_burst({**worker_env, "SMTP_URL": smtp_url})

    session.expire_all()
    runs = session.query(ReportExecution).filter(
        ReportExecution.execution_id.in_([manual.execution_id, scheduled])
    )
    assert sorted(run.status for run in runs) == ["completed", "completed"]
    assert inbox.messages == []  # both ended within the burst: a mail would be in by now


def test_an_unreachable_smtp_server_never_fails_the_run(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    redis: Redis,
    worker_env: dict[str, str],
) -> None:
    schedule = due_schedule(session, world, make_report(session, world))
    [execution_id] = tick(session_factory=session_factory, redis=redis, now=schedule.next_run_at)

    run_worker_burst({**worker_env, "SMTP_URL": f"smtp://127.0.0.1:{free_port()}"})

    session.expire_all()
    run = session.query(ReportExecution).filter_by(execution_id=execution_id).one()
    assert run.status == "completed"


def test_a_scheduled_run_the_reconciler_gives_up_on_is_mailed(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    redis: Redis,
    smtp: tuple[str, Inbox],
) -> None:
    smtp_url, inbox = smtp
    schedule = due_schedule(session, world, make_report(session, world))
    [execution_id] = tick(session_factory=session_factory, redis=None, now=schedule.next_run_at)
    now = datetime.now(UTC)
    session.execute(
        update(ReportExecution)
        .where(ReportExecution.execution_id == execution_id)
        .values(
            status="running",
            attempt=3,  # the instance's max_attempts (default 3)
            started_at=now - timedelta(minutes=1),
            heartbeat_at=now - timedelta(seconds=STALE_HEARTBEAT_S + 5),
        )
    )
    session.commit()

    assert reconcile(
        session_factory=session_factory, redis=redis, smtp_url=smtp_url, now=now
    ).failed == [execution_id]

    assert len(inbox.messages) == 1
    assert inbox.messages[0][1]["Subject"].endswith("scheduled run failed")


def test_a_scheduled_run_failed_by_the_tick_is_mailed(
    tmp_path: Path,
    session: Session,
    world: World,
    worker_env: dict[str, str],
    smtp: tuple[str, Inbox],
) -> None:
    smtp_url, inbox = smtp
    due_schedule(session, world, make_report(session, world))
    session.execute(
        update(QueryTemplate).values(
            parameter_definitions=[{"name": "below", "type": "integer", "min": 0, "max": 5}]
        )
    )
    session.commit()

    # The real processes: the scheduler enqueues the tick, a worker runs it.
    env = {**worker_env, "SMTP_URL": smtp_url, "DATA_DIR": str(tmp_path)}
    assert reportbuilder("scheduler", "--burst", env=env).returncode == 0
    assert reportbuilder("worker", "--burst", env=env).returncode == 0
    session.expire_all()
    [run] = session.query(ReportExecution).filter_by(triggered_by="schedule").all()
    assert run.status == "failed"

    assert len(inbox.messages) == 1


def test_a_backfill_ended_by_cancelling_its_last_segment_is_mailed_by_the_reconciler(
    session: Session,
    session_factory: sessionmaker[Session],
    world: World,
    smtp: tuple[str, Inbox],
) -> None:
    smtp_url, inbox = smtp
    info = start_backfill(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=make_report(session, world),
        segment_type="daily",
        lookback_days=2,
    )
    first, last = info.segments
    session.execute(
        update(ReportExecution)
        .where(ReportExecution.execution_id == first.execution_id)
        .values(status="completed", completed_at=datetime.now(UTC))
    )
    session.commit()
    cancel_execution(session=session, redis=None, actor=world.owner, execution_id=last.execution_id)
    assert (
        get_backfill(session=session, actor=world.owner, collection_id=info.collection_id).status
        == "partial"
    )
    assert inbox.messages == []  # the web request sends no mail

    reconcile(session_factory=session_factory, redis=None, smtp_url=smtp_url)

    assert len(inbox.messages) == 1
    assert inbox.messages[0][1]["Subject"].endswith("backfill partial")
    reconcile(session_factory=session_factory, redis=None, smtp_url=smtp_url)
    assert len(inbox.messages) == 1  # reconcile sends before it returns: no second mail

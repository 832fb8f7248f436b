"""What follows the end of a run: schedule and backfill counters (in the finishing
transaction), then the next held segments, and the e-mails (after commit)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from redis import Redis
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from db.models import ReportDataCollection, ReportExecution, ReportSchedule
from db.session import rowcount
from services.backfills import BACKFILL_ENDED, refresh_collection, release_held
from services.notifications import notify_backfill_end, notify_run_end


def record_run_end(session: Session, execution: ReportExecution) -> None:
    """Counters that follow a run's end; called inside the transaction that ends it."""
    if execution.schedule_uuid is not None:
        schedule = session.get(ReportSchedule, execution.schedule_uuid)
        if schedule is not None:
            schedule.last_run_status = execution.status
            if execution.status == "failed":
                schedule.failure_count += 1
    if execution.collection_uuid is not None:
        refresh_collection(session, execution.collection_uuid)


def after_run_end(
    *,
    session_factory: sessionmaker[Session],
    redis: Redis | None,
    smtp_url: str | None,
    execution_uuid: uuid.UUID,
) -> None:
    """Release the instance's next held runs, and send the e-mails this end calls for."""
    with session_factory() as session:
        execution = session.get_one(ReportExecution, execution_uuid)
        notify_run_end(session, smtp_url, execution)
        if execution.collection_uuid is not None:
            notify_backfill_if_ended(session, smtp_url, execution.collection_uuid)
        release_held(session=session, redis=redis, instance_uuid=execution.instance_uuid)


def notify_backfill_if_ended(
    session: Session, smtp_url: str | None, collection_uuid: uuid.UUID
) -> bool:
    """Send the backfill's e-mail once, when it has ended (claimed through notified_at, so
    two workers ending the last segments at once send one mail)."""
    claimed = rowcount(
        session.execute(
            update(ReportDataCollection)
            .where(
                ReportDataCollection.id == collection_uuid,
                ReportDataCollection.notified_at.is_(None),
                ReportDataCollection.status.in_(BACKFILL_ENDED),
            )
            .values(notified_at=datetime.now(UTC))
        )
    )
    session.commit()
    if not claimed:
        return False
    return notify_backfill_end(
        session, smtp_url, session.get_one(ReportDataCollection, collection_uuid)
    )

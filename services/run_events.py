"""What a run's end changes beyond its own row: its schedule's and backfill's counters (in
the transaction that ends it), and the backfill's e-mail once all its segments have ended."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from db.models import ReportDataCollection, ReportExecution, ReportSchedule
from db.session import rowcount
from services.backfill_progress import BACKFILL_ENDED, refresh_collection
from services.notifications import notify_backfill_end


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

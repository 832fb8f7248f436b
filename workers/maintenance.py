"""Periodic housekeeping jobs, run on the maintenance queue."""

from __future__ import annotations

from datetime import UTC, datetime

from rq import get_current_job

from services.runtime import LAST_TICK_KEY


def heartbeat() -> str:
    """Record when the scheduler last enqueued this job: proof that scheduler and workers live."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("heartbeat runs only as an RQ job")
    ticked_at = job.enqueued_at or datetime.now(UTC)
    if ticked_at.tzinfo is None:  # RQ stores naive UTC times
        ticked_at = ticked_at.replace(tzinfo=UTC)
    value = ticked_at.isoformat()
    job.connection.set(LAST_TICK_KEY, value)
    return value

"""Periodic housekeeping jobs, run on the maintenance queue."""

from __future__ import annotations

from datetime import UTC, datetime

from rq import get_current_job

from services.demo import build_demo_database, demo_database_path
from services.reconciler import reconcile
from services.runtime import LAST_TICK_KEY
from services.schedule_tick import tick
from workers.context import job_context


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


def schedule_tick() -> list[str]:
    """Start every due schedule slot once (services.schedule_tick.tick)."""
    context = job_context()
    return tick(
        session_factory=context.session_factory,
        redis=context.redis,
        smtp_url=context.settings.smtp_url,
    )


def reconcile_runs() -> dict[str, list[str]]:
    """Repair what crashes and lost Redis data left behind (services.reconciler)."""
    context = job_context()
    assert context.redis is not None, "the reconciler runs as a job, so Redis is there"
    outcome = reconcile(
        session_factory=context.session_factory,
        redis=context.redis,
        smtp_url=context.settings.smtp_url,
    )
    return {
        "requeued": outcome.requeued,
        "retried": outcome.retried,
        "failed": outcome.failed,
        "released": outcome.released,
    }


def refresh_demo() -> bool:
    """Keep the demo warehouse ending yesterday while `reportbuilder run` stays up for days;
    True when it was rebuilt. A no-op where there is no demo warehouse."""
    context = job_context()
    path = demo_database_path(context.settings)
    if not context.settings.demo_instance or not path.is_file():
        return False
    return build_demo_database(path, today=datetime.now(UTC).date())

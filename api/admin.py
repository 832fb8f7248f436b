"""Admin (under /api/admin): the run queues, workers, failed jobs and the scheduler."""

from __future__ import annotations

from redis import Redis

from api import schemas
from api.errors import ApiError
from api.routing import Call, Router
from services.monitoring import queue_overview, requeue_job

router = Router("/admin", "admin")


def _redis(call: Call) -> Redis:
    redis = call.redis
    if redis is None:
        raise ApiError(503, "unavailable", "No run queue is configured (REDIS_URL is unset).")
    return redis


@router.route("GET", "/queues", "Queues and workers", response=schemas.QueueOverview, errors=(503,))
def queues_view(call: Call) -> schemas.QueueOverview:
    """Per queue: queued, started, failed and scheduled jobs; workers with their state,
    current job and heartbeat age; the scheduler's last tick; failed jobs; late schedules.
    Admins only."""
    overview = queue_overview(session=call.session, actor=call.actor, redis=_redis(call))
    return schemas.QueueOverview.model_validate(overview)


@router.route(
    "POST",
    "/jobs/{job_id}/requeue",
    "Requeue a failed job",
    response=schemas.RequeuedJob,
    errors=(503,),
)
def requeue_job_view(call: Call) -> schemas.RequeuedJob:
    """Put a failed job back on its queue (404 unless it is in a failed registry). Admins only."""
    job = requeue_job(actor=call.actor, redis=_redis(call), job_id=call.path["job_id"])
    return schemas.RequeuedJob(job_id=job.job_id, queue=job.queue)

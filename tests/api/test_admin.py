"""Admin endpoints: the queue overview and requeueing failed jobs, for admins only."""

from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.registry import FailedJobRegistry
from rq.worker import SimpleWorker

from services.runtime import MAINTENANCE_QUEUE
from tests.api.helpers import ApiClient, assert_error, create_report


def _failed_job(redis: Redis) -> str:
    """A job that failed in a real (in-process) worker: int() of a word."""
    queue = Queue(MAINTENANCE_QUEUE, connection=redis)
    job = queue.enqueue("builtins.int", "not a number")
    SimpleWorker([queue], connection=redis).work(burst=True)
    return job.id


def test_admins_see_the_queues(client: ApiClient, redis: Redis) -> None:
    create_report(client, run={"type": "once"})
    job_id = _failed_job(redis)

    overview = client.get("/api/admin/queues", as_="admin").json

    assert overview is not None
    queues = {q["name"]: q for q in overview["queues"]}
    assert queues["executions"]["queued"] == 1
    assert queues["maintenance"]["failed"] == 1
    [failed] = overview["failed_jobs"]
    assert failed["job_id"] == job_id and failed["func"] == "builtins.int"
    assert "ValueError" in failed["exc_summary"]
    assert overview["scheduler_healthy"] is False and overview["scheduler_last_tick"] is None


def test_only_admins_see_or_requeue(client: ApiClient, redis: Redis) -> None:
    job_id = _failed_job(redis)

    for role in ("owner", "viewer"):
        assert_error(client.get("/api/admin/queues", as_=role), 403, "forbidden")
        assert_error(client.post(f"/api/admin/jobs/{job_id}/requeue", as_=role), 403)
    assert_error(client.get("/api/admin/queues", as_=None), 401)


def test_a_failed_job_is_requeued_once(client: ApiClient, redis: Redis) -> None:
    job_id = _failed_job(redis)

    requeued = client.post(f"/api/admin/jobs/{job_id}/requeue", as_="admin")
    again = client.post(f"/api/admin/jobs/{job_id}/requeue", as_="admin")

    assert requeued.status_code == 200
    assert requeued.json == {"job_id": job_id, "queue": MAINTENANCE_QUEUE, "status": "queued"}
    assert job_id in Queue(MAINTENANCE_QUEUE, connection=redis).job_ids
    assert job_id not in FailedJobRegistry(MAINTENANCE_QUEUE, connection=redis)
    assert_error(again, 404, "not_found")

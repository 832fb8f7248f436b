"""The worker process's RQ worker (workers/runtime.py) on a real Redis."""

from __future__ import annotations

import threading

from redis import Redis
from rq.worker import SimpleWorker

from tests.factories import wait_for
from workers.runtime import ReportWorker


def stops_within(worker: SimpleWorker, seconds: float) -> bool:
    """Whether the worker's teardown of its pubsub thread returns within `seconds`, when the
    thread has already handled the UNSUBSCRIBE (the race that hung redis-py 8.2 for 60 s)."""
    worker.subscribe()
    assert worker.pubsub is not None
    worker.pubsub.unsubscribe()
    wait_for(lambda: not worker.pubsub.subscribed, timeout=10)
    stopper = threading.Thread(target=worker.unsubscribe, daemon=True)
    stopper.start()
    stopper.join(timeout=seconds)
    return not stopper.is_alive()


def test_a_stopping_worker_ends_its_pubsub_thread_at_once(redis: Redis) -> None:
    assert stops_within(ReportWorker(["executions"], connection=redis), 10)


def test_rqs_own_worker_would_wait_out_its_pubsub_sleep(redis: Redis) -> None:
    """Why ReportWorker exists: with RQ's 60 s pubsub sleep the same stop hangs. When this
    fails, RQ or redis-py fixed the race and ReportWorker.subscribe can go."""
    assert not stops_within(SimpleWorker(["executions"], connection=redis), 5)

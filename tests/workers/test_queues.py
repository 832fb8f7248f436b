"""Enqueueing by name on real Redis: one job per execution, and stopping it queued or running."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from services.runtime import (
    EXECUTIONS_QUEUE,
    RUN_EXECUTION_JOB,
    dequeue_execution,
    enqueue_by_name,
    enqueue_execution,
    redis_connection,
)
from tests.factories import PROJECT_ROOT, TEST_SECRET_KEY, wait_for

#: Seconds the running job of the dequeue test sleeps: long enough to be dequeued meanwhile.
RUNNING_JOB_S = 3


def test_enqueue_by_name_refuses_an_unknown_queue(redis_url: str) -> None:
    with pytest.raises(ValueError, match="unknown queue"):
        enqueue_by_name("time.sleep", connection=redis_connection(redis_url), queue_name="nope")


def test_an_execution_is_enqueued_once_with_its_id_as_job_id(redis_url: str) -> None:
    connection = redis_connection(redis_url)

    first = enqueue_execution(connection, "exe_once0001")
    second = enqueue_execution(connection, "exe_once0001")

    assert first == second == "exe_once0001"
    queue = Queue(EXECUTIONS_QUEUE, connection=connection)
    assert queue.job_ids == ["exe_once0001"]
    job = Job.fetch("exe_once0001", connection=connection)
    assert job.func_name == RUN_EXECUTION_JOB
    assert job.args == ("exe_once0001",)


def test_an_execution_whose_job_ended_is_enqueued_again(redis_url: str) -> None:
    connection = redis_connection(redis_url)
    enqueue_execution(connection, "exe_again001")
    dequeue_execution(connection, "exe_again001")
    assert Job.fetch("exe_again001", connection=connection).get_status() == JobStatus.CANCELED

    enqueue_execution(connection, "exe_again001")

    assert Job.fetch("exe_again001", connection=connection).get_status() == JobStatus.QUEUED
    assert Queue(EXECUTIONS_QUEUE, connection=connection).job_ids == ["exe_again001"]


def test_dequeuing_a_waiting_execution_takes_it_off_the_queue(redis_url: str) -> None:
    connection = redis_connection(redis_url)
    enqueue_execution(connection, "exe_queued01")

    dequeue_execution(connection, "exe_queued01")

    assert Queue(EXECUTIONS_QUEUE, connection=connection).job_ids == []
    dequeue_execution(connection, "exe_queued01")  # again: nothing to do
    dequeue_execution(connection, "exe_unknown1")  # never enqueued: nothing to do


def test_dequeuing_leaves_a_running_job_to_its_worker(redis_url: str) -> None:
    connection = redis_connection(redis_url)
    job_id = enqueue_by_name(
        "time.sleep",
        connection=connection,
        queue_name=EXECUTIONS_QUEUE,
        args=(RUNNING_JOB_S,),
        job_id="exe_running1",
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "cli", "worker", "--burst", "--queue", EXECUTIONS_QUEUE],
        env={**os.environ, "REDIS_URL": redis_url, "SECRET_KEY": TEST_SECRET_KEY},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        job = Job.fetch(job_id, connection=connection)
        wait_for(lambda: job.get_status(refresh=True) == JobStatus.STARTED, timeout=30)

        dequeue_execution(connection, job_id)

        assert job.get_status(refresh=True) == JobStatus.STARTED  # dequeued while it ran
        # Left alone, the job runs to its end and the burst worker then exits.
        assert worker.wait(timeout=30) == 0
        assert job.get_status(refresh=True) == JobStatus.FINISHED
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()

"""Template previews run through the queue, on a real Redis and an in-process RQ worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from db.models import Instance
from services.errors import PermissionDenied, PreviewNotFound, ValidationFailed
from services.runtime import EXECUTIONS_QUEUE
from services.template_preview import (
    MAX_PREVIEW_ROWS,
    preview_result,
    start_preview,
)
from tests.factories import World, environment
from workers.runtime import ReportWorker

SQL = """
SELECT x, label, CAST(day AS DATE) AS day FROM numbers
WHERE x < {{ below }}
  AND day >= CAST({{ window_start }} AS DATE) AND day < CAST({{ window_end }} AS DATE)
ORDER BY x
"""
DEFINITIONS = [{"name": "below", "type": "integer", "label": "Below", "default": 3}]


@pytest.fixture
def in_process_jobs(worker_env: dict[str, str]) -> Iterator[None]:
    """Jobs run in this process read the test databases (job_context reads the env)."""
    with environment(worker_env):
        yield


def work(redis: Redis) -> None:
    queue = Queue(EXECUTIONS_QUEUE, connection=redis)
    ReportWorker([queue], connection=redis).work(burst=True)


def preview(session: Any, world: World, redis: Redis, **changes: Any) -> str:
    fields: dict[str, Any] = {
        "instance_id": world.instance_id,
        "sql_template": SQL,
        "parameter_definitions": DEFINITIONS,
        "values": {"below": 4},
        "row_limit": 100,
    }
    fields.update(changes)
    return start_preview(session=session, actor=world.owner, redis=redis, **fields)


def test_a_preview_runs_through_the_queue_and_shows_rows_and_types(
    session: Any, world: World, redis: Redis, in_process_jobs: None
) -> None:
    preview_id = preview(session, world, redis)
    queued = preview_result(redis=redis, actor=world.owner, preview_id=preview_id)

    work(redis)
    done = preview_result(redis=redis, actor=world.owner, preview_id=preview_id)

    assert queued.state == "queued" and queued.rows == []
    assert done.state == "finished", done.error
    assert [(c.name, c.type) for c in done.columns] == [
        ("x", "int64"),
        ("label", "string"),
        ("day", "date32[day]"),
    ]
    assert [r["x"] for r in done.rows] == [0, 1, 2, 3]
    assert isinstance(done.rows[0]["day"], str)  # JSON-safe
    assert not done.truncated


def test_a_preview_keeps_only_the_row_limit(
    session: Any, world: World, redis: Redis, in_process_jobs: None
) -> None:
    preview_id = preview(session, world, redis, values={"below": 400}, row_limit=7)
    work(redis)

    done = preview_result(redis=redis, actor=world.owner, preview_id=preview_id)

    assert len(done.rows) == 7 and done.truncated


def test_the_job_carries_no_connection_url(session: Any, world: World, redis: Redis) -> None:
    preview_id = preview(session, world, redis)

    job = Queue(EXECUTIONS_QUEUE, connection=redis).fetch_job(preview_id)

    instance_uuid = session.scalar(select(Instance.id).where(Instance.instance_id == "wh"))
    assert job is not None
    assert job.args[0] == str(instance_uuid)
    assert str(world.warehouse) not in repr(job.args) and "duckdb:" not in repr(job.args)


def test_an_engine_error_is_shown_as_a_failed_preview(
    session: Any, world: World, redis: Redis, in_process_jobs: None
) -> None:
    sql = SQL.replace("FROM numbers", "FROM no_such_table")
    preview_id = preview(session, world, redis, sql_template=sql)
    work(redis)

    done = preview_result(redis=redis, actor=world.owner, preview_id=preview_id)

    assert done.state == "failed" and "no_such_table" in (done.error or "")


def test_only_the_person_who_started_a_preview_reads_it(
    session: Any, world: World, redis: Redis
) -> None:
    preview_id = preview(session, world, redis)

    with pytest.raises(PreviewNotFound):
        preview_result(redis=redis, actor=world.other, preview_id=preview_id)
    with pytest.raises(PreviewNotFound):
        preview_result(redis=redis, actor=world.owner, preview_id="no-such-preview")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"values": {"below": "many"}}, "values.below"),
        ({"sql_template": "SELECT {{ below }}"}, "sql_template"),  # not windowed
        ({"row_limit": MAX_PREVIEW_ROWS + 1}, "row_limit"),
    ],
)
def test_a_bad_preview_is_refused_before_it_is_queued(
    session: Any, world: World, redis: Redis, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as failed:
        preview(session, world, redis, **changes)

    assert field in failed.value.errors
    assert Queue(EXECUTIONS_QUEUE, connection=redis).count == 0


def test_a_viewer_cannot_preview(session: Any, world: World, redis: Redis) -> None:
    with pytest.raises(PermissionDenied):
        start_preview(
            session=session,
            actor=world.viewer,
            redis=redis,
            instance_id=world.instance_id,
            sql_template=SQL,
            parameter_definitions=DEFINITIONS,
        )

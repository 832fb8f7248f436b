"""Writing templates over HTTP: create, change (versions), publish, delete, previews, and
who may do what (viewer, analyst author, other analyst, admin)."""

from __future__ import annotations

from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.worker import SimpleWorker

from services.runtime import EXECUTIONS_QUEUE
from tests.api.helpers import ApiClient, assert_error
from tests.factories import World
from workers.context import job_context

SQL = (
    "SELECT x, label FROM numbers WHERE x < {{ below }} AND label <> {{ skip }} "
    "AND day >= CAST({{ window_start }} AS DATE) AND day < CAST({{ window_end }} AS DATE) "
    "ORDER BY x"
)
DEFINITIONS = [
    {"name": "below", "type": "integer", "label": "Below", "default": 5},
    {"name": "skip", "type": "text", "label": "Skip", "default": "none"},
]


def body(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "Small numbers",
        "description": "The first numbers.",
        "category": "Tests",
        "sql_template": SQL,
        "parameter_definitions": DEFINITIONS,
        "report_type": "table",
        "report_config": {"widgets": [{"type": "table", "title": "Rows", "config": {}}]},
    }
    fields.update(changes)
    return fields


def create(client: ApiClient, as_: str = "owner", **changes: Any) -> dict[str, Any]:
    response = client.post("/templates", json=body(**changes), as_=as_)
    assert response.status_code == 201, response.json
    made: dict[str, Any] = response.json  # type: ignore[assignment]
    return made


class InProcessWorker(SimpleWorker):
    """No pub/sub thread: with redis-py 8 closing it waits out a 60-second read."""

    def subscribe(self) -> None:
        pass


def test_an_analyst_creates_a_template_at_version_1(client: ApiClient) -> None:
    made = create(client)

    assert made["template_id"] == "small_numbers" and made["version"] == 1
    assert made["is_published"] is False and made["can_edit"] is True
    assert made["owner_name"] == "Owner"
    assert [d["name"] for d in made["parameter_definitions"]] == ["below", "skip"]


def test_a_bad_template_is_a_422_naming_the_field(client: ApiClient) -> None:
    response = client.post(
        "/templates", json=body(sql_template="SELECT x FROM numbers WHERE x < {{ below }}")
    )

    fields = assert_error(response, 422, "validation_failed")["details"]["fields"]
    assert "never uses {{ skip }}" in fields["parameter_definitions.1.name"]
    assert "window" in fields["sql_template"]


def test_a_taken_id_is_a_409(client: ApiClient) -> None:
    assert_error(client.post("/templates", json=body(template_id="numbers")), 409, "conflict")


def test_each_change_to_the_sql_is_a_new_version(client: ApiClient) -> None:
    create(client)

    renamed = client.patch("/templates/small_numbers", json={"name": "Tiny"}).json
    changed = client.patch(
        "/templates/small_numbers", json={"sql_template": SQL.replace("ORDER BY x", "ORDER BY 1")}
    ).json
    versions = client.get("/templates/small_numbers/versions").json

    assert renamed is not None and changed is not None and versions is not None
    assert (renamed["version"], changed["version"]) == (1, 2)
    assert [(v["version"], v["created_by_email"]) for v in versions["items"]] == [
        (2, "owner@example.com"),
        (1, "owner@example.com"),
    ]
    assert_error(client.patch("/templates/small_numbers", json={"name": None}), 422)


def test_who_may_see_change_publish_and_delete(client: ApiClient) -> None:
    create(client)

    # Unpublished: the author and admins see it; others are told it does not exist.
    assert client.get("/templates/small_numbers", as_="admin").status_code == 200
    assert_error(client.get("/templates/small_numbers", as_="other"), 404)
    assert_error(client.get("/templates/small_numbers/versions", as_="viewer"), 404)
    assert_error(client.post("/templates", json=body(template_id="v1"), as_="viewer"), 403)
    assert_error(client.post("/templates/small_numbers/publish", as_="owner"), 403)

    published = client.post("/templates/small_numbers/publish", as_="admin").json
    assert published is not None and published["is_published"] is True

    listed = client.get("/templates", as_="viewer").json
    assert listed is not None
    assert "small_numbers" in {t["template_id"] for t in listed["items"]}
    assert_error(client.patch("/templates/small_numbers", json={"name": "X"}, as_="other"), 403)
    assert_error(client.delete("/templates/small_numbers", as_="viewer"), 403)
    assert (
        client.patch("/templates/small_numbers", json={"name": "Y"}, as_="admin").status_code == 200
    )
    assert client.delete("/templates/small_numbers", as_="owner").status_code == 204
    assert_error(client.get("/templates/small_numbers", as_="admin"), 404)


def test_library_templates_cannot_be_changed(client: ApiClient) -> None:
    error = assert_error(client.patch("/templates/numbers", json={"name": "X"}, as_="admin"), 403)

    assert "Library templates" in error["message"]


def test_a_template_used_by_a_report_is_not_deleted(client: ApiClient) -> None:
    create(client)
    client.post("/templates/small_numbers/publish", as_="admin")
    report = client.post(
        "/reports", json={"template_id": "small_numbers", "instance_id": "wh", "name": "R"}
    )
    assert report.status_code == 201, report.json

    error = assert_error(client.delete("/templates/small_numbers"), 409)

    assert "1 report" in error["message"]


def test_an_execution_records_its_template_version(client: ApiClient) -> None:
    create(client)

    run = client.post("/templates/small_numbers/execute", json={"instance_id": "wh"}).json

    assert run is not None and run["template_version"] == 1
    fetched = client.get(f"/executions/{run['execution_id']}").json
    assert fetched is not None and fetched["template_version"] == 1


@pytest.fixture
def in_process_jobs(worker_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in worker_env.items():
        monkeypatch.setenv(name, value)
    job_context.cache_clear()
    yield
    job_context.cache_clear()


def test_a_preview_is_queued_then_read_by_its_author_only(
    client: ApiClient, redis: Redis, world: World, in_process_jobs: None
) -> None:
    started = client.post(
        "/templates/preview",
        json={
            "instance_id": "wh",
            "sql_template": SQL,
            "parameter_definitions": DEFINITIONS,
            "parameters": {"below": 3},
            "row_limit": 10,
        },
    )
    assert started.status_code == 202, started.json
    preview_id = started.json["preview_id"]  # type: ignore[index]
    queued = client.get(f"/templates/previews/{preview_id}").json
    assert queued is not None and queued["state"] == "queued"

    InProcessWorker([Queue(EXECUTIONS_QUEUE, connection=redis)], connection=redis).work(burst=True)

    done = client.get(f"/templates/previews/{preview_id}").json
    assert done is not None and done["state"] == "finished", done
    assert [c["name"] for c in done["columns"]] == ["x", "label"]
    assert done["columns"][0]["type"] == "int64"
    assert [r["x"] for r in done["rows"]] == [0, 1, 2]
    assert_error(client.get(f"/templates/previews/{preview_id}", as_="other"), 404)


def test_a_preview_with_a_bad_value_is_a_422(client: ApiClient) -> None:
    response = client.post(
        "/templates/preview",
        json={
            "instance_id": "wh",
            "sql_template": SQL,
            "parameter_definitions": DEFINITIONS,
            "parameters": {"below": "lots"},
        },
    )

    assert "values.below" in assert_error(response, 422)["details"]["fields"]

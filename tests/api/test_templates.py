"""Templates over HTTP: the catalogue, one template, parameter checks, ad-hoc runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from api.routing import EXTENSION
from tests.api.helpers import ApiClient, assert_error
from tests.factories import SQL_NUMBERS, World, add_template


def test_templates_are_listed_with_filters_and_pagination(
    client: ApiClient, session: Session
) -> None:
    add_template(session, "alpha", SQL_NUMBERS, category="Reach", report_type="chart")
    add_template(session, "beta", SQL_NUMBERS, category="Reach")

    everything = client.get("/templates").json
    reach = client.get("/templates", query_string={"category": "Reach"}).json
    charts = client.get("/templates", query_string={"report_type": "chart"}).json
    searched = client.get("/templates", query_string={"search": "BET"}).json
    second_page = client.get("/templates", query_string={"limit": 2, "page": 2}).json

    assert everything is not None and reach is not None and charts is not None
    assert searched is not None
    assert everything["total"] == 3
    assert {t["template_id"] for t in everything["items"]} == {"alpha", "beta", "numbers"}
    assert [t["template_id"] for t in reach["items"]] == ["alpha", "beta"]
    assert [t["template_id"] for t in charts["items"]] == ["alpha"]
    assert [t["template_id"] for t in searched["items"]] == ["beta"]
    assert second_page == {
        "items": [everything["items"][2]],
        "total": 3,
        "page": 2,
        "limit": 2,
    }


def test_template_list_checks_the_instance_filter(client: ApiClient) -> None:
    assert client.get("/templates", query_string={"instance_id": "wh"}).status_code == 200
    assert_error(client.get("/templates", query_string={"instance_id": "elsewhere"}), 404)


def test_a_template_is_found_by_slug_or_uuid(client: ApiClient) -> None:
    by_slug = client.get("/templates/numbers").json
    assert by_slug is not None
    by_uuid = client.get(f"/templates/{by_slug['uuid']}").json

    assert by_uuid == by_slug
    assert by_slug["parameter_definitions"] == [
        {
            "name": "below",
            "type": "integer",
            "label": "Below",
            "required": False,
            "default": 1000,
            "min": 0.0,
            "max": None,
            "options": None,
            "options_source": None,
            "item_type": None,
            "help": None,
            "pattern": None,
            "max_length": None,
            "max_items": None,
            "placeholder": None,
        }
    ]
    assert_error(client.get("/templates/nothing_here"), 404, "not_found")


def test_validate_parameters_returns_field_errors_or_normalized_values_and_sql(
    client: ApiClient,
) -> None:
    good = client.post(
        "/templates/numbers/validate-parameters", json={"parameters": {"below": "7"}}
    ).json
    bad = client.post(
        "/templates/numbers/validate-parameters", json={"parameters": {"below": "-3"}}
    ).json
    empty_body = client.post("/templates/numbers/validate-parameters")

    assert good is not None and good["valid"] is True and good["errors"] == {}
    assert good["normalized"] == {"below": 7}
    assert "x < 7" in good["preview_sql"]
    assert bad is not None and bad["valid"] is False and set(bad["errors"]) == {"below"}
    assert bad["preview_sql"] is None
    assert empty_body.status_code == 200


def test_validate_parameters_uses_the_given_window(client: ApiClient) -> None:
    body = {
        "parameters": {},
        "time_window": {"start": "2024-03-01", "end": "2024-03-31"},
    }
    checked = client.post("/templates/numbers/validate-parameters", json=body).json

    assert checked is not None
    assert "2024-03-01" in checked["preview_sql"] and "2024-04-01" in checked["preview_sql"]


def test_execute_queues_an_api_run_of_the_template(client: ApiClient, world: World) -> None:
    # A week well within the instance's history (365 days; its data lags 2 days).
    first = datetime.now(UTC).date() - timedelta(days=30)
    last = first + timedelta(days=6)
    response = client.post(
        "/templates/numbers/execute",
        json={
            "instance_id": "wh",
            "parameters": {"below": 5},
            "time_window": {"start": first.isoformat(), "end": last.isoformat()},
        },
    )

    assert response.status_code == 202
    execution = response.json
    assert execution is not None
    assert execution["status"] == "pending" and execution["triggered_by"] == "api"
    assert execution["report_id"] is None and execution["template_id"] == "numbers"
    assert execution["time_window_start"] == f"{first.isoformat()}T00:00:00Z"
    assert execution["time_window_end"] == f"{(last + timedelta(days=1)).isoformat()}T00:00:00Z"
    assert response.headers["X-RateLimit-Limit"] == "10"
    assert response.headers["X-RateLimit-Remaining"] == "9"


def test_execute_refuses_bad_parameters_viewers_and_foreign_instances(
    client: ApiClient,
) -> None:
    invalid = client.post(
        "/templates/numbers/execute", json={"instance_id": "wh", "parameters": {"below": "x"}}
    )
    viewer = client.post("/templates/numbers/execute", json={"instance_id": "wh"}, as_="viewer")
    foreign = client.post("/templates/numbers/execute", json={"instance_id": "nowhere"})
    missing = client.post("/templates/numbers/execute", json={})
    backwards = client.post(
        "/templates/numbers/execute",
        json={"instance_id": "wh", "time_window": {"start": "2024-02-01", "end": "2024-01-01"}},
    )

    assert set(assert_error(invalid, 422, "validation_failed")["details"]["fields"]) == {"below"}
    assert_error(viewer, 403, "forbidden")
    assert_error(foreign, 404, "not_found")
    assert assert_error(missing, 422)["details"]["fields"] == {"instance_id": "Field required"}
    assert set(assert_error(backwards, 422)["details"]["fields"]) == {"time_window"}


def test_execute_is_limited_to_ten_runs_a_minute_per_user(client: ApiClient) -> None:
    body = {"instance_id": "wh"}
    statuses = [client.post("/templates/numbers/execute", json=body).status_code for _ in range(10)]
    refused = client.post("/templates/numbers/execute", json=body)
    someone_else = client.post("/templates/numbers/execute", json=body, as_="other")

    assert statuses == [202] * 10
    error = assert_error(refused, 429, "rate_limited")
    assert error["details"] == {"limit": 10, "period_seconds": 60}
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["Retry-After"]) >= 1
    assert someone_else.status_code == 202


def test_rate_limits_can_be_turned_off(client: ApiClient, server: Flask) -> None:
    server.extensions[EXTENSION].rate_limits = False  # what RATE_LIMITS=off sets
    body = {"instance_id": "wh"}

    responses = [client.post("/templates/numbers/execute", json=body) for _ in range(11)]

    assert [r.status_code for r in responses] == [202] * 11
    assert "X-RateLimit-Limit" not in responses[-1].headers

"""One error shape everywhere, authentication (token or cookie + CSRF), request ids."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from tests.api.helpers import ApiClient, assert_error, create_report
from tests.factories import World
from webauth import session_values


def test_requests_without_a_valid_token_are_401(client: ApiClient) -> None:
    anonymous = client.get("/reports", as_=None)
    wrong = client.get("/reports", as_=None, headers={"Authorization": "Bearer rbt_wrong"})
    not_bearer = client.get("/reports", as_=None, headers={"Authorization": "Basic abc"})

    for response in (anonymous, wrong, not_bearer):
        assert_error(response, 401, "unauthorized")
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_endpoints_and_ids_are_404_in_the_error_shape(client: ApiClient) -> None:
    assert_error(client.get("/api/report-builder/nothing"), 404, "not_found")
    assert_error(client.post("/api/nothing/at/all"), 404, "not_found")
    assert_error(client.get("/reports/rpt_00000000"), 404, "not_found")
    # a path segment that is no id at all never reaches a service
    assert_error(client.get("/reports/a.b"), 404, "not_found")


def test_malformed_bodies_are_400(client: ApiClient) -> None:
    not_json = client.post(
        "/reports", data="{not json", headers={"Content-Type": "application/json"}
    )
    a_list = client.post("/reports", json=[1, 2])
    nothing = client.post("/reports")

    for response in (not_json, a_list, nothing):
        assert_error(response, 400, "malformed_request")


def test_invalid_fields_are_422_with_each_field_named(client: ApiClient) -> None:
    response = client.post(
        "/reports",
        json={"template_id": "numbers", "instance_id": "wh", "name": "", "colour": "red"},
    )

    fields = assert_error(response, 422, "validation_failed")["details"]["fields"]
    assert set(fields) == {"name", "colour"}


def test_invalid_query_parameters_are_422(client: ApiClient) -> None:
    for query in ({"limit": 0}, {"limit": 201}, {"page": "first"}, {"state": "asleep"}):
        error = assert_error(client.get("/reports", query_string=query), 422)
        assert set(error["details"]["fields"]) == set(query)


def test_nul_characters_are_refused_before_any_database_sees_them(client: ApiClient) -> None:
    assert_error(client.get("/reports", query_string={"search": "a\x00b"}), 422)
    body = {"template_id": "numbers", "instance_id": "wh", "name": "a\x00b"}
    assert_error(client.post("/reports", json=body), 422)


def test_too_large_bodies_are_413(client: ApiClient) -> None:
    body = json.dumps({"name": "x" * 1_100_000})
    response = client.post("/reports", data=body, headers={"Content-Type": "application/json"})

    assert_error(response, 413, "body_too_large")


def test_an_unexpected_failure_is_500_without_trace_or_url(
    client: ApiClient, monkeypatch: pytest.MonkeyPatch, world: World
) -> None:
    def explode(**_: object) -> None:
        raise RuntimeError("could not connect to postgresql://admin:secret@db.internal/prod")

    monkeypatch.setattr("api.reports.list_reports", explode)
    response = client.get("/reports")

    error = assert_error(response, 500, "internal_error")
    assert error["message"] == "Something went wrong on our side."
    text = response.get_data(as_text=True)
    assert "postgresql" not in text and "secret" not in text and "Traceback" not in text


def test_the_request_id_is_echoed_when_given(client: ApiClient) -> None:
    response = client.get("/reports/rpt_missing1", headers={"X-Request-ID": "trace-123"})

    assert response.headers["X-Request-ID"] == "trace-123"
    assert assert_error(response, 404) is not None
    assert response.json is not None and response.json["request_id"] == "trace-123"


def _sign_in_with_cookie(client: ApiClient, world: World) -> None:
    with client.client.application.app_context():
        values = session_values(world.owner.id)
    with client.client.session_transaction() as session:
        session.update(values)
    client.client.set_cookie("_csrf_token", "the-csrf-token")


def test_a_session_cookie_authorizes_reads(client: ApiClient, world: World) -> None:
    _sign_in_with_cookie(client, world)
    create_report(client)

    response = client.get("/reports", as_=None)

    assert response.status_code == 200
    assert response.json is not None and response.json["total"] == 1


def test_a_cookie_authorized_write_without_the_csrf_header_is_403(
    client: ApiClient, world: World
) -> None:
    _sign_in_with_cookie(client, world)
    body = {"template_id": "numbers", "instance_id": "wh", "name": "By cookie"}

    refused = client.post("/reports", json=body, as_=None)
    wrong = client.post("/reports", json=body, as_=None, headers={"X-CSRFToken": "guess"})
    accepted = client.post(
        "/reports", json=body, as_=None, headers={"X-CSRFToken": "the-csrf-token"}
    )

    assert assert_error(refused, 403, "csrf")["message"].startswith("Missing or wrong CSRF")
    assert_error(wrong, 403, "csrf")
    assert accepted.status_code == 201


def test_the_openapi_document_needs_no_sign_in(server: Flask) -> None:
    response = server.test_client().get("/api/openapi.json")

    assert response.status_code == 200
    assert response.json is not None and response.json["openapi"] == "3.1.0"

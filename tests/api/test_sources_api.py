"""Data sources through the API (/api/admin/instances, the schema browser), on SQLite and
PostgreSQL metadata, against a real MariaDB warehouse. The secret never comes back."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.api.helpers import ApiClient, assert_error, create_report
from tests.warehouses import mariadb_warehouse_fixture  # noqa: F401  (fixture)

ADMIN = "/api/admin/instances"
PASSWORD = "Api-s3cret-Pw!"


def _body(url: str, **changes: Any) -> dict[str, Any]:
    parsed = make_url(url)
    return {
        "name": "Shop",
        "engine": "mysql",
        "connection": {
            "host": parsed.host,
            "port": parsed.port,
            "database": parsed.database,
            "user": parsed.username,
            "password": PASSWORD,
        },
        "timezone": "Europe/Berlin",
        "data_lag_days": 1,
        "max_lookback_days": 90,
        "max_concurrency": 4,
        "statement_timeout_seconds": 60,
        "option_lists": {"campaigns": "SELECT id AS value, name AS label FROM campaigns"},
        **changes,
    }


def _no_secret(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text


def test_an_admin_adds_tests_and_changes_a_source_and_never_sees_the_secret(
    client: ApiClient, mariadb_warehouse: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = _body(mariadb_warehouse)
    body["connection"]["password"] = ""  # root has none here; the stored secret is the URL
    created = client.post(ADMIN, json=body, as_="admin")
    assert created.status_code == 201, created.json
    source = created.json
    assert source is not None
    assert source["instance_id"] == "shop" and source["host"] == "127.0.0.1"
    assert "password" not in source and "url" not in source

    tested = client.post(f"{ADMIN}/shop/test", as_="admin")
    assert tested.status_code == 200
    assert tested.json is not None and tested.json["ok"] is True
    assert tested.json["error"] is None and tested.json["latency_ms"] > 0

    patched = client.patch(
        f"{ADMIN}/shop",
        json={"connection": {"password": PASSWORD}, "max_concurrency": 2},
        as_="admin",
    )
    assert patched.status_code == 200 and patched.json is not None
    assert patched.json["has_password"] is True and patched.json["max_concurrency"] == 2
    failing = client.post(f"{ADMIN}/shop/test", as_="admin")
    assert failing.json is not None and failing.json["ok"] is False
    assert "Access denied" in failing.json["error"]

    listed = client.get(ADMIN, as_="admin")
    one = client.get(f"{ADMIN}/shop", as_="admin")
    assert listed.json is not None and "shop" in [s["instance_id"] for s in listed.json["items"]]
    _no_secret(
        created.get_data(as_text=True),
        tested.get_data(as_text=True),
        patched.get_data(as_text=True),
        failing.get_data(as_text=True),
        listed.get_data(as_text=True),
        one.get_data(as_text=True),
        caplog.text,
    )


def test_the_schema_browser_serves_anyone_granted_the_source(
    client: ApiClient, mariadb_warehouse: str
) -> None:
    assert (
        client.post(
            ADMIN, json=_body(mariadb_warehouse, connection={"url": mariadb_warehouse}), as_="admin"
        ).status_code
        == 201
    )

    schema = client.get("/api/report-builder/instances/shop/schema", as_="admin")
    assert schema.status_code == 200, schema.json
    assert schema.json is not None
    (table,) = schema.json["tables"]
    assert table["name"] == "campaigns" and table["schema"] == make_url(mariadb_warehouse).database
    assert {"name": "name", "type": "varchar(100)"} in table["columns"]
    assert_error(client.get("/api/report-builder/instances/shop/schema", as_="owner"), 404)
    assert client.get("/instances/wh/schema", as_="owner").status_code == 200


def test_field_errors_are_422_with_the_request_field_names(client: ApiClient) -> None:
    response = client.post(
        ADMIN,
        json={
            "name": "Bad",
            "engine": "mysql",
            "connection": {"database": "shop"},
            "max_lookback_days": 366,
            "option_lists": {"campaigns": "UPDATE campaigns SET name = 'x'"},
        },
        as_="admin",
    )

    error = assert_error(response, 422, "validation_failed")
    assert set(error["details"]["fields"]) == {
        "connection.host",
        "connection.user",
        "max_lookback_days",
        "option_lists.campaigns",
    }
    error = assert_error(
        client.post(ADMIN, json={"name": "X", "engine": "oracle", "connection": {}}, as_="admin"),
        422,
    )
    assert "engine" in error["details"]["fields"]
    assert_error(client.patch(f"{ADMIN}/wh", json={"name": None}, as_="admin"), 422)


def test_deleting_a_source_in_use_is_a_409_naming_the_count(client: ApiClient) -> None:
    create_report(client)

    error = assert_error(client.delete(f"{ADMIN}/wh", as_="admin"), 409, "conflict")
    assert error["message"] == "1 report uses this source; delete or move them first."


def test_deleting_an_unused_source(client: ApiClient, tmp_path: Any) -> None:
    body = {"name": "Spare", "engine": "sqlite", "connection": {"database": str(tmp_path / "a.db")}}
    assert client.post(ADMIN, json=body, as_="admin").status_code == 201

    assert client.delete(f"{ADMIN}/spare", as_="admin").status_code == 204
    assert_error(client.get(f"{ADMIN}/spare", as_="admin"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ADMIN),
        ("POST", ADMIN),
        ("GET", f"{ADMIN}/wh"),
        ("PATCH", f"{ADMIN}/wh"),
        ("DELETE", f"{ADMIN}/wh"),
        ("POST", f"{ADMIN}/wh/test"),
    ],
)
def test_anyone_but_an_admin_gets_a_403(client: ApiClient, method: str, path: str) -> None:
    body = {"name": "X", "engine": "sqlite", "connection": {"database": "/x.db"}}
    json = body if method in {"POST", "PATCH"} and not path.endswith("test") else None

    assert_error(client.request(method, path, json=json, as_="owner"), 403, "forbidden")


def test_an_unknown_source_is_a_404(client: ApiClient) -> None:
    assert_error(client.get(f"{ADMIN}/nope", as_="admin"), 404)
    assert_error(client.post(f"{ADMIN}/nope/test", as_="admin"), 404)
    assert_error(client.get("/instances/nope/schema", as_="admin"), 404)


def test_a_new_target_needs_the_password_again_also_for_an_unsaved_test(
    client: ApiClient,
) -> None:
    body = _body("mysql+pymysql://reader@db.internal:3306/shop")
    assert client.post(ADMIN, json=body, as_="admin").status_code == 201
    moved = {"connection": {**body["connection"], "host": "attacker.example", "password": ""}}

    patched = assert_error(client.patch(f"{ADMIN}/shop", json=moved, as_="admin"), 422)
    tested = assert_error(client.post(f"{ADMIN}/shop/test", json=moved, as_="admin"), 422)

    for error in (patched, tested):
        assert error["details"]["fields"] == {
            "connection.password": "Enter the password again: the connection target changed."
        }
    assert client.get(f"{ADMIN}/shop", as_="admin").json["host"] == "db.internal"  # type: ignore[index]


def test_a_file_source_pointing_at_the_metadata_database_is_refused(
    client: ApiClient, app_settings: Any
) -> None:
    metadata = make_url(app_settings.database_url)
    if not metadata.drivername.startswith("sqlite"):
        pytest.skip("the metadata database is PostgreSQL here: no file to point at")

    response = client.post(
        ADMIN,
        json={"name": "Meta", "engine": "sqlite", "connection": {"database": metadata.database}},
        as_="admin",
    )

    error = assert_error(response, 422, "validation_failed")
    assert "metadata database" in error["details"]["fields"]["connection.database"]

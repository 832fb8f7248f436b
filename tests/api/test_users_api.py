"""People over the API: admins manage users, the first-run setup, one's own password."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from services.instances import save_instance
from services.secrets import hash_password
from services.users import SYSTEM_EMAIL, Actor, create_user, system_actor
from tests.api.helpers import ApiClient, assert_error
from tests.factories import TEST_SECRET_KEY, World
from webauth import SESSION_USER_KEY, session_values

USERS = "/api/admin/users"
PASSWORD = "a-good-password"


def _give_password(session: Session, email: str) -> None:
    from sqlalchemy import select

    from db.models import User

    session.scalars(select(User).where(User.email == email)).one().password_hash = hash_password(
        PASSWORD
    )
    session.commit()


def _user(client: ApiClient, email: str) -> dict[str, Any]:
    users = client.get(USERS, as_="admin").json["users"]  # type: ignore[index]
    found: dict[str, Any] = next(user for user in users if user["email"] == email)
    return found


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", USERS),
        ("POST", USERS),
        ("PATCH", USERS + "/usr_x"),
        ("POST", USERS + "/usr_x/reset-password"),
        ("DELETE", USERS + "/usr_x/token"),
    ],
)
@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_only_admins_manage_users(client: ApiClient, method: str, path: str, role: str) -> None:
    body = {"email": "x@example.com", "role": "viewer"} if method == "POST" else {}
    if path.endswith("reset-password"):
        body = {}
    response = client.request(method, path, as_=role, json=body if method != "GET" else None)
    assert_error(response, 403, "forbidden")
    assert_error(client.request(method, path, as_=None), 401, "unauthorized")


def test_the_list_has_grants_and_no_secrets_nor_the_system_account(
    client: ApiClient, session: Session
) -> None:
    system_actor(session=session)
    response = client.get(USERS, as_="admin")

    assert response.status_code == 200
    users = {user["email"]: user for user in response.json["users"]}  # type: ignore[index]
    assert SYSTEM_EMAIL not in users
    assert users["owner@example.com"]["instance_ids"] == ["wh"]
    assert users["owner@example.com"]["has_token"] is True
    assert "password_hash" not in response.get_data(as_text=True)


def test_creating_a_user_without_password_answers_a_one_time_link(
    client: ApiClient, server: Flask
) -> None:
    response = client.post(
        USERS,
        as_="admin",
        json={"email": "bo@example.com", "name": "Bo", "role": "viewer", "instance_ids": ["wh"]},
    )
    assert response.status_code == 201, response.json
    created = response.json
    assert created is not None and created["user_id"].startswith("usr_")
    url = created["set_password_url"]
    assert url.startswith("/set-password#token=")
    assert created["instance_ids"] == ["wh"]
    assert "token=" not in str(_user(client, "bo@example.com"))

    with_password = client.post(
        USERS,
        as_="admin",
        json={"email": "cy@example.com", "name": "Cy", "role": "analyst", "password": PASSWORD},
    )
    assert with_password.status_code == 201
    assert with_password.json["set_password_url"] is None  # type: ignore[index]
    assert with_password.json["has_password"] is True  # type: ignore[index]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "nope", "role": "viewer"}, "email"),
        ({"email": "a@example.com", "role": "boss"}, "role"),
        ({"email": "a@example.com", "role": "viewer", "password": "short"}, "password"),
        ({"email": "a@example.com", "role": "viewer", "instance_ids": ["zz"]}, "instance_ids"),
    ],
)
def test_invalid_users_are_field_errors(
    client: ApiClient, body: dict[str, Any], field: str
) -> None:
    error = assert_error(client.post(USERS, as_="admin", json=body), 422, "validation_failed")
    assert field in error["details"]["fields"]


def test_a_taken_email_is_a_conflict(client: ApiClient) -> None:
    response = client.post(
        USERS, as_="admin", json={"email": "owner@example.com", "role": "viewer"}
    )
    assert_error(response, 409, "conflict")


def test_patch_changes_role_and_replaces_grants(
    client: ApiClient, session: Session, world: World
) -> None:
    save_instance(
        session=session,
        secret_key=TEST_SECRET_KEY,
        instance_id="other_wh",
        name="Other",
        engine="duckdb",
        connection_url=f"duckdb:///{world.warehouse}",
    )
    session.commit()
    user_id = _user(client, "viewer@example.com")["user_id"]
    response = client.patch(
        f"{USERS}/{user_id}",
        as_="admin",
        json={"role": "analyst", "instance_ids": ["other_wh"], "name": "Vic"},
    )
    assert response.status_code == 200, response.json
    assert response.json["role"] == "analyst"  # type: ignore[index]
    assert response.json["instance_ids"] == ["other_wh"]  # type: ignore[index]
    assert response.json["name"] == "Vic"  # type: ignore[index]
    nulls = client.patch(f"{USERS}/{user_id}", as_="admin", json={"role": None})
    assert_error(nulls, 422)
    assert_error(client.patch(f"{USERS}/usr_nobody", as_="admin", json={}), 404)


def test_the_last_admin_who_can_sign_in_is_kept(client: ApiClient, session: Session) -> None:
    _give_password(session, "admin@example.com")
    admin_id = _user(client, "admin@example.com")["user_id"]
    owner_id = _user(client, "owner@example.com")["user_id"]

    refused = client.patch(f"{USERS}/{admin_id}", as_="admin", json={"role": "viewer"})
    error = assert_error(refused, 409, "conflict")
    assert "last admin who can sign in; make another admin first" in error["message"]

    # An admin without a password does not count: it cannot sign in.
    client.patch(f"{USERS}/{owner_id}", as_="admin", json={"role": "admin"})
    assert_error(client.patch(f"{USERS}/{admin_id}", as_="admin", json={"role": "viewer"}), 409)
    _give_password(session, "owner@example.com")
    allowed = client.patch(f"{USERS}/{admin_id}", as_="admin", json={"role": "viewer"})
    assert allowed.status_code == 200


def test_disabling_a_user_stops_their_token_and_browser_session_at_once(
    client: ApiClient, world: World
) -> None:
    _sign_in(client.client, world.owner)
    assert client.get("/reports", as_=None).status_code == 200  # the session cookie
    assert client.get("/reports", as_="owner").status_code == 200  # the token

    owner_id = _user(client, "owner@example.com")["user_id"]
    disabled = client.patch(f"{USERS}/{owner_id}", as_="admin", json={"is_active": False})
    assert disabled.status_code == 200 and disabled.json["is_active"] is False  # type: ignore[index]

    assert_error(client.get("/reports", as_=None), 401, "unauthorized")
    assert_error(client.get("/reports", as_="owner"), 401, "unauthorized")


def test_reset_password_and_revoke_token(client: ApiClient, session: Session) -> None:
    owner_id = _user(client, "owner@example.com")["user_id"]
    reset = client.post(f"{USERS}/{owner_id}/reset-password", as_="admin")
    assert reset.status_code == 200
    assert reset.json["set_password_url"].startswith("/set-password#token=")  # type: ignore[index]

    revoked = client.delete(f"{USERS}/{owner_id}/token", as_="admin")
    assert revoked.status_code == 204
    assert_error(client.get("/reports", as_="owner"), 401)


def test_setup_creates_the_first_admin_once_without_authentication(server: Flask) -> None:
    anonymous = server.test_client()  # no user at all: the world fixture is not used
    body = {"email": "root@example.com", "password": PASSWORD, "name": "Root"}
    invalid = anonymous.post("/api/setup", json={**body, "password": "short"})
    assert "password" in assert_error(invalid, 422)["details"]["fields"]

    created = anonymous.post("/api/setup", json=body)
    assert created.status_code == 201, created.json
    assert created.json["role"] == "admin"  # type: ignore[index]

    again = anonymous.post("/api/setup", json={**body, "email": "eve@example.com"})
    assert_error(again, 409, "conflict")


def test_setup_is_closed_once_any_user_exists(server: Flask, session: Session) -> None:
    create_user(session=session, email="tokenonly@example.com", role="admin")
    session.commit()
    body = {"email": "tokenonly@example.com", "password": PASSWORD, "name": "Eve"}

    refused = server.test_client().post("/api/setup", json=body)

    error = assert_error(refused, 409, "conflict")
    assert error["message"].startswith("Setup is done")
    assert "tokenonly@example.com" not in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example.com"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},
    ],
)
def test_setup_refuses_cross_site_requests(server: Flask, headers: dict[str, str]) -> None:
    body = {"email": "root@example.com", "password": PASSWORD, "name": "Root"}
    refused = server.test_client().post("/api/setup", json=body, headers=headers)
    assert_error(refused, 403, "cross_site")

    same_site = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert server.test_client().post("/api/setup", json=body, headers=same_site).status_code == 201


def test_a_body_must_be_sent_as_json(server: Flask, client: ApiClient) -> None:
    body = '{"email": "root@example.com", "password": "a-good-password", "name": "Root"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"Content-Type": content_type} if content_type else {}
        response = server.test_client().post("/api/setup", data=body, headers=headers)
        error = assert_error(response, 415, "unsupported_media_type")
        assert "application/json" in error["message"]
    plain = client.post(USERS, as_="admin", data=body, headers={"Content-Type": "text/plain"})
    assert_error(plain, 415, "unsupported_media_type")
    charset = client.post(
        USERS,
        as_="admin",
        data='{"email": "cy@example.com", "role": "viewer"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert charset.status_code == 201


def _sign_in(browser: FlaskClient, actor: Actor) -> None:
    """A browser session as the login form makes it, and the CSRF cookie."""
    with browser.application.app_context():
        values = session_values(actor.id)
    with browser.session_transaction() as session:
        session.update(values)
    browser.set_cookie("_csrf_token", "the-csrf-token")


def test_a_password_reset_ends_the_users_browser_sessions(
    server: Flask, tokens: dict[str, str], session: Session, world: World
) -> None:
    _give_password(session, "owner@example.com")
    browser = server.test_client()
    _sign_in(browser, world.owner)
    assert browser.get("/api/report-builder/reports").status_code == 200

    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    reset = f"{USERS}/{world.owner.user_id}/reset-password"
    assert server.test_client().post(reset, headers=admin).status_code == 200

    assert_error(browser.get("/api/report-builder/reports"), 401, "unauthorized")


def test_a_session_planted_without_a_fingerprint_is_refused(server: Flask, world: World) -> None:
    browser = server.test_client()
    with browser.session_transaction() as session:
        session[SESSION_USER_KEY] = str(world.owner.id)
    assert_error(browser.get("/api/report-builder/reports"), 401, "unauthorized")


def test_changing_ones_password_keeps_this_session_and_ends_the_others(
    server: Flask, session: Session, world: World
) -> None:
    _give_password(session, "owner@example.com")
    changing, other = server.test_client(), server.test_client()
    _sign_in(changing, world.owner)
    _sign_in(other, world.owner)

    changed = changing.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "new-password-1"},
        headers={"X-CSRFToken": "the-csrf-token"},
    )

    assert changed.status_code == 204, changed.get_data(as_text=True)
    assert changing.get("/api/report-builder/reports").status_code == 200
    assert_error(other.get("/api/report-builder/reports"), 401, "unauthorized")


def test_setup_is_public_in_the_openapi_document(client: ApiClient) -> None:
    document = client.get("/api/openapi.json", as_=None).json
    assert document is not None
    assert document["paths"]["/api/setup"]["post"]["security"] == []
    assert "security" not in document["paths"]["/api/admin/users"]["get"]


def test_changing_ones_own_password(client: ApiClient, session: Session) -> None:
    _give_password(session, "owner@example.com")
    wrong = client.post(
        "/api/me/password", json={"current_password": "nope", "new_password": "new-password-1"}
    )
    assert "current_password" in assert_error(wrong, 422)["details"]["fields"]
    changed = client.post(
        "/api/me/password", json={"current_password": PASSWORD, "new_password": "new-password-1"}
    )
    assert changed.status_code == 204
    assert_error(client.post("/api/me/password", as_=None, json={}), 401)

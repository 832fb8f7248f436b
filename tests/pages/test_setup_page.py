"""First run: every page leads to /setup while the database holds no user; the form creates
the first admin and signs them in; then /setup leads to sign-in. Also /set-password."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import dash
import pytest
from flask import g
from flask import session as flask_session
from plotly.io.json import to_json_plotly
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from db.session import session_scope
from services.user_admin import reset_password
from services.users import PASSWORD_RULES, authenticate_password, create_user
from settings import load_settings
from tests.dash_callbacks import callback_context
from tests.factories import TEST_SECRET_KEY, UiWorld
from tests.trees import find_ids, text_of
from webauth import SESSION_USER_KEY, SETUP_DONE_KEY

PASSWORD = "a-good-password"


@dataclass(frozen=True)
class FirstRun:
    """The app over a migrated metadata database with no user at all."""

    app: dash.Dash
    session_factory: sessionmaker[Session]


@pytest.fixture
def first_run(session_factory: sessionmaker[Session], tmp_path: Path) -> FirstRun:
    settings = load_settings(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "RESULTS_DIR": str(tmp_path / "results"),
            "SECRET_KEY": TEST_SECRET_KEY,
        }
    )
    return FirstRun(create_app(settings, session_factory=session_factory), session_factory)


@pytest.fixture
def anonymous(first_run: FirstRun) -> Callable[[], AbstractContextManager[None]]:
    """`with anonymous():` runs what is inside as a callback request of nobody signed in."""

    @contextmanager
    def enter() -> Iterator[None]:
        with first_run.app.server.test_request_context("/_dash-update-component", method="POST"):
            g.actor = None
            with callback_context():
                yield

    return enter


@pytest.fixture
def page(first_run: FirstRun) -> ModuleType:
    return importlib.import_module("pages.setup")


def _submit(page: ModuleType, **fields: str) -> dict[str, Any]:
    values = {"name": "Root", "email": "root@example.com", "password": PASSWORD,
              "confirm": PASSWORD, **fields}  # fmt: skip
    result: dict[str, Any] = page.create_admin(1, **values)
    return result


@pytest.mark.parametrize("path", ["/", "/reports", "/admin/users", "/login?next=/runs"])
def test_every_page_leads_to_setup_while_there_is_no_user(first_run: FirstRun, path: str) -> None:
    response = first_run.app.server.test_client().get(path)

    assert response.status_code == 302
    assert response.headers["Location"] == "/setup"


@pytest.mark.parametrize(
    "path", ["/setup", "/api/openapi.json", "/_dash-layout", "/healthz", "/set-password"]
)
def test_the_api_dash_routes_and_the_setup_pages_are_not_redirected(
    first_run: FirstRun, path: str
) -> None:
    assert first_run.app.server.test_client().get(path).status_code == 200


def test_once_a_user_exists_pages_load_and_the_answer_is_remembered(first_run: FirstRun) -> None:
    with session_scope(first_run.session_factory) as session:
        create_user(session=session, email="pat@example.com", role="viewer")  # no password yet

    assert first_run.app.server.test_client().get("/").status_code == 200
    assert first_run.app.server.config[SETUP_DONE_KEY] is True


def test_a_database_with_users_but_no_password_is_not_sent_to_setup(ui: UiWorld) -> None:
    """The ui world's users have no password: setup stays closed all the same."""
    assert ui.app.server.test_client().get("/").status_code == 200


def test_the_form_shows_the_password_rules(anonymous: Any, page: ModuleType) -> None:
    with anonymous():
        tree = page.layout()

    ids = set(find_ids(tree))
    assert {"setup-name", "setup-email", "setup-password", "setup-confirm", "setup-form"} <= ids
    assert PASSWORD_RULES in text_of(tree)


def test_two_different_passwords_are_a_field_error(anonymous: Any, page: ModuleType) -> None:
    with anonymous():
        result = _submit(page, confirm="something-else")

    assert result["confirm_invalid"] is True
    assert result["confirm_error"] == "The two passwords differ."
    assert result["redirect"] is dash.no_update


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"email": "nope"}, "email"), ({"password": "short", "confirm": "short"}, "password")],
)
def test_the_services_field_errors_are_shown_next_to_the_fields(
    anonymous: Any, page: ModuleType, fields: dict[str, str], field: str
) -> None:
    with anonymous():
        result = _submit(page, **fields)

    assert result[f"{field}_invalid"] is True
    assert result[f"{field}_error"]


def test_setup_creates_the_admin_signs_in_and_goes_home(
    first_run: FirstRun, anonymous: Any, page: ModuleType
) -> None:
    with anonymous():
        result = _submit(page)
        signed_in = flask_session.get(SESSION_USER_KEY)

    assert result["redirect"] == "/"
    assert signed_in is not None
    with session_scope(first_run.session_factory) as session:
        admin = authenticate_password(session=session, email="root@example.com", password=PASSWORD)
    assert admin is not None and admin.is_admin

    with anonymous():
        tree = page.layout()
        again = _submit(page, email="eve@example.com")
    assert isinstance(tree, dash.dcc.Location) and tree.href == "/login"
    assert again["redirect"] == "/login"


def test_a_set_password_link_sets_the_password_once(ui: UiWorld, as_user: Any) -> None:
    page = importlib.import_module("pages.set_password")
    with session_scope(ui.session_factory) as session:
        link = reset_password(session=session, actor=ui.admin, user_id=ui.owner.user_id)

    with as_user(None):
        tree = page.layout()
        differ = page.set_password(1, link.token, PASSWORD, "other")
        done = page.set_password(1, link.token, PASSWORD, PASSWORD)
        used = page.set_password(1, link.token, PASSWORD, PASSWORD)

    assert PASSWORD_RULES in text_of(tree)
    assert differ["confirm_invalid"] is True
    assert done["redirect"] == "/login?password_set=1"
    assert "used or replaced" in text_of(used["alert"])
    with session_scope(ui.session_factory) as session:
        assert authenticate_password(session=session, email=ui.owner.email, password=PASSWORD)


@pytest.mark.parametrize(
    ("hash_", "search", "token"),
    [
        ("#token=abc_-1", "", "abc_-1"),  # the link as it is given out now
        ("", "?token=abc_-1", "abc_-1"),  # a link given out before, in the query
        ("#token=abc&x=1", "", "abc"),
        ("", "", ""),
        (None, None, ""),
    ],
)
def test_the_set_password_page_reads_the_token_from_the_fragment(
    hash_: str | None, search: str | None, token: str
) -> None:
    page = importlib.import_module("pages.set_password")
    assert page.read_token(hash_, search) == token


def test_the_set_password_page_reads_no_token_on_the_server_and_limits_referrers(
    ui: UiWorld, as_user: Any
) -> None:
    page = importlib.import_module("pages.set_password")
    with as_user(None):
        tree = page.layout(token="secret-token")  # an older `?token=` link
    assert "secret-token" not in to_json_plotly(tree)

    response = ui.app.server.test_client().get("/set-password")
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_sign_in_page_names_the_command_as_typed_after_make_run(
    ui: UiWorld, as_user: Any
) -> None:
    login = importlib.import_module("pages.login")
    with as_user(None):
        tree = login.layout()
    assert ".venv/bin/reportbuilder create-user" in text_of(tree)

"""The login form's callback, the `next` guard and the sign-out route."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import dash
import pytest
from dash import no_update
from flask import session as flask_session

from db.session import session_scope
from services.users import create_user
from tests.factories import UiWorld
from tests.trees import find_ids, text_of
from webauth import SESSION_USER_KEY
from webcontext import safe_next

PASSWORD = "a-long-enough-password"


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    with session_scope(ui.session_factory) as session:
        create_user(session=session, email="pat@example.com", role="analyst", password=PASSWORD)
    return importlib.import_module("pages.login")


def test_the_form_has_labelled_fields(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with as_user(None):
        tree = page.layout(next="/runs")

    assert {"login-email", "login-password", "login-submit", "login-form"} <= set(find_ids(tree))
    assert "E-mail" in text_of(tree) and "Password" in text_of(tree)


def test_a_signed_in_visitor_goes_straight_on(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with as_user(ui.owner):
        tree = page.layout(next="/runs")

    assert isinstance(tree, dash.dcc.Location)
    assert tree.href == "/runs"


def test_the_right_password_signs_in_and_goes_to_next(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(None):
        href, error = page.sign_in(1, "PAT@example.com ", PASSWORD, "/runs?status=failed")
        user = flask_session.get(SESSION_USER_KEY)

    assert (href, error) == ("/runs?status=failed", None)
    assert user is not None


@pytest.mark.parametrize(
    ("email", "password"), [("pat@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)]
)
def test_a_wrong_email_or_password_says_so_without_telling_which(
    ui: UiWorld, as_user: Any, page: ModuleType, email: str, password: str
) -> None:
    with as_user(None):
        href, error = page.sign_in(1, email, password, "/")
        user = flask_session.get(SESSION_USER_KEY)

    assert href is no_update
    assert page.WRONG_CREDENTIALS in text_of(error)
    assert user is None


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/reports/rpt_1?x=1", "/reports/rpt_1?x=1"),
        ("https://evil.example.com/", "/"),
        ("//evil.example.com/", "/"),
        ("/\\evil.example.com", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_next_never_leaves_the_site(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_sign_out_clears_the_session(ui: UiWorld) -> None:
    with ui.app.server.test_client() as client:
        with client.session_transaction() as session:
            session[SESSION_USER_KEY] = str(ui.owner.id)
        response = client.get("/logout")
        with client.session_transaction() as session:
            assert SESSION_USER_KEY not in session

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")

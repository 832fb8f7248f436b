"""Admin → Users: admins only; add with a password or a one-time link; edit; the last
admin refusal; reset and revoke; and changing one's own password from the user menu."""

from __future__ import annotations

import importlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest
from flask import session as flask_session
from sqlalchemy import select

from components import user_menu
from components.user_admin import create_users_table
from db.models import User
from db.session import session_scope
from services.secrets import hash_password
from services.user_admin import list_users
from services.users import authenticate_password, current_fingerprint, session_user
from tests.factories import UiWorld
from tests.trees import find_ids, text_of
from webauth import SESSION_FINGERPRINT_KEY, SESSION_USER_KEY

PASSWORD = "a-good-password"


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    return importlib.import_module("pages.admin_users")


def _give_password(ui: UiWorld, email: str) -> None:
    with session_scope(ui.session_factory) as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        user.password_hash = hash_password(PASSWORD)


def _find(tree: Any, component_id: str) -> Any:
    """The component with this id in a tree."""
    if isinstance(tree, list | tuple):
        for child in tree:
            found = _find(child, component_id)
            if found is not None:
                return found
        return None
    if not hasattr(tree, "to_plotly_json"):
        return None
    if getattr(tree, "id", None) == component_id:
        return tree
    return _find(getattr(tree, "children", None), component_id)


def _add(page: ModuleType, **fields: Any) -> dict[str, Any]:
    values = {"name": "Bo", "email": "bo@example.com", "role": "viewer", "sources": ["wh"],
              "mode": "link", "password": None, "refresh": 0, **fields}  # fmt: skip
    result: dict[str, Any] = page.add_user(1, **values)
    return result


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_anyone_but_an_admin_gets_a_403_page(
    ui: UiWorld, as_user: Any, page: ModuleType, role: str
) -> None:
    with as_user(getattr(ui, role)):
        tree = page.layout()

    assert "admin-users-forbidden" in find_ids(tree)


def test_an_admin_sees_every_user_with_the_admin_tabs(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.admin):
        tree = page.layout()

    ids = {i for i in find_ids(tree) if isinstance(i, str)}
    assert {"admin-tabs", "admin-users-table", "admin-users-add-open"} <= ids
    assert {"owner@example.com", "viewer@example.com"} <= set(text_of(tree).split())


def test_adding_a_user_with_a_link_shows_the_link_once(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.admin):
        result = _add(page)

    link = _find(result["link"], "admin-users-new-link-value")
    assert link is not None and "/set-password#token=" in link.value
    assert result["refresh"] == 1 and result["open"] is False
    with session_scope(ui.session_factory) as session:
        bo = next(
            u for u in list_users(session=session, actor=ui.admin) if u.email.startswith("bo")
        )
    assert bo.instance_ids == ("wh",) and bo.link_pending and not bo.has_password


def test_adding_a_user_with_a_password_shows_no_link(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.admin):
        result = _add(page, mode="password", password=PASSWORD)

    assert result["link"] is None
    with session_scope(ui.session_factory) as session:
        assert authenticate_password(session=session, email="bo@example.com", password=PASSWORD)


@pytest.mark.parametrize(
    ("fields", "output"),
    [
        ({"email": "not-an-email"}, "email_error"),
        ({"email": "owner@example.com"}, "email_error"),
        ({"mode": "password", "password": "short"}, "password_error"),
        ({"mode": "password", "password": None}, "password_error"),
        ({"sources": ["nowhere"]}, "sources_error"),
    ],
)
def test_add_errors_are_shown_next_to_their_fields(
    ui: UiWorld, as_user: Any, page: ModuleType, fields: dict[str, Any], output: str
) -> None:
    with as_user(ui.admin):
        result = _add(page, **fields)

    assert result[output]
    assert result["refresh"] is not None and result["link"] is not None  # no_update
    assert result["open"] is not False


def test_edit_opens_with_the_users_values_and_saves_role_and_sources(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    button = {"type": "admin-users-edit", "index": ui.viewer.user_id}
    with as_user(ui.admin, triggered=(button, "n_clicks")):
        opened = page.open_edit([1])
    assert (opened["open"], opened["role"], opened["sources"]) == (True, "viewer", ["wh"])

    with as_user(ui.admin):
        saved = page.save_edit(1, ui.viewer.user_id, "Vic", "analyst", [], True, 3)
    assert saved["open"] is False and saved["refresh"] == 4
    with session_scope(ui.session_factory) as session:
        vic = next(u for u in list_users(session=session, actor=ui.admin) if u.name == "Vic")
    assert (vic.role, vic.instance_ids) == ("analyst", ())


def test_the_last_admin_refusal_is_shown_in_the_dialog(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    _give_password(ui, ui.admin.email)
    with as_user(ui.admin):
        saved = page.save_edit(1, ui.admin.user_id, "Admin", "viewer", [], True, 0)

    assert saved["open"] is not False
    assert "last admin who can sign in; make another admin first" in text_of(saved["result"])


def test_reset_shows_a_new_link_and_revoke_confirms(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.admin, triggered=("admin-users-reset", "n_clicks")):
        reset = page.reset_or_revoke(1, None, ui.owner.user_id, 0)
    link = _find(reset["result"], "admin-users-reset-link-value")
    assert link is not None and "/set-password#token=" in link.value

    with as_user(ui.admin, triggered=("admin-users-revoke", "n_clicks")):
        revoked = page.reset_or_revoke(None, 1, ui.owner.user_id, 1)
    assert "revoked" in text_of(revoked["result"])
    assert revoked["refresh"] == 2


def test_the_user_menu_changes_ones_own_password(ui: UiWorld, as_user: Any) -> None:
    _give_password(ui, ui.owner.email)
    with as_user(ui.owner):
        wrong = user_menu.change_password(1, None, "nope", "new-password-1", "new-password-1")
        differ = user_menu.change_password(1, None, PASSWORD, "new-password-1", "other")
        done = user_menu.change_password(1, None, PASSWORD, "new-password-1", "new-password-1")

        signed_in_as = flask_session.get(SESSION_USER_KEY)
        fingerprint = flask_session.get(SESSION_FINGERPRINT_KEY)

    assert wrong["current_password_invalid"] is True
    assert differ["confirm_invalid"] is True
    assert "Password changed" in text_of(done["result"])
    with session_scope(ui.session_factory) as session:
        assert authenticate_password(
            session=session, email=ui.owner.email, password="new-password-1"
        )
        # This browser stays signed in, with the new password's fingerprint.
        assert signed_in_as == str(ui.owner.id)
        assert fingerprint == current_fingerprint(session=session, user_uuid=ui.owner.id)
        assert session_user(session=session, user_uuid=ui.owner.id, fingerprint=fingerprint)


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_opening_the_edit_dialog_as_a_non_admin_shows_the_refusal(
    ui: UiWorld, as_user: Any, page: ModuleType, role: str
) -> None:
    button = {"type": "admin-users-edit", "index": ui.viewer.user_id}
    with as_user(getattr(ui, role), triggered=(button, "n_clicks")):
        opened = page.open_edit([1])

    assert "Only admins can manage users." in text_of(opened["result"])
    assert opened["open"] is True and opened["editing"] is None


def test_a_pending_link_shows_when_it_expires_and_an_expired_one_says_so(
    ui: UiWorld,
) -> None:
    with session_scope(ui.session_factory) as session:
        summaries = list_users(session=session, actor=ui.admin)
    owner = next(u for u in summaries if u.email == ui.owner.email)
    soon = datetime(2031, 5, 4, 10, 30, tzinfo=UTC)
    pending = replace(owner, has_password=False, link_pending=True, link_expires_at=soon)
    expired = replace(pending, link_expires_at=datetime.now(UTC) - timedelta(minutes=1))

    assert "Link pending (expires 2031-05-04" in text_of(create_users_table([pending]))
    assert "Link expired" in text_of(create_users_table([expired]))
    assert "Link sent" not in text_of(create_users_table([pending, expired]))


def test_the_password_dialog_shows_the_rules(ui: UiWorld) -> None:
    assert "Password rules:" in text_of(user_menu.create_password_modal())

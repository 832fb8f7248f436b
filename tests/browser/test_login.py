"""Signing in through the form, the user menu (API token shown once) and signing out."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.browser.helpers import (
    DemoWorld,
    attribute,
    click,
    save_screenshot,
    set_viewport,
    severe_logs,
    sign_in_with_form,
    start_app,
    text,
    type_into,
    wait_for,
)
from tests.factories import ANALYST_EMAIL, PASSWORD

pytestmark = pytest.mark.browser


def test_login_form_signs_in_and_returns_to_the_page_asked_for(
    dash_duo: Any, world: DemoWorld, browser_session_factory: sessionmaker[Session]
) -> None:
    start_app(dash_duo, world, browser_session_factory)
    set_viewport(dash_duo.driver, 1280, 800)

    dash_duo.driver.get(f"{dash_duo.server_url}/runs")
    dash_duo.wait_for_element("#login-email")
    assert dash_duo.driver.current_url.endswith("/login?next=/runs")
    save_screenshot(dash_duo, "login.png")

    sign_in_with_form(dash_duo, ANALYST_EMAIL, "not-the-password")
    dash_duo.wait_for_contains_text("#login-error", "Wrong e-mail or password")

    type_into(dash_duo, "#login-password", PASSWORD, clear=True)  # the e-mail is still typed in
    click(dash_duo, "#login-submit")
    dash_duo.wait_for_element("#runs-filters", timeout=10)
    assert dash_duo.driver.current_url.endswith("/runs")
    assert "Ana" in text(dash_duo, "#user-menu")
    assert dash_duo.driver.find_elements("css selector", "#navbar-link-admin-queues") == []
    assert severe_logs(dash_duo) == []


def test_api_token_is_shown_once_then_revoked_and_sign_out_ends_the_session(
    dash_duo: Any, world: DemoWorld, browser_session_factory: sessionmaker[Session]
) -> None:
    start_app(dash_duo, world, browser_session_factory)
    dash_duo.driver.get(f"{dash_duo.server_url}/login")
    sign_in_with_form(dash_duo, ANALYST_EMAIL, PASSWORD)
    # Home has loaded and run its first callback: the menu's callbacks are ready too.
    dash_duo.wait_for_element("#home-recent-empty")

    click(dash_duo, "#user-menu")
    click(dash_duo, "#user-menu-api-token")
    click(dash_duo, "#user-token-create")
    token = wait_for(lambda: attribute(dash_duo, "#user-token-value", "value"), timeout=10)
    assert token is not None and token.startswith("rbt_")
    assert "will not be shown again" in text(dash_duo, "#user-token-result")

    click(dash_duo, "#user-token-revoke")
    dash_duo.wait_for_contains_text("#user-token-result", "Token revoked")
    assert token not in text(dash_duo, "#user-token-modal")

    dash_duo.driver.get(f"{dash_duo.server_url}/logout")
    dash_duo.wait_for_element("#login-email")
    dash_duo.driver.get(f"{dash_duo.server_url}/dashboards")
    dash_duo.wait_for_element("#login-email")
    assert "next=/dashboards" in dash_duo.driver.current_url
    assert severe_logs(dash_duo) == []

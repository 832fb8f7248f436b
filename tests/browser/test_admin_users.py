"""Admin → Users in the browser: an admin adds a viewer with a one-time link and an analyst
with a password and ONE of two sources; the analyst signs in and sees only that source."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy.orm import Session, sessionmaker

from db.session import session_scope
from services.instances import save_instance
from services.users import create_user
from settings import load_settings
from tests.browser.helpers import (
    attribute,
    click,
    save_screenshot,
    select_dropdown,
    set_viewport,
    severe_logs,
    sign_in_with_form,
    text,
    type_into,
    wait_for,
)
from tests.factories import PASSWORD, TEST_SECRET_KEY

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "alex@example.com"


@pytest.fixture
def users_app(
    tmp_path: Path, sqlite_url: str, browser_session_factory: sessionmaker[Session]
) -> Any:
    """An admin with a password and two data sources, North and South."""
    from app import create_app

    with session_scope(browser_session_factory) as session:
        for instance_id, name in (("north", "North"), ("south", "South")):
            save_instance(
                session=session,
                secret_key=TEST_SECRET_KEY,
                instance_id=instance_id,
                name=name,
                engine="duckdb",
                connection_url=f"duckdb:///{tmp_path / instance_id}.duckdb",
            )
        create_user(
            session=session, email=ADMIN_EMAIL, role="admin", name="Alex", password=PASSWORD
        )
    settings = load_settings(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": sqlite_url,
            "RESULTS_DIR": str(tmp_path / "results"),
            "SECRET_KEY": TEST_SECRET_KEY,
        }
    )
    return create_app(settings, session_factory=browser_session_factory)


def _row_text(dash_duo: Any, email: str) -> str:
    xpath = f"//table[@id='admin-users-table']//tr[.//*[normalize-space()='{email}']]"
    return str(dash_duo.driver.find_element(By.XPATH, xpath).text)


def _fill_add_form(dash_duo: Any, name: str, email: str) -> None:
    click(dash_duo, "#admin-users-add-open")
    type_into(dash_duo, "#admin-users-add-name", name, clear=True)
    type_into(dash_duo, "#admin-users-add-email", email, clear=True)


def test_an_analyst_added_by_an_admin_sees_only_the_granted_source(
    dash_duo: Any, users_app: Any
) -> None:
    dash_duo.start_server(users_app)
    set_viewport(dash_duo.driver, 1280, 800)
    dash_duo.driver.get(f"{dash_duo.server_url}/login?next=/admin/users")
    sign_in_with_form(dash_duo, ADMIN_EMAIL, PASSWORD)
    dash_duo.wait_for_element("#admin-users-table", timeout=15)

    # A viewer with a one-time link, shown once in a copyable box.
    _fill_add_form(dash_duo, "Bo Viewer", "bo@example.com")
    wait_for(
        lambda: (
            Select(
                dash_duo.driver.find_element(By.CSS_SELECTOR, "#admin-users-add-role")
            ).select_by_visible_text("Viewer")
            or True
        )
    )
    click(dash_duo, "#admin-users-add-submit")
    link = wait_for(lambda: attribute(dash_duo, "#admin-users-new-link-value", "value"))
    assert "/set-password#token=" in str(link)
    wait_for(lambda: "Link pending (expires" in _row_text(dash_duo, "bo@example.com"))
    save_screenshot(dash_duo, "users.png")

    # An analyst with a first password and the North source only.
    _fill_add_form(dash_duo, "Ana Analyst", "ana@example.com")
    select_dropdown(dash_duo, "#admin-users-add-sources", "North (north)")
    click(dash_duo, "//label[normalize-space()='Give a first password now']", by=By.XPATH)
    type_into(dash_duo, "#admin-users-add-password", PASSWORD)
    click(dash_duo, "#admin-users-add-submit")
    wait_for(lambda: "north" in _row_text(dash_duo, "ana@example.com"))
    assert "Set" in _row_text(dash_duo, "ana@example.com")

    # Bo opens the link: the page takes the token out of the address bar, then sets it.
    dash_duo.driver.get(f"{dash_duo.server_url}/logout")
    dash_duo.wait_for_element("#login-email")
    dash_duo.driver.get(str(link))
    wait_for(lambda: dash_duo.driver.current_url.endswith("/set-password"))
    type_into(dash_duo, "#set-password-password", PASSWORD)
    type_into(dash_duo, "#set-password-confirm", PASSWORD)
    click(dash_duo, "#set-password-submit")
    wait_for(lambda: "password_set=1" in dash_duo.driver.current_url)

    # The analyst signs in and is offered North only.
    dash_duo.wait_for_element("#login-email")
    sign_in_with_form(dash_duo, "ana@example.com", PASSWORD)
    wait_for(lambda: "Ana Analyst" in text(dash_duo, "#user-menu"))
    dash_duo.driver.get(f"{dash_duo.server_url}/api/report-builder/instances")
    body = json.loads(dash_duo.driver.find_element(By.TAG_NAME, "body").text)
    assert [item["instance_id"] for item in body["items"]] == ["north"]
    assert severe_logs(dash_duo) == []

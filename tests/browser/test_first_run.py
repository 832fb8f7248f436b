"""First run on an empty metadata database: every page leads to /setup; creating the first
admin signs them in and lands on Home."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from services.users import authenticate_password
from settings import load_settings
from tests.browser.helpers import (
    click,
    save_screenshot,
    set_viewport,
    severe_logs,
    text,
    type_into,
    wait_for,
)
from tests.factories import TEST_SECRET_KEY

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"


@pytest.fixture
def empty_app(
    tmp_path: Path, sqlite_url: str, browser_session_factory: sessionmaker[Session]
) -> Any:
    """The app over a migrated metadata database with no user at all."""
    from app import create_app

    settings = load_settings(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": sqlite_url,
            "RESULTS_DIR": str(tmp_path / "results"),
            "SECRET_KEY": TEST_SECRET_KEY,
        }
    )
    return create_app(settings, session_factory=browser_session_factory)


def test_first_run_creates_the_admin_and_lands_signed_in_on_home(
    dash_duo: Any, empty_app: Any, browser_session_factory: sessionmaker[Session]
) -> None:
    dash_duo.start_server(empty_app)
    set_viewport(dash_duo.driver, 1280, 800)

    dash_duo.driver.get(f"{dash_duo.server_url}/")
    dash_duo.wait_for_element("#setup-name")
    assert dash_duo.driver.current_url.endswith("/setup")
    assert "Password rules:" in text(dash_duo, "#setup-rules")

    type_into(dash_duo, "#setup-name", "Robin Root")
    type_into(dash_duo, "#setup-email", "robin@example.com")
    type_into(dash_duo, "#setup-password", PASSWORD)
    type_into(dash_duo, "#setup-confirm", "a-different-one")
    click(dash_duo, "#setup-submit")
    dash_duo.wait_for_text_to_equal("#setup-confirm-error", "The two passwords differ.")
    save_screenshot(dash_duo, "setup.png", full_height=True)

    type_into(dash_duo, "#setup-confirm", PASSWORD, clear=True)
    click(dash_duo, "#setup-submit")
    dash_duo.wait_for_element("#home-new-report", timeout=15)
    wait_for(lambda: dash_duo.driver.current_url.rstrip("/") == dash_duo.server_url.rstrip("/"))
    assert "Robin Root" in text(dash_duo, "#user-menu")
    with browser_session_factory() as session:
        admin = authenticate_password(session=session, email="robin@example.com", password=PASSWORD)
    assert admin is not None and admin.is_admin

    # Setup is closed now: it leads to sign-in (here, signed in already: on to Home).
    dash_duo.driver.get(f"{dash_duo.server_url}/setup")
    dash_duo.wait_for_element("#home-new-report", timeout=15)
    assert severe_logs(dash_duo) == []

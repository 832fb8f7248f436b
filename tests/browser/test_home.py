from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from db.session import session_scope
from settings import load_settings
from tests.factories import create_template

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _severe_logs(dash_duo: Any) -> list[dict[str, Any]]:
    # Chromium asks for /favicon.ico on its own; Dash serves its icon elsewhere.
    return [entry for entry in dash_duo.get_logs() if "favicon.ico" not in entry.get("message", "")]


def test_home_page_shows_the_templates_in_the_database(
    dash_duo: Any, tmp_path: Path, browser_session_factory: sessionmaker[Session]
) -> None:
    with session_scope(browser_session_factory) as session:
        create_template(
            session=session,
            name="Campaign performance",
            category="Performance",
            description="Impressions, clicks and spend per campaign and day.",
            report_type="line",
            parameter_definitions=[
                {"name": "date_range", "type": "date_range"},
                {"name": "campaign_ids", "type": "campaign_ids"},
            ],
        )
        create_template(
            session=session,
            name="Path to conversion",
            category="Attribution",
            description="The ad touchpoints users saw before they purchased.",
            parameter_definitions=[{"name": "lookback_days", "type": "integer"}],
            min_data_age_days=14,
        )
    app = create_app(
        load_settings({"DATA_DIR": str(tmp_path)}), session_factory=browser_session_factory
    )

    _set_viewport(dash_duo.driver, 1280, 800)
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#navbar")
    dash_duo.wait_for_contains_text("#home-templates", "Campaign performance")
    dash_duo.wait_for_contains_text("#home-templates", "Path to conversion")

    assert dash_duo.find_element("#navbar-brand").text == "Report Builder"
    for name in ("Campaign performance", "Path to conversion"):
        card = dash_duo.driver.find_element("xpath", f"//h2[normalize-space()='{name}']")
        assert card.is_displayed()
    assert _bootstrap_is_applied(dash_duo)
    assert _severe_logs(dash_duo) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "home.png"))


def test_navbar_reaches_every_section_and_unknown_paths_show_not_found(
    dash_duo: Any, tmp_path: Path, browser_session_factory: sessionmaker[Session]
) -> None:
    app = create_app(
        load_settings({"DATA_DIR": str(tmp_path)}), session_factory=browser_session_factory
    )
    dash_duo.start_server(app)
    dash_duo.wait_for_contains_text("#home-empty", "No templates yet")

    for link, page_element in (
        ("#navbar-link-report-builder", "#report-builder-empty"),
        ("#navbar-link-dashboards", "#dashboards-empty"),
        ("#navbar-link-runs", "#runs-empty"),
        ("#navbar-link-admin-queues", "#admin-queues-empty"),
        ("#navbar-link-home", "#home-empty"),
    ):
        dash_duo.find_element(link).click()
        dash_duo.wait_for_element(page_element)

    dash_duo.driver.get(f"{dash_duo.server_url}/no-such-page")
    dash_duo.wait_for_contains_text("#not-found-empty", "Page not found")
    assert _severe_logs(dash_duo) == []


def _set_viewport(driver: Any, width: int, height: int) -> None:
    """Size the page area (not the window, which adds browser chrome) for the screenshot."""
    driver.set_window_size(width, height)
    inner_width, inner_height = driver.execute_script(
        "return [window.innerWidth, window.innerHeight];"
    )
    driver.set_window_size(2 * width - inner_width, 2 * height - inner_height)


def _bootstrap_is_applied(dash_duo: Any) -> bool:
    """True when the self-served Bootstrap and its icon font have loaded."""
    return bool(
        dash_duo.driver.execute_script(
            "const nav = document.querySelector('#navbar');"
            "const icon = document.querySelector('#navbar-brand .bi');"
            "return getComputedStyle(nav).display === 'flex'"
            " && getComputedStyle(icon, '::before').fontFamily.includes('bootstrap-icons')"
            " && document.fonts.check('1em bootstrap-icons');"
        )
    )

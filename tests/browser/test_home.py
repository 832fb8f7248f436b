"""Home and the navigation bar in Chromium, signed in."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.browser.helpers import (
    DemoWorld,
    click,
    make_report,
    save_screenshot,
    severe_logs,
    sign_in_browser,
    start_app,
    text,
)

pytestmark = pytest.mark.browser


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


def test_a_new_user_sees_what_to_do_next_on_every_section(
    dash_duo: Any, world: DemoWorld, browser_session_factory: sessionmaker[Session]
) -> None:
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)
    dash_duo.driver.get(dash_duo.server_url + "/")

    dash_duo.wait_for_contains_text("#home-recent-empty", "Pick a template in the")
    assert "No favorites yet" in text(dash_duo, "#home-favorites")
    assert text(dash_duo, "#navbar-brand") == "Report Builder"
    assert _bootstrap_is_applied(dash_duo)

    for link, page_element in (
        ("#navbar-link-dashboards", "#dashboards-empty"),
        ("#navbar-link-runs", "#runs-empty"),
        ("#navbar-link-home", "#home-recent-empty"),
    ):
        click(dash_duo, link)
        dash_duo.wait_for_element(page_element)

    dash_duo.driver.get(f"{dash_duo.server_url}/no-such-page")
    dash_duo.wait_for_contains_text("#not-found-empty", "Page not found")
    assert severe_logs(dash_duo) == []


def test_home_with_a_favorite_a_schedule_and_runs(
    dash_duo: Any,
    world: DemoWorld,
    worker: Any,
    browser_session_factory: sessionmaker[Session],
) -> None:
    from db.session import session_scope
    from services.dashboards import favorite_dashboard
    from services.executions import run_report
    from services.runtime import redis_connection
    from services.schedules import create_schedule

    trend = make_report(world, browser_session_factory)
    roas = make_report(
        world, browser_session_factory, template_id="roas_by_campaign", name="ROAS by campaign"
    )
    redis = redis_connection(world.settings.redis_url or "")
    with session_scope(browser_session_factory) as session:
        create_schedule(
            session=session,
            actor=world.analyst,
            report_id=trend.report_id,
            schedule_type="weekly",
            time_of_day="07:30",
            timezone="Europe/Berlin",
        )
        for report in (roas, trend):
            run_report(
                session=session, redis=redis, actor=world.analyst, report_id=report.report_id
            )
        favorite_dashboard(session=session, actor=world.analyst, dashboard_id=trend.dashboard_id)
    redis.close()
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)

    dash_duo.driver.get(dash_duo.server_url + "/")
    dash_duo.wait_for_contains_text("#home-favorites-grid", "Daily delivery trend")
    dash_duo.wait_for_contains_text("#home-upcoming-list", "Daily delivery trend")
    dash_duo.wait_for_text_to_equal(
        "#home-recent-list li:first-child .status-badge", "Completed", timeout=60
    )
    dash_duo.wait_for_text_to_equal(
        "#home-recent-list li:last-child .status-badge", "Completed", timeout=60
    )
    dash_duo.driver.refresh()  # the favorite's card now has data too
    dash_duo.wait_for_contains_text("#home-favorites-grid", "updated just now")
    save_screenshot(dash_duo, "home.png")
    assert severe_logs(dash_duo) == []

"""Dashboards in Chromium: a backfill's dashboard, starred, shows first on Home."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db.session import session_scope
from services.backfills import start_backfill
from services.runtime import redis_connection
from tests.browser.helpers import (
    DemoWorld,
    click,
    make_report,
    save_screenshot,
    severe_logs,
    sign_in_browser,
    start_app,
    text,
    texts,
    wait_for,
)

pytestmark = pytest.mark.browser


def test_star_a_dashboard_and_find_it_first_on_home(
    dash_duo: Any,
    world: DemoWorld,
    worker: Any,
    browser_session_factory: sessionmaker[Session],
) -> None:
    first = make_report(
        world, browser_session_factory, template_id="roas_by_campaign", name="ROAS by campaign"
    )
    starred = make_report(world, browser_session_factory, name="Daily delivery trend")
    redis = redis_connection(world.settings.redis_url or "")
    with session_scope(browser_session_factory) as session:
        backfills = [
            start_backfill(
                session=session,
                redis=redis,
                actor=world.analyst,
                report_id=report.report_id,
                segment_type="weekly",
                lookback_days=8 * 7,
            )
            for report in (first, starred)
        ]
    redis.close()
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)

    # The list: both dashboards, none starred yet; the favorites filter is empty.
    dash_duo.driver.get(f"{dash_duo.server_url}/dashboards")
    dash_duo.wait_for_contains_text("#dashboards-grid", "ROAS by campaign")
    dash_duo.find_element("label[for='_dbcprivate_radioitems_dashboards-filter_input_favorites']")
    click(dash_duo, "//label[normalize-space()='Favorites']", by="xpath")
    dash_duo.wait_for_element("#dashboards-empty")
    click(dash_duo, "//label[normalize-space()='All']", by="xpath")
    dash_duo.wait_for_element("#dashboards-grid")

    # The dashboard: every widget drawn once the backfill's segments are in.
    total = sum(b.total_segments for b in backfills)
    wait_for(lambda: _completed(browser_session_factory) >= total, timeout=90)
    dash_duo.driver.get(f"{dash_duo.server_url}/dashboards/{starred.dashboard_id}")
    dash_duo.wait_for_element("#dashboard-widgets")
    dash_duo.wait_for_element("#dashboard-graph-3 .main-svg", timeout=10)
    cards = dash_duo.driver.find_elements("css selector", "#dashboard-widgets .widget")
    assert len(cards) == 7  # the daily_trend template's widgets
    assert "cannot be drawn" not in text(dash_duo, "#dashboard-widgets")

    click(dash_duo, "#dashboard-star")
    dash_duo.wait_for_contains_text("#dashboard-star", "Favorite")
    click(dash_duo, "#dashboard-star")  # unstar, then star again
    dash_duo.wait_for_contains_text("#dashboard-star", "Add to favorites")
    click(dash_duo, "#dashboard-star")
    dash_duo.wait_for_text_to_equal("#dashboard-star", "Favorite")
    save_screenshot(dash_duo, "dashboard.png")

    click(dash_duo, "#navbar-link-home")
    dash_duo.wait_for_element("#home-favorites-grid")
    assert "Daily delivery trend" in text(dash_duo, "#home-favorites-grid .dashboard-card")

    click(dash_duo, "#navbar-link-dashboards")
    dash_duo.wait_for_contains_text("#dashboards-grid", "Daily delivery trend")
    names = [card.splitlines()[0] for card in texts(dash_duo, "#dashboards-grid .dashboard-card")]
    assert names[0] == "Daily delivery trend"  # favorites first
    save_screenshot(dash_duo, "dashboards.png")
    assert severe_logs(dash_duo) == []


def _completed(session_factory: sessionmaker[Session]) -> int:
    from sqlalchemy import func, select

    from db.models import ReportExecution

    with session_factory() as session:
        return (
            session.scalar(select(func.count()).where(ReportExecution.status == "completed")) or 0
        )

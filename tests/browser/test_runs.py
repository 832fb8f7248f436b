"""The Runs page in Chromium: live status and filters."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db.session import session_scope
from services.backfills import start_backfill
from services.executions import run_report
from services.runtime import redis_connection
from tests.browser.conftest import sign_in_browser
from tests.browser.helpers import (
    BrowserWorld,
    make_report,
    save_screenshot,
    severe_logs,
    start_app,
    wait_for,
)

pytestmark = pytest.mark.browser


def test_runs_turn_completed_live_and_filter_by_status_and_trigger(
    dash_duo: Any,
    world: BrowserWorld,
    worker: Any,
    browser_session_factory: sessionmaker[Session],
) -> None:
    trend = make_report(world, browser_session_factory)
    roas = make_report(
        world, browser_session_factory, template_id="roas_by_campaign", name="ROAS by campaign"
    )
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)
    dash_duo.driver.get(f"{dash_duo.server_url}/runs")
    dash_duo.wait_for_element("#runs-empty")

    redis = redis_connection(world.settings.redis_url or "")
    with session_scope(browser_session_factory) as session:
        run_report(session=session, redis=redis, actor=world.analyst, report_id=roas.report_id)
        start_backfill(
            session=session,
            redis=redis,
            actor=world.analyst,
            report_id=trend.report_id,
            segment_type="weekly",
            lookback_days=4 * 7,
        )
    redis.close()

    dash_duo.find_element("#navbar-link-home").click()  # come back: the list is read afresh
    dash_duo.find_element("#navbar-link-runs").click()
    dash_duo.wait_for_element("#runs-table")
    # Polling keeps going until every run shown has ended.
    wait_for(lambda: _statuses(dash_duo) == {"completed"}, timeout=60)
    assert len(dash_duo.driver.find_elements("css selector", "#runs-table tbody tr")) > 2
    save_screenshot(dash_duo, "runs.png")

    dash_duo.select_dcc_dropdown("#runs-trigger", "Manual")
    dash_duo.wait_for_text_to_equal("#runs-count", "1–1 of 1 run")
    assert "ROAS by campaign" in dash_duo.find_element("#runs-table").text
    dash_duo.select_dcc_dropdown("#runs-status", "Failed")
    dash_duo.wait_for_contains_text("#runs-empty", "No run matches these filters")
    assert severe_logs(dash_duo) == []


def _statuses(dash_duo: Any) -> set[str]:
    rows = dash_duo.driver.find_elements("css selector", "#runs-table tbody tr")
    return {row.get_attribute("data-status") for row in rows}

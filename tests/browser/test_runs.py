"""The Runs page in Chromium: live status and filters."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db.session import session_scope
from services.backfills import start_backfill
from services.executions import run_report
from services.runtime import redis_connection
from tests.browser.helpers import (
    DemoWorld,
    attributes,
    click,
    make_report,
    save_screenshot,
    select_dropdown,
    severe_logs,
    sign_in_browser,
    start_app,
    text,
    wait_for,
)

pytestmark = pytest.mark.browser

#: The rows of the runs table, one per run shown.
ROWS = "#runs-table tbody tr"


def test_runs_turn_completed_live_and_filter_by_status_and_trigger(
    dash_duo: Any,
    world: DemoWorld,
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

    click(dash_duo, "#navbar-link-home")  # come back: the list is read afresh
    click(dash_duo, "#navbar-link-runs")
    dash_duo.wait_for_element("#runs-table")
    # Polling keeps going (and redraws the table) until every run shown has ended.
    wait_for(lambda: set(attributes(dash_duo, ROWS, "data-status")) == {"completed"}, timeout=60)
    assert len(attributes(dash_duo, ROWS, "data-status")) > 2
    save_screenshot(dash_duo, "runs.png")

    select_dropdown(dash_duo, "#runs-trigger", "Manual")
    dash_duo.wait_for_text_to_equal("#runs-count", "1–1 of 1 run")
    assert "ROAS by campaign" in text(dash_duo, "#runs-table")
    select_dropdown(dash_duo, "#runs-status", "Failed")
    dash_duo.wait_for_contains_text("#runs-empty", "No run matches these filters")
    assert severe_logs(dash_duo) == []

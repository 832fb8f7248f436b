"""The report page in Chromium with a real worker: run once, watch a backfill finish."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db.session import session_scope
from services.backfills import start_backfill
from services.runtime import redis_connection
from services.schedules import create_schedule
from tests.browser.helpers import (
    DemoWorld,
    attribute,
    attributes,
    click,
    make_report,
    save_screenshot,
    severe_logs,
    sign_in_browser,
    start_app,
    text,
    wait_for,
)

pytestmark = pytest.mark.browser


def test_run_now_reaches_completed_and_shows_the_result(
    dash_duo: Any,
    world: DemoWorld,
    worker: Any,
    browser_session_factory: sessionmaker[Session],
) -> None:
    report = make_report(world, browser_session_factory)
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)

    dash_duo.driver.get(f"{dash_duo.server_url}/reports/{report.report_id}")
    dash_duo.wait_for_contains_text("#report-history-section", "No runs yet")
    click(dash_duo, "#report-run-now")

    dash_duo.wait_for_contains_text("#report-feedback", "is queued")
    dash_duo.wait_for_contains_text("#report-runs", "Completed", timeout=60)
    dash_duo.wait_for_element("#report-download-csv", timeout=10)
    assert "rows" in text(dash_duo, "#report-preview-section")
    assert severe_logs(dash_duo) == []


def test_a_12_week_backfill_fills_the_progress_bar_to_100_percent(
    dash_duo: Any,
    world: DemoWorld,
    worker: Any,
    browser_session_factory: sessionmaker[Session],
) -> None:
    report = make_report(world, browser_session_factory)
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)
    redis = redis_connection(world.settings.redis_url or "")
    with session_scope(browser_session_factory) as session:
        create_schedule(
            session=session,
            actor=world.analyst,
            report_id=report.report_id,
            schedule_type="weekly",
            time_of_day="07:30",
            timezone="Europe/Berlin",
        )
        backfill = start_backfill(
            session=session,
            redis=redis,
            actor=world.analyst,
            report_id=report.report_id,
            segment_type="weekly",
            lookback_days=12 * 7,
        )
    redis.close()

    dash_duo.driver.get(f"{dash_duo.server_url}/reports/{report.report_id}")
    dash_duo.wait_for_element("#report-backfill-progress")
    total = backfill.total_segments
    dash_duo.wait_for_text_to_equal(
        "#report-backfill-progress-label",
        f"{total} completed of {total} segments",
        timeout=90,
    )
    assert attribute(dash_duo, "#report-backfill-progress", "data-percent") == "100"
    statuses = attributes(dash_duo, "#report-backfill-segments .segment-cell", "data-status")
    assert len(statuses) == total
    assert set(statuses) == {"completed"}
    # Nothing is in flight any more: the page stops polling.
    wait_for(
        lambda: dash_duo.driver.execute_script(
            "return document.querySelector('#report-history-section table') !== null"
        ),
        timeout=10,
    )
    dash_duo.wait_for_element("#report-download-csv")
    save_screenshot(dash_duo, "report.png")
    assert severe_logs(dash_duo) == []

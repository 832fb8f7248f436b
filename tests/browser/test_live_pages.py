"""Pages left open in Chromium follow what happens without a reload: a schedule comes due
and its run shows up, runs started elsewhere turn completed, and idle pages stay quiet."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db.session import session_scope
from services.executions import run_report
from services.runtime import redis_connection
from services.schedules import create_schedule
from tests.browser.helpers import (
    DemoWorld,
    attributes,
    make_report,
    running,
    set_viewport,
    severe_logs,
    sign_in_browser,
    start_app,
    wait_for,
)

pytestmark = pytest.mark.browser

#: The least time between opening the page and the slot, so that the wait is long enough
#: to show the page makes no request while it waits.
LEAD = timedelta(seconds=15)

# When each request of the page to Dash started, in epoch milliseconds.
_UPDATE_REQUESTS = """
return performance.getEntriesByType('resource')
    .filter(e => e.name.includes('/_dash-update-component'))
    .map(e => performance.timeOrigin + e.startTime);
"""


def next_slot(after: datetime) -> datetime:
    """The first whole minute at least LEAD after `after`."""
    earliest = after + LEAD
    return earliest.replace(second=0, microsecond=0) + timedelta(minutes=1)


def next_run_times(dash_duo: Any) -> list[datetime]:
    """The UTC times under the schedule card's "Next runs" (each item's title)."""
    titles = attributes(dash_duo, "#report-next-runs li span", "title")  # "…Z UTC"
    return [datetime.fromisoformat(str(t).removesuffix("Z UTC") + "+00:00") for t in titles]


def look(dash_duo: Any, name: str) -> Path:
    """A screenshot for a person to look at (not one of the README's)."""
    folder = Path(os.environ.get("LIVE_PAGES_SCREENSHOTS") or "/tmp/live-pages")
    folder.mkdir(parents=True, exist_ok=True)
    set_viewport(dash_duo.driver, 1280, 800)
    height = dash_duo.driver.execute_script("return document.documentElement.scrollHeight;")
    set_viewport(dash_duo.driver, 1280, max(800, int(height)))
    path = folder / name
    dash_duo.driver.save_screenshot(str(path))
    set_viewport(dash_duo.driver, 1280, 800)
    return path


def test_an_open_report_page_shows_the_scheduled_run_when_its_slot_comes(
    dash_duo: Any,
    world: DemoWorld,
    worker: Any,
    browser_session_factory: sessionmaker[Session],
) -> None:
    report = make_report(world, browser_session_factory)
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)
    slot = next_slot(datetime.now(UTC))
    with session_scope(browser_session_factory) as session:
        create_schedule(
            session=session,
            actor=world.analyst,
            report_id=report.report_id,
            schedule_type="daily",
            time_of_day=f"{slot:%H:%M}",
            timezone="UTC",
        )

    with running("scheduler", env=world.env):
        dash_duo.driver.get(f"{dash_duo.server_url}/reports/{report.report_id}")
        dash_duo.wait_for_contains_text("#report-history-section", "No runs yet")
        wait_for(lambda: next_run_times(dash_duo)[:1] == [slot], timeout=10)
        dash_duo.driver.execute_script("performance.setResourceTimingBufferSize(2000);")
        settled = dash_duo.driver.execute_script("return Date.now();")

        # Nobody touches the page: the slot comes, the run shows up, and it completes.
        dash_duo.wait_for_contains_text("#report-runs", "Schedule", timeout=LEAD.seconds + 75)
        dash_duo.wait_for_contains_text("#report-runs", "Completed", timeout=60)
        dash_duo.wait_for_element("#report-download-csv", timeout=10)

    # Waiting for the slot cost no request at all: one tick at the slot woke the page.
    started = dash_duo.driver.execute_script(_UPDATE_REQUESTS)
    slot_ms = slot.timestamp() * 1000
    assert [t for t in started if settled + 1_000 < t < slot_ms] == []
    assert any(t >= slot_ms for t in started)
    # The schedule card moved on: no time under "Next runs" is in the past.
    wait_for(lambda: next_run_times(dash_duo)[:1] == [slot + timedelta(days=1)], timeout=10)
    assert min(next_run_times(dash_duo)) > datetime.now(UTC)
    dash_duo.wait_for_contains_text("#report-schedule", "Completed")  # its last run
    look(dash_duo, "report-after-scheduled-run.png")
    assert severe_logs(dash_duo) == []


def test_the_reports_tab_follows_a_run_to_its_end_on_the_page_it_shows(
    dash_duo: Any, world: DemoWorld, browser_session_factory: sessionmaker[Session]
) -> None:
    report = make_report(world, browser_session_factory)
    redis = redis_connection(world.settings.redis_url or "")
    with session_scope(browser_session_factory) as session:
        run_report(session=session, redis=redis, actor=world.analyst, report_id=report.report_id)
    redis.close()
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)

    dash_duo.driver.get(dash_duo.server_url + "/report-builder?tab=reports")
    dash_duo.wait_for_contains_text("#report-builder-reports-grid .ag-row", "Pending")
    with running("worker", env=world.env):  # no worker until now: the run waited, queued
        dash_duo.wait_for_contains_text(
            "#report-builder-reports-grid .ag-row", "Completed", timeout=60
        )
    look(dash_duo, "reports-tab-after-run.png")
    assert severe_logs(dash_duo) == []

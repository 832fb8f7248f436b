"""Backfills from the report page in Chromium, with a real worker: start one over two dates
(previewed first), watch its segments complete and open a run; cancel one running segment
while the page refreshes, see the backfill end as partial, and retry that segment alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import text as sql
from sqlalchemy.orm import Session, sessionmaker

from db.session import make_engine, session_scope
from services.backfill_plans import BackfillPlanInfo, plan_backfill
from services.backfills import start_backfill
from services.instances import save_instance
from services.runtime import redis_connection
from services.users import grant_instance
from services.windows import freshest_day
from tests.browser.helpers import (
    DemoWorld,
    attributes,
    click,
    make_report,
    save_screenshot,
    script_click,
    severe_logs,
    sign_in_browser,
    start_app,
    text,
    type_into,
    wait_for,
)
from tests.databases import SKIP_POSTGRES, create_postgres_database, drop_postgres_database
from tests.factories import ANALYST_EMAIL, TEST_SECRET_KEY, add_template

pytestmark = pytest.mark.browser

#: A warehouse query that sleeps (holding no CPU) on the days listed in `slow_days`, and
#: returns at once on every other day: one segment of a backfill runs long.
SQL_SLOW_DAYS = """
SELECT CAST({{ window_start }} AS DATE) AS window_day, 1 AS ok
FROM pg_sleep(
    CASE WHEN EXISTS (
        SELECT 1 FROM slow_days WHERE day = CAST({{ window_start }} AS DATE)
    ) THEN 300 ELSE 0 END
)
"""

# The status of the history table's row of one run, read in the page (no stale reference).
_ROW_STATUS = """
const code = [...document.querySelectorAll('#report-runs tbody code')]
    .find(c => c.innerText.trim() === arguments[0]);
return code ? code.closest('tr').getAttribute('data-status') : null;
"""


def planned(
    session_factory: sessionmaker[Session], world: DemoWorld, report_id: str, **range: Any
) -> BackfillPlanInfo:
    """What the backfill of `range` would make, asked of the service the modal asks."""
    with session_scope(session_factory) as session:
        return plan_backfill(
            session=session,
            actor=world.analyst,
            report_id=report_id,
            segment_type="weekly",
            **range,
        )


def row_status(dash_duo: Any, execution_id: str) -> str | None:
    status: str | None = dash_duo.driver.execute_script(_ROW_STATUS, execution_id)
    return status


def button_of(kind: str, index: str) -> str:
    """The CSS selector of a pattern-matching button ({"type": kind, "index": index})."""
    return f'button[id*=\'"type":"{kind}"\'][id*=\'"index":"{index}"\']'


def test_a_backfill_between_two_dates_is_previewed_started_and_completes(
    dash_duo: Any,
    world: DemoWorld,
    worker: Any,
    browser_session_factory: sessionmaker[Session],
) -> None:
    report = make_report(world, browser_session_factory)
    fresh = freshest_day(timezone="UTC", data_lag_days=2, min_data_age_days=0)
    # Wednesday five weeks back to the Friday two weeks back: clipped at both ends.
    start = fresh - timedelta(days=fresh.weekday() + 33)
    end = fresh - timedelta(days=fresh.weekday() + 10)
    plan = planned(browser_session_factory, world, report.report_id, start_date=start, end_date=end)
    total = len(plan.segments)
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)

    dash_duo.driver.get(f"{dash_duo.server_url}/reports/{report.report_id}")
    dash_duo.wait_for_contains_text("#report-backfill-empty", "Start a backfill")
    click(dash_duo, "#report-backfill-open")
    dash_duo.wait_for_element("#report-backfill-modal #report-backfill-range")
    click(
        dash_duo,
        "//*[@id='report-backfill-range']//label[normalize-space()='Between two dates']",
        by=By.XPATH,
    )
    type_into(dash_duo, "#report-backfill-start-date", start.isoformat())
    type_into(dash_duo, "#report-backfill-end-date", end.isoformat())
    click(dash_duo, "#report-backfill-preview")

    dash_duo.wait_for_text_to_equal("#report-backfill-plan-count", f"{total} to run")
    actions = attributes(dash_duo, "#report-backfill-plan-list li", "data-action")
    assert actions == ["create"] * total
    partial = attributes(dash_duo, "#report-backfill-plan-list li", "data-partial")
    assert partial == ["true"] + ["false"] * (total - 2) + ["true"]
    assert text(dash_duo, "#report-backfill-plan-list li:first-child").count("partial") == 1
    save_screenshot(dash_duo, "report-backfill-modal.png")

    click(dash_duo, "#report-backfill-submit")
    dash_duo.wait_for_contains_text("#report-feedback", "started")
    wait_for(lambda: not dash_duo.driver.find_elements(By.CSS_SELECTOR, ".modal.show"))
    dash_duo.wait_for_text_to_equal(
        "#report-backfill-progress-label", f"{total} completed of {total} segments", timeout=90
    )
    dash_duo.wait_for_text_to_equal("#report-backfill-status", "Completed")
    statuses = attributes(dash_duo, "#report-backfill-segments .segment-cell", "data-status")
    assert statuses == ["completed"] * total
    clipped = attributes(dash_duo, "#report-backfill-segments .segment-cell-partial", "data-status")
    assert len(clipped) == 2

    # Each cell is a link to its run.
    first = attributes(dash_duo, "#report-backfill-segments .segment-cell", "data-execution")[0]
    assert first is not None
    click(dash_duo, "#report-backfill-segments a:first-child")
    dash_duo.wait_for_contains_text("#run-status", "Completed")
    assert first in text(dash_duo, "#run-title")
    dash_duo.wait_for_element("#report-download-csv")
    save_screenshot(dash_duo, "run.png", full_height=True)
    assert severe_logs(dash_duo) == []


@pytest.fixture
def slow_warehouse(
    world: DemoWorld, browser_session_factory: sessionmaker[Session]
) -> Iterator[str]:
    """A PostgreSQL warehouse instance "slowpg" whose template sleeps on listed days; yields
    the warehouse URL (dropped WITH FORCE: a cancelled statement may still be ending)."""
    if SKIP_POSTGRES:
        pytest.skip("no PostgreSQL server on this machine")
    url = create_postgres_database()
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sql("CREATE TABLE slow_days (day DATE PRIMARY KEY)"))
    engine.dispose()
    with session_scope(browser_session_factory) as session:
        save_instance(
            session=session,
            secret_key=TEST_SECRET_KEY,
            instance_id="slowpg",
            name="Slow warehouse",
            engine="postgresql",
            connection_url=url,
            data_lag_days=2,
            statement_timeout_seconds=600,
        )
        session.commit()
        grant_instance(session=session, email=ANALYST_EMAIL, instance_id="slowpg")
        add_template(session, "slow_days", SQL_SLOW_DAYS, parameter_definitions=[])
    yield url
    drop_postgres_database(url)


def set_slow_days(url: str, *days: Any) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sql("DELETE FROM slow_days"))
        for day in days:
            connection.execute(sql("INSERT INTO slow_days (day) VALUES (:day)"), {"day": day})
    engine.dispose()


def test_a_cancelled_segment_ends_the_backfill_partial_and_retrying_it_completes_it(
    dash_duo: Any,
    world: DemoWorld,
    worker: Any,
    slow_warehouse: str,
    browser_session_factory: sessionmaker[Session],
) -> None:
    report = make_report(
        world,
        browser_session_factory,
        template_id="slow_days",
        instance_id="slowpg",
        name="Slow days",
    )
    plan = planned(browser_session_factory, world, report.report_id, lookback_days=28)
    slow_day = plan.segments[1].window_start
    set_slow_days(slow_warehouse, slow_day)
    redis = redis_connection(world.settings.redis_url or "")
    with session_scope(browser_session_factory) as session:
        backfill = start_backfill(
            session=session,
            redis=redis,
            actor=world.analyst,
            report_id=report.report_id,
            segment_type="weekly",
            lookback_days=28,
        )
    redis.close()
    total = backfill.total_segments
    slow = next(s for s in backfill.segments if s.time_window_start.date() == slow_day)
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)

    dash_duo.driver.get(f"{dash_duo.server_url}/reports/{report.report_id}")
    # The first segment completes; the slow one runs, and the page keeps polling.
    wait_for(lambda: row_status(dash_duo, slow.execution_id) == "running", timeout=60)
    # Found and clicked in one step in the page: the table is redrawn as the runs move.
    script_click(dash_duo, button_of("report-cancel", slow.execution_id))

    dash_duo.wait_for_contains_text("#report-feedback", f"Run {slow.execution_id} cancelled")
    wait_for(lambda: row_status(dash_duo, slow.execution_id) == "cancelled", timeout=30)
    # The backfill goes on with its other segments, and ends partial.
    dash_duo.wait_for_text_to_equal(
        "#report-backfill-progress-label",
        f"{total - 1} completed, 1 cancelled of {total} segments",
        timeout=90,
    )
    dash_duo.wait_for_text_to_equal("#report-backfill-status", "Partial")
    statuses = attributes(dash_duo, "#report-backfill-segments .segment-cell", "data-status")
    assert statuses.count("cancelled") == 1
    assert statuses.count("completed") == total - 1
    retryable = attributes(dash_duo, "#report-backfill-retryable li", "data-execution")
    assert retryable == [slow.execution_id]

    # Retry that one segment (fast this time): a second attempt completes the backfill.
    set_slow_days(slow_warehouse)
    script_click(dash_duo, button_of("report-backfill-retry-one", slow.execution_id))
    dash_duo.wait_for_contains_text("#report-feedback", "queued again")
    dash_duo.wait_for_text_to_equal(
        "#report-backfill-progress-label", f"{total} completed of {total} segments", timeout=90
    )
    dash_duo.wait_for_text_to_equal("#report-backfill-status", "Completed")
    assert row_status(dash_duo, slow.execution_id) == "cancelled"  # the old attempt stays
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "#report-backfill-retryable") == []
    assert severe_logs(dash_duo) == []

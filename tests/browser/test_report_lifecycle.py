"""A report changed after it is made, in Chromium: its schedule edited from the report page
(new next runs), a run over chosen dates, and the editor's field errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from selenium.webdriver.support.ui import Select
from sqlalchemy.orm import Session, sessionmaker

from db.session import session_scope
from services.executions import list_executions
from services.reports import get_report
from services.schedules import create_schedule, report_schedule
from tests.browser.helpers import (
    NOT_CLICKABLE_YET,
    DemoWorld,
    click,
    make_report,
    save_screenshot,
    severe_logs,
    sign_in_browser,
    start_app,
    text,
    texts,
    type_into,
    wait_for,
)

pytestmark = pytest.mark.browser


def choose(dash_duo: Any, selector: str, value: str) -> None:
    """Pick `value` in the <select> at `selector` (found again at each try)."""

    def attempt() -> bool:
        Select(dash_duo.driver.find_element("css selector", selector)).select_by_value(value)
        return True

    wait_for(attempt, timeout=10, retry=NOT_CLICKABLE_YET)


def hidden_text(dash_duo: Any, selector: str) -> str:
    """The text of an element that may be hidden (Selenium's .text is empty then)."""
    script = "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';"
    return str(dash_duo.driver.execute_script(script, selector))


def test_editing_the_schedule_on_the_report_page_shows_the_new_next_runs(
    dash_duo: Any, world: DemoWorld, browser_session_factory: sessionmaker[Session]
) -> None:
    report = make_report(world, browser_session_factory)
    with session_scope(browser_session_factory) as session:
        create_schedule(
            session=session,
            actor=world.analyst,
            report_id=report.report_id,
            schedule_type="weekly",
            time_of_day="06:00",
            timezone="UTC",
        )
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)
    dash_duo.driver.get(f"{dash_duo.server_url}/reports/{report.report_id}")
    dash_duo.wait_for_contains_text("#report-schedule-body", "Monday")

    click(dash_duo, "#report-edit-open-schedule")
    dash_duo.wait_for_contains_text("#report-edit-meaning", "At 06:00, only on Monday")
    choose(dash_duo, "#report-edit-weekday", "2")  # Wednesday
    type_into(dash_duo, "#report-edit-time", "0730")
    dash_duo.wait_for_contains_text("#report-edit-meaning", "At 07:30, only on Wednesday")
    wait_for(lambda: all("Wed" in run for run in texts(dash_duo, "#report-edit-next-runs li")))
    save_screenshot(dash_duo, "report-edit-schedule.png")

    click(dash_duo, "#report-edit-save")
    dash_duo.wait_for_contains_text("#report-saved", "Changes saved", timeout=20)
    dash_duo.wait_for_contains_text("#report-schedule-body", "Wednesday")
    runs = wait_for(lambda: texts(dash_duo, "#report-next-runs li"))
    assert len(runs) == 5 and all(run.startswith("Wed") and "07:30" in run for run in runs), runs
    with session_scope(browser_session_factory) as session:
        schedule = report_schedule(session=session, actor=world.analyst, report_id=report.report_id)
    assert schedule is not None and schedule.cron_expression == "30 7 * * 3"
    assert schedule.next_run_at is not None and schedule.next_run_at > datetime.now().astimezone()
    assert severe_logs(dash_duo) == []


def test_a_schedule_added_and_removed_from_the_report_page(
    dash_duo: Any, world: DemoWorld, browser_session_factory: sessionmaker[Session]
) -> None:
    report = make_report(world, browser_session_factory)
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)
    dash_duo.driver.get(f"{dash_duo.server_url}/reports/{report.report_id}?open=schedule")

    # The page's callbacks have answered once: the (hidden) new schedule is described.
    wait_for(lambda: "only on Monday" in hidden_text(dash_duo, "#report-edit-meaning"))
    click(dash_duo, "#report-edit-scheduled")
    choose(dash_duo, "#report-edit-frequency", "monthly")
    type_into(dash_duo, "#report-edit-day", "31", clear=True)
    dash_duo.wait_for_contains_text("#report-edit-day-error", "every month has it")
    click(dash_duo, "#report-edit-save")
    dash_duo.wait_for_contains_text("#report-edit-hint", "Fix the fields marked in red")
    with session_scope(browser_session_factory) as session:
        assert (
            report_schedule(session=session, actor=world.analyst, report_id=report.report_id)
            is None
        )

    type_into(dash_duo, "#report-edit-day", "15", clear=True)
    dash_duo.wait_for_contains_text("#report-edit-meaning", "on day 15 of the month")
    click(dash_duo, "#report-edit-save")
    dash_duo.wait_for_contains_text("#report-saved", "Changes saved", timeout=20)
    with session_scope(browser_session_factory) as session:
        added = report_schedule(session=session, actor=world.analyst, report_id=report.report_id)
        assert added is not None and added.day_of_month == 15
        assert (
            get_report(session=session, actor=world.analyst, report_id=report.report_id).frequency
            == "monthly"
        )

    click(dash_duo, "#report-edit-open-schedule")
    click(dash_duo, "#report-edit-scheduled")  # off: remove it
    click(dash_duo, "#report-edit-save")
    dash_duo.wait_for_contains_text("#report-schedule-body", "Not scheduled", timeout=20)
    with session_scope(browser_session_factory) as session:
        assert (
            report_schedule(session=session, actor=world.analyst, report_id=report.report_id)
            is None
        )


def test_edit_shows_the_services_field_errors_and_saves_name_and_recipients(
    dash_duo: Any, world: DemoWorld, browser_session_factory: sessionmaker[Session]
) -> None:
    report = make_report(world, browser_session_factory)
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)
    dash_duo.driver.get(f"{dash_duo.server_url}/reports/{report.report_id}")

    click(dash_duo, "#report-edit-open")
    type_into(dash_duo, "#report-edit-emails", "not-an-address")
    click(dash_duo, "#report-edit-save")
    dash_duo.wait_for_contains_text("#report-edit-emails-error", "Not an e-mail address")

    type_into(dash_duo, "#report-edit-name", "Weekly delivery", clear=True)
    type_into(dash_duo, "#report-edit-emails", "ana@example.com, team@example.com", clear=True)
    click(dash_duo, "#report-edit-save")
    dash_duo.wait_for_contains_text("#report-saved", "Changes saved", timeout=20)
    dash_duo.wait_for_contains_text("h1", "Weekly delivery")
    with session_scope(browser_session_factory) as session:
        saved = get_report(session=session, actor=world.analyst, report_id=report.report_id)
    assert saved.notification_emails == ("ana@example.com", "team@example.com")


def test_run_for_chosen_dates_uses_that_window(
    dash_duo: Any,
    world: DemoWorld,
    worker: Any,
    browser_session_factory: sessionmaker[Session],
) -> None:
    report = make_report(world, browser_session_factory)
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)
    dash_duo.driver.get(f"{dash_duo.server_url}/reports/{report.report_id}")

    click(dash_duo, "#report-run-open")
    dash_duo.wait_for_contains_text("#report-run-window", "30 days")
    choose(dash_duo, "#report-run-range", "custom")
    type_into(dash_duo, "#report-run-start", "01011990")
    type_into(dash_duo, "#report-run-end", "01051990")
    dash_duo.wait_for_contains_text("#report-run-window-error", "days of history")
    choose(dash_duo, "#report-run-range", "previous_week")
    dash_duo.wait_for_contains_text("#report-run-window", "7 days")
    shown = text(dash_duo, "#report-run-window")
    save_screenshot(dash_duo, "report-run-dates.png")
    click(dash_duo, "#report-run-submit")

    dash_duo.wait_for_contains_text("#report-feedback", "is queued")
    dash_duo.wait_for_contains_text("#report-runs", "Completed", timeout=60)
    with session_scope(browser_session_factory) as session:
        [run] = list_executions(
            session=session, actor=world.analyst, report_id=report.report_id
        ).items
    assert run.time_window_start is not None and run.time_window_end is not None
    assert run.time_window_start.weekday() == 0  # the previous Monday-to-Sunday week
    assert (run.time_window_end - run.time_window_start).days == 7
    assert f"{run.time_window_start:%b} {run.time_window_start.day}" in shown
    assert severe_logs(dash_duo) == []

"""Writing a template in Chromium: SQL with two parameters on the demo source, a preview
run by a real worker, save, then a report of it run to its dashboard."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.support.ui import Select
from sqlalchemy.orm import Session, sessionmaker

from components.ids import dom_id, template_use_id
from components.template_editor import eid
from db.session import session_scope
from services.reports import list_reports
from tests.browser.helpers import (
    NOT_CLICKABLE_YET,
    DemoWorld,
    click,
    save_screenshot,
    script_click,
    severe_logs,
    sign_in_browser,
    start_app,
    text,
    type_into,
    wait_for,
)

pytestmark = pytest.mark.browser

SQL = (
    "SELECT channel, CAST(SUM(clicks) AS BIGINT) AS clicks, CAST(SUM(spend) AS DOUBLE) AS spend\n"
    "FROM campaign_daily\n"
    "WHERE event_date >= CAST({{ window_start }} AS DATE)\n"
    "  AND event_date < CAST({{ window_end }} AS DATE)\n"
    "  AND clicks >= {{ min_clicks }} AND channel <> {{ skip_channel }}\n"
    "GROUP BY channel ORDER BY spend DESC"
)


def by_id(component_id: Any) -> str:
    return f"[id='{dom_id(component_id)}']"


def param_input(dash_duo: Any, field: str, position: int) -> Any:
    """The `field` input of the parameter row at `position` (rows are numbered as added)."""
    return dash_duo.driver.find_elements("css selector", f"[id*='\"te-param-{field}\"']")[position]


def choose(dash_duo: Any, field: str, position: int, value: str) -> None:
    def attempt() -> bool:
        Select(param_input(dash_duo, field, position)).select_by_value(value)
        return True

    wait_for(attempt, timeout=10, retry=(IndexError, *NOT_CLICKABLE_YET))


def type_param(dash_duo: Any, field: str, position: int, typed: str) -> None:
    def attempt() -> bool:
        param_input(dash_duo, field, position).send_keys(typed)
        return True

    wait_for(attempt, timeout=10, retry=(IndexError, *NOT_CLICKABLE_YET))


def test_an_analyst_writes_previews_saves_and_runs_a_template(
    dash_duo: Any,
    world: DemoWorld,
    worker: Any,
    browser_session_factory: sessionmaker[Session],
) -> None:
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.analyst.id)
    dash_duo.driver.get(f"{dash_duo.server_url}/report-builder")
    click(dash_duo, "#report-builder-new-template")
    dash_duo.wait_for_element(f"#{eid('sql_template')}")

    type_into(dash_duo, f"#{eid('name')}", "Clicks by channel")
    type_into(dash_duo, f"#{eid('category')}", "Delivery", clear=True)
    type_into(dash_duo, f"#{eid('sql_template')}", SQL)
    dash_duo.wait_for_contains_text(f"#{eid('placeholders')}", "skip_channel · not declared")
    script_click(dash_duo, f"#{eid('declare')}")
    choose(dash_duo, "type", 0, "integer")
    type_param(dash_duo, "default", 0, "0")
    type_param(dash_duo, "default", 1, "none")
    wait_for(lambda: "not declared" not in text(dash_duo, f"#{eid('placeholders')}"))

    click(dash_duo, f"#{eid('preview')}")
    dash_duo.wait_for_element(f"#{eid('preview-table')}", timeout=60)
    preview = text(dash_duo, f"#{eid('preview-result')}")
    assert "channel" in preview and "int64" in preview and "double" in preview
    save_screenshot(dash_duo, "template-editor.png", full_height=True)

    click(dash_duo, f"#{eid('save')}")
    wait_for(
        lambda: "/report-builder/templates/clicks_by_channel/edit" in dash_duo.driver.current_url
    )
    dash_duo.wait_for_contains_text(f"#{eid('versions')}", "Version 1")
    assert "Ana" in text(dash_duo, f"#{eid('versions')}")
    save_screenshot(dash_duo, "template-versions.png")

    # The author runs it as a report, through the Report Builder's modal.
    dash_duo.driver.get(f"{dash_duo.server_url}/report-builder")
    script_click(dash_duo, by_id(template_use_id("clicks_by_channel")))
    dash_duo.wait_for_contains_text(".modal-title", "Clicks by channel")
    type_into(dash_duo, "#report-builder-name", "Clicks by channel", clear=True)
    click(dash_duo, "#report-builder-modal-next")
    dash_duo.wait_for_element("#report-builder-step-2:not(.d-none)")
    click(dash_duo, "#report-builder-modal-next")
    click(dash_duo, "#report-builder-modal-submit")
    wait_for(lambda: "/reports/rpt_" in dash_duo.driver.current_url, timeout=15)
    dash_duo.wait_for_contains_text("#report-runs", "Completed", timeout=90)

    with session_scope(browser_session_factory) as session:
        [report] = list_reports(session=session, actor=world.analyst).items
    assert report.template_id == "clicks_by_channel" and report.dashboard_id
    dash_duo.driver.get(f"{dash_duo.server_url}/dashboards/{report.dashboard_id}")
    dash_duo.wait_for_element("#dashboard-widgets")
    wait_for(lambda: "sponsored" in text(dash_duo, "#dashboard-widgets").lower(), timeout=30)
    assert severe_logs(dash_duo) == []

"""Admin → Data sources in Chromium: an admin adds a MariaDB source from its fields, tests it
and browses its schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tests.browser.helpers import (
    DemoWorld,
    click,
    save_screenshot,
    severe_logs,
    sign_in_browser,
    start_app,
    text,
    type_into,
    wait_for,
)
from tests.warehouses import mariadb_warehouse_fixture  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def _button(kind: str, index: str) -> str:
    """The CSS selector of a pattern-matching id (Dash writes it as sorted JSON)."""
    return f"[id='{json.dumps({'index': index, 'type': kind}, separators=(',', ':'))}']"


def test_an_admin_adds_a_mariadb_source_tests_it_and_browses_its_schema(
    dash_duo: Any,
    world: DemoWorld,
    browser_session_factory: sessionmaker[Session],
    mariadb_warehouse: str,
) -> None:
    url = make_url(mariadb_warehouse)
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.admin.id)
    dash_duo.driver.get(f"{dash_duo.server_url}/admin/sources")
    dash_duo.wait_for_contains_text("#admin-sources-list", "Demo", timeout=15)

    click(dash_duo, "#admin-sources-add")
    type_into(dash_duo, "#admin-sources-name", "Shop warehouse")
    Select(dash_duo.driver.find_element(By.ID, "admin-sources-engine")).select_by_value("mysql")
    type_into(dash_duo, "#admin-sources-host", str(url.host))
    type_into(dash_duo, "#admin-sources-port", str(url.port), clear=True)
    type_into(dash_duo, "#admin-sources-database", str(url.database))
    type_into(dash_duo, "#admin-sources-user", str(url.username))
    type_into(dash_duo, "#admin-sources-timezone", "Europe/Paris", clear=True)
    click(dash_duo, "#admin-sources-save")
    dash_duo.wait_for_contains_text("#admin-sources-list", "Shop warehouse", timeout=15)
    assert "127.0.0.1:3306 / " + str(url.database) in text(dash_duo, "#admin-sources-list")

    click(dash_duo, _button("admin-sources-row-test", "shop_warehouse"))
    check = _button("admin-sources-check", "shop_warehouse")
    wait_for(lambda: "ok ·" in text(dash_duo, check), timeout=15)
    assert text(dash_duo, check).endswith("ms")
    save_screenshot(dash_duo, "data-sources.png")

    click(dash_duo, _button("admin-sources-row-schema", "shop_warehouse"))
    dash_duo.wait_for_contains_text("#admin-sources-schema-body", "campaigns", timeout=15)
    click(dash_duo, "#admin-sources-schema-tables .accordion-button")
    wait_for(lambda: "decimal(10,2)" in text(dash_duo, "#admin-sources-schema-tables"), timeout=10)
    assert "spend" in text(dash_duo, "#admin-sources-schema-tables")
    save_screenshot(dash_duo, "data-source-schema.png")
    assert severe_logs(dash_duo) == []

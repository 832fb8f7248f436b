"""Admin → Queues in Chromium: admins see the queues, anyone else a 403 page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from services.runtime import LAST_TICK_KEY
from tests.browser.helpers import (
    DemoWorld,
    attribute,
    save_screenshot,
    severe_logs,
    sign_in_browser,
    start_app,
    text,
)

pytestmark = pytest.mark.browser


def test_an_admin_sees_workers_and_a_healthy_scheduler(
    dash_duo: Any,
    world: DemoWorld,
    worker: Any,
    browser_session_factory: sessionmaker[Session],
) -> None:
    redis = Redis.from_url(world.settings.redis_url or "")
    redis.set(LAST_TICK_KEY, datetime.now(UTC).isoformat())  # as the heartbeat job writes it
    redis.close()
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.admin.id)

    dash_duo.driver.get(f"{dash_duo.server_url}/admin/queues")
    dash_duo.wait_for_element("#admin-queues-worker-table", timeout=15)
    assert attribute(dash_duo, "#admin-queues-banner", "data-healthy") == "true"
    assert "maintenance, executions" in text(dash_duo, "#admin-queues-worker-table")
    dash_duo.wait_for_element("#navbar-link-admin-queues")
    save_screenshot(dash_duo, "admin-queues.png")
    assert severe_logs(dash_duo) == []


def test_without_a_worker_or_a_tick_the_banner_turns_red(
    dash_duo: Any, world: DemoWorld, browser_session_factory: sessionmaker[Session]
) -> None:
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, world.admin.id)

    dash_duo.driver.get(f"{dash_duo.server_url}/admin/queues")
    dash_duo.wait_for_element("#admin-queues-banner", timeout=15)
    assert attribute(dash_duo, "#admin-queues-banner", "data-healthy") == "false"
    assert "never ticked" in text(dash_duo, "#admin-queues-banner")
    assert "No worker is running" in text(dash_duo, "#admin-queues-workers")


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_anyone_else_gets_a_403_page(
    dash_duo: Any, world: DemoWorld, browser_session_factory: sessionmaker[Session], role: str
) -> None:
    app = start_app(dash_duo, world, browser_session_factory)
    sign_in_browser(dash_duo, app, getattr(world, role).id)

    dash_duo.driver.get(f"{dash_duo.server_url}/admin/queues")
    dash_duo.wait_for_contains_text("#admin-queues-forbidden", "403")
    assert dash_duo.driver.find_elements("css selector", "#navbar-link-admin-queues") == []
    assert severe_logs(dash_duo) == []

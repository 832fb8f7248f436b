"""Admin → Queues: admins only; the health banner; requeue."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from services.monitoring import QueueOverview, QueueStats, WorkerInfo
from tests.factories import UiWorld
from tests.trees import find_ids, text_of

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    return importlib.import_module("pages.admin_queues")


def _overview(*, tick_age_s: float | None, queues: list[str]) -> QueueOverview:
    worker = WorkerInfo(
        name="w1", state="idle", current_job_id=None, heartbeat_age_seconds=3.0, queues=queues
    )
    return QueueOverview(
        queues=[QueueStats(name, 0, 0, 0, 0) for name in ("maintenance", "executions")],
        workers=[worker] if queues else [],
        scheduler_last_tick=None if tick_age_s is None else NOW - timedelta(seconds=tick_age_s),
        scheduler_healthy=tick_age_s is not None and tick_age_s < 60 and len(queues) == 2,
        failed_jobs=[],
        late_schedules=[],
        checked_at=NOW,
    )


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_anyone_but_an_admin_gets_a_403_page(
    ui: UiWorld, as_user: Any, page: ModuleType, role: str
) -> None:
    with as_user(getattr(ui, role)):
        tree = page.layout()

    assert "403" in text_of(tree)
    assert "admin-queues-forbidden" in find_ids(tree)


def test_an_admin_gets_the_overview(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with as_user(ui.admin):
        ids = find_ids(page.layout())

    assert {"admin-queues-overview", "admin-queues-poll"} <= set(ids)


def test_the_overview_callback_refuses_non_admins_too(
    ui: UiWorld, as_user: Any, page: ModuleType, redis_url: str
) -> None:
    ui.app.server.config["REPORTBUILDER_SETTINGS"] = _with_redis(ui, redis_url)
    with as_user(ui.owner):
        assert "403" in text_of(page.show_overview(1, 0))
    with as_user(ui.admin):
        overview = page.show_overview(1, 0)
    assert "admin-queues-banner" in find_ids(overview)
    assert "No worker is running" in text_of(overview)


def _with_redis(ui: UiWorld, redis_url: str) -> Any:
    import dataclasses

    settings = ui.app.server.config["REPORTBUILDER_SETTINGS"]
    return dataclasses.replace(settings, redis_url=redis_url)


def test_a_fresh_tick_and_served_queues_show_a_green_banner(page: ModuleType) -> None:
    banner = page.create_health_banner(
        _overview(tick_age_s=5, queues=["maintenance", "executions"])
    )

    assert banner.to_plotly_json()["props"]["data-healthy"] == "true"
    assert "Healthy" in text_of(banner)


def test_an_old_tick_turns_the_banner_red(page: ModuleType) -> None:
    banner = page.create_health_banner(
        _overview(tick_age_s=300, queues=["maintenance", "executions"])
    )

    assert banner.to_plotly_json()["props"]["data-healthy"] == "false"
    assert "5 min ago" in text_of(banner)


def test_a_queue_without_a_worker_turns_the_banner_red(page: ModuleType) -> None:
    banner = page.create_health_banner(_overview(tick_age_s=5, queues=["maintenance"]))

    assert banner.to_plotly_json()["props"]["data-healthy"] == "false"
    assert "“executions” queue" in text_of(banner)


def test_requeue_of_an_unknown_job_says_it_is_not_found(
    ui: UiWorld, as_user: Any, page: ModuleType, redis_url: str
) -> None:
    ui.app.server.config["REPORTBUILDER_SETTINGS"] = _with_redis(ui, redis_url)
    button = {"type": "admin-queues-requeue", "index": "no-such-job"}
    with as_user(ui.admin, triggered=(button, "n_clicks")):
        feedback, refresh = page.requeue([1], 0)

    assert "was not found" in text_of(feedback)
    assert refresh == 1

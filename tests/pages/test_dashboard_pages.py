"""Dashboards list (favorites filter, stars) and a dashboard page drawn from results."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest

from db.session import session_scope
from services.executions import run_report
from tests.factories import UiWorld
from tests.trees import find_ids, text_of


@pytest.fixture
def listing(ui: UiWorld) -> ModuleType:
    return importlib.import_module("pages.dashboards")


@pytest.fixture
def detail(ui: UiWorld) -> ModuleType:
    return importlib.import_module("pages.dashboard")


def _star(ui: UiWorld, starred: bool) -> dict[str, Any]:
    return {"type": "dashboards-star", "index": ui.report.dashboard_id, "starred": starred}


def test_starring_moves_a_dashboard_into_the_favorites_filter(
    ui: UiWorld, as_user: Any, listing: ModuleType
) -> None:
    with as_user(ui.owner):
        assert "No favorites yet" in text_of(listing.show_dashboards("favorites", 0))
        everything = listing.show_dashboards("all", 0)
    assert _star(ui, False) in find_ids(everything)

    with as_user(ui.owner, triggered=(_star(ui, False), "n_clicks")):
        feedback, refresh = listing.toggle_star([1], 0)
    assert (feedback, refresh) == (None, 1)

    with as_user(ui.owner):
        favorites = listing.show_dashboards("favorites", 1)
    assert "Numbers report" in text_of(favorites)
    assert _star(ui, True) in find_ids(favorites)

    with as_user(ui.owner, triggered=(_star(ui, True), "n_clicks")):
        listing.toggle_star([1], 1)
    with as_user(ui.owner):
        assert "No favorites yet" in text_of(listing.show_dashboards("favorites", 2))


def test_someone_without_reports_is_pointed_to_the_report_builder(
    ui: UiWorld, as_user: Any, listing: ModuleType
) -> None:
    with as_user(ui.other):
        assert "No dashboards yet" in text_of(listing.show_dashboards("all", 0))


def test_a_dashboard_without_runs_says_how_to_fill_it(
    ui: UiWorld, as_user: Any, detail: ModuleType
) -> None:
    with as_user(ui.owner):
        tree = detail.layout(dashboard_id=ui.report.dashboard_id)

    assert "No completed runs yet" in text_of(tree)
    assert "dashboard-export-csv" not in find_ids(tree)


def test_a_dashboard_draws_every_widget_from_the_completed_runs(
    ui: UiWorld, as_user: Any, detail: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        execution = run_report(
            session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id
        )
    ui.run(execution.execution_id)

    with as_user(ui.owner):
        tree = detail.layout(dashboard_id=ui.report.dashboard_id)
    ids = find_ids(tree)

    widgets = [i["index"] for i in ids if isinstance(i, dict) and i["type"] == "dashboard-widget"]
    assert widgets == [0, 1, 2]
    assert "dashboard-graph-1" in ids
    for action in ("dashboard-export-csv", "dashboard-export-xlsx", "dashboard-star"):
        assert action in ids
    assert "Total" in text_of(tree)


def test_the_star_on_a_dashboard_toggles(ui: UiWorld, as_user: Any, detail: ModuleType) -> None:
    with as_user(ui.owner, triggered=("dashboard-star", "n_clicks")):
        starred = detail.toggle_star(1, ui.report.dashboard_id, False)
        again = detail.toggle_star(2, ui.report.dashboard_id, True)

    assert (starred["title"], starred["starred"], starred["feedback"]) == (
        "Remove from favorites",
        True,
        None,
    )
    assert "Favorite" in text_of(starred["label"])
    assert (again["title"], again["starred"]) == ("Add to favorites", False)


def test_someone_elses_dashboard_is_not_found(
    ui: UiWorld, as_user: Any, detail: ModuleType
) -> None:
    with as_user(ui.other):
        assert "Dashboard not found" in text_of(detail.layout(dashboard_id=ui.report.dashboard_id))
    with as_user(ui.other, triggered=("dashboard-star", "n_clicks")):
        refused = detail.toggle_star(1, ui.report.dashboard_id, False)
    assert "was not found" in text_of(refused["feedback"])

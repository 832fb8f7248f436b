"""The run page (/runs/<execution_id>): its layout and live callbacks, called as plain
functions inside a request of the real app."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import dash
import pytest
from dash import no_update

from db.session import session_scope
from services.executions import run_report
from tests.factories import UiWorld
from tests.trees import find_ids, text_of


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    return importlib.import_module("pages.run")


def _queue_run(ui: UiWorld) -> str:
    with session_scope(ui.session_factory) as session:
        return run_report(
            session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id
        ).execution_id


def _layout(as_user: Any, actor: Any, page: ModuleType, execution_id: str) -> Any:
    with as_user(actor):
        return page.layout(execution_id=execution_id)


def _find(component: Any, wanted: Any) -> Any:
    if isinstance(component, list | tuple):
        return next((f for c in component if (f := _find(c, wanted)) is not None), None)
    if not hasattr(component, "to_plotly_json"):
        return None
    if getattr(component, "id", None) == wanted:
        return component
    return _find(getattr(component, "children", None), wanted)


def _refresh(ui: UiWorld, as_user: Any, page: ModuleType, execution_id: str) -> Any:
    with as_user(ui.owner, triggered=("run-poll", "n_intervals")):
        return page.refresh_run(tick=1, refresh=0, execution_id=execution_id, completed=None)


def test_a_completed_run_shows_its_facts_parameters_and_result_with_downloads(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    execution_id = _queue_run(ui)
    ui.run(execution_id)

    tree = _layout(as_user, ui.owner, page, execution_id)
    ids = find_ids(tree)
    text = text_of(tree)

    assert execution_id in text
    assert "Completed" in text_of(_find(tree, "run-status"))
    assert _find(tree, "run-report-link").href == f"/reports/{ui.report.report_id}"
    assert "Numbers report" in text
    for fact in ("Data window", "Trigger", "Manual", "Attempt", "Started", "Duration", "Rows"):
        assert fact in text
    assert "100" in text_of(_find(tree, "run-parameters"))  # the snapshot: below = 100
    assert "report-download-csv" in ids and "report-download-xlsx" in ids
    assert _find(tree, "run-poll").disabled is True  # it has ended: no polling
    assert "d-none" in _find(tree, "run-actions").className


def test_someone_elses_run_is_not_found(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    execution_id = _queue_run(ui)

    for execution in (execution_id, "exe_nosuchrun"):
        tree = _layout(as_user, ui.other, page, execution)
        assert "Run not found" in text_of(tree)
        assert "run-cancel" not in find_ids(tree)


def test_the_page_sends_someone_not_signed_in_to_login_and_back(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    redirect = _layout(as_user, None, page, "exe_1")

    assert isinstance(redirect, dash.dcc.Location)
    assert redirect.href == "/login?next=/runs/exe_1"


def test_a_pending_run_polls_and_cancel_stops_it_and_the_poll(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    execution_id = _queue_run(ui)
    tree = _layout(as_user, ui.owner, page, execution_id)
    assert _find(tree, "run-poll").disabled is False
    assert "d-none" not in _find(tree, "run-actions").className
    assert "Pending" in text_of(_find(tree, "run-status"))

    with as_user(ui.owner, triggered=("run-cancel", "n_clicks")):
        feedback, refresh = page.cancel_run(1, execution_id, 0)
    after = _refresh(ui, as_user, page, execution_id)

    assert refresh == 1
    assert f"Run {execution_id} cancelled" in text_of(feedback)
    assert "Cancelled" in text_of(after["status"])
    assert "Cancelled by owner@example.com" in text_of(after["facts"])
    assert after["poll_off"] is True
    assert "d-none" in after["actions"]
    assert after["completed"] is no_update


def test_a_run_that_completes_while_open_shows_its_result(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    execution_id = _queue_run(ui)
    waiting = _refresh(ui, as_user, page, execution_id)
    ui.run(execution_id)
    done = _refresh(ui, as_user, page, execution_id)
    with as_user(ui.owner):
        result = page.show_result(done["completed"])

    assert waiting["poll_off"] is False and waiting["completed"] is no_update
    assert done["poll_off"] is True
    assert done["completed"] == execution_id
    assert "report-download-csv" in find_ids(result)


def test_a_viewer_cannot_cancel_by_calling_the_callback(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    execution_id = _queue_run(ui)

    with as_user(ui.viewer, triggered=("run-cancel", "n_clicks")):
        feedback, _ = page.cancel_run(1, execution_id, 0)

    assert "cancelled" not in text_of(feedback)
    assert "Pending" in text_of(_refresh(ui, as_user, page, execution_id)["status"])

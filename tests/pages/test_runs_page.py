"""The Runs page: filters, paging, live status and cancel."""

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
    return importlib.import_module("pages.runs")


def _queue(ui: UiWorld, count: int = 1) -> list[str]:
    with session_scope(ui.session_factory) as session:
        return [
            run_report(
                session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id
            ).execution_id
            for _ in range(count)
        ]


def _show(module: ModuleType, **filters: Any) -> tuple[Any, ...]:
    values = {
        "statuses": None,
        "trigger": None,
        "instance_id": None,
        "report_id": None,
        "start_date": None,
        "end_date": None,
        "page": 1,
        "signature": "any",
        "report_names": {},
    }
    values.update(filters)
    return module.show_runs(**values)


def _plan(module: ModuleType) -> dict[str, Any]:
    """The poll plan after a tick: what the page's interval does next."""
    _, plan = module.check_for_changes(1, 0, None)
    return dict(plan)


def test_the_page_needs_a_signed_in_user(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with as_user(None):
        assert isinstance(page.layout(), dash.dcc.Location)


def test_filters_offer_the_users_instances_and_reports(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.owner):
        tree = page.layout(report=ui.report.report_id)
    ids = find_ids(tree)

    for control in ("runs-status", "runs-trigger", "runs-instance", "runs-report", "runs-from"):
        assert control in ids


def test_runs_show_newest_first_and_poll_while_one_is_in_flight(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    first, second = _queue(ui, 2)
    ui.run(first)

    with as_user(ui.owner):
        body, pages, count = _show(page, report_names={ui.report.report_id: "Nums"})
        plan = _plan(page)
    text = text_of(body)

    assert text.index(second) < text.index(first)
    assert "Nums" in text
    assert count == "1–2 of 2 runs"
    assert (pages, plan["active"]) == (1, True)


def test_status_filter_and_polling_stops_when_nothing_is_in_flight(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    first, second = _queue(ui, 2)
    ui.run(first)

    with as_user(ui.owner):
        body, _, _ = _show(page, statuses=["completed"])
        in_flight = _plan(page)["active"]
    ui.run(second)
    with as_user(ui.owner):
        plan = _plan(page)

    assert first in text_of(body) and second not in text_of(body)
    assert in_flight is True
    assert (plan["active"], plan["wake_at"]) == (False, None)


def test_no_match_says_to_clear_filters(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    _queue(ui)
    with as_user(ui.owner):
        body, *_ = _show(page, statuses=["failed"])

    assert "No run matches these filters" in text_of(body)


def test_someone_without_runs_is_told_how_to_start_one(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    _queue(ui)
    with as_user(ui.other):
        body, *_ = _show(page)

    assert "No runs yet" in text_of(body)


def test_paging_and_dates(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    _queue(ui, 3)
    page.PAGE_SIZE, size = 2, page.PAGE_SIZE
    try:
        with as_user(ui.owner):
            _, pages, count = _show(page, page=2)
            future, *_ = _show(page, start_date="2999-01-01")
    finally:
        page.PAGE_SIZE = size

    assert (pages, count) == (2, "3–3 of 3 runs")
    assert "No run matches" in text_of(future)


def test_cancel_from_the_list(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    (execution_id,) = _queue(ui)
    with as_user(ui.owner, triggered=({"type": "runs-cancel", "index": execution_id}, "n_clicks")):
        before, _ = page.check_for_changes(1, 0, None)
        feedback, refresh = page.cancel_run([1], 0)
        after, plan = page.check_for_changes(2, refresh, before)
        body, _, _ = _show(page, signature=after)

    assert "cancelled" in text_of(feedback)
    assert refresh == 1
    assert after != before
    assert plan["active"] is False
    assert "Cancelled" in text_of(body)


def test_a_tick_with_nothing_changed_redraws_nothing(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    _queue(ui)
    with as_user(ui.owner):
        signature, _ = page.check_for_changes(1, 0, None)
        unchanged, plan = page.check_for_changes(2, 0, signature)

    assert unchanged is no_update
    assert plan["active"] is True


def test_someone_elses_run_cannot_be_cancelled(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    (execution_id,) = _queue(ui)
    with as_user(ui.other, triggered=({"type": "runs-cancel", "index": execution_id}, "n_clicks")):
        feedback, _ = page.cancel_run([1], 0)

    assert "was not found" in text_of(feedback)
    button = {"type": "runs-cancel", "index": execution_id}
    with as_user(ui.other, triggered=(button, "n_clicks"), value=None):
        assert page.cancel_run([None], 0) == (no_update, no_update)

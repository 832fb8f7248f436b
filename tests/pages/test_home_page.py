"""Home: favorites first, recent runs (live), failures needing attention, what runs next."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import dash
import pytest

from db.session import session_scope
from services.dashboards import favorite_dashboard
from services.executions import run_report
from services.reports import create_report
from services.schedules import create_schedule
from tests.pages.conftest import UiWorld, find_ids, text_of


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    return importlib.import_module("pages.home")


def test_home_needs_a_signed_in_user(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with as_user(None):
        redirect = page.layout()

    assert isinstance(redirect, dash.dcc.Location)
    assert redirect.href == "/login?next=/"


def test_a_new_user_is_told_what_to_do_next(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with as_user(ui.other):
        text = text_of(page.layout())
        runs, poll_disabled = page.show_recent_runs(None, {})

    assert "No favorites yet" in text
    assert "No failed runs" in text
    assert "Nothing scheduled" in text
    assert "Pick a template in the" in text_of(runs)
    assert poll_disabled is True


def test_favorites_come_first_newest_star_first(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        second = create_report(
            session=session,
            actor=ui.owner,
            template_id="numbers",
            instance_id="wh",
            name="Second report",
        )
        for report in (ui.report, second):
            favorite_dashboard(session=session, actor=ui.owner, dashboard_id=report.dashboard_id)
    with as_user(ui.owner):
        tree = page.layout()
    cards = [i["index"] for i in find_ids(tree) if isinstance(i, dict)]

    assert cards[:2] == [second.dashboard_id, ui.report.dashboard_id]


def test_recent_runs_poll_until_done_and_failures_need_attention(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        execution = run_report(
            session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id
        )
    with as_user(ui.owner):
        runs, poll_disabled = page.show_recent_runs(1, {ui.report.report_id: "Numbers report"})
    assert poll_disabled is False
    assert "Numbers report" in text_of(runs)

    ui.run(execution.execution_id)
    with as_user(ui.owner):
        runs, poll_disabled = page.show_recent_runs(2, {})
    assert poll_disabled is True
    assert "Completed" in text_of(runs)


def test_schedules_due_next_are_listed(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with session_scope(ui.session_factory) as session:
        create_schedule(
            session=session, actor=ui.owner, report_id=ui.report.report_id, schedule_type="daily"
        )
    with as_user(ui.owner):
        text = text_of(page.layout())

    assert "Numbers report" in text
    assert "Daily" in text

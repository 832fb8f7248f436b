"""Home: favorites first, recent runs (live), failures needing attention, what runs next."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import dash
import pytest
from sqlalchemy import update

from db.models import ReportExecution
from db.session import session_scope
from services.dashboards import favorite_dashboard
from services.executions import run_report
from services.reports import create_report
from services.schedules import create_schedule
from tests.factories import UiWorld
from tests.trees import find_ids, text_of


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    return importlib.import_module("pages.home")


def test_home_needs_a_signed_in_user(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with as_user(None):
        redirect = page.layout()

    assert isinstance(redirect, dash.dcc.Location)
    assert redirect.href == "/login?next=/"


def _tick(page: ModuleType, signature: str | None = None) -> tuple[Any, dict[str, Any], str]:
    """(new signature, poll plan, the live sections' text) after one tick of the poll."""
    changed, plan = page.check_for_changes(1, signature)
    return changed, plan, text_of(page.refresh_sections(changed))


def test_a_new_user_is_told_what_to_do_next(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with as_user(ui.other):
        text = text_of(page.layout())
        _, plan, sections = _tick(page)

    assert "No favorites yet" in text
    assert "No failed runs" in sections
    assert "Nothing scheduled" in sections
    assert "Pick a template in the" in sections
    assert (plan["active"], plan["wake_at"]) == (False, None)


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
        signature, plan, sections = _tick(page)
    assert plan["active"] is True
    assert "Numbers report" in sections

    ui.run(execution.execution_id)
    with as_user(ui.owner):
        _, plan, sections = _tick(page, signature)
    assert plan["active"] is False
    assert "Completed" in sections


def test_a_failure_needs_attention_until_a_later_run_of_its_window_completes(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        failing = run_report(
            session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id
        )
        session.execute(
            update(ReportExecution)
            .where(ReportExecution.execution_id == failing.execution_id)
            .values(status="failed", error_message="The warehouse was down.")
        )
    with as_user(ui.owner):
        signature, _, sections = _tick(page)
    assert "The warehouse was down." in sections

    with session_scope(ui.session_factory) as session:
        retry = run_report(
            session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id
        )
    ui.run(retry.execution_id)
    with as_user(ui.owner):
        _, _, sections = _tick(page, signature)
    assert "The warehouse was down." not in sections
    assert "No failed runs" in sections


def test_schedules_due_next_are_listed(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with session_scope(ui.session_factory) as session:
        create_schedule(
            session=session, actor=ui.owner, report_id=ui.report.report_id, schedule_type="daily"
        )
    with as_user(ui.owner):
        _, plan, text = _tick(page)

    assert "Numbers report" in text
    assert "Daily" in text
    assert plan["active"] is False and plan["wake_at"] > plan["checked_at"]

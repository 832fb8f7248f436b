"""A small world for page tests, and a way to call a page's callbacks as plain functions.

Callbacks run inside a Flask request of the real app (so `webcontext` finds the
database and the signed-in user) and a Dash callback context (so `ctx.triggered_id` and
`set_props` work), exactly what they have when the browser calls them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dash
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from flask import g
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from db.models import QueryTemplate
from db.session import session_scope
from services.instances import save_instance
from services.reports import ReportInfo, create_report
from services.results import ResultsStore
from services.run_events import after_run_end, record_run_end
from services.run_worker import perform_execution
from services.users import Actor, create_user
from settings import load_settings
from tests.services.conftest import SQL_NUMBERS, add_template, make_warehouse
from tests.workers.helpers import TEST_SECRET_KEY

#: Widgets of the test template: one of each kind the dashboard draws.
WIDGETS = [
    {"type": "kpi", "title": "Total", "config": {"column": "x", "aggregate": "sum"}},
    {"type": "line", "title": "X per window", "config": {"x": "window_start", "y": ["x"]}},
    {"type": "table", "title": "Rows", "config": {"columns": ["x", "label"]}},
]


@dataclass(frozen=True)
class UiWorld:
    app: dash.Dash
    session_factory: sessionmaker[Session]
    store: ResultsStore
    owner: Actor
    other: Actor
    viewer: Actor
    admin: Actor
    report: ReportInfo

    def run(self, execution_id: str) -> None:
        """Run a pending execution to its end in this process, as a worker would."""
        outcome = perform_execution(
            session_factory=self.session_factory,
            store=self.store,
            secret_key=TEST_SECRET_KEY,
            execution_id=execution_id,
            after_finish=record_run_end,
        )
        if outcome.execution_uuid is not None:
            after_run_end(
                session_factory=self.session_factory,
                redis=None,
                smtp_url=None,
                execution_uuid=outcome.execution_uuid,
            )


@pytest.fixture
def ui(session_factory: sessionmaker[Session], tmp_path: Path) -> UiWorld:
    """The app on a migrated database (SQLite and PostgreSQL) with a DuckDB instance, a
    template with widgets, four users and a report of the analyst `owner`."""
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    with session_scope(session_factory) as session:
        save_instance(
            session=session,
            secret_key=TEST_SECRET_KEY,
            instance_id="wh",
            name="Warehouse",
            engine="duckdb",
            connection_url=f"duckdb:///{warehouse}",
            data_lag_days=2,
        )
        session.commit()
        add_template(session, "numbers", SQL_NUMBERS)
        template = session.scalars(select(QueryTemplate)).one()
        template.report_config = {"widgets": WIDGETS}
        users = {
            key: create_user(
                session=session,
                email=f"{key}@example.com",
                role=role,
                name=key.capitalize(),
                instance_ids=ids,
            )
            for key, role, ids in [
                ("owner", "analyst", ["wh"]),
                ("other", "analyst", ["wh"]),
                ("viewer", "viewer", ["wh"]),
                ("admin", "admin", []),
            ]
        }
        session.commit()
        report = create_report(
            session=session,
            actor=users["owner"],
            template_id="numbers",
            instance_id="wh",
            name="Numbers report",
            parameters={"below": 100},
        )
    settings = load_settings(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "RESULTS_DIR": str(tmp_path / "results"),
            "SECRET_KEY": TEST_SECRET_KEY,
        }
    )
    app = create_app(settings, session_factory=session_factory)
    return UiWorld(
        app=app,
        session_factory=session_factory,
        store=ResultsStore(settings.results_dir),
        report=report,
        **users,
    )


def _prop_id(component_id: str | dict[str, Any], prop: str) -> str:
    if isinstance(component_id, dict):
        component_id = json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return f"{component_id}.{prop}"


@pytest.fixture
def as_user(
    ui: UiWorld,
) -> Callable[..., AbstractContextManager[AttributeDict]]:
    """`with as_user(actor, triggered=("report-run-now", "n_clicks")) as context:` runs
    what is inside as a callback request of `actor` (None: nobody signed in); the
    yielded context holds what `set_props` changed (`context.updated_props`). The
    triggering prop's new value is `value` (1: a first click; None: a redrawn button)."""

    @contextmanager
    def enter(
        actor: Actor | None,
        *,
        triggered: tuple[str | dict[str, Any], str] | None = None,
        value: Any = 1,
        referrer: str = "http://localhost/",
    ) -> Iterator[AttributeDict]:
        inputs = [{"prop_id": _prop_id(*triggered), "value": value}] if triggered else []
        context = AttributeDict(triggered_inputs=inputs, updated_props={})
        with ui.app.server.test_request_context(
            "/_dash-update-component", method="POST", headers={"Referer": referrer}
        ):
            g.actor = actor
            token = context_value.set(context)
            try:
                yield context
            finally:
                context_value.reset(token)

    return enter


def text_of(component: Any) -> str:
    """All the text in a component tree, for asserting on what a page says."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(child) for child in component)
    children = getattr(component, "children", None)
    return text_of(children)


def find_ids(component: Any) -> list[Any]:
    """Every component id in a tree."""
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, list | tuple):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "to_plotly_json"):
            return
        if getattr(node, "id", None) is not None:
            found.append(node.id)
        walk(getattr(node, "children", None))

    walk(component)
    return found

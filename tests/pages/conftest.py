"""The page tests' world (tests/factories.build_ui_world), and a way to call a page's
callbacks as plain functions.

Callbacks run inside a Flask request of the real app (so `webcontext` finds the
database and the signed-in user) and a Dash callback context (so `ctx.triggered_id` and
`set_props` work), exactly what they have when the browser calls them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import g
from sqlalchemy.orm import Session, sessionmaker

from services.users import Actor
from tests.dash_callbacks import CallbackContext, ComponentId, callback_context
from tests.factories import UiWorld, build_ui_world


@pytest.fixture
def ui(session_factory: sessionmaker[Session], tmp_path: Path) -> UiWorld:
    """The app on a migrated database (SQLite and PostgreSQL) with a DuckDB instance, a
    template with widgets, four users and a report of the analyst `owner`."""
    return build_ui_world(session_factory, tmp_path)


@pytest.fixture
def as_user(
    ui: UiWorld,
) -> Callable[..., AbstractContextManager[CallbackContext]]:
    """`with as_user(actor, triggered=("report-run-now", "n_clicks")) as context:` runs
    what is inside as a callback request of `actor` (None: nobody signed in); the
    yielded context holds what `set_props` changed (`context.updated_props`). The
    triggering prop's new value is `value` (1: a first click; None: a redrawn button)."""

    @contextmanager
    def enter(
        actor: Actor | None,
        *,
        triggered: tuple[ComponentId, str] | None = None,
        value: Any = 1,
        referrer: str = "http://localhost/",
    ) -> Iterator[CallbackContext]:
        with ui.app.server.test_request_context(
            "/_dash-update-component", method="POST", headers={"Referer": referrer}
        ):
            g.actor = actor
            with callback_context([(*triggered, value)] if triggered else []) as context:
                yield context

    return enter

"""The Reports tab's callbacks: rows page by page, filters, the live poll, and a click in
the grid through one function per action (star, run now, pause/resume, edit and
backfill on the report's page, delete)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dash import Input, Output, State, clientside_callback, ctx, no_update
from dash.exceptions import PreventUpdate

from components.callbacks import CallbackSet
from components.feedback import create_error_feedback, create_feedback, error_message
from components.ids import page_id
from components.progress import IDLE_PLAN, poll_plan, register_poll_plan
from components.reports_grid import (
    PAUSE,
    RESUME,
    STARRED,
    delete_text,
    filter_model,
    query_of,
    rows_page,
)
from components.reports_table import GRID_ID
from services.activity import activity
from services.dashboards import favorite_dashboard, unfavorite_dashboard
from services.errors import DomainError
from services.executions import run_report
from services.reports import delete_report, list_reports
from services.schedules import update_schedule
from services.users import Actor
from webcontext import callback_actor, db_session, redis_client

#: Registered by pages/report_builder.py for every app (see components.callbacks).
callbacks = CallbackSet()


@callbacks.callback(
    Output(page_id("reports-signature"), "data"),
    Output(page_id("reports-poll-plan"), "data"),
    Output(page_id("reports-changed"), "data"),
    Input(page_id("reports-poll"), "n_intervals"),
    Input(page_id("tabs"), "active_tab"),
    Input(page_id("reports-refresh"), "data"),
    State(page_id("reports-signature"), "data"),
    State(page_id("reports-changed"), "data"),
)
def check_for_changes(
    n_intervals: int | None,
    tab: str | None,
    refresh: int | None,
    signature: str | None,
    changes: int | None,
) -> tuple[Any, Any, Any]:
    """Each tick's one request: when a report, run or schedule changed, the grid asks for
    its rows again (on the page it shows); it polls only while this tab is shown."""
    actor = callback_actor()
    if actor is None:
        return no_update, IDLE_PLAN, no_update
    with db_session() as session:
        seen = activity(session=session, actor=actor)
    plan = poll_plan(active=seen.in_flight, wake_at=seen.wake_at) if tab == "reports" else IDLE_PLAN
    if seen.signature == signature:
        return no_update, plan, no_update
    # The first answer is what the grid loaded; after this tab's own actions it reloads anyway.
    reload = signature is not None and ctx.triggered_id != page_id("reports-refresh")
    return seen.signature, plan, (changes or 0) + 1 if reload else no_update


# Reload the cached rows where the grid stands (a new filter model would go back to page 1).
_RELOAD_ROWS = f"""
function(changes) {{
    try {{
        dash_ag_grid.getApi("{GRID_ID}").refreshInfiniteCache();
    }} catch (notReady) {{}}  // not drawn yet: it loads fresh rows when it is
}}
"""


def _register_client_side() -> None:
    register_poll_plan(page_id("reports-poll"), page_id("reports-poll-plan"))
    clientside_callback(
        _RELOAD_ROWS, Input(page_id("reports-changed"), "data"), prevent_initial_call=True
    )


callbacks.also(_register_client_side)


@callbacks.callback(
    Output(GRID_ID, "filterModel"),
    Input(page_id("reports-search"), "value"),
    Input(page_id("reports-state"), "value"),
    Input(page_id("reports-frequency"), "value"),
    Input(page_id("reports-refresh"), "data"),
    prevent_initial_call=True,
)
def apply_report_filters(
    search: str | None, state: str | None, frequency: str | None, refresh: int | None
) -> dict[str, Any]:
    return filter_model(search, state, frequency, refresh)


@callbacks.callback(
    output={
        "response": Output(GRID_ID, "getRowsResponse"),
        "count": Output(page_id("reports-count"), "children"),
        "empty_class": Output(page_id("reports-empty-wrap"), "className"),
        "grid_class": Output(page_id("reports-grid-wrap"), "className"),
        "facts": Output(page_id("reports-rows"), "data"),
    },
    inputs={
        "request": Input(GRID_ID, "getRowsRequest"),
        "known": State(page_id("reports-rows"), "data"),
    },
)
def load_report_rows(request: dict[str, Any] | None, known: dict[str, Any] | None) -> Any:
    """One page of reports for the grid, the count above it, and the empty state."""
    if not request:
        raise PreventUpdate
    actor = callback_actor()
    if actor is None:
        return dict.fromkeys(("response", "count", "empty_class", "grid_class", "facts"), no_update)
    query = query_of(request)
    try:
        with db_session() as session:
            page = list_reports(session=session, actor=actor, **query)
    except DomainError as error:
        return {
            "response": {"rowData": [], "rowCount": 0},
            "count": error_message(error),
            "empty_class": "d-none",
            "grid_class": "",
            "facts": no_update,
        }
    return rows_page(page.items, page.total, query, actor, known or {})


@callbacks.callback(
    Output(page_id("tabs"), "active_tab", allow_duplicate=True),
    Input(page_id("reports-to-templates"), "n_clicks"),
    prevent_initial_call=True,
)
def go_to_templates(clicks: int | None) -> str:
    if not clicks:
        raise PreventUpdate
    return "templates"


# --- a click in the grid ----------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A clicked cell: its report, its column (the action), what it shows, the row's facts."""

    report_id: str
    column: str
    value: Any
    facts: Mapping[str, Any]


#: One action: the clicked cell and the refresh counter → the outputs it changes.
CellAction = Callable[[Actor, Cell, int], dict[str, Any]]

CELL_OUTPUTS = ("href", "feedback", "refresh", "delete_open", "delete_text", "pending_delete")


@callbacks.callback(
    output={
        "href": Output(page_id("reports-location"), "href"),
        "feedback": Output(page_id("reports-feedback"), "children"),
        "refresh": Output(page_id("reports-refresh"), "data"),
        "delete_open": Output(page_id("delete-modal"), "is_open"),
        "delete_text": Output(page_id("delete-text"), "children"),
        "pending_delete": Output(page_id("reports-pending-delete"), "data"),
    },
    inputs={
        "cell": Input(GRID_ID, "cellClicked"),
        "rows": State(page_id("reports-rows"), "data"),
        "refresh": State(page_id("reports-refresh"), "data"),
    },
    prevent_initial_call=True,
)
def act_on_cell(
    cell: dict[str, Any] | None, rows: dict[str, Any] | None, refresh: int | None
) -> dict[str, Any]:
    """A click in the grid: the name opens the report, the action cells act."""
    if not cell or not cell.get("rowId"):
        raise PreventUpdate
    unchanged = dict.fromkeys(CELL_OUTPUTS, no_update)
    actor = callback_actor()
    if actor is None:
        return unchanged
    report_id = str(cell["rowId"])
    clicked = Cell(
        report_id=report_id,
        column=str(cell.get("colId") or ""),
        value=cell.get("value"),
        facts=(rows or {}).get(report_id) or {},
    )
    action = CELL_ACTIONS.get(clicked.column)
    if action is None:
        raise PreventUpdate
    try:
        return {**unchanged, **action(actor, clicked, refresh or 0)}
    except DomainError as error:
        return {
            **unchanged,
            "feedback": create_error_feedback(error),
            "refresh": (refresh or 0) + 1,
        }


def open_report(actor: Actor, cell: Cell, refresh: int) -> dict[str, Any]:
    return {"href": f"/reports/{cell.report_id}"}


def open_dialog(actor: Actor, cell: Cell, refresh: int) -> dict[str, Any]:
    """Edit and backfill open those dialogs on the report's page."""
    if not cell.value:
        raise PreventUpdate
    return {"href": f"/reports/{cell.report_id}?open={cell.column}"}


def toggle_star(actor: Actor, cell: Cell, refresh: int) -> dict[str, Any]:
    dashboard_id = cell.facts.get("dashboard_id")
    if not dashboard_id:
        raise PreventUpdate
    change = unfavorite_dashboard if cell.value == STARRED else favorite_dashboard
    with db_session() as session:
        change(session=session, actor=actor, dashboard_id=dashboard_id)
    return {"refresh": refresh + 1}


def run_now(actor: Actor, cell: Cell, refresh: int) -> dict[str, Any]:
    if not cell.value:
        raise PreventUpdate
    with db_session() as session:
        execution = run_report(
            session=session, redis=redis_client(), actor=actor, report_id=cell.report_id
        )
    name = cell.facts.get("name", cell.report_id)
    return {
        "feedback": create_feedback(
            f"Run {execution.execution_id} of “{name}” started; "
            "it is queued and its status updates here and on the report page."
        ),
        "refresh": refresh + 1,
    }


def pause_or_resume(actor: Actor, cell: Cell, refresh: int) -> dict[str, Any]:
    schedule_id = cell.facts.get("schedule_id")
    if cell.value not in {PAUSE, RESUME} or not schedule_id:
        raise PreventUpdate
    with db_session() as session:
        update_schedule(
            session=session,
            actor=actor,
            schedule_id=schedule_id,
            changes={"is_paused": cell.value == PAUSE},
        )
    verb = "paused" if cell.value == PAUSE else "resumed"
    return {
        "feedback": create_feedback(f"The schedule of “{cell.facts.get('name')}” is {verb}."),
        "refresh": refresh + 1,
    }


def ask_to_delete(actor: Actor, cell: Cell, refresh: int) -> dict[str, Any]:
    if not cell.value:
        raise PreventUpdate
    return {
        "delete_open": True,
        "delete_text": delete_text(str(cell.facts.get("name") or cell.report_id)),
        "pending_delete": cell.report_id,
    }


#: What a click on each column does.
CELL_ACTIONS: dict[str, CellAction] = {
    "name": open_report,
    "favorite": toggle_star,
    "run": run_now,
    "pause": pause_or_resume,
    "edit": open_dialog,
    "backfill": open_dialog,
    "delete": ask_to_delete,
}


@callbacks.callback(
    Output(page_id("delete-modal"), "is_open", allow_duplicate=True),
    Output(page_id("reports-feedback"), "children", allow_duplicate=True),
    Output(page_id("reports-refresh"), "data", allow_duplicate=True),
    Input(page_id("delete-confirm"), "n_clicks"),
    Input(page_id("delete-cancel"), "n_clicks"),
    State(page_id("reports-pending-delete"), "data"),
    State(page_id("reports-rows"), "data"),
    State(page_id("reports-refresh"), "data"),
    prevent_initial_call=True,
)
def confirm_delete(
    confirmed: int | None,
    cancelled: int | None,
    report_id: str | None,
    rows: dict[str, Any] | None,
    refresh: int | None,
) -> Any:
    if ctx.triggered_id != page_id("delete-confirm"):
        return False, no_update, no_update
    if not confirmed or not report_id:
        raise PreventUpdate
    actor = callback_actor()
    if actor is None:
        return no_update, no_update, no_update
    facts = (rows or {}).get(report_id) or {}
    try:
        with db_session() as session:
            delete_report(session=session, actor=actor, report_id=report_id)
    except DomainError as error:
        return False, create_error_feedback(error), (refresh or 0) + 1
    name = facts.get("name") or report_id
    return False, create_feedback(f"Deleted “{name}”."), (refresh or 0) + 1

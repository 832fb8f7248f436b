"""DashboardsTable, the Reports tab: every report the user may see in a dash-ag-grid that
pages, sorts and filters on the server (`services.reports.list_reports`), with inline
actions: star, run now, pause/resume, edit and backfill (on the report's page), delete.

The grid uses AG Grid's infinite row model: it asks for one page of rows at a time
(`getRowsRequest`) and the callback answers with that page and the total. Filters outside
the grid are handed to it as its filter model, so a new filter starts again at page 1; a
hidden `refresh` column's filter is bumped after an action, to reload what is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from components.feedback import create_error_feedback, create_feedback, error_message
from components.format import MISSING, format_relative, plan_badge, plural
from components.ids import page_id
from components.navbar import create_icon
from components.page import create_empty_state
from components.progress import IDLE_PLAN, create_poll_interval, poll_plan, register_poll_plan
from components.status import STATUS_COLORS, status_label
from components.template_grid import ANY
from services.activity import activity
from services.dashboards import favorite_dashboard, unfavorite_dashboard
from services.errors import DomainError
from services.executions import run_report
from services.reports import (
    STATES,
    ReportInfo,
    can_edit,
    delete_report,
    list_reports,
)
from services.schedules import update_schedule
from services.users import Actor
from webcontext import callback_actor, db_session, redis_client

#: Rows on one page of the grid (and rows asked of the service at once).
PAGE_SIZE = 20
#: Grid columns the service can sort by (the rest do not sort).
SORT_COLUMNS = ("name", "last_run_at", "next_run_at", "execution_count")
#: What an action cell says; the column id names the action.
ACTION_LABELS = {
    "run": "Run now",
    "edit": "Edit name, parameters, e-mails and schedule",
    "backfill": "Start a backfill",
    "delete": "Delete",
}
PAUSE, RESUME = "Pause the schedule", "Resume the schedule"
STARRED, UNSTARRED = "★", "☆"
#: Frequencies the filter offers (services.reports.list_reports checks them).
FREQUENCY_CHOICES = ("once", "daily", "weekly", "monthly", "quarterly")
GRID_ID = page_id("reports-grid")


def _status_rules() -> dict[str, str]:
    # One CSS class per Bootstrap colour; which status gets which colour is STATUS_COLORS'.
    return {
        f"rb-status rb-status-{color}": f"params.data && params.data.last_status == '{status}'"
        for status, color in STATUS_COLORS.items()
    }


def _action_column(
    field: str, icon_rules: dict[str, str], *, danger: bool = False
) -> dict[str, Any]:
    """A narrow column of one action: an icon, its name in the tooltip and for readers."""
    return {
        "field": field,
        "headerName": "",
        "width": 46,
        "tooltipField": field,
        "cellClass": "rb-action rb-action-danger" if danger else "rb-action",
        "cellClassRules": {**icon_rules, "rb-action-none": "!params.value"},
    }


def column_defs() -> list[dict[str, Any]]:
    filterable = {"filter": "agTextColumnFilter"}
    return [
        {
            "field": "favorite",
            "headerName": "",
            "width": 44,
            "cellClass": "rb-star",
            "tooltipField": "favorite_hint",
        },
        {
            "field": "name",
            "headerName": "Report",
            "minWidth": 160,
            "flex": 3,
            "sortable": True,
            "cellClass": "rb-link",
            "tooltipField": "name",
            **filterable,
        },
        {
            "field": "template_name",
            "headerName": "Template",
            "minWidth": 130,
            "flex": 2,
            "tooltipField": "template_hint",
        },
        {
            "field": "state",
            "headerName": "State",
            "width": 90,
            "cellClassRules": {
                "rb-state-paused": "params.value == 'Paused'",
                "rb-state-inactive": "params.value == 'Inactive'",
            },
            **filterable,
        },
        # Shows how the report runs (components.format.plan_badge); filters on frequency.
        {"field": "frequency", "headerName": "Plan", "width": 132, **filterable},
        {
            "field": "last_status_label",
            "headerName": "Latest run",
            "width": 115,
            "cellClassRules": _status_rules(),
        },
        {
            "field": "last_run_at",
            "headerName": "Last run",
            "width": 100,
            "sortable": True,
            "tooltipField": "last_run_exact",
        },
        {
            "field": "next_run_at",
            "headerName": "Next run",
            "width": 100,
            "sortable": True,
            "tooltipField": "next_run_exact",
        },
        {
            "field": "execution_count",
            "headerName": "Runs",
            "width": 68,
            "sortable": True,
            "type": "rightAligned",
        },
        _action_column("run", {"bi-play-fill": "!!params.value"}),
        _action_column(
            "pause",
            {
                "bi-pause-fill": f"params.value == '{PAUSE}'",
                "bi-play-circle": f"params.value == '{RESUME}'",
            },
        ),
        _action_column("edit", {"bi-pencil": "!!params.value"}),
        _action_column("backfill", {"bi-calendar-range": "!!params.value"}),
        _action_column("delete", {"bi-trash": "!!params.value"}, danger=True),
        {"field": "refresh", "hide": True, "filter": "agNumberColumnFilter"},
    ]


def format_moment(moment: datetime | None, timezone: str) -> str:
    """A time in the report's own zone: "2025-02-10 06:00 CET"."""
    if moment is None:
        return MISSING
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        local = aware.astimezone(ZoneInfo(timezone))
    except (KeyError, ValueError):
        local = aware.astimezone(UTC)
    return f"{local:%Y-%m-%d %H:%M} {local:%Z}"


def report_row(report: ReportInfo, *, can_change: bool) -> dict[str, Any]:
    """One grid row; action cells are empty where the action does not apply."""
    pause = ""
    if can_change and report.schedule_id:
        pause = RESUME if report.state == "paused" else PAUSE
    next_run, next_exact = MISSING, "No schedule"
    if report.schedule_id:
        next_run = format_relative(report.next_run_at)
        next_exact = format_moment(report.next_run_at, report.timezone)
        if report.state == "paused":
            next_run, next_exact = "Paused", "The schedule is paused"
    return {
        "report_id": report.report_id,
        "favorite": STARRED if report.is_favorite else UNSTARRED,
        "favorite_hint": "Unstar the dashboard" if report.is_favorite else "Star the dashboard",
        "name": report.name,
        "template_name": report.template_name,
        "template_hint": f"{report.template_name} on {report.instance_name}",
        "state": report.state.capitalize(),
        "frequency": plan_badge(report),
        "last_status": report.last_status or "",
        "last_status_label": status_label(report.last_status)
        if report.last_status
        else "Never run",
        "last_run_at": format_relative(report.last_run_at),
        "last_run_exact": format_moment(report.last_run_at, report.timezone),
        "next_run_at": next_run,
        "next_run_exact": next_exact,
        "execution_count": report.execution_count,
        "run": ACTION_LABELS["run"] if can_change and report.is_active else "",
        "pause": pause,
        "edit": ACTION_LABELS["edit"] if can_change else "",
        "backfill": ACTION_LABELS["backfill"] if can_change and report.is_active else "",
        "delete": ACTION_LABELS["delete"] if can_change else "",
    }


def row_facts(report: ReportInfo) -> dict[str, Any]:
    """What actions need to know of a row beyond its id (kept in a store, not in the grid)."""
    return {
        "name": report.name,
        "dashboard_id": report.dashboard_id,
        "schedule_id": report.schedule_id,
        "favorite": report.is_favorite,
    }


def filter_model(
    search: str | None, state: str | None, frequency: str | None, refresh: int | None = None
) -> dict[str, Any]:
    """The grid's filter model for the filters above it (see the module docstring)."""
    model: dict[str, Any] = {}
    state, frequency = (None if v == ANY else v for v in (state, frequency))
    if search and search.strip():
        model["name"] = {"filterType": "text", "type": "contains", "filter": search.strip()}
    if state:
        model["state"] = {"filterType": "text", "type": "equals", "filter": state}
    if frequency:
        model["frequency"] = {"filterType": "text", "type": "equals", "filter": frequency}
    if refresh:
        model["refresh"] = {"filterType": "number", "type": "notEqual", "filter": refresh}
    return model


def query_of(request: Mapping[str, Any]) -> dict[str, Any]:
    """list_reports arguments for one getRowsRequest of the grid."""
    start = max(0, int(request.get("startRow") or 0))
    end = int(request.get("endRow") or start + PAGE_SIZE)
    limit = max(1, end - start)
    sort, descending = "updated_at", True
    for item in request.get("sortModel") or []:
        if item.get("colId") in SORT_COLUMNS and item.get("sort") in {"asc", "desc"}:
            sort, descending = item["colId"], item["sort"] == "desc"
            break
    filters = request.get("filterModel") or {}

    def text(column: str) -> str | None:
        value = (filters.get(column) or {}).get("filter")
        return str(value).strip() or None if value is not None else None

    return {
        "search": text("name"),
        "state": text("state"),
        "frequency": text("frequency"),
        "sort": sort,
        "descending": descending,
        "page": start // limit + 1,
        "limit": limit,
    }


def is_filtered(query: Mapping[str, Any]) -> bool:
    return any(query.get(key) for key in ("search", "state", "frequency"))


# --- layout ------------------------------------------------------------------------------


def create_reports_tab() -> html.Div:
    return html.Div(
        [
            dcc.Location(id=page_id("reports-location"), refresh="callback-nav"),
            dcc.Store(id=page_id("reports-refresh"), data=0),
            dcc.Store(id=page_id("reports-rows"), data={}),
            dcc.Store(id=page_id("reports-pending-delete")),
            # The live tab: see check_for_changes.
            dcc.Store(id=page_id("reports-poll-plan")),
            dcc.Store(id=page_id("reports-signature")),
            dcc.Store(id=page_id("reports-changed"), data=0),
            create_poll_interval(page_id("reports-poll"), active=False),
            create_report_filters(),
            html.Div(id=page_id("reports-feedback")),
            html.P(id=page_id("reports-count"), className="small text-body-secondary mb-2"),
            html.Div(
                create_empty_state(
                    [
                        "No reports yet. Open the ",
                        html.Button(
                            "Templates",
                            id=page_id("reports-to-templates"),
                            className="btn btn-link p-0 align-baseline",
                        ),
                        " tab, pick a template and press “Use template”: your report appears here.",
                    ],
                    icon="ui-checks",
                    id=page_id("reports-empty"),
                ),
                id=page_id("reports-empty-wrap"),
                className="d-none",
            ),
            html.Div(
                dag.AgGrid(
                    id=GRID_ID,
                    rowModelType="infinite",
                    columnDefs=column_defs(),
                    defaultColDef={
                        "sortable": False,
                        "resizable": True,
                        "suppressHeaderMenuButton": True,
                        "suppressHeaderFilterButton": True,
                        "suppressMovable": True,
                    },
                    getRowId="params.data.report_id",
                    dashGridOptions={
                        "pagination": True,
                        "paginationPageSize": PAGE_SIZE,
                        "paginationPageSizeSelector": False,
                        "cacheBlockSize": PAGE_SIZE,
                        "maxBlocksInCache": 5,
                        "rowBuffer": 0,
                        "domLayout": "autoHeight",
                        "tooltipShowDelay": 400,
                        "suppressCellFocus": False,
                    },
                    className="rb-grid",
                    style={"width": "100%"},
                ),
                id=page_id("reports-grid-wrap"),
            ),
            create_delete_modal(),
        ]
    )


def create_report_filters() -> dbc.Row:
    def select(thing: str, label: str, any_label: str, values: tuple[str, ...]) -> dbc.Col:
        return dbc.Col(
            [
                dbc.Label(label, html_for=page_id(thing), class_name="small mb-1"),
                dbc.Select(
                    id=page_id(thing),
                    options=[{"label": any_label, "value": ANY}]
                    + [{"label": v.capitalize(), "value": v} for v in values],
                    value=ANY,
                ),
            ],
            xs=6,
            md=3,
            lg=2,
        )

    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(
                        "Search", html_for=page_id("reports-search"), class_name="small mb-1"
                    ),
                    dbc.Input(
                        id=page_id("reports-search"),
                        type="search",
                        placeholder="Report or template name…",
                        debounce=300,
                        autocomplete="off",
                    ),
                ],
                xs=12,
                md=6,
                lg=4,
            ),
            select("reports-state", "State", "Any state", STATES),
            select("reports-frequency", "Frequency", "Any frequency", FREQUENCY_CHOICES),
        ],
        class_name="g-2 mb-3 align-items-end",
    )


def create_delete_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Delete the report?")),
            dbc.ModalBody(html.P(id=page_id("delete-text"), className="mb-0")),
            dbc.ModalFooter(
                [
                    dbc.Button("Keep it", id=page_id("delete-cancel"), color="link"),
                    dbc.Button(
                        [create_icon("trash", class_name="me-1"), "Delete"],
                        id=page_id("delete-confirm"),
                        color="danger",
                    ),
                ]
            ),
        ],
        id=page_id("delete-modal"),
        is_open=False,
    )


def delete_text(name: str) -> str:
    return (
        f"“{name}” will be deleted with its runs, results, schedule, backfills and dashboard. "
        "This cannot be undone."
    )


# --- callbacks -----------------------------------------------------------------------------


def apply_report_filters(
    search: str | None, state: str | None, frequency: str | None, refresh: int | None
) -> dict[str, Any]:
    return filter_model(search, state, frequency, refresh)


def load_report_rows(request: dict[str, Any] | None, known: dict[str, Any] | None) -> Any:
    """One page of reports for the grid, the count above it, and the empty state."""
    if not request:
        raise PreventUpdate
    actor = callback_actor()
    if actor is None:
        return (no_update,) * 5
    query = query_of(request)
    try:
        with db_session() as session:
            page = list_reports(session=session, actor=actor, **query)
    except DomainError as error:
        return {"rowData": [], "rowCount": 0}, error_message(error), "d-none", "", no_update
    return rows_response(page.items, page.total, query, actor, known or {})


def rows_response(
    reports: list[ReportInfo],
    total: int,
    query: Mapping[str, Any],
    actor: Actor,
    known: Mapping[str, Any],
) -> tuple[Any, ...]:
    rows = [report_row(r, can_change=can_edit(actor, r)) for r in reports]
    facts = {**known, **{r.report_id: row_facts(r) for r in reports}}
    empty = total == 0 and not is_filtered(query)
    if total:
        count = f"{plural(total, 'report')}."
    elif empty:
        count = ""
    else:
        count = "No report matches these filters; clear them to see every report."
    return (
        {"rowData": rows, "rowCount": total},
        count,
        "" if empty else "d-none",
        "d-none" if empty else "",
        facts,
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


def go_to_templates(clicks: int | None) -> str:
    if not clicks:
        raise PreventUpdate
    return "templates"


def act_on_cell(
    cell: dict[str, Any] | None, rows: dict[str, Any] | None, refresh: int | None
) -> Any:
    """A click in the grid: the name opens the report, the action cells act."""
    if not cell or not cell.get("rowId"):
        raise PreventUpdate
    actor = callback_actor()
    if actor is None:
        return (no_update,) * 6
    return cell_action(actor, cell, rows or {}, refresh or 0)


def cell_action(
    actor: Actor, cell: Mapping[str, Any], rows: Mapping[str, Any], refresh: int
) -> tuple[Any, ...]:
    """What a click on `cell` does, as the six outputs of act_on_cell: edit and backfill
    open those dialogs on the report's page."""
    report_id, column, value = str(cell["rowId"]), cell.get("colId"), cell.get("value")
    out: list[Any] = [no_update] * 6
    facts = rows.get(report_id) or {}
    if column == "name":
        out[0] = f"/reports/{report_id}"
        return tuple(out)
    try:
        with db_session() as session:
            if column == "favorite" and facts.get("dashboard_id"):
                change = unfavorite_dashboard if value == STARRED else favorite_dashboard
                change(session=session, actor=actor, dashboard_id=facts["dashboard_id"])
                out[2] = refresh + 1
            elif column == "run" and value:
                execution = run_report(
                    session=session, redis=redis_client(), actor=actor, report_id=report_id
                )
                out[1] = create_feedback(
                    f"Run {execution.execution_id} of “{facts.get('name', report_id)}” started; "
                    "it is queued and its status updates here and on the report page."
                )
                out[2] = refresh + 1
            elif column == "pause" and value in {PAUSE, RESUME} and facts.get("schedule_id"):
                update_schedule(
                    session=session,
                    actor=actor,
                    schedule_id=facts["schedule_id"],
                    changes={"is_paused": value == PAUSE},
                )
                verb = "paused" if value == PAUSE else "resumed"
                out[1] = create_feedback(f"The schedule of “{facts.get('name')}” is {verb}.")
                out[2] = refresh + 1
            elif column in {"edit", "backfill"} and value:
                out[0] = f"/reports/{report_id}?open={column}"
            elif column == "delete" and value:
                out[3:6] = [True, delete_text(str(facts.get("name") or report_id)), report_id]
            else:
                raise PreventUpdate
    except DomainError as error:
        out[1] = create_error_feedback(error)
        out[2] = refresh + 1
    return tuple(out)


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
    return delete_and_say(actor, report_id, (rows or {}).get(report_id) or {}, refresh or 0)


def delete_and_say(
    actor: Actor, report_id: str, facts: Mapping[str, Any], refresh: int
) -> tuple[Any, ...]:
    try:
        with db_session() as session:
            delete_report(session=session, actor=actor, report_id=report_id)
    except DomainError as error:
        return False, create_error_feedback(error), refresh + 1
    name = facts.get("name") or report_id
    return False, create_feedback(f"Deleted “{name}”."), refresh + 1


def register_callbacks() -> None:
    """Declare these callbacks on the app being built; the page calls this once per app.

    Dash hands callbacks declared at import time to the first app only, while it runs
    page modules anew for every app: declared from the page, each app gets them.
    """
    callback(
        Output(page_id("reports-signature"), "data"),
        Output(page_id("reports-poll-plan"), "data"),
        Output(page_id("reports-changed"), "data"),
        Input(page_id("reports-poll"), "n_intervals"),
        Input(page_id("tabs"), "active_tab"),
        Input(page_id("reports-refresh"), "data"),
        State(page_id("reports-signature"), "data"),
        State(page_id("reports-changed"), "data"),
    )(check_for_changes)
    register_poll_plan(page_id("reports-poll"), page_id("reports-poll-plan"))
    clientside_callback(
        _RELOAD_ROWS, Input(page_id("reports-changed"), "data"), prevent_initial_call=True
    )
    callback(
        Output(GRID_ID, "filterModel"),
        Input(page_id("reports-search"), "value"),
        Input(page_id("reports-state"), "value"),
        Input(page_id("reports-frequency"), "value"),
        Input(page_id("reports-refresh"), "data"),
        prevent_initial_call=True,
    )(apply_report_filters)
    callback(
        Output(GRID_ID, "getRowsResponse"),
        Output(page_id("reports-count"), "children"),
        Output(page_id("reports-empty-wrap"), "className"),
        Output(page_id("reports-grid-wrap"), "className"),
        Output(page_id("reports-rows"), "data"),
        Input(GRID_ID, "getRowsRequest"),
        State(page_id("reports-rows"), "data"),
    )(load_report_rows)
    callback(
        Output(page_id("tabs"), "active_tab", allow_duplicate=True),
        Input(page_id("reports-to-templates"), "n_clicks"),
        prevent_initial_call=True,
    )(go_to_templates)
    callback(
        Output(page_id("reports-location"), "href"),
        Output(page_id("reports-feedback"), "children"),
        Output(page_id("reports-refresh"), "data"),
        Output(page_id("delete-modal"), "is_open"),
        Output(page_id("delete-text"), "children"),
        Output(page_id("reports-pending-delete"), "data"),
        Input(GRID_ID, "cellClicked"),
        State(page_id("reports-rows"), "data"),
        State(page_id("reports-refresh"), "data"),
        prevent_initial_call=True,
    )(act_on_cell)
    callback(
        Output(page_id("delete-modal"), "is_open", allow_duplicate=True),
        Output(page_id("reports-feedback"), "children", allow_duplicate=True),
        Output(page_id("reports-refresh"), "data", allow_duplicate=True),
        Input(page_id("delete-confirm"), "n_clicks"),
        Input(page_id("delete-cancel"), "n_clicks"),
        State(page_id("reports-pending-delete"), "data"),
        State(page_id("reports-rows"), "data"),
        State(page_id("reports-refresh"), "data"),
        prevent_initial_call=True,
    )(confirm_delete)

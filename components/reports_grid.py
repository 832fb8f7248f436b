"""The reports grid as plain data: its columns, one row per report, the filter model the
filters above it make, and the list_reports query one page of rows asks for.

The grid uses AG Grid's infinite row model: it asks for one page of rows at a time
(`getRowsRequest`) and a callback answers with that page and the total. Filters outside
the grid are handed to it as its filter model, so a new filter starts again at page 1; a
hidden `refresh` column's filter is bumped after an action, to reload what is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from components.filters import chosen
from components.format import MISSING, format_relative, plan_badge, plural
from components.status import STATUS_COLORS, status_label
from services.reports import ReportInfo, can_edit
from services.users import Actor

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
#: The grid's options: server-side pages of PAGE_SIZE rows, its height following its rows.
GRID_OPTIONS = {
    "pagination": True,
    "paginationPageSize": PAGE_SIZE,
    "paginationPageSizeSelector": False,
    "cacheBlockSize": PAGE_SIZE,
    "maxBlocksInCache": 5,
    "rowBuffer": 0,
    "domLayout": "autoHeight",
    "tooltipShowDelay": 400,
    "suppressCellFocus": False,
}
#: Every column: no sort unless said, no menus, no reordering.
DEFAULT_COLUMN = {
    "sortable": False,
    "resizable": True,
    "suppressHeaderMenuButton": True,
    "suppressHeaderFilterButton": True,
    "suppressMovable": True,
}


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
    state, frequency = chosen(state), chosen(frequency)
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


def rows_page(
    reports: list[ReportInfo],
    total: int,
    query: Mapping[str, Any],
    actor: Actor,
    known: Mapping[str, Any],
) -> dict[str, Any]:
    """One page of rows for the grid, the count above it, whether the empty state or the
    grid shows, and the facts of every row seen so far."""
    rows = [report_row(r, can_change=can_edit(actor, r)) for r in reports]
    empty = total == 0 and not is_filtered(query)
    if total:
        count = f"{plural(total, 'report')}."
    elif empty:
        count = ""
    else:
        count = "No report matches these filters; clear them to see every report."
    return {
        "response": {"rowData": rows, "rowCount": total},
        "count": count,
        "empty_class": "" if empty else "d-none",
        "grid_class": "d-none" if empty else "",
        "facts": {**known, **{r.report_id: row_facts(r) for r in reports}},
    }


def delete_text(name: str) -> str:
    return (
        f"“{name}” will be deleted with its runs, results, schedule, backfills and dashboard. "
        "This cannot be undone."
    )

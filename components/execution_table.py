"""The table of runs shown on the Home, Report and Runs pages."""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components.format import (
    format_count,
    format_datetime,
    format_duration,
    format_relative,
    format_window,
)
from components.navbar import create_icon
from components.status import create_status_badge, is_in_flight
from services.executions import ExecutionInfo

#: Characters of an error message shown in a cell; the whole message is in its tooltip.
ERROR_PREVIEW_CHARS = 140
#: Words for how a run was started.
TRIGGER_LABELS = {
    "manual": "Manual",
    "schedule": "Schedule",
    "backfill": "Backfill",
    "api": "API",
}


def report_href(report_id: str) -> str:
    return f"/reports/{report_id}"


def run_href(execution_id: str) -> str:
    """The run's own page (pages/run.py)."""
    return f"/runs/{execution_id}"


def create_execution_table(
    executions: Sequence[ExecutionInfo],
    *,
    id: str,
    cancel_type: str | None = None,
    show_report: bool = True,
    report_names: dict[str, str] | None = None,
) -> html.Div:
    """Runs newest first: status, trigger, window, start, duration, rows and error text.

    `cancel_type`, when given, adds a Cancel button to runs still in flight, with the
    pattern-matching id {"type": cancel_type, "index": execution_id}.
    """
    headers = ["Status", "Run"]
    if show_report:
        headers.append("Report")
    headers += ["Trigger", "Data window", "Started", "Duration", "Rows", "Details"]
    if cancel_type:
        headers.append(html.Span("Actions", className="visually-hidden"))
    names = report_names or {}
    rows = [
        _row(e, cancel_type=cancel_type, show_report=show_report, names=names) for e in executions
    ]
    return html.Div(
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(h, scope="col", className="text-end" if h == "Rows" else None)
                            for h in headers
                        ]
                    )
                ),
                html.Tbody(rows),
            ],
            hover=True,
            size="sm",
            class_name="execution-table align-middle mb-0",
        ),
        id=id,
        className="table-responsive",
    )


def _row(
    execution: ExecutionInfo,
    *,
    cancel_type: str | None,
    show_report: bool,
    names: dict[str, str],
) -> html.Tr:
    cells: list[Component] = [
        html.Td(create_status_badge(execution.status)),
        html.Td(
            dcc.Link(
                html.Code(execution.execution_id, className="small"),
                href=run_href(execution.execution_id),
                title=f"Open run {execution.execution_id}",
            )
        ),
    ]
    if show_report:
        cells.append(
            html.Td(
                dcc.Link(
                    names.get(execution.report_id, execution.report_id),
                    href=report_href(execution.report_id),
                    title=execution.report_id,
                    className="text-nowrap",
                )
                if execution.report_id
                else html.Span(f"{execution.template_id} (ad hoc)", className="text-body-secondary")
            )
        )
    started = execution.started_at or execution.created_at
    cells += [
        html.Td(TRIGGER_LABELS.get(execution.triggered_by, execution.triggered_by)),
        html.Td(
            format_window(execution.time_window_start, execution.time_window_end),
            className="text-nowrap",
        ),
        html.Td(format_relative(started), title=format_datetime(started), className="text-nowrap"),
        html.Td(format_duration(execution.duration_seconds), className="text-nowrap"),
        html.Td(format_count(execution.row_count), className="text-end"),
        html.Td(_details(execution), className="execution-details"),
    ]
    if cancel_type:
        cells.append(
            html.Td(
                dbc.Button(
                    [create_icon("x-circle", class_name="me-1"), "Cancel"],
                    id={"type": cancel_type, "index": execution.execution_id},
                    color="outline-danger",
                    size="sm",
                    title=f"Cancel run {execution.execution_id}",
                )
                if is_in_flight(execution.status)
                else None,
                className="text-end",
            )
        )
    return html.Tr(cells, **{"data-status": execution.status})


def _details(execution: ExecutionInfo) -> Component | str:
    if execution.error_message:
        message = execution.error_message
        short = (
            message if len(message) <= ERROR_PREVIEW_CHARS else message[:ERROR_PREVIEW_CHARS] + "…"
        )
        color = "text-danger" if execution.status == "failed" else "text-body-secondary"
        return html.Span(short, title=message, className=f"small {color}")
    if execution.status == "pending":
        return html.Span("Waiting for a worker", className="small text-body-secondary")
    if execution.attempt > 1:
        return html.Span(f"Attempt {execution.attempt}", className="small text-body-secondary")
    return ""

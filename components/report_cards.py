"""The cards of a report's page: parameters, schedule, backfills and the result preview."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components.data_table import create_data_table
from components.execution_table import run_href
from components.feedback import create_error_feedback
from components.format import format_count, format_datetime, format_relative, format_window, plural
from components.navbar import create_icon
from components.page import create_empty_state
from components.progress import create_backfill_progress, create_segment_grid, create_status_legend
from components.status import create_status_badge, status_color, status_label
from services.backfills import BackfillInfo
from services.errors import DomainError
from services.executions import ExecutionInfo, get_execution
from services.run_results import ResultPreview, preview_result
from services.schedules import PreviewRun, ScheduleInfo
from services.users import Actor
from webcontext import db_session, results_store

#: Rows of the latest result shown on the page; the downloads have them all.
PREVIEW_ROWS = 50
#: Where a run's result is downloaded (a Flask route in downloads.py).
DOWNLOAD_PATH = "/download/executions"
#: Older backfills listed under the latest one.
OLDER_BACKFILLS_SHOWN = 5
#: Failed or cancelled segments listed with their own Retry; "Retry failed and cancelled"
#: reaches the rest.
RETRYABLE_SHOWN = 10


def create_card(
    title: str, body: Any, *, icon: str, id: str, actions: Any = None, full_height: bool = True
) -> dbc.Card:
    """A section card with an icon title and optional buttons on the right of its header;
    `full_height` stretches it to its row (cards side by side end level)."""
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.H2(
                        [create_icon(icon, class_name="me-2 text-body-secondary"), title],
                        className="h6 mb-0",
                    ),
                    html.Div(actions, className="d-flex gap-2 flex-wrap") if actions else None,
                ],
                class_name="d-flex justify-content-between align-items-center gap-2 "
                "flex-wrap bg-body",
            ),
            dbc.CardBody(body, id=f"{id}-body"),
        ],
        id=id,
        class_name="section-card shadow-sm" + (" h-100" if full_height else ""),
    )


# --- parameters ------------------------------------------------------------------------


def create_parameter_list(
    parameters: dict[str, Any], definitions: Sequence[dict[str, Any]]
) -> Component:
    """Each saved parameter under its form label; options shown by their labels."""
    by_name = {str(d.get("name")): d for d in definitions}
    names = [str(d.get("name")) for d in definitions]
    names += [name for name in parameters if name not in by_name]
    if not names:
        return html.P("This report takes no parameters.", className="text-body-secondary mb-0")
    items: list[Component] = []
    for name in names:
        definition = by_name.get(name, {})
        items.append(html.Dt(definition.get("label") or name.replace("_", " ").capitalize()))
        if name in parameters:
            items.append(html.Dd(_parameter_text(parameters[name], definition)))
        else:  # not saved: each run uses the template's default
            items.append(
                html.Dd(
                    [
                        _parameter_text(definition.get("default"), definition),
                        html.Span(" (default)", className="small text-body-secondary"),
                    ]
                )
            )
    return html.Dl(items, className="parameter-list mb-0")


def _parameter_text(value: Any, definition: dict[str, Any]) -> str:
    labels = {
        str(o.get("value")): str(o.get("label") or o.get("value"))
        for o in definition.get("options") or []
        if isinstance(o, dict)
    }
    if value is None or value == "":
        return "Not set"
    if isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value) if value else "All"
    if isinstance(value, dict):
        if "preset" in value:
            return str(value["preset"]).replace("_", " ").capitalize()
        if {"start", "end"} <= set(value):
            return f"{value['start']} – {value['end']}"
        return json.dumps(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return labels.get(str(value), str(value))


# --- schedule ---------------------------------------------------------------------------


def create_schedule_summary(schedule: ScheduleInfo | None, next_runs: Sequence[PreviewRun]) -> Any:
    if schedule is None:
        return create_empty_state(
            "Not scheduled: it runs only when you click Run now. Add a schedule to have "
            "it run by itself.",
            icon="calendar-x",
            id="report-schedule-empty",
        )
    state = (
        dbc.Badge("Paused", color="warning", class_name="ms-2")
        if schedule.is_paused
        else dbc.Badge("Active", color="success", class_name="ms-2")
    )
    facts = [
        html.Div(
            [
                html.Span(
                    schedule.description or schedule.schedule_type.capitalize(),
                    className="fw-semibold",
                    id="report-schedule-words",
                ),
                state,
            ]
        ),
        html.Div(
            [html.Code(schedule.cron_expression), " in ", schedule.timezone],
            className="small text-body-secondary mb-2",
        ),
        html.Div(
            [
                "Last run: ",
                format_relative(schedule.last_run_at),
                " ",
                create_status_badge(schedule.last_run_status) if schedule.last_run_status else None,
            ],
            className="small mb-1",
            title=format_datetime(schedule.last_run_at),
        ),
        html.Div(
            f"{plural(schedule.run_count, 'run')}, {plural(schedule.failure_count, 'failure')}",
            className="small text-body-secondary mb-3",
        ),
    ]
    if schedule.is_paused:
        upcoming: Component = html.P(
            "Paused: no run starts until you resume it. Resuming does not catch up on missed runs.",
            className="small text-body-secondary mb-0",
        )
    else:
        upcoming = html.Div(
            [
                html.H3("Next runs", className="h6 small text-uppercase text-body-secondary"),
                html.Ol(
                    [
                        html.Li(html.Span(format_local_run(run.local), title=f"{run.utc} UTC"))
                        for run in next_runs
                    ],
                    className="small ps-3 mb-0",
                    id="report-next-runs",
                ),
            ]
        )
    return html.Div([*facts, upcoming])


def format_local_run(iso: str) -> str:
    """A run time in its zone, e.g. Mon, Nov 30, 2026 · 06:00 (UTC+01:00)."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    offset = moment.strftime("%z")
    zone = f"UTC{offset[:3]}:{offset[3:]}" if offset not in ("", "+0000") else "UTC"
    return f"{moment.strftime('%a, %b %-d, %Y · %H:%M')} ({zone})"


# --- backfills --------------------------------------------------------------------------


def create_backfill_section(backfills: Sequence[BackfillInfo], *, can_change: bool) -> Any:
    """The latest backfill: range, status, progress, one cell per segment (each a link to
    its run), retries (all at once or one by one); the earlier ones in brief."""
    if not backfills:
        hint = (
            " Click “Start a backfill” above to choose the range and the segment size."
            if can_change
            else ""
        )
        return html.Div(
            [
                dcc.Store(id="report-backfill-collection", data=None),
                create_empty_state(
                    "No backfill yet. A backfill runs the report over past weeks or months, "
                    "one segment at a time." + hint,
                    icon="calendar-range",
                    id="report-backfill-empty",
                ),
            ]
        )
    latest, older = backfills[0], backfills[1:]
    in_flight = latest.status in {"pending", "running"}
    retryable = latest.retryable
    buttons: list[Component] = []
    if can_change and retryable:
        buttons.append(
            dbc.Button(
                [create_icon("arrow-clockwise", class_name="me-1"), "Retry failed and cancelled"],
                id={"type": "report-backfill-retry", "index": latest.collection_id},
                color="outline-primary",
                size="sm",
            )
        )
    if can_change and in_flight:
        buttons.append(
            dbc.Button(
                [create_icon("stop-circle", class_name="me-1"), "Cancel backfill"],
                id={"type": "report-backfill-cancel", "index": latest.collection_id},
                color="outline-danger",
                size="sm",
            )
        )
    last_day_after = latest.end_date + timedelta(days=1)
    children: list[Any] = [
        dcc.Store(id="report-backfill-collection", data=latest.collection_id),
        html.Div(
            [
                html.Div(
                    [
                        html.Span(
                            format_window(latest.start_date, last_day_after),
                            className="fw-semibold me-2",
                        ),
                        create_status_badge(latest.status, id="report-backfill-status"),
                    ]
                ),
                html.Div(
                    f"{(latest.segment_type or 'custom').capitalize()} segments · "
                    f"started {format_relative(latest.created_at)}",
                    className="small text-body-secondary",
                ),
            ],
            className="mb-2",
        ),
        create_backfill_progress(latest, id="report-backfill-progress"),
        create_segment_grid(
            latest.segments, id="report-backfill-segments", partial=latest.partial_segments
        ),
        create_status_legend(partial=bool(latest.partial_segments)),
    ]
    if retryable:
        children.append(create_retry_list(retryable, can_change=can_change))
    if buttons:
        children.append(html.Div(buttons, className="d-flex gap-2 flex-wrap mt-3"))
    if older:
        children.append(
            html.Details(
                [
                    html.Summary(
                        f"Earlier backfills ({len(older)})", className="small text-body-secondary"
                    ),
                    html.Ul(
                        [
                            html.Li(
                                [
                                    format_window(b.start_date, b.end_date + timedelta(days=1)),
                                    " ",
                                    create_status_badge(b.status),
                                    f" {b.summary}",
                                ],
                                className="small mb-1",
                            )
                            for b in older[:OLDER_BACKFILLS_SHOWN]
                        ],
                        className="list-unstyled mt-2 mb-0",
                    ),
                ],
                className="mt-3",
            )
        )
    return html.Div(children)


def create_retry_list(segments: Sequence[ExecutionInfo], *, can_change: bool) -> html.Div:
    """The failed and cancelled segments, each linked to its run, with a Retry button."""
    shown = segments[:RETRYABLE_SHOWN]
    more = len(segments) - len(shown)
    return html.Div(
        [
            html.H3(
                "Failed or cancelled segments",
                className="h6 small text-uppercase text-body-secondary mt-3 mb-1",
            ),
            html.Ul(
                [_retry_item(segment, can_change=can_change) for segment in shown],
                className="list-unstyled small mb-0",
                id="report-backfill-retryable",
            ),
            html.P(
                f"and {plural(more, 'more segment')}: “Retry failed and cancelled” runs them all.",
                className="small text-body-secondary mt-1 mb-0",
            )
            if more
            else None,
        ]
    )


def _retry_item(segment: ExecutionInfo, *, can_change: bool) -> html.Li:
    """One line per segment: its window (a link to the run) and Retry; under it, its
    status and why it ended."""
    data: dict[str, Any] = {"data-execution": segment.execution_id}
    why = f" · {segment.error_message}" if segment.error_message else ""
    return html.Li(
        [
            html.Div(
                [
                    dcc.Link(
                        format_window(segment.time_window_start, segment.time_window_end),
                        href=run_href(segment.execution_id),
                        title=f"Open run {segment.execution_id}",
                        className="text-nowrap",
                    ),
                    dbc.Button(
                        [create_icon("arrow-clockwise", class_name="me-1"), "Retry"],
                        id={"type": "report-backfill-retry-one", "index": segment.execution_id},
                        color="link",
                        size="sm",
                        class_name="ms-auto p-0 text-nowrap",
                        title=f"Run this segment again (run {segment.execution_id})",
                    )
                    if can_change
                    else None,
                ],
                className="d-flex align-items-center gap-2",
            ),
            html.Div(
                [
                    html.Span(
                        status_label(segment.status),
                        className=f"text-{status_color(segment.status)}-emphasis",
                    ),
                    why,
                ],
                className="text-body-secondary text-truncate",
                title=segment.error_message,
            ),
        ],
        className="py-1 border-bottom",
        **data,
    )


# --- result preview ---------------------------------------------------------------------


def download_href(execution_id: str, fmt: str) -> str:
    return f"{DOWNLOAD_PATH}/{execution_id}.{fmt}"


def create_download_buttons(execution_id: str) -> html.Div:
    return html.Div(
        [
            dbc.Button(
                [create_icon("filetype-csv", class_name="me-1"), "CSV"],
                href=download_href(execution_id, "csv"),
                external_link=True,
                color="outline-secondary",
                size="sm",
                id="report-download-csv",
            ),
            dbc.Button(
                [create_icon("file-earmark-spreadsheet", class_name="me-1"), "XLSX"],
                href=download_href(execution_id, "xlsx"),
                external_link=True,
                color="outline-secondary",
                size="sm",
                id="report-download-xlsx",
            ),
        ],
        className="d-flex gap-2",
    )


def create_result_preview(execution: ExecutionInfo | None, preview: ResultPreview | None) -> Any:
    if execution is None or preview is None:
        return create_empty_state(
            "No result yet. Click Run now; the first rows of the latest completed run "
            "show here, with CSV and Excel downloads.",
            icon="table",
            id="report-preview-empty",
        )
    shown = len(preview.rows)
    caption = html.Div(
        [
            html.Span(
                [
                    "Run ",
                    html.Code(execution.execution_id),
                    f" · {format_window(execution.time_window_start, execution.time_window_end)}"
                    f" · finished {format_relative(execution.completed_at)} · ",
                    f"showing {format_count(shown)} of {plural(preview.total_rows, 'row')}",
                ],
                className="small text-body-secondary",
            ),
            create_download_buttons(execution.execution_id),
        ],
        className="d-flex justify-content-between align-items-center flex-wrap gap-2 mb-2",
    )
    return html.Div(
        [caption, create_data_table(preview.columns, preview.rows, id="report-preview")]
    )


def load_result_preview(actor: Actor, execution_id: str) -> Any:
    """The first rows of a completed run with its downloads (or why they cannot show)."""
    try:
        with db_session() as session:
            execution = get_execution(session=session, actor=actor, execution_id=execution_id)
            preview = preview_result(
                session=session,
                actor=actor,
                store=results_store(),
                execution_id=execution_id,
                limit=PREVIEW_ROWS,
            )
    except DomainError as error:
        return create_error_feedback(error)
    return create_result_preview(execution, preview)

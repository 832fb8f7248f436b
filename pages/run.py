"""One run: status, report, window, trigger, attempt, times, parameters, error, result; live
while it is pending or running, with a Cancel button."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component

from components.actions import action_callback, cancel_one_run
from components.execution_table import TRIGGER_LABELS, report_href
from components.feedback import create_error_feedback
from components.format import (
    MISSING,
    format_count,
    format_datetime,
    format_duration,
    format_relative,
    format_window,
)
from components.navbar import create_icon
from components.page import create_empty_state
from components.progress import create_poll_interval
from components.report_cards import (
    PREVIEW_ROWS,
    create_card,
    create_parameter_list,
    create_result_preview,
    load_result_preview,
)
from components.status import create_status_badge, is_in_flight
from services.errors import DomainError, NotFound
from services.executions import ExecutionInfo, get_execution
from services.reports import get_report
from services.run_results import ResultPreview, preview_result
from services.templates import get_template
from webcontext import (
    callback_actor,
    current_actor,
    db_session,
    results_store,
    sign_in_redirect,
)

dash.register_page(
    __name__,
    path_template="/runs/<execution_id>",
    title="Run · Report Builder",
    description="One run: its status, window, parameters, error and result.",
)

#: Why a run that did not complete has no result.
NO_RESULT = {
    "pending": "The result shows here once a worker has run it.",
    "running": "The result shows here when the run completes.",
    "failed": "This run failed, so it has no result.",
    "cancelled": "This run was cancelled, so it has no result.",
}


def layout(execution_id: str | None = None, **_query: str) -> Component:
    actor = current_actor()
    if actor is None:
        return sign_in_redirect(f"/runs/{execution_id}")
    try:
        with db_session() as session:
            execution = get_execution(session=session, actor=actor, execution_id=str(execution_id))
            report_name = (
                get_report(session=session, actor=actor, report_id=execution.report_id).name
                if execution.report_id
                else None
            )
            definitions = get_template(
                session=session, template_id=execution.template_id
            ).parameter_definitions
            preview = None
            if execution.status == "completed":
                try:
                    preview = preview_result(
                        session=session,
                        actor=actor,
                        store=results_store(),
                        execution_id=execution.execution_id,
                        limit=PREVIEW_ROWS,
                    )
                except DomainError:  # an unreadable result: the page still shows the run
                    preview = None
    except NotFound:
        return create_empty_state(
            [
                html.Strong("Run not found. ", className="d-block mb-2"),
                "It may have been deleted, or you may not have access to it. ",
                dbc.Button(
                    "See all runs", href="/runs", color="primary", size="sm", class_name="ms-1"
                ),
            ],
            icon="question-circle",
            id="run-not-found",
        )
    return create_run_layout(
        execution,
        report_name=report_name,
        definitions=definitions,
        preview=preview,
        can_cancel=actor.can_run,
    )


def create_run_layout(
    execution: ExecutionInfo,
    *,
    report_name: str | None,
    definitions: list[dict[str, Any]],
    preview: ResultPreview | None,
    can_cancel: bool,
) -> html.Div:
    active = execution.is_active
    return html.Div(
        [
            dcc.Store(id="run-id", data=execution.execution_id),
            dcc.Store(id="run-refresh", data=0),
            dcc.Store(id="run-completed", data=execution.execution_id if preview else None),
            create_poll_interval("run-poll", active=active),
            create_run_header(execution, report_name=report_name, can_cancel=can_cancel),
            html.Div(id="run-feedback"),
            dbc.Row(
                [
                    dbc.Col(
                        create_card(
                            "Details",
                            create_run_facts(execution),
                            icon="info-circle",
                            id="run-details",
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        create_card(
                            "Parameters",
                            create_parameter_list(execution.parameters, definitions),
                            icon="sliders",
                            id="run-parameters",
                        ),
                        lg=5,
                    ),
                ],
                class_name="g-3 mb-3",
            ),
            create_card(
                "Result",
                create_run_result(execution, preview),
                icon="table",
                id="run-result",
                full_height=False,
            ),
        ]
    )


def create_run_header(
    execution: ExecutionInfo, *, report_name: str | None, can_cancel: bool
) -> html.Div:
    if execution.report_id:
        about: list[Any] = [
            "Report ",
            dcc.Link(
                report_name or execution.report_id,
                href=report_href(execution.report_id),
                id="run-report-link",
            ),
            f" · template {execution.template_id} on {execution.instance_id}",
        ]
        runs_href = f"/runs?report={execution.report_id}"
    else:
        about = [f"Ad hoc run of template {execution.template_id} on {execution.instance_id}"]
        runs_href = "/runs"
    return html.Div(
        [
            html.Div(
                [
                    html.H1(
                        ["Run ", html.Code(execution.execution_id, className="fs-5")],
                        className="h3 mb-1",
                        id="run-title",
                    ),
                    html.P(about, className="text-body-secondary mb-2"),
                    html.Div(
                        [
                            html.Span(create_status_badge(execution.status), id="run-status"),
                            dcc.Link("All runs of this report", href=runs_href, className="small")
                            if execution.report_id
                            else dcc.Link("All runs", href=runs_href, className="small"),
                        ],
                        className="d-flex align-items-center gap-3",
                    ),
                ],
                className="flex-grow-1",
            ),
            html.Div(
                dbc.Button(
                    [create_icon("x-circle", class_name="me-1"), "Cancel run"],
                    id="run-cancel",
                    color="outline-danger",
                )
                if can_cancel
                else None,
                id="run-actions",
                className=_actions_class(execution.is_active),
            ),
        ],
        className="d-flex flex-column flex-md-row gap-3 mb-3",
    )


def _actions_class(active: bool) -> str:
    return "flex-shrink-0" if active else "flex-shrink-0 d-none"


def create_run_facts(execution: ExecutionInfo) -> html.Div:
    """What the run covered and when it ran; its error, when it has one."""
    duration = format_duration(execution.duration_seconds)
    if execution.status == "running":
        duration += " so far"
    facts: list[tuple[str, Any] | None] = [
        ("Data window", format_window(execution.time_window_start, execution.time_window_end)),
        ("Trigger", TRIGGER_LABELS.get(execution.triggered_by, execution.triggered_by)),
        ("Attempt", str(execution.attempt)),
        ("Scheduled for", format_datetime(execution.scheduled_for))
        if execution.scheduled_for
        else None,
        ("Queued", _moment(execution.created_at)),
        ("Started", _moment(execution.started_at)),
        ("Finished", _moment(execution.completed_at)),
        ("Duration", duration),
        ("Rows", format_count(execution.row_count)),
    ]
    items: list[Component] = []
    for fact in facts:
        if fact is None:
            continue
        label, value = fact
        items += [html.Dt(label, className="col-sm-4"), html.Dd(value, className="col-sm-8")]
    error = None
    if execution.error_message:
        error = dbc.Alert(
            execution.error_message,
            color="danger" if execution.status == "failed" else "secondary",
            class_name="mb-0 mt-2 small run-error",
            id="run-error",
        )
    return html.Div([html.Dl(items, className="row mb-0 run-facts"), error])


def _moment(moment: Any) -> Any:
    if moment is None:
        return MISSING
    return html.Span(
        [format_datetime(moment), html.Span(f" · {format_relative(moment)}", className="small")],
        title=format_datetime(moment),
    )


def create_run_result(execution: ExecutionInfo, preview: ResultPreview | None) -> Any:
    if execution.status == "completed" and preview is not None:
        return create_result_preview(execution, preview)
    return create_empty_state(
        NO_RESULT.get(execution.status, "This run has no result."),
        icon="table",
        id="run-no-result",
    )


# --- live while pending or running ---------------------------------------------------------


@callback(
    output={
        "status": Output("run-status", "children"),
        "facts": Output("run-details-body", "children"),
        "actions": Output("run-actions", "className"),
        "poll_off": Output("run-poll", "disabled"),
        "completed": Output("run-completed", "data"),
    },
    inputs={"tick": Input("run-poll", "n_intervals"), "refresh": Input("run-refresh", "data")},
    state={"execution_id": State("run-id", "data"), "completed": State("run-completed", "data")},
    prevent_initial_call=True,
)
def refresh_run(
    tick: int | None, refresh: int | None, execution_id: str, completed: str | None
) -> dict[str, Any]:
    """The run as it is now; the poll stops once it has ended."""
    unchanged = dict.fromkeys(("status", "facts", "actions", "poll_off", "completed"), no_update)
    actor = callback_actor()
    if actor is None:
        return unchanged
    try:
        with db_session() as session:
            execution = get_execution(session=session, actor=actor, execution_id=execution_id)
    except DomainError as error:
        return {**unchanged, "facts": create_error_feedback(error), "poll_off": True}
    ended_with_result = execution.status == "completed" and completed != execution.execution_id
    return {
        "status": create_status_badge(execution.status),
        "facts": create_run_facts(execution),
        "actions": _actions_class(is_in_flight(execution.status)),
        "poll_off": not is_in_flight(execution.status),
        "completed": execution.execution_id if ended_with_result else no_update,
    }


@callback(
    Output("run-result-body", "children"),
    Input("run-completed", "data"),
    prevent_initial_call=True,
)
def show_result(execution_id: str | None) -> Any:
    """The first rows of the result and its downloads, once the run has completed."""
    actor = callback_actor()
    if actor is None or not execution_id:
        return no_update
    return load_result_preview(actor, execution_id)


# A queued run leaves the queue, a running one stops within a second.
cancel_run = action_callback(
    callback,
    cancel_one_run,
    button="run-cancel",
    target="run-id",
    feedback="run-feedback",
    refresh="run-refresh",
    duplicate=False,
)

"""Runs: every execution the user may see, filtered, newest first, with live status."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.development.base_component import Component

from components.actions import action_callback, cancel_one_run
from components.execution_table import TRIGGER_LABELS, create_execution_table
from components.feedback import create_error_feedback
from components.format import plural
from components.page import create_empty_state, create_page_header
from components.progress import IDLE_PLAN, create_poll_interval, poll_plan, register_poll_plan
from components.status import STATUS_COLORS, status_label
from services.activity import activity
from services.errors import DomainError
from services.executions import list_executions
from services.instances import list_instances
from services.paging import MAX_LIMIT
from services.reports import list_reports
from webcontext import callback_actor, current_actor, db_session, sign_in_redirect

dash.register_page(__name__, path="/runs", name="Runs", title="Runs · Report Builder", order=3)

#: Runs per page of the table.
PAGE_SIZE = 25
#: The filter controls; changing one goes back to the first page.
FILTER_IDS = frozenset(
    {"runs-status", "runs-trigger", "runs-instance", "runs-report", "runs-from", "runs-to"}
)


def layout(**query: str) -> Component:
    actor = current_actor()
    if actor is None:
        return sign_in_redirect("/runs")
    with db_session() as session:
        instances = list_instances(session=session, actor=actor)
        reports = list_reports(session=session, actor=actor, limit=MAX_LIMIT).items
    report_id = query.get("report") or None
    names = {r.report_id: r.name for r in reports}
    return html.Div(
        [
            dcc.Store(id="runs-report-names", data=names),
            dcc.Store(id="runs-refresh", data=0),
            dcc.Store(id="runs-poll-plan"),
            dcc.Store(id="runs-signature"),
            create_poll_interval("runs-poll", active=False),
            create_page_header(
                "Runs",
                "Every run you may see — manual, scheduled, backfill and API — newest first.",
            ),
            create_filters(
                instances=[(i.instance_id, i.name) for i in instances],
                reports=sorted(names.items(), key=lambda item: item[1].lower()),
                report_id=report_id,
            ),
            html.Div(id="runs-feedback"),
            dbc.Card(
                dbc.CardBody(html.Div(id="runs-table-section"), class_name="p-0 p-sm-3"),
                class_name="shadow-sm",
            ),
            html.Div(
                [
                    html.Span(id="runs-count", className="small text-body-secondary"),
                    dbc.Pagination(
                        id="runs-page",
                        max_value=1,
                        active_page=1,
                        fully_expanded=False,
                        previous_next=True,
                        size="sm",
                        class_name="mb-0",
                    ),
                ],
                className="d-flex justify-content-between align-items-center flex-wrap gap-2 mt-3",
            ),
        ]
    )


def create_filters(
    *,
    instances: list[tuple[str, str]],
    reports: list[tuple[str, str]],
    report_id: str | None = None,
) -> dbc.Card:
    def field(label: str, control: Component, control_id: str, **width: int) -> dbc.Col:
        return dbc.Col(
            [dbc.Label(label, html_for=control_id, class_name="small mb-1"), control], **width
        )

    return dbc.Card(
        dbc.CardBody(
            dbc.Row(
                [
                    field(
                        "Status",
                        dcc.Dropdown(
                            id="runs-status",
                            options=[{"label": status_label(s), "value": s} for s in STATUS_COLORS],
                            multi=True,
                            placeholder="Any status",
                        ),
                        "runs-status",
                        xs=12,
                        md=6,
                        lg=2,
                    ),
                    field(
                        "Report",
                        dcc.Dropdown(
                            id="runs-report",
                            options=[{"label": name, "value": key} for key, name in reports],
                            value=report_id,
                            placeholder="Any report",
                        ),
                        "runs-report",
                        xs=12,
                        md=6,
                        lg=2,
                    ),
                    field(
                        "Started by",
                        dcc.Dropdown(
                            id="runs-trigger",
                            options=[{"label": v, "value": k} for k, v in TRIGGER_LABELS.items()],
                            placeholder="Anything",
                        ),
                        "runs-trigger",
                        xs=12,
                        md=4,
                        lg=2,
                    ),
                    field(
                        "Instance",
                        dcc.Dropdown(
                            id="runs-instance",
                            options=[{"label": name, "value": key} for key, name in instances],
                            placeholder="Any instance",
                        ),
                        "runs-instance",
                        xs=12,
                        md=4,
                        lg=2,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(
                                "Requested between", class_name="small mb-1", html_for="runs-from"
                            ),
                            dbc.InputGroup(
                                [
                                    dbc.Input(id="runs-from", type="date"),
                                    dbc.InputGroupText("to"),
                                    dbc.Input(id="runs-to", type="date"),
                                ],
                            ),
                            dbc.Label(
                                "To (included)", html_for="runs-to", class_name="visually-hidden"
                            ),
                        ],
                        xs=12,
                        md=4,
                        lg=4,
                    ),
                ],
                class_name="g-3",
            )
        ),
        id="runs-filters",
        class_name="shadow-sm mb-3",
    )


@callback(
    Output("runs-table-section", "children"),
    Output("runs-page", "max_value"),
    Output("runs-count", "children"),
    Input("runs-status", "value"),
    Input("runs-trigger", "value"),
    Input("runs-instance", "value"),
    Input("runs-report", "value"),
    Input("runs-from", "value"),
    Input("runs-to", "value"),
    Input("runs-page", "active_page"),
    Input("runs-signature", "data"),
    State("runs-report-names", "data"),
    prevent_initial_call=True,  # drawn once check_for_changes has the first signature
)
def show_runs(
    statuses: list[str] | None,
    trigger: str | None,
    instance_id: str | None,
    report_id: str | None,
    start_date: str | None,
    end_date: str | None,
    page: int | None,
    signature: str | None,
    report_names: dict[str, str] | None,
) -> tuple[Any, ...]:
    """One page of runs under the filters, drawn again whenever a run changes."""
    actor = callback_actor()
    if actor is None:
        return no_update, no_update, no_update
    if isinstance(ctx.triggered_id, str) and ctx.triggered_id in FILTER_IDS:
        page = 1  # a new filter starts from the first page
    try:
        with db_session() as session:
            result = list_executions(
                session=session,
                actor=actor,
                report_id=report_id,
                instance_id=instance_id,
                status=",".join(statuses or []) or None,
                triggered_by=trigger,
                start_date=_day(start_date),
                end_date=_day(end_date),
                page=page or 1,
                limit=PAGE_SIZE,
            )
    except DomainError as error:
        return create_error_feedback(error), 1, ""
    pages = max(1, -(-result.total // PAGE_SIZE))
    filtered = any([statuses, trigger, instance_id, report_id, start_date, end_date])
    if not result.items:
        body: Any = create_empty_state(
            "No run matches these filters; clear some to see more."
            if filtered
            else [
                "No runs yet. Open a report and click Run now, or start one from the ",
                dcc.Link("Report Builder", href="/report-builder"),
                ".",
            ],
            icon="clock-history",
            id="runs-empty",
        )
    else:
        body = create_execution_table(
            result.items,
            id="runs-table",
            cancel_type="runs-cancel",
            report_names=report_names or {},
        )
    first = (result.page - 1) * result.limit + 1
    count = (
        f"{first:,}–{first + len(result.items) - 1:,} of {plural(result.total, 'run')}"
        if result.items
        else ""
    )
    return body, pages, count


@callback(
    Output("runs-signature", "data"),
    Output("runs-poll-plan", "data"),
    Input("runs-poll", "n_intervals"),
    Input("runs-refresh", "data"),
    State("runs-signature", "data"),
)
def check_for_changes(
    n_intervals: int | None, refresh: int | None, signature: str | None
) -> tuple[Any, Any]:
    """Each tick's one request: a new signature redraws the table, and the plan says when
    to ask again (while a run is in flight, or when a schedule is due to start one)."""
    actor = callback_actor()
    if actor is None:
        return no_update, IDLE_PLAN
    with db_session() as session:
        seen = activity(session=session, actor=actor)
    changed = seen.signature if seen.signature != signature else no_update
    return changed, poll_plan(active=seen.in_flight, wake_at=seen.wake_at)


register_poll_plan("runs-poll", "runs-poll-plan")


cancel_run = action_callback(
    callback,
    cancel_one_run,
    button="runs-cancel",
    feedback="runs-feedback",
    refresh="runs-refresh",
    duplicate=False,
)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None

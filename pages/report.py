"""One report: actions, parameters, schedule, backfill progress, run history, latest result."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component

from components.execution_table import create_execution_table
from components.feedback import create_error_feedback, create_feedback
from components.format import plan_badge, plural
from components.navbar import create_icon
from components.page import create_empty_state, create_page_header
from components.progress import IDLE_PLAN, create_poll_interval, poll_plan, register_poll_plan
from components.report_cards import (
    create_backfill_section,
    create_card,
    create_parameter_list,
    create_result_preview,
    create_schedule_summary,
    load_result_preview,
)
from pages import _report_actions, _report_backfill, _report_edit, _report_run
from pages._report_actions import STATE_COLORS, create_delete_modal, pause_label
from pages._report_backfill_form import create_backfill_modal, create_open_button
from pages._report_edit import create_edit_buttons, create_edit_modal, create_schedule_button
from pages._report_run import create_run_button, create_run_modal
from services.activity import activity
from services.backfills import report_backfills
from services.errors import DomainError, NotFound
from services.executions import list_executions
from services.reports import ReportInfo, can_edit, get_report
from services.schedules import PreviewRun, ScheduleInfo, report_schedule, schedule_preview
from services.templates import TemplateDetail, get_template
from services.users import Actor
from webcontext import callback_actor, current_actor, db_session, sign_in_redirect

dash.register_page(
    __name__,
    path_template="/reports/<report_id>",
    title="Report · Report Builder",
    description="A report's runs, schedule, backfills and latest result.",
)

# The actions', editor's, run and backfill dialogs' callbacks, for every app built
# (components.callbacks).
_report_actions.callbacks.register()
_report_edit.callbacks.register()
_report_run.callbacks.register()
_report_backfill.callbacks.register()

#: Runs listed in the history; the Runs page has them all.
HISTORY_LIMIT = 15
#: The live sections' signature once the report is gone: they redraw and say so.
UNAVAILABLE = "unavailable"


def layout(
    report_id: str | None = None,
    open: str | None = None,
    saved: str | None = None,
    **_query: str,
) -> Component:
    """The report; `?open=run|edit|schedule|backfill` opens that dialog at once (the
    Reports tab links there); `?saved=1` says the editor's changes were saved."""
    actor = current_actor()
    if actor is None:
        return sign_in_redirect(f"/reports/{report_id}")
    try:
        with db_session() as session:
            report = get_report(session=session, actor=actor, report_id=str(report_id))
            schedule = report_schedule(session=session, actor=actor, report_id=report.report_id)
            next_runs = (
                schedule_preview(session=session, actor=actor, schedule_id=schedule.schedule_id)
                if schedule and not schedule.is_paused
                else []
            )
            template = get_template(session=session, template_id=report.template_id)
    except NotFound:
        return create_empty_state(
            [
                html.Strong("Report not found. ", className="d-block mb-2"),
                "It may have been deleted, or it belongs to someone else. ",
                dbc.Button(
                    "See your reports",
                    href="/report-builder",
                    color="primary",
                    size="sm",
                    class_name="ms-1",
                ),
            ],
            icon="file-earmark-x",
            id="report-not-found",
        )
    page = create_report_layout(report, schedule, next_runs, template, actor, open_modal=open)
    if saved:
        page.children.insert(0, html.Div(create_feedback("Changes saved."), id="report-saved"))
    return page


def create_report_layout(
    report: ReportInfo,
    schedule: ScheduleInfo | None,
    next_runs: list[PreviewRun],
    template: TemplateDetail,
    actor: Actor,
    *,
    open_modal: str | None = None,
) -> html.Div:
    editable = can_edit(actor, report)
    runnable = actor.can_run and report.is_active
    return html.Div(
        [
            dcc.Store(id="report-id", data=report.report_id),
            dcc.Store(id="report-schedule-id", data=schedule.schedule_id if schedule else None),
            dcc.Store(id="report-schedule-paused", data=bool(schedule and schedule.is_paused)),
            dcc.Store(id="report-refresh", data=0),
            dcc.Store(id="report-poll-plan"),
            dcc.Store(id="report-signature"),
            dcc.Store(id="report-latest-completed"),
            dcc.Location(id="report-navigate", refresh="callback-nav"),
            create_poll_interval("report-poll", active=False),
            create_report_header(report, schedule, actor=actor, editable=editable),
            html.Div(id="report-feedback"),
            dbc.Row(
                [
                    dbc.Col(
                        create_card(
                            "Parameters",
                            create_parameter_list(
                                report.parameters, template.parameter_definitions
                            ),
                            icon="sliders",
                            id="report-parameters",
                        ),
                        md=6,
                        xl=4,
                    ),
                    dbc.Col(
                        create_card(
                            "Schedule",
                            create_schedule_summary(schedule, next_runs),
                            icon="calendar-week",
                            id="report-schedule",
                            actions=create_schedule_button(schedule) if editable else None,
                        ),
                        md=6,
                        xl=4,
                    ),
                    dbc.Col(
                        create_card(
                            "Backfill",
                            html.Div(id="report-backfill-section"),
                            icon="calendar-range",
                            id="report-backfill",
                            actions=create_open_button() if editable else None,
                        ),
                        xl=4,
                    ),
                ],
                class_name="g-3 mb-3",
            ),
            create_card(
                "Run history",
                html.Div(id="report-history-section"),
                icon="clock-history",
                id="report-history",
                actions=dcc.Link(
                    "All runs of this report",
                    href=f"/runs?report={report.report_id}",
                    className="small",
                ),
            ),
            html.Div(className="mb-3"),
            create_card(
                "Latest result",
                # Filled when the history finds a completed run (see refresh_history).
                html.Div(create_result_preview(None, None), id="report-preview-section"),
                icon="table",
                id="report-preview-card",
            ),
            create_delete_modal(report),
            create_edit_modal(
                report,
                schedule,
                template,
                open_tab={"edit": "details", "schedule": "schedule"}.get(open_modal or ""),
            )
            if editable
            else None,
            create_run_modal(report, template, is_open=open_modal == "run") if runnable else None,
            create_backfill_modal(segment=report.frequency, is_open=open_modal == "backfill")
            if editable
            else None,
        ]
    )


def create_report_header(
    report: ReportInfo, schedule: ScheduleInfo | None, *, actor: Actor, editable: bool
) -> html.Div:
    subtitle = f"{report.template_name} on {report.instance_name} · owner {report.owner_email}"
    badges = html.Div(
        [
            dbc.Badge(
                report.state.capitalize(),
                color=STATE_COLORS.get(report.state, "secondary"),
                id="report-state",
                class_name="me-1",
            ),
            dbc.Badge(
                plan_badge(report),
                color="light",
                text_color="dark",
                class_name="border me-1",
            ),
        ],
        className="d-flex align-items-center flex-wrap gap-1 mb-2",
    )
    actions: list[Component] = []
    if actor.can_run:
        actions.append(
            dbc.Button(
                [create_icon("play-fill", class_name="me-1"), "Run now"],
                id="report-run-now",
                color="primary",
                disabled=not report.is_active,
                title=None if report.is_active else "Activate the report to run it",
            )
        )
        if report.is_active:
            actions.append(create_run_button())
    if editable:
        actions.append(create_edit_buttons())
    if editable and not report.is_active:
        actions.append(
            dbc.Button(
                [create_icon("power", class_name="me-1"), "Activate"],
                id="report-activate",
                color="outline-success",
            )
        )
    if editable and schedule is not None:
        actions.append(
            dbc.Button(
                pause_label(schedule.is_paused),
                id="report-pause",
                color="outline-secondary",
            )
        )
    if report.dashboard_id:
        actions.append(
            dbc.Button(
                [create_icon("speedometer2", class_name="me-1"), "Dashboard"],
                href=f"/dashboards/{report.dashboard_id}",
                color="outline-primary",
                id="report-dashboard-link",
            )
        )
    if editable:
        actions.append(
            dbc.Button(
                [create_icon("trash", class_name="me-1"), "Delete"],
                id="report-delete",
                color="outline-danger",
            )
        )
    return html.Div(
        [
            html.Div(
                [
                    create_page_header(report.name, subtitle),
                    badges,
                    html.P(report.description, className="mb-0") if report.description else None,
                ],
                className="flex-grow-1",
            ),
            html.Div(
                actions,
                className="report-actions d-flex flex-wrap gap-2 align-items-start",
            ),
        ],
        # The title keeps the full width; the actions (up to seven) wrap in a row below.
        className="report-header d-flex flex-column gap-2 mb-3",
    )


# --- live sections: one cheap question per tick, redrawn only when the answer changes -----


@callback(
    Output("report-signature", "data"),
    Output("report-poll-plan", "data"),
    Input("report-poll", "n_intervals"),
    Input("report-refresh", "data"),
    Input("report-schedule-paused", "data"),
    State("report-id", "data"),
    State("report-signature", "data"),
)
def check_for_changes(
    n_intervals: int | None,
    refresh: int | None,
    paused: bool | None,
    report_id: str,
    signature: str | None,
) -> tuple[Any, Any]:
    """Each tick's one request: a new signature redraws the live sections, and the plan
    says when to ask again (components.progress.register_poll_plan)."""
    actor = callback_actor()
    if actor is None:
        return no_update, IDLE_PLAN
    try:
        with db_session() as session:
            seen = activity(session=session, actor=actor, report_id=report_id)
    except DomainError:  # deleted meanwhile: redrawn, the sections say so
        return UNAVAILABLE, IDLE_PLAN
    changed = seen.signature if seen.signature != signature else no_update
    return changed, poll_plan(active=seen.in_flight, wake_at=seen.wake_at)


register_poll_plan("report-poll", "report-poll-plan")


@callback(
    Output("report-history-section", "children"),
    Output("report-latest-completed", "data"),
    Input("report-signature", "data"),
    State("report-id", "data"),
    State("report-latest-completed", "data"),
    prevent_initial_call=True,
)
def refresh_history(signature: str | None, report_id: str, latest: str | None) -> tuple[Any, Any]:
    """The newest runs, and which completed run has the newest result."""
    actor = callback_actor()
    if actor is None:
        return no_update, no_update
    try:
        with db_session() as session:
            page = list_executions(
                session=session,
                actor=actor,
                report_id=report_id,
                limit=HISTORY_LIMIT,
                history_order=True,
            )
    except DomainError as error:
        return create_error_feedback(error), no_update
    # The history lists a backfill's segments in window order: the newest result is the
    # one completed last, wherever it stands.
    done = [e for e in page.items if e.status == "completed" and e.completed_at is not None]
    completed = max(done, key=lambda e: e.completed_at).execution_id if done else None
    if not page.items:
        body: Any = create_empty_state(
            "No runs yet. Click Run now to start the first one.",
            icon="clock-history",
            id="report-history-empty",
        )
    else:
        body = html.Div(
            [
                create_execution_table(
                    page.items, id="report-runs", cancel_type="report-cancel", show_report=False
                ),
                html.P(
                    f"Showing the newest {len(page.items)} of {plural(page.total, 'run')}.",
                    className="small text-body-secondary mt-2 mb-0",
                )
                if page.total > len(page.items)
                else None,
            ]
        )
    return body, completed if completed and completed != latest else no_update


@callback(
    Output("report-backfill-section", "children"),
    Input("report-signature", "data"),
    State("report-id", "data"),
    prevent_initial_call=True,
)
def refresh_backfills(signature: str | None, report_id: str) -> Any:
    """The latest backfill's progress bar and segment grid, the earlier ones in brief."""
    actor = callback_actor()
    if actor is None:
        return no_update
    try:
        with db_session() as session:
            report = get_report(session=session, actor=actor, report_id=report_id)
            backfills = report_backfills(session=session, actor=actor, report_id=report_id)
    except DomainError as error:
        return create_error_feedback(error)
    return create_backfill_section(backfills, can_change=can_edit(actor, report))


@callback(
    Output("report-schedule-body", "children", allow_duplicate=True),
    Input("report-signature", "data"),
    State("report-id", "data"),
    prevent_initial_call=True,
)
def refresh_schedule(signature: str | None, report_id: str) -> Any:
    """The schedule card again: last run, counts, and next runs that are all still ahead."""
    actor = callback_actor()
    if actor is None:
        return no_update
    try:
        with db_session() as session:
            schedule = report_schedule(session=session, actor=actor, report_id=report_id)
            next_runs = (
                schedule_preview(session=session, actor=actor, schedule_id=schedule.schedule_id)
                if schedule and not schedule.is_paused
                else []
            )
    except DomainError as error:
        return create_error_feedback(error)
    return create_schedule_summary(schedule, next_runs)


@callback(
    Output("report-preview-section", "children"),
    Input("report-latest-completed", "data"),
)
def show_latest_result(execution_id: str | None) -> Any:
    """The first rows of the newest completed run, with its downloads."""
    actor = callback_actor()
    if actor is None:
        return no_update
    if not execution_id:
        return create_result_preview(None, None)
    return load_result_preview(actor, execution_id)

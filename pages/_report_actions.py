"""The report page's actions: run now, cancel a run, retry or cancel a backfill, pause the
schedule, activate and delete the report.

pages/report.py draws the buttons and registers these callbacks (for every app it is
built into); the leading underscore keeps Dash from making this module a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, html, no_update
from dash.development.base_component import Component

from components.actions import action_callback, cancel_one_run
from components.callbacks import CallbackSet
from components.feedback import create_error_feedback, create_feedback
from components.format import plural
from components.modals import open_close_modal
from components.navbar import create_icon
from components.report_cards import create_schedule_summary
from services.backfills import cancel_backfill, retry_backfill
from services.errors import DomainError
from services.executions import run_report
from services.reports import ReportInfo, delete_report, set_active
from services.schedules import schedule_preview, update_schedule
from services.users import Actor
from webcontext import callback_actor, db_session, redis_client

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Registered by pages/report.py for every app (see components.callbacks).
callbacks = CallbackSet()
#: Where the page goes after the report is deleted.
AFTER_DELETE_PATH = "/report-builder"
#: Colour of each report state badge.
STATE_COLORS = {"active": "success", "paused": "warning", "inactive": "secondary"}
#: Where every action says what happened.
FEEDBACK = "report-feedback"
#: The counter an action bumps so the live sections are drawn again.
REFRESH = "report-refresh"


def pause_label(is_paused: bool) -> list[Component | str]:
    if is_paused:
        return [create_icon("play-circle", class_name="me-1"), "Resume schedule"]
    return [create_icon("pause-circle", class_name="me-1"), "Pause schedule"]


def create_delete_modal(report: ReportInfo) -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Delete this report?")),
            dbc.ModalBody(
                [
                    html.P(
                        [
                            html.Strong(report.name),
                            f" and its {plural(report.execution_count, 'run')}, schedule, "
                            "backfills, results and dashboard will be deleted.",
                        ]
                    ),
                    html.P("This cannot be undone.", className="mb-0 text-danger"),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button("Keep it", id="report-delete-dismiss", color="secondary"),
                    dbc.Button("Delete report", id="report-delete-confirm", color="danger"),
                ]
            ),
        ],
        id="report-delete-modal",
        is_open=False,
    )


# --- the buttons that call one service and say so (components.actions) -------------------


def queue_run(session: Session, actor: Actor, report_id: str) -> str:
    """Queue a run with the saved parameters; a worker runs it, the page polls it."""
    execution = run_report(session=session, redis=redis_client(), actor=actor, report_id=report_id)
    return f"Run {execution.execution_id} is queued; its status updates below."


def retry_failed(session: Session, actor: Actor, collection_id: str) -> str:
    """Run every failed or cancelled segment of the backfill again."""
    backfill = retry_backfill(
        session=session, redis=redis_client(), actor=actor, collection_id=collection_id
    )
    return f"Retrying the failed and cancelled segments of {backfill.collection_id}."


def cancel_unfinished(session: Session, actor: Actor, collection_id: str) -> str:
    """Cancel every segment of the backfill that has not finished."""
    backfill = cancel_backfill(
        session=session, redis=redis_client(), actor=actor, collection_id=collection_id
    )
    return f"Backfill {backfill.collection_id} cancelled."


# A refused run changes nothing on the page, so it is not redrawn.
run_now = action_callback(
    callbacks.callback,
    queue_run,
    button="report-run-now",
    target="report-id",
    refresh_on_error=False,
    feedback=FEEDBACK,
    refresh=REFRESH,
)
cancel_run = action_callback(
    callbacks.callback, cancel_one_run, button="report-cancel", feedback=FEEDBACK, refresh=REFRESH
)
retry_failed_segments = action_callback(
    callbacks.callback,
    retry_failed,
    button="report-backfill-retry",
    feedback=FEEDBACK,
    refresh=REFRESH,
)
cancel_running_backfill = action_callback(
    callbacks.callback,
    cancel_unfinished,
    button="report-backfill-cancel",
    feedback=FEEDBACK,
    refresh=REFRESH,
)


# --- schedule, state and deletion --------------------------------------------------------


@callbacks.callback(
    output={
        "feedback": Output("report-feedback", "children", allow_duplicate=True),
        "label": Output("report-pause", "children"),
        "state": Output("report-state", "children"),
        "color": Output("report-state", "color"),
        "schedule": Output("report-schedule-body", "children"),
        "paused": Output("report-schedule-paused", "data"),
    },
    inputs={"n_clicks": Input("report-pause", "n_clicks")},
    state={
        "schedule_id": State("report-schedule-id", "data"),
        "is_paused": State("report-schedule-paused", "data"),
    },
    prevent_initial_call=True,
)
def toggle_pause(
    n_clicks: int | None, schedule_id: str | None, is_paused: bool | None
) -> dict[str, Any]:
    """Pause or resume the schedule; resuming starts from the next slot, never catches up."""
    keys = ("feedback", "label", "state", "color", "schedule", "paused")
    unchanged = dict.fromkeys(keys, no_update)
    actor = callback_actor()
    if actor is None or not n_clicks or not schedule_id:
        return unchanged
    try:
        with db_session() as session:
            schedule = update_schedule(
                session=session,
                actor=actor,
                schedule_id=schedule_id,
                changes={"is_paused": not is_paused},
            )
            runs = (
                []
                if schedule.is_paused
                else schedule_preview(session=session, actor=actor, schedule_id=schedule_id)
            )
    except DomainError as error:
        return {**unchanged, "feedback": create_error_feedback(error)}
    state = "paused" if schedule.is_paused else "active"
    message = "Schedule paused." if schedule.is_paused else "Schedule resumed."
    return {
        "feedback": create_feedback(message),
        "label": pause_label(schedule.is_paused),
        "state": state.capitalize(),
        "color": STATE_COLORS[state],
        "schedule": create_schedule_summary(schedule, runs),
        "paused": schedule.is_paused,
    }


@callbacks.callback(
    output={
        "feedback": Output("report-feedback", "children", allow_duplicate=True),
        "button_style": Output("report-activate", "style"),
        "run_disabled": Output("report-run-now", "disabled"),
        "state": Output("report-state", "children", allow_duplicate=True),
        "color": Output("report-state", "color", allow_duplicate=True),
    },
    inputs={"n_clicks": Input("report-activate", "n_clicks")},
    state={"report_id": State("report-id", "data")},
    prevent_initial_call=True,
)
def activate(n_clicks: int | None, report_id: str) -> dict[str, Any]:
    keys = ("feedback", "button_style", "run_disabled", "state", "color")
    unchanged = dict.fromkeys(keys, no_update)
    actor = callback_actor()
    if actor is None or not n_clicks:
        return unchanged
    try:
        with db_session() as session:
            report = set_active(session=session, actor=actor, report_id=report_id, active=True)
    except DomainError as error:
        return {**unchanged, "feedback": create_error_feedback(error)}
    return {
        "feedback": create_feedback("Report activated: it runs again, on demand and on schedule."),
        "button_style": {"display": "none"},
        "run_disabled": False,
        "state": report.state.capitalize(),
        "color": STATE_COLORS.get(report.state, "secondary"),
    }


toggle_delete_dialog = open_close_modal(
    callbacks.callback,
    "report-delete-modal",
    open="report-delete",
    close="report-delete-dismiss",
)


@callbacks.callback(
    Output("report-feedback", "children", allow_duplicate=True),
    Output("report-navigate", "href"),
    Output("report-delete-modal", "is_open", allow_duplicate=True),
    Input("report-delete-confirm", "n_clicks"),
    State("report-id", "data"),
    prevent_initial_call=True,
)
def confirm_delete(n_clicks: int | None, report_id: str) -> tuple[Any, Any, Any]:
    actor = callback_actor()
    if actor is None or not n_clicks:
        return no_update, no_update, no_update
    try:
        with db_session() as session:
            delete_report(session=session, actor=actor, report_id=report_id)
    except DomainError as error:
        return create_error_feedback(error), no_update, False
    return no_update, AFTER_DELETE_PATH, False

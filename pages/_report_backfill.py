"""The report page's backfills: the "Start a backfill" modal's callbacks (the fields read
on each change, the dry run, the start) and retrying one segment.

pages/report.py places the modal (pages/_report_backfill_form.py) and registers these
callbacks (for every app it is built into); the leading underscore keeps Dash from making
it a page. Every rule is the services': read_plan reads what the fields hold (on each
change, so a field's error goes as soon as it is valid again), preview_backfill is the dry
run and apply_plan starts the backfill; this module only shows what they say.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from dash import ALL, Input, Output, State, ctx, no_update

from components.actions import act
from components.callbacks import CallbackSet
from components.clicks import clicked_index
from components.feedback import create_error_feedback, create_feedback
from components.format import format_window, plural
from components.modals import open_close_modal
from pages._report_backfill_form import (
    ALERT,
    DISMISS,
    END,
    LOOKBACK,
    MODAL,
    OPEN,
    PLAN,
    PRESET,
    PREVIEW,
    RANGE,
    REPROCESS,
    SEGMENT,
    START,
    SUBMIT,
    create_plan_hint,
)
from pages._report_backfill_plan import create_plan_preview
from services.backfills import retry_backfill
from services.errors import DomainError, ParameterError, ValidationFailed
from services.report_plans import BackfillPlan, RunPlan, apply_plan, preview_backfill, read_plan
from services.users import Actor
from webcontext import callback_actor, db_session, redis_client

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Registered by pages/report.py for every app (see components.callbacks).
callbacks = CallbackSet()
#: The store (in components.report_cards' backfill section) naming the latest backfill.
COLLECTION = "report-backfill-collection"
#: The type of a failed or cancelled segment's own retry button (index: its run).
RETRY_ONE = "report-backfill-retry-one"

#: The plan's backfill fields → the input showing each one's error.
FIELD_INPUTS = {
    "lookback_days": LOOKBACK,
    "start_date": START,
    "end_date": END,
    "segment": SEGMENT,
    "reprocess": REPROCESS,
}
#: Fields whose input has an `invalid` property (radio items have none).
MARKED_FIELDS = ("lookback_days", "start_date", "end_date", "segment")


# --- reading the fields ------------------------------------------------------------------


def raw_plan(
    mode: str | None, lookback: Any, start: Any, end: Any, segment: Any, reprocess: Any
) -> dict[str, Any]:
    """What read_plan reads: the range the chosen mode shows, as the fields hold it."""
    raw: dict[str, Any] = {"segment": segment, "reprocess": reprocess}
    if mode == "dates":
        raw.update(start_date=start, end_date=end)
    else:
        raw["lookback_days"] = lookback
    return {"backfill": raw}


def field_errors(errors: dict[str, str], mode: str | None) -> tuple[dict[str, str], list[str]]:
    """The services' errors by field of this form, and those no field shows."""
    shown: dict[str, str] = {}
    rest: list[str] = []
    for name, message in errors.items():
        field = name.removeprefix("backfill.")
        if field == "segment_type":
            field = "segment"
        if mode == "dates" and field == "lookback_days":
            field = "start_date"  # "a lookback or a start date": here, the start date is missing
        if field in FIELD_INPUTS:
            shown.setdefault(field, message)
        else:
            rest.append(message)
    return shown, rest


def field_props(errors: dict[str, str], mode: str | None) -> dict[str, Any]:
    """Every field's `invalid` and error text, and the alert for errors of no field."""
    shown, rest = field_errors(errors, mode)
    props: dict[str, Any] = {}
    for field in FIELD_INPUTS:
        props[f"{field}_error"] = shown.get(field, "")
        if field in MARKED_FIELDS:
            props[f"{field}_invalid"] = field in shown
    props["alert"] = create_feedback(" ".join(rest), color="danger") if rest else None
    return props


def _field_outputs(*, allow_duplicate: bool = False) -> dict[str, Output]:
    outputs: dict[str, Output] = {}
    for field, input_id in FIELD_INPUTS.items():
        outputs[f"{field}_error"] = Output(
            f"{input_id}-error", "children", allow_duplicate=allow_duplicate
        )
        if field in MARKED_FIELDS:
            outputs[f"{field}_invalid"] = Output(
                input_id, "invalid", allow_duplicate=allow_duplicate
            )
    outputs["alert"] = Output(ALERT, "children", allow_duplicate=allow_duplicate)
    return outputs


def _field_states() -> dict[str, State]:
    return {
        "mode": State(RANGE, "value"),
        "lookback": State(LOOKBACK, "value"),
        "start": State(START, "value"),
        "end": State(END, "value"),
        "segment": State(SEGMENT, "value"),
        "reprocess": State(REPROCESS, "value"),
    }


def _error_props(error: DomainError, mode: str | None) -> dict[str, Any]:
    if isinstance(error, ValidationFailed):
        return field_props(error.errors, mode)
    if isinstance(error, ParameterError):
        return field_props({error.field: error.message}, mode)
    return {**field_props({}, mode), "alert": create_error_feedback(error)}


def _backfill_of(plan: RunPlan) -> BackfillPlan:
    assert plan.backfill is not None  # read_plan was given a backfill section
    return plan.backfill


# --- callbacks ---------------------------------------------------------------------------


toggle_modal = open_close_modal(callbacks.callback, MODAL, open=OPEN, close=DISMISS)


callbacks.clientside(
    """
    function(mode) {
        const dates = mode === "dates";
        return [dates ? "d-none" : "", dates ? "" : "d-none"];
    }
    """,
    Output(f"{RANGE}-lookback", "className"),
    Output(f"{RANGE}-dates", "className"),
    Input(RANGE, "value"),
)


@callbacks.callback(
    Output(LOOKBACK, "value"),
    Output(RANGE, "value"),
    Input({"type": PRESET, "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def pick_preset(clicks: list[int | None]) -> tuple[Any, Any]:
    """A one-click lookback: 4 weeks, 12 weeks, 6 months, 1 year."""
    days = clicked_index(PRESET)
    if days is None:
        return no_update, no_update
    if not days.isdigit():  # a crafted id
        return no_update, no_update
    return days, "lookback"


@callbacks.callback(
    output={**_field_outputs(), "plan": Output(PLAN, "children")},
    inputs={
        "preview": Input(PREVIEW, "n_clicks"),
        "mode": Input(RANGE, "value"),
        "lookback": Input(LOOKBACK, "value"),
        "start": Input(START, "value"),
        "end": Input(END, "value"),
        "segment": Input(SEGMENT, "value"),
        "reprocess": Input(REPROCESS, "value"),
    },
    state={"report_id": State("report-id", "data")},
    prevent_initial_call=True,
)
def check_plan(
    preview: int | None,
    mode: str | None,
    lookback: Any,
    start: Any,
    end: Any,
    segment: Any,
    reprocess: Any,
    report_id: str,
) -> dict[str, Any]:
    """On each change, the fields read again (errors shown or cleared); on "Preview
    segments", the dry run's list."""
    # A click that also ends typing in a field (its blur) triggers both at once.
    previewing = f"{PREVIEW}.n_clicks" in ctx.triggered_prop_ids and bool(preview)
    try:
        plan = read_plan(raw_plan(mode, lookback, start, end, segment, reprocess))
    except ValidationFailed as error:
        return {
            **field_props(error.errors, mode),
            "plan": no_update if previewing else create_plan_hint(),
        }
    if not previewing:
        return {**field_props({}, mode), "plan": create_plan_hint()}
    actor = callback_actor()
    if actor is None:
        return {**field_props({}, mode), "plan": no_update}
    try:
        with db_session() as session:
            info = preview_backfill(
                session=session, actor=actor, report_id=report_id, plan=_backfill_of(plan)
            )
    except DomainError as error:
        return {**_error_props(error, mode), "plan": create_plan_hint()}
    return {**field_props({}, mode), "plan": create_plan_preview(info)}


@callbacks.callback(
    output={
        **_field_outputs(allow_duplicate=True),
        "plan": Output(PLAN, "children", allow_duplicate=True),
        "is_open": Output(MODAL, "is_open", allow_duplicate=True),
        "feedback": Output("report-feedback", "children", allow_duplicate=True),
        "refresh": Output("report-refresh", "data", allow_duplicate=True),
    },
    inputs={"n_clicks": Input(SUBMIT, "n_clicks")},
    state={
        **_field_states(),
        "report_id": State("report-id", "data"),
        "refresh": State("report-refresh", "data"),
    },
    prevent_initial_call=True,
)
def start_backfill(
    n_clicks: int | None,
    mode: str | None,
    lookback: Any,
    start: Any,
    end: Any,
    segment: Any,
    reprocess: Any,
    report_id: str,
    refresh: int | None,
) -> dict[str, Any]:
    """Start the backfill the fields describe; its first segments are queued at once."""
    unchanged = {"plan": no_update, "is_open": no_update, "feedback": no_update}
    if not n_clicks:
        return {**dict.fromkeys(_field_outputs(), no_update), **unchanged, "refresh": no_update}
    actor = callback_actor()
    if actor is None:
        return {**dict.fromkeys(_field_outputs(), no_update), **unchanged, "refresh": no_update}
    try:
        plan = read_plan(raw_plan(mode, lookback, start, end, segment, reprocess))
        with db_session() as session:
            outcome = apply_plan(
                session=session, redis=redis_client(), actor=actor, report_id=report_id, plan=plan
            )
    except DomainError as error:
        return {**_error_props(error, mode), **unchanged, "refresh": no_update}
    backfill = outcome.backfill
    assert backfill is not None  # the plan was a backfill
    message = (
        f"Backfill {backfill.collection_id} started: "
        f"{plural(backfill.total_segments, f'{backfill.segment_type} segment')}, "
        f"{format_window(backfill.start_date, backfill.end_date + timedelta(days=1))}. "
        "Its progress shows in the Backfill card."
    )
    return {
        **field_props({}, mode),
        "plan": create_plan_hint(),
        "is_open": False,
        "feedback": create_feedback(message),
        "refresh": (refresh or 0) + 1,
    }


@callbacks.callback(
    Output("report-feedback", "children", allow_duplicate=True),
    Output("report-refresh", "data", allow_duplicate=True),
    Input({"type": RETRY_ONE, "index": ALL}, "n_clicks"),
    State(COLLECTION, "data"),
    State("report-refresh", "data"),
    prevent_initial_call=True,
)
def retry_segment(
    clicks: list[int | None], collection_id: str | None, refresh: int | None
) -> tuple[Any, Any]:
    """Run one failed or cancelled segment again; the others stay as they are."""
    execution_id = clicked_index(RETRY_ONE)
    if not collection_id:
        return no_update, no_update

    def retry(session: Session, actor: Actor, execution_id: str) -> str:
        retry_backfill(
            session=session,
            redis=redis_client(),
            actor=actor,
            collection_id=collection_id,
            segment_ids=[execution_id],
        )
        return f"Segment of run {execution_id} queued again as a new attempt."

    return act(retry, execution_id, refresh)

"""The report page's backfills: the "Start a backfill" modal (a range, a segment size, what
to run again, and a dry run listing the segments) and retrying one segment.

pages/report.py places the modal and its open button and registers these callbacks (for
every app it is built into); the leading underscore keeps Dash from making it a page.
Every rule is the services': read_plan reads what the fields hold (on each change, so a
field's error goes as soon as it is valid again), preview_backfill is the dry run and
apply_plan starts the backfill; this module only shows what they say.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.development.base_component import Component

from components.callbacks import CallbackSet
from components.clicks import clicked_index
from components.feedback import create_error_feedback, create_feedback, error_message
from components.format import format_window, plural
from components.navbar import create_icon
from components.run_modal import DEFAULT_LOOKBACK_DAYS, LOOKBACK_PRESETS, SEGMENT_TYPES
from services.backfills import BackfillPlanInfo, PlannedSegment, retry_backfill
from services.errors import DomainError, ParameterError, ValidationFailed
from services.report_plans import BackfillPlan, RunPlan, apply_plan, preview_backfill, read_plan
from webcontext import callback_actor, db_session, redis_client

MODAL = "report-backfill-modal"
OPEN = "report-backfill-open"
DISMISS = "report-backfill-dismiss"
RANGE = "report-backfill-range"
LOOKBACK = "report-backfill-lookback"
PRESET = "report-backfill-preset"
START = "report-backfill-start-date"
END = "report-backfill-end-date"
SEGMENT = "report-backfill-segment"
REPROCESS = "report-backfill-reprocess"
PREVIEW = "report-backfill-preview"
PLAN = "report-backfill-plan"
SUBMIT = "report-backfill-submit"
ALERT = "report-backfill-alert"
RETRY_ONE = "report-backfill-retry-one"
#: Registered by pages/report.py for every app (see components.callbacks).
callbacks = CallbackSet()
#: The store (in components.report_cards' backfill section) naming the latest backfill.
COLLECTION = "report-backfill-collection"

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
#: How the range is given: (value, label).
RANGE_MODES = (("lookback", "Look back"), ("dates", "Between two dates"))
#: What runs again, in plain words (services.backfills.REPROCESS_MODES).
REPROCESS_CHOICES = (
    ("missing", "Only segments never completed"),
    ("failed", "Only failed or cancelled segments"),
    ("all", "All segments again"),
)
#: One segment of each size, for "the range starts mid-week".
SEGMENT_NOUNS = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter"}
#: Why a segment is skipped (PlannedSegment.reason), in words.
SKIP_WORDS = {
    "completed": "already completed",
    "running": "still running",
    "never run": "never run",
}
PLAN_HINT = "Click “Preview segments” to see each segment, and which will run, before you start."


# --- layout ------------------------------------------------------------------------------


def create_open_button() -> dbc.Button:
    """The Backfill card's header button that opens the modal."""
    return dbc.Button(
        [create_icon("plus-lg", class_name="me-1"), "Start a backfill"],
        id=OPEN,
        color="outline-primary",
        size="sm",
    )


def create_backfill_modal(*, segment: str = "weekly", is_open: bool = False) -> dbc.Modal:
    """The modal, with a 6-month lookback in `segment` pieces to begin with."""
    segments = {value for value, _, _ in SEGMENT_TYPES}
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Start a backfill")),
            dbc.ModalBody(
                [
                    html.P(
                        "Runs the report over past days, one run per segment. The range "
                        "ends where the instance's data is complete.",
                        className="text-body-secondary small",
                    ),
                    html.Div(id=ALERT),
                    create_range_fields(),
                    dbc.Row(
                        [
                            dbc.Col(
                                _field(
                                    "Segments",
                                    SEGMENT,
                                    dbc.Select(
                                        id=SEGMENT,
                                        options=[
                                            {"label": label, "value": value}
                                            for value, label, _ in SEGMENT_TYPES
                                        ],
                                        value=segment if segment in segments else "weekly",
                                    ),
                                    help="One run each, calendar-aligned; the first and the "
                                    "last may be partial.",
                                ),
                                md=5,
                            ),
                            dbc.Col(
                                _field(
                                    "Run which segments",
                                    REPROCESS,
                                    dbc.RadioItems(
                                        id=REPROCESS,
                                        options=[
                                            {"label": label, "value": value}
                                            for value, label in REPROCESS_CHOICES
                                        ],
                                        value="missing",
                                    ),
                                    feedback=html.Div(
                                        id=f"{REPROCESS}-error",
                                        className="invalid-feedback d-block",
                                    ),
                                ),
                                md=7,
                            ),
                        ],
                        class_name="g-3",
                    ),
                    html.Div(
                        html.P(PLAN_HINT, className="small text-body-secondary mb-0"),
                        id=PLAN,
                        className="border-top pt-3 mt-1",
                    ),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button("Cancel", id=DISMISS, color="link"),
                    dbc.Button(
                        [create_icon("list-check", class_name="me-1"), "Preview segments"],
                        id=PREVIEW,
                        color="outline-primary",
                    ),
                    dbc.Button(
                        [create_icon("play-fill", class_name="me-1"), "Start backfill"],
                        id=SUBMIT,
                        color="primary",
                    ),
                ]
            ),
        ],
        id=MODAL,
        is_open=is_open,
        size="lg",
        scrollable=True,
    )


def create_range_fields() -> html.Div:
    """The range: a lookback in days (with presets) or two dates, one shown at a time."""
    return html.Div(
        [
            html.Div("Range", className="form-label fw-semibold mb-1"),
            html.Div(
                dbc.RadioItems(
                    id=RANGE,
                    options=[{"label": label, "value": value} for value, label in RANGE_MODES],
                    value="lookback",
                    class_name="btn-group",
                    input_class_name="btn-check",
                    label_class_name="btn btn-outline-secondary btn-sm",
                    label_checked_class_name="active",
                ),
                className="segmented mb-2",
            ),
            html.Div(
                [
                    dbc.Label("Look back", html_for=LOOKBACK, class_name="visually-hidden"),
                    html.Div(
                        [
                            dbc.InputGroup(
                                [
                                    dbc.Input(
                                        id=LOOKBACK,
                                        # Text, so what was typed reaches the service as
                                        # typed ("abc" gets its error, not an empty field).
                                        type="text",
                                        inputMode="numeric",
                                        value=str(DEFAULT_LOOKBACK_DAYS),
                                        autocomplete="off",
                                        debounce=True,
                                    ),
                                    dbc.InputGroupText("days"),
                                ],
                                class_name="backfill-lookback",
                            ),
                            html.Div(
                                [
                                    dbc.Button(
                                        label,
                                        id={"type": PRESET, "index": days},
                                        size="sm",
                                        color="secondary",
                                        outline=True,
                                    )
                                    for days, label in LOOKBACK_PRESETS
                                ],
                                className="d-flex flex-wrap gap-1",
                            ),
                        ],
                        className="d-flex flex-wrap align-items-center gap-2",
                    ),
                    # Beside the presets, not inside the input group: shown whenever it
                    # has a message.
                    html.Div(id=f"{LOOKBACK}-error", className="invalid-feedback d-block"),
                ],
                id=f"{RANGE}-lookback",
            ),
            html.Div(
                dbc.Row(
                    [
                        dbc.Col(_date_field("From", START, "The first day to run."), sm=6),
                        dbc.Col(
                            _date_field("To", END, "Leave empty for the latest complete day."),
                            sm=6,
                        ),
                    ],
                    class_name="g-3",
                ),
                id=f"{RANGE}-dates",
                className="d-none",
            ),
        ],
        className="mb-3",
    )


def _date_field(label: str, id: str, help: str) -> html.Div:
    # Text, not a date picker: a picker drops a day it cannot read (2025-02-30) without a
    # word, where the service says what is wrong with it.
    return _field(
        label,
        id,
        dbc.Input(id=id, type="text", placeholder="YYYY-MM-DD", debounce=True, autocomplete="off"),
        help=help,
    )


def _field(
    label: str, id: str, control: Component, *, help: str | None = None, feedback: Any = None
) -> html.Div:
    return html.Div(
        [
            dbc.Label(label, html_for=id, class_name="fw-semibold mb-1"),
            control,
            feedback
            if feedback is not None
            else dbc.FormFeedback(id=f"{id}-error", type="invalid"),
            dbc.FormText(help) if help else None,
        ],
        className="mb-3",
    )


def create_plan_preview(plan: BackfillPlanInfo) -> html.Div:
    """The dry run: the range, a count of what runs and what is skipped, and each segment."""
    to_run = len(plan.to_create)
    skipped = Counter(s.reason or "skipped" for s in plan.segments if s.action == "skip")
    counts = [f"{to_run} to run"] + [
        f"{n} {SKIP_WORDS.get(reason, reason)}" for reason, n in skipped.items()
    ]
    last = len(plan.segments) - 1
    items = [
        _planned_item(segment, plan.segment_type, first=i == 0, last=i == last)
        for i, segment in enumerate(plan.segments)
    ]
    return html.Div(
        [
            html.Div(
                [
                    html.Span(
                        format_window(plan.start_date, plan.end_date + timedelta(days=1)),
                        className="fw-semibold",
                    ),
                    f" · {plural(len(plan.segments), f'{plan.segment_type} segment')}",
                ],
            ),
            html.Div(
                ", ".join(counts),
                id=f"{PLAN}-count",
                className="small mb-2 " + ("text-body-secondary" if to_run else "text-danger"),
            ),
            html.Ul(
                items, id=f"{PLAN}-list", className="list-unstyled small mb-0 backfill-plan-list"
            ),
        ]
    )


def _planned_item(
    segment: PlannedSegment, segment_type: str, *, first: bool, last: bool
) -> html.Li:
    noun = SEGMENT_NOUNS.get(segment_type, "segment")
    edges = [word for word, at in (("starts", first), ("ends", last)) if at]
    partial = (
        dbc.Badge(
            "partial",
            color="light",
            text_color="dark",
            class_name="border ms-2",
            title=f"Not a whole {noun}: the range {' and '.join(edges)} mid-{noun}.",
        )
        if segment.partial
        else None
    )
    if segment.action == "create":
        action: Component = html.Span(
            [create_icon("play-fill", class_name="me-1"), "Will run"], className="text-success"
        )
    else:
        reason = SKIP_WORDS.get(segment.reason, segment.reason or "skipped")
        action = html.Span(f"Skipped: {reason}", className="text-body-secondary")
    data: dict[str, Any] = {
        "data-action": segment.action,
        "data-partial": str(segment.partial).lower(),
    }
    return html.Li(
        [
            html.Span(format_window(segment.window_start, segment.window_end)),
            partial,
            html.Span(action, className="ms-auto ps-2 text-nowrap"),
        ],
        className="d-flex align-items-center py-1 border-bottom",
        **data,
    )


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


@callbacks.callback(
    Output(MODAL, "is_open"),
    Input(OPEN, "n_clicks"),
    Input(DISMISS, "n_clicks"),
    prevent_initial_call=True,
)
def toggle_modal(open_clicks: int | None, dismiss_clicks: int | None) -> Any:
    if not (open_clicks or dismiss_clicks):
        return no_update
    return ctx.triggered_id == OPEN


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
        return {**field_props(error.errors, mode), "plan": no_update if previewing else _hint()}
    if not previewing:
        return {**field_props({}, mode), "plan": _hint()}
    actor = callback_actor()
    if actor is None:
        return {**field_props({}, mode), "plan": no_update}
    try:
        with db_session() as session:
            info = preview_backfill(
                session=session, actor=actor, report_id=report_id, plan=_backfill_of(plan)
            )
    except DomainError as error:
        return {**_error_props(error, mode), "plan": _hint()}
    return {**field_props({}, mode), "plan": create_plan_preview(info)}


def _hint() -> html.P:
    return html.P(PLAN_HINT, className="small text-body-secondary mb-0")


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
        "plan": _hint(),
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
    if execution_id is None or not collection_id:
        return no_update, no_update  # the buttons were (re)drawn, not clicked
    actor = callback_actor()
    if actor is None:
        return no_update, no_update
    try:
        with db_session() as session:
            retry_backfill(
                session=session,
                redis=redis_client(),
                actor=actor,
                collection_id=collection_id,
                segment_ids=[execution_id],
            )
    except DomainError as error:
        return create_feedback(error_message(error), color="danger"), (refresh or 0) + 1
    return create_feedback(f"Segment of run {execution_id} queued again as a new attempt."), (
        refresh or 0
    ) + 1

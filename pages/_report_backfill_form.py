"""The report page's "Start a backfill" modal: its ids, its open button, and its fields (a
range, a segment size, what to run again) with room for the dry run's list.

pages/_report_backfill.py holds its callbacks; pages/report.py places the modal.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html
from dash.development.base_component import Component

from components.navbar import create_icon
from components.run_modal import DEFAULT_LOOKBACK_DAYS, LOOKBACK_PRESETS, SEGMENT_TYPES

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
RANGE_MODES = (("lookback", "Look back"), ("dates", "Between two dates"))
#: What runs again, in plain words (services.backfill_plans.REPROCESS_MODES).
REPROCESS_CHOICES = (
    ("missing", "Only segments never completed"),
    ("failed", "Only failed or cancelled segments"),
    ("all", "All segments again"),
)
#: One segment of each size, for "the range starts mid-week".
PLAN_HINT = "Click “Preview segments” to see each segment, and which will run, before you start."


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
                        create_plan_hint(),
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


def create_plan_hint() -> html.P:
    """What the dry run's place says until "Preview segments" is clicked."""
    return html.P(PLAN_HINT, className="small text-body-secondary mb-0")

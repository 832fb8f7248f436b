"""RunReportModal's layout: four steps, Parameters → Run type → Review → Submit.

Which step shows is components.run_steps'; what the review says is components.plan_words';
the page's callbacks (pages/_builder_modal.py, pages/_builder_steps.py) fill it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components.ids import lookback_preset_id, page_id
from components.navbar import create_icon
from components.schedule_form import create_schedule_fields

STEPS = ("Parameters", "Run type", "Review", "Submit")
#: Ids of the four step panes, in order.
STEP_PANES = tuple(page_id(f"step-{n}") for n in range(1, len(STEPS) + 1))
FIRST_STEP, REVIEW_STEP, SUBMIT_STEP = 1, 3, 4
#: Class of the footer's step buttons (with " d-none" where a step hides them).
BUTTON_CLASS = "rb-step-button"

#: How a report runs: (value, label, what it means).
RUN_TYPES = (
    ("once", "Once, now", "One run now over the latest complete data."),
    ("recurring", "On a schedule", "Runs by itself every day, week, month or quarter."),
    ("backfill", "Backfill history", "Fills in past periods, one run per segment."),
)
#: Backfill segment types: (value, label, plural noun).
SEGMENT_TYPES = (
    ("daily", "Days", "daily"),
    ("weekly", "Weeks (Monday to Sunday)", "weekly"),
    ("monthly", "Calendar months", "monthly"),
    ("quarterly", "Calendar quarters", "quarterly"),
)
#: One-click lookbacks (days, label): "6 months" is the common weekly-report backfill.
LOOKBACK_PRESETS = ((28, "4 weeks"), (84, "12 weeks"), (182, "6 months"), (365, "1 year"))
DEFAULT_LOOKBACK_DAYS = 182


def create_run_modal() -> dbc.Modal:
    """The modal, empty: opening it for a template fills step 1 (see the page)."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("New report", id=page_id("modal-title"))),
            dbc.ModalBody(
                [
                    html.Div(create_stepper(FIRST_STEP), id=page_id("stepper")),
                    html.Div(create_parameters_step(), id=STEP_PANES[0]),
                    html.Div(create_run_type_step(), id=STEP_PANES[1], className="d-none"),
                    html.Div(id=STEP_PANES[2], className="d-none"),
                    dcc.Loading(html.Div(id=STEP_PANES[3], className="d-none"), type="circle"),
                ]
            ),
            dbc.ModalFooter(
                [
                    html.Span(id=page_id("modal-hint"), className="me-auto small text-danger"),
                    dbc.Button("Cancel", id=page_id("modal-cancel"), color="link"),
                    dbc.Button(
                        "Back",
                        id=page_id("modal-back"),
                        color="secondary",
                        outline=True,
                        class_name=f"{BUTTON_CLASS} d-none",
                    ),
                    dbc.Button(
                        "Next", id=page_id("modal-next"), color="primary", class_name=BUTTON_CLASS
                    ),
                    dbc.Button(
                        [create_icon("check2-circle", class_name="me-1"), "Create report"],
                        id=page_id("modal-submit"),
                        color="success",
                        class_name=f"{BUTTON_CLASS} d-none",
                    ),
                ]
            ),
        ],
        id=page_id("modal"),
        size="xl",
        scrollable=True,
        is_open=False,
        backdrop="static",
        class_name="rb-run-modal",
    )


def create_stepper(step: int) -> html.Ol:
    """The four steps, the current one marked (also for screen readers)."""
    items = []
    for number, label in enumerate(STEPS, start=1):
        state = "done" if number < step else "active" if number == step else "todo"
        extra: dict[str, Any] = {"aria-current": "step"} if number == step else {}
        marker: Any = create_icon("check-lg") if state == "done" else str(number)
        items.append(
            html.Li(
                [html.Span(marker, className="rb-step-number"), html.Span(label)],
                className=f"rb-step rb-step-{state}",
                **extra,
            )
        )
    named: dict[str, Any] = {"aria-label": "Steps"}
    return html.Ol(items, className="rb-stepper", **named)


def _field(label: str, control: Component, target: str, *, help: Any = None) -> html.Div:
    children: list[Any] = [dbc.Label(label, html_for=target, class_name="fw-semibold mb-1")]
    children.append(control)
    if help is not None:
        children.append(dbc.FormText(help, class_name="d-block"))
    return html.Div(children, className="mb-3")


def create_parameters_step() -> html.Div:
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            [
                                dbc.Label(
                                    ["Report name", html.Span(" *", className="text-danger")],
                                    html_for=page_id("name"),
                                    class_name="fw-semibold mb-1",
                                ),
                                dbc.Input(id=page_id("name"), maxLength=200, autocomplete="off"),
                                dbc.FormFeedback(id=page_id("name-error"), type="invalid"),
                            ],
                            className="mb-3",
                        ),
                        xs=12,
                        md=6,
                    ),
                    dbc.Col(
                        _field(
                            "Instance",
                            dbc.Select(id=page_id("instance"), options=[]),
                            page_id("instance"),
                            help=html.Span(id=page_id("instance-info")),
                        ),
                        xs=12,
                        md=6,
                    ),
                ],
                class_name="g-3",
            ),
            html.H3("Parameters", className="h6 text-uppercase text-body-secondary mt-2 mb-3"),
            html.Div(id=page_id("form")),
        ]
    )


def create_run_type_step() -> html.Div:
    return html.Div(
        [
            html.Fieldset(
                [
                    html.Legend("How should it run?", className="h6 fw-semibold"),
                    dbc.RadioItems(
                        id=page_id("run-type"),
                        options=[
                            {
                                "label": html.Span(
                                    [html.Strong(label), html.Small(text, className="d-block")]
                                ),
                                "value": value,
                            }
                            for value, label, text in RUN_TYPES
                        ],
                        value="once",
                        class_name="rb-run-types",
                        input_class_name="btn-check",
                        label_class_name="btn btn-outline-primary text-start",
                        label_checked_class_name="active",
                    ),
                ],
                className="mb-3",
            ),
            html.Div(create_recurring_section(), id=page_id("recurring"), className="d-none"),
            html.Div(create_backfill_section(), id=page_id("backfill"), className="d-none"),
        ]
    )


def create_recurring_section() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                create_schedule_fields(page_id),
                dbc.Checkbox(
                    id=page_id("run-now"),
                    label="Also run it once now",
                    value=False,
                    class_name="mt-3",
                ),
                dbc.Checkbox(
                    id=page_id("with-backfill"),
                    label="Also fill in the past (backfill), e.g. the last 6 months",
                    value=False,
                ),
            ]
        ),
        class_name="mb-3",
    )


def create_backfill_section() -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H4("Backfill", className="h6 mb-3"),
                dbc.Row(
                    [
                        dbc.Col(
                            _field(
                                "Segments",
                                dbc.Select(
                                    id=page_id("segment"),
                                    options=[
                                        {"label": label, "value": value}
                                        for value, label, _ in SEGMENT_TYPES
                                    ],
                                    value="weekly",
                                ),
                                page_id("segment"),
                                help="One run per segment; calendar-aligned.",
                            ),
                            xs=12,
                            md=4,
                        ),
                        dbc.Col(
                            html.Div(
                                [
                                    dbc.Label(
                                        "Look back (days)",
                                        html_for=page_id("lookback"),
                                        class_name="fw-semibold mb-1",
                                    ),
                                    dbc.Input(
                                        id=page_id("lookback"),
                                        type="text",
                                        inputMode="numeric",
                                        value=str(DEFAULT_LOOKBACK_DAYS),
                                        debounce=400,
                                        autocomplete="off",
                                    ),
                                    dbc.FormFeedback(id=page_id("lookback-error"), type="invalid"),
                                    html.Div(
                                        [
                                            dbc.Button(
                                                label,
                                                id=lookback_preset_id(days),
                                                size="sm",
                                                color="secondary",
                                                outline=True,
                                            )
                                            for days, label in LOOKBACK_PRESETS
                                        ],
                                        className="d-flex flex-wrap gap-1 mt-2",
                                    ),
                                ],
                                className="mb-3",
                            ),
                            xs=12,
                            md=8,
                        ),
                    ],
                    class_name="g-3",
                ),
                html.P(id=page_id("freshness"), className="rb-freshness small mb-2"),
                html.P(id=page_id("segments-preview"), className="fw-semibold mb-0"),
            ]
        ),
        class_name="mb-3",
    )


def create_review(
    sentences: list[str], parameters: list[tuple[str, str]], preview_sql: str | None
) -> html.Div:
    """Step 3: what will happen, the parameters, and the SQL as it will read."""
    return html.Div(
        [
            html.H3("What will happen", className="h6"),
            html.Ol([html.Li(s) for s in sentences], className="rb-plan mb-4"),
            html.H3("Parameters", className="h6"),
            dbc.Table(
                html.Tbody(
                    [
                        html.Tr([html.Th(label, scope="row"), html.Td(value)])
                        for label, value in parameters
                    ]
                )
                if parameters
                else html.Tbody(html.Tr(html.Td("No parameters."))),
                size="sm",
                class_name="rb-review-parameters mb-4",
            ),
            html.H3("SQL", className="h6"),
            html.P(
                "Values are shown here for reading; the run sends them to the database "
                "as bound parameters.",
                className="small text-body-secondary mb-2",
            ),
            html.Pre(
                html.Code(preview_sql or "", className="language-sql"),
                id=page_id("preview-sql"),
                className="rb-sql border rounded-3 p-3 mb-0",
            ),
        ]
    )


def create_outcome(report_id: str, done: Sequence[str]) -> html.Div:
    """Step 4: what was made, while the browser opens the report."""
    items: list[Component] = [
        html.Li([create_icon("check-circle-fill", class_name="text-success me-2"), text])
        for text in done
    ]
    return html.Div(
        [
            html.Ul(items, className="list-unstyled rb-outcome mb-3"),
            html.P(
                ["Opening the report ", html.Code(report_id), "…"],
                className="text-body-secondary",
            ),
        ]
    )

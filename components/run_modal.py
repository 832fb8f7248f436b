"""RunReportModal: four steps, Parameters → Run type → Review → Submit.

The layout, the step logic and the plain words of the review live here as plain
functions; the page's callbacks call the services and hand the results to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components.ids import lookback_preset_id, page_id
from components.navbar import create_icon
from components.schedule_form import create_schedule_fields, format_run
from services.report_plans import PlanCheck, RunPlan, schedule_words
from services.windows import Window

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


def format_day(day: date) -> str:
    """ "Mon 3 Feb 2025"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


# --- layout ------------------------------------------------------------------------------


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


# --- step logic --------------------------------------------------------------------------


def hidden_unless(shown: bool, base: str = "") -> str:
    return base if shown else f"{base} d-none".strip()


@dataclass(frozen=True)
class StepView:
    """What shows at a step: the panes, the footer buttons, and the cancel button's label."""

    panes: tuple[str, ...]
    back: str
    next: str
    submit: str
    cancel_label: str


def step_view(step: int) -> StepView:
    step = max(FIRST_STEP, min(step, SUBMIT_STEP))
    return StepView(
        panes=tuple(hidden_unless(number == step) for number in range(1, len(STEPS) + 1)),
        back=hidden_unless(FIRST_STEP < step < SUBMIT_STEP, BUTTON_CLASS),
        next=hidden_unless(step < REVIEW_STEP, BUTTON_CLASS),
        submit=hidden_unless(step == REVIEW_STEP, BUTTON_CLASS),
        cancel_label="Close" if step == SUBMIT_STEP else "Cancel",
    )


def section_classes(run_type: str | None, with_backfill: bool) -> tuple[str, str]:
    """Classes of the recurring section and the backfill section."""
    recurring = run_type == "recurring"
    backfill = run_type == "backfill" or (recurring and bool(with_backfill))
    return hidden_unless(recurring), hidden_unless(backfill)


def raw_plan(
    run_type: str | None,
    schedule: Mapping[str, Any],
    run_now: bool | None,
    with_backfill: bool | None,
    segment: str | None,
    lookback: Any,
) -> dict[str, Any]:
    """Step 2's choices in the shape `report_plans.read_plan` reads: once = a run now;
    on a schedule (maybe with a run now and a backfill); a backfill."""
    backfill = {"segment": segment, "lookback_days": lookback}
    if run_type == "recurring":
        return {
            "schedule": dict(schedule),
            "run_now": {} if run_now else None,
            "backfill": backfill if with_backfill else None,
        }
    if run_type == "backfill":
        return {"backfill": backfill}
    return {"run_now": {}}


# --- plain words --------------------------------------------------------------------------


def describe_freshness(freshest: date, *, data_lag_days: int, min_data_age_days: int) -> str:
    """Why the data stops where it does, in the user's words."""
    day = format_day(freshest)
    lag = f"{data_lag_days} day{'s' if data_lag_days != 1 else ''}"
    if min_data_age_days > data_lag_days:
        return (
            f"Data is complete up to {day} because this template waits "
            f"{min_data_age_days} days for conversions to be credited "
            f"(this instance's data arrives {lag} late)."
        )
    if data_lag_days >= 1:
        return f"Data is complete up to {day} because this instance's data arrives {lag} late."
    return f"Data is complete up to {day}: today's data is never complete."


def segment_noun(segment_type: str) -> str:
    return {value: noun for value, _, noun in SEGMENT_TYPES}.get(segment_type, segment_type)


def describe_segments(window: Window, count: int, segment_type: str) -> str:
    """ "182 days, Mon 5 Aug 2024 to Sun 2 Feb 2025: 27 weekly segments." """
    return (
        f"{window.days} days, {format_day(window.start)} to {format_day(window.last_day)}: "
        f"{count} {segment_noun(segment_type)} segment{'s' if count != 1 else ''}."
    )


@dataclass(frozen=True)
class PlanFacts:
    """What the review states besides the plan: names and limits."""

    report_name: str
    template_name: str
    instance_name: str
    max_concurrency: int = 1
    freshness: str = ""


def covered(plan: RunPlan, check: PlanCheck) -> str:
    """What one scheduled run covers, in words: "the previous 7 days", "the previous month"."""
    window = check.schedule_window
    frequency = plan.schedule.frequency if plan.schedule else None
    if frequency in {"monthly", "quarterly"}:
        return "the previous month" if frequency == "monthly" else "the previous 3 months"
    if window is None:
        return "its period"
    if window.days == 1:
        return "the previous day"
    return f"the previous {window.days} days"


def describe_plan(plan: RunPlan, check: PlanCheck, facts: PlanFacts) -> list[str]:
    """Everything that will happen on Submit, one sentence each, in order; the windows are
    the ones the runs will use (data lag included)."""
    sentences = [
        f"Create the report “{facts.report_name}” from the template {facts.template_name} "
        f"on {facts.instance_name}, with its own dashboard."
    ]
    if plan.schedule is not None:
        first = check.first_runs[0] if check.first_runs else None
        when = schedule_words(plan.schedule)
        first_text = (
            f"; the first run is {format_run(first, plan.schedule.timezone)[0]}" if first else ""
        )
        sentences.append(
            f"Run it on its schedule: {when[:1].lower()}{when[1:]}{first_text}. "
            f"Each run covers {covered(plan, check)} of complete data."
        )
    if check.run_window is not None:
        window = check.run_window
        also = "Also run it once now" if plan.schedule is not None else "Run it once now"
        sentences.append(
            f"{also}, over {window.days} days of complete data "
            f"({format_day(window.start)} to {format_day(window.last_day)})."
        )
    if check.backfill is not None:
        backfill = check.backfill
        count = len(backfill.to_create)
        days = (backfill.end_date - backfill.start_date).days + 1
        sentences.append(
            f"Backfill {days} days ({format_day(backfill.start_date)} to "
            f"{format_day(backfill.end_date)}) in {count} "
            f"{segment_noun(backfill.segment_type)} segment{'s' if count != 1 else ''}, "
            f"one run each; at most {facts.max_concurrency} run at the same time on this instance."
        )
    if facts.freshness:
        sentences.append(facts.freshness)
    sentences.append("Then open the report's page, where you can follow the runs.")
    return sentences


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

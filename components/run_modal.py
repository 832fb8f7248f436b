"""RunReportModal: four steps, Parameters → Run type → Review → Submit.

The layout, the step logic and the plain words of the review live here as plain
functions; the page's callbacks call the services and hand the results to them.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components.ids import lookback_preset_id, page_id
from components.navbar import create_icon
from services.cron import check_cron, cron_for, zone
from services.errors import ParameterError
from services.schedules import PreviewRun
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
#: Schedule types: (value, label, when it runs in words).
SCHEDULE_TYPES = (
    ("daily", "Daily", "every day"),
    ("weekly", "Weekly (Mondays)", "every Monday"),
    ("monthly", "Monthly (on the 1st)", "on the 1st of every month"),
    (
        "quarterly",
        "Quarterly (1 Jan, Apr, Jul, Oct)",
        "on the 1st of January, April, July and October",
    ),
    ("custom", "Custom (cron expression)", "on its cron schedule"),
)
#: What one scheduled run covers, by schedule type (see services.schedules.period_window).
PERIODS = {
    "daily": "the previous day",
    "weekly": "the previous 7 days",
    "monthly": "the previous month",
    "quarterly": "the previous 3 months",
    "custom": "the previous day",
}
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
DEFAULT_TIME_OF_DAY = "06:00"
#: How many upcoming runs the schedule preview lists.
PREVIEW_COUNT = 5


@cache
def timezone_options() -> tuple[dict[str, str], ...]:
    """Every IANA zone name this Python knows, sorted, for the time zone picker."""
    names = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return tuple({"label": name.replace("_", " "), "value": name} for name in names)


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
                dbc.Row(
                    [
                        dbc.Col(
                            _field(
                                "Repeat",
                                dbc.Select(
                                    id=page_id("schedule-type"),
                                    options=[
                                        {"label": label, "value": value}
                                        for value, label, _ in SCHEDULE_TYPES
                                    ],
                                    value="weekly",
                                ),
                                page_id("schedule-type"),
                            ),
                            xs=12,
                            md=4,
                        ),
                        dbc.Col(
                            _field(
                                "Time of day",
                                dbc.Input(
                                    id=page_id("time"), type="time", value=DEFAULT_TIME_OF_DAY
                                ),
                                page_id("time"),
                            ),
                            xs=6,
                            md=3,
                        ),
                        dbc.Col(
                            _field(
                                "Time zone",
                                dcc.Dropdown(
                                    id=page_id("timezone"),
                                    options=list(timezone_options()),
                                    value="UTC",
                                    clearable=False,
                                    className="rb-dropdown",
                                ),
                                page_id("timezone"),
                            ),
                            xs=6,
                            md=5,
                        ),
                    ],
                    class_name="g-3",
                ),
                html.Div(
                    [
                        dbc.Label(
                            "Cron expression", html_for=page_id("cron"), class_name="fw-semibold"
                        ),
                        dbc.Input(id=page_id("cron"), placeholder="0 6 * * 1", autocomplete="off"),
                        dbc.FormFeedback(id=page_id("cron-error"), type="invalid"),
                        dbc.FormText(
                            "Five fields: minute hour day-of-month month day-of-week, "
                            "in the time zone above. 0 6 * * 1 = Mondays at 06:00."
                        ),
                    ],
                    id=page_id("cron-row"),
                    className="mb-3 d-none",
                ),
                dbc.Checkbox(id=page_id("run-now"), label="Also run it once now", value=False),
                dbc.Checkbox(
                    id=page_id("with-backfill"),
                    label="Also fill in the past (backfill), e.g. the last 6 months",
                    value=False,
                ),
                html.Div(
                    [
                        html.H4("Next 5 runs", className="h6 mt-3 mb-2"),
                        html.Ol(id=page_id("next-runs"), className="rb-next-runs mb-0"),
                    ]
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
                                        type="number",
                                        step="any",
                                        value=DEFAULT_LOOKBACK_DAYS,
                                        debounce=400,
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


def section_classes(
    run_type: str | None, with_backfill: bool, schedule_type: str | None
) -> tuple[str, str, str]:
    """Classes of the recurring section, the backfill section and the cron row."""
    recurring = run_type == "recurring"
    backfill = run_type == "backfill" or (recurring and bool(with_backfill))
    return (
        hidden_unless(recurring),
        hidden_unless(backfill),
        hidden_unless(recurring and schedule_type == "custom", "mb-3"),
    )


@dataclass(frozen=True)
class RunPlan:
    """What the user chose in step 2."""

    run_type: str = "once"
    schedule_type: str = "weekly"
    cron_expression: str = ""
    time_of_day: str = DEFAULT_TIME_OF_DAY
    timezone: str = "UTC"
    run_now: bool = False
    with_backfill: bool = False
    segment_type: str = "weekly"
    lookback_days: Any = DEFAULT_LOOKBACK_DAYS

    @property
    def recurring(self) -> bool:
        return self.run_type == "recurring"

    @property
    def runs_now(self) -> bool:
        return self.run_type == "once" or (self.recurring and self.run_now)

    @property
    def backfills(self) -> bool:
        return self.run_type == "backfill" or (self.recurring and self.with_backfill)

    @property
    def frequency(self) -> str:
        """The report's frequency: its schedule type, or "once"."""
        if self.recurring and self.schedule_type != "custom":
            return self.schedule_type
        return "once"


def read_plan(
    run_type: str | None,
    schedule_type: str | None,
    cron_expression: str | None,
    time_of_day: str | None,
    timezone: str | None,
    run_now: bool | None,
    with_backfill: bool | None,
    segment_type: str | None,
    lookback_days: Any,
) -> RunPlan:
    return RunPlan(
        run_type=run_type or "once",
        schedule_type=schedule_type or "weekly",
        cron_expression=(cron_expression or "").strip(),
        time_of_day=(time_of_day or "").strip(),
        timezone=timezone or "UTC",
        run_now=bool(run_now),
        with_backfill=bool(with_backfill),
        segment_type=segment_type or "weekly",
        lookback_days=lookback_days,
    )


def time_of_day(text: str) -> tuple[int, int]:
    try:
        hour, minute = (int(part) for part in text.split(":")[:2])
    except ValueError:
        raise ParameterError("time_of_day", "Enter a time such as 06:30.") from None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ParameterError("time_of_day", "Enter a time between 00:00 and 23:59.")
    return hour, minute


def plan_cron(plan: RunPlan) -> str:
    """The cron expression the schedule will have; ParameterError says what is wrong."""
    if plan.schedule_type == "custom":
        if not plan.cron_expression:
            raise ParameterError("cron_expression", "Enter a cron expression, e.g. 0 6 * * 1.")
        return check_cron(plan.cron_expression)
    hour, minute = time_of_day(plan.time_of_day)
    return cron_for(plan.schedule_type, hour=hour, minute=minute)


def lookback_days(raw: Any, max_days: int) -> int:
    """The lookback as whole days within 1..max_days; ParameterError otherwise."""
    message = f"Look back between 1 and {max_days} days."
    try:
        number = float(raw)
    except (TypeError, ValueError):
        raise ParameterError("lookback_days", message) from None
    if not number.is_integer() or not 1 <= number <= max_days:
        raise ParameterError("lookback_days", message)
    return int(number)


def plan_problems(plan: RunPlan, *, max_lookback_days: int) -> dict[str, str]:
    """Field → message for everything in step 2 that would be refused."""
    problems: dict[str, str] = {}
    if plan.recurring:
        try:
            plan_cron(plan)
        except ParameterError as error:
            problems[error.field] = error.message
        try:
            zone(plan.timezone)
        except ParameterError as error:
            problems["timezone"] = error.message
    if plan.backfills:
        try:
            lookback_days(plan.lookback_days, max_lookback_days)
        except ParameterError as error:
            problems["lookback_days"] = error.message
    return problems


# --- plain words --------------------------------------------------------------------------


def format_run(run: PreviewRun, timezone: str) -> tuple[str, str]:
    """A previewed run as (local time with the zone's abbreviation, the same in UTC)."""
    instant = datetime.fromisoformat(run.utc.replace("Z", "+00:00"))
    local = instant.astimezone(ZoneInfo(timezone))
    return (
        f"{format_day(local.date())}, {local:%H:%M} {local:%Z}",
        f"{instant:%Y-%m-%d %H:%M} UTC",
    )


def create_next_runs(runs: list[PreviewRun], timezone: str) -> list[html.Li]:
    items = []
    for run in runs:
        local, utc = format_run(run, timezone)
        items.append(html.Li([local, html.Small(f" · {utc}", className="text-body-secondary")]))
    return items


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


def schedule_words(plan: RunPlan) -> str:
    when = {value: words for value, _, words in SCHEDULE_TYPES}[plan.schedule_type]
    if plan.schedule_type == "custom":
        return f"on the cron schedule “{plan.cron_expression}” ({plan.timezone})"
    return f"{when} at {plan.time_of_day} ({plan.timezone})"


@dataclass(frozen=True)
class PlanFacts:
    """What the review states besides the plan: names, windows, first run, segments."""

    report_name: str
    template_name: str
    instance_name: str
    once_window: Window
    first_run: str | None = None
    backfill_window: Window | None = None
    segment_count: int = 0
    max_concurrency: int = 1
    freshness: str = ""


def describe_plan(plan: RunPlan, facts: PlanFacts) -> list[str]:
    """Everything that will happen on Submit, one sentence each, in order."""
    once = (
        f"over the last {facts.once_window.days} days of complete data "
        f"({format_day(facts.once_window.start)} to {format_day(facts.once_window.last_day)})"
    )
    sentences = [
        f"Create the report “{facts.report_name}” from the template {facts.template_name} "
        f"on {facts.instance_name}, with its own dashboard."
    ]
    if plan.recurring:
        first = f"; the first run is {facts.first_run}" if facts.first_run else ""
        sentences.append(
            f"Run it {schedule_words(plan)}{first}. "
            f"Each run covers {PERIODS[plan.schedule_type]} of complete data."
        )
        if plan.run_now:
            sentences.append(f"Also run it once now, {once}.")
    elif plan.run_type == "once":
        sentences.append(f"Run it once now, {once}.")
    if plan.backfills and facts.backfill_window is not None:
        window = facts.backfill_window
        sentences.append(
            f"Backfill {window.days} days ({format_day(window.start)} to "
            f"{format_day(window.last_day)}) in {facts.segment_count} "
            f"{segment_noun(plan.segment_type)} segment{'s' if facts.segment_count != 1 else ''}, "
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


@dataclass(frozen=True)
class Outcome:
    """What Submit did: the report (when created), each step done, and what failed."""

    report_id: str | None
    done: tuple[str, ...]
    error: str | None = None


def create_outcome(outcome: Outcome) -> html.Div:
    """Step 4: each step done, and what failed with a way on."""
    items: list[Component] = [
        html.Li([create_icon("check-circle-fill", class_name="text-success me-2"), text])
        for text in outcome.done
    ]
    if outcome.error:
        items.append(
            html.Li(
                [
                    create_icon("exclamation-triangle-fill", class_name="text-danger me-2"),
                    outcome.error,
                ]
            )
        )
    children: list[Component] = [html.Ul(items, className="list-unstyled rb-outcome mb-3")]
    if outcome.report_id and outcome.error:
        children.append(
            dbc.Button(
                "Open the report anyway",
                href=f"/reports/{outcome.report_id}",
                color="primary",
                outline=True,
            )
        )
    elif outcome.report_id:
        children.append(html.P("Opening the report…", className="text-body-secondary"))
    return html.Div(children)

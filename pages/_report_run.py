"""The report page's "Run for dates…": one run now over a date-range preset or explicit
days, with parameter overrides for this run only (`report_plans.apply_plan`).

The window is the services': its end is capped by data freshness and its length by the
instance's history, and the modal says which days the run will cover before it starts.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from components.callbacks import CallbackSet
from components.feedback import create_feedback, error_message
from components.format import format_window
from components.ids import form_store_id
from components.parameter_form import ParameterFormAIO, form_states, read_form
from components.parameter_values import parameter_errors
from services.errors import DomainError, ParameterError, ValidationFailed
from services.presets import DATE_PRESETS
from services.report_plans import RunPlan, apply_plan, check_plan, read_plan
from services.reports import ReportInfo, get_report
from services.templates import TemplateDetail
from services.windows import RUN_PRESETS
from webcontext import callback_actor, db_session, redis_client

#: The parameter form's key (components.parameter_form).
FORM = "report-run"
#: The range choices: the default window, each preset, or explicit days.
DEFAULT, CUSTOM = "default", "custom"
#: Registered by pages/report.py for every app (see components.callbacks).
callbacks = CallbackSet()


def run_id(thing: str) -> str:
    return f"report-run-{thing}"


def create_run_button() -> dbc.Button:
    return dbc.Button(
        [html.I(className="bi bi-calendar-event me-1"), "Run for dates…"],
        id=run_id("open"),
        color="outline-primary",
    )


def range_options() -> list[dict[str, str]]:
    return [
        {"label": "Last 30 days of complete data", "value": DEFAULT},
        *({"label": DATE_PRESETS[p][0], "value": p} for p in RUN_PRESETS),
        {"label": "Choose the days", "value": CUSTOM},
    ]


def create_run_modal(
    report: ReportInfo, template: TemplateDetail, *, is_open: bool = False
) -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(f"Run “{report.name}” now")),
            dbc.ModalBody(
                [
                    dbc.Label("Dates", html_for=run_id("range"), class_name="fw-semibold"),
                    dbc.Select(id=run_id("range"), options=range_options(), value=DEFAULT),
                    html.Div(
                        dbc.Row(
                            [
                                dbc.Col(_day_input("start", "From"), xs=6),
                                dbc.Col(_day_input("end", "To (included)"), xs=6),
                            ],
                            class_name="g-3",
                        ),
                        id=run_id("days"),
                        className="d-none mt-3",
                    ),
                    html.P(id=run_id("window"), className="fw-semibold mt-3 mb-1"),
                    html.P(id=run_id("window-error"), className="text-danger small mb-3"),
                    html.Details(
                        [
                            html.Summary("Change parameters for this run only"),
                            html.Div(
                                ParameterFormAIO(
                                    FORM,
                                    template_id=template.template_id,
                                    definitions=template.parameter_definitions,
                                    ui_schema=template.ui_schema,
                                    values=report.parameters,
                                    timezone=report.timezone,
                                    instance_id=report.instance_id,
                                ),
                                className="pt-3",
                            ),
                        ],
                        id=run_id("overrides"),
                        className="rb-overrides",
                    ),
                ]
            ),
            dbc.ModalFooter(
                [
                    html.Span(id=run_id("hint"), className="me-auto small text-danger"),
                    dbc.Button("Cancel", id=run_id("cancel"), color="link"),
                    dbc.Button(
                        [html.I(className="bi bi-play-fill me-1"), "Run"],
                        id=run_id("submit"),
                        color="primary",
                    ),
                ]
            ),
        ],
        id=run_id("modal"),
        size="lg",
        scrollable=True,
        is_open=is_open,
    )


def _day_input(name: str, label: str) -> html.Div:
    return html.Div(
        [
            dbc.Label(label, html_for=run_id(name), class_name="mb-1"),
            dbc.Input(id=run_id(name), type="date"),
        ]
    )


def raw_run(choice: str | None, start: Any, end: Any, overrides: Any = None) -> dict[str, Any]:
    """The choice in the shape `report_plans.read_plan` reads."""
    run: dict[str, Any] = {"parameters": overrides or {}}
    if choice == CUSTOM:
        run |= {"start_date": start, "end_date": end}
    elif choice and choice != DEFAULT:
        run["preset"] = choice
    return {"run_now": run}


@callbacks.callback(
    Output(run_id("modal"), "is_open"),
    Input(run_id("open"), "n_clicks"),
    Input(run_id("cancel"), "n_clicks"),
    prevent_initial_call=True,
)
def toggle(open_clicks: int | None, cancel_clicks: int | None) -> bool:
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    return ctx.triggered_id == run_id("open")


@callbacks.callback(
    Output(run_id("days"), "className"),
    Output(run_id("window"), "children"),
    Output(run_id("window-error"), "children"),
    Input(run_id("range"), "value"),
    Input(run_id("start"), "value"),
    Input(run_id("end"), "value"),
    State("report-id", "data"),
)
def describe_window(
    choice: str | None, start: str | None, end: str | None, report_id: str
) -> tuple[str, Any, str]:
    """Which days the run will cover (the services' window), or why it cannot run."""
    days = "mt-3" if choice == CUSTOM else "d-none mt-3"
    actor = callback_actor()
    if actor is None:
        return days, no_update, no_update
    if choice == CUSTOM and not (start or end):
        return days, "", ""
    try:
        with db_session() as session:
            report = get_report(session=session, actor=actor, report_id=report_id)
            check = check_plan(
                session=session,
                actor=actor,
                template_id=report.template_id,
                instance_id=report.instance_id,
                plan=read_plan(raw_run(choice, start, end)),
            )
    except ValidationFailed as error:
        return days, "", " ".join(dict.fromkeys(error.errors.values()))
    except DomainError as error:
        return days, "", error_message(error)
    window = check.run_window
    assert window is not None
    return days, f"{window.days} days: {format_window(window.start, window.end)}", ""


@callbacks.callback(
    output={
        "open": Output(run_id("modal"), "is_open", allow_duplicate=True),
        "hint": Output(run_id("hint"), "children"),
        "reveal": Output(form_store_id(FORM, "reveal"), "data"),
        "feedback": Output("report-feedback", "children", allow_duplicate=True),
        "refresh": Output("report-refresh", "data", allow_duplicate=True),
    },
    inputs={
        "clicks": Input(run_id("submit"), "n_clicks"),
        "report_id": State("report-id", "data"),
        "choice": State(run_id("range"), "value"),
        "start": State(run_id("start"), "value"),
        "end": State(run_id("end"), "value"),
        "form": form_states(FORM),
        "refresh": State("report-refresh", "data"),
    },
    running=[(Output(run_id("submit"), "disabled"), True, False)],
    prevent_initial_call=True,
)
def run(
    clicks: int | None,
    report_id: str,
    choice: str | None,
    start: str | None,
    end: str | None,
    form: list[Any],
    refresh: int | None,
) -> dict[str, Any]:
    """Queue the run; a worker runs it and the page's history follows it."""
    unchanged = dict.fromkeys(("open", "hint", "reveal", "feedback", "refresh"), no_update)
    actor = callback_actor()
    if actor is None or not clicks:
        raise PreventUpdate
    overrides = read_form(form)
    try:
        plan = read_plan(raw_run(choice, start, end, overrides))
        with db_session() as session:
            outcome = apply_plan(
                session=session,
                redis=redis_client(),
                actor=actor,
                report_id=report_id,
                plan=RunPlan(run_now=plan.run_now),
            )
    except ValidationFailed as error:
        reveal = bool(parameter_errors(_unprefixed(error.errors)))
        message = "Fix the fields marked in red: " + " ".join(dict.fromkeys(error.errors.values()))
        return {**unchanged, "hint": message, "reveal": True if reveal else no_update}
    except ParameterError as error:
        return {**unchanged, "hint": error.message}
    except DomainError as error:
        return {**unchanged, "hint": error_message(error)}
    assert outcome.execution is not None
    message = f"Run {outcome.execution.execution_id} is queued; its status updates below."
    return {
        **unchanged,
        "open": False,
        "hint": "",
        "feedback": create_feedback(message),
        "refresh": (refresh or 0) + 1,
    }


def _unprefixed(errors: dict[str, str]) -> dict[str, str]:
    return {k.removeprefix("run_now."): v for k, v in errors.items()}

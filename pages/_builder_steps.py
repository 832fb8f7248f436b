"""The run modal's steps: Next checks a step through the services before going on, Back
always goes, the review says what Submit will do, and Submit creates the report with its
plan (services.report_plans), all or nothing, then lands on the report's page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from components.callbacks import CallbackSet
from components.feedback import error_message
from components.ids import RUN_FORM, page_id
from components.parameter_form import ParameterFormAIO, read_form, value_states
from components.parameter_values import parameter_errors
from components.plan_words import (
    PlanFacts,
    describe_freshness,
    describe_plan,
    describe_values,
    done_sentences,
    plan_hint,
)
from components.run_modal import (
    REVIEW_STEP,
    STEP_PANES,
    SUBMIT_STEP,
    create_outcome,
    create_review,
    create_stepper,
)
from components.run_steps import raw_plan, step_of, step_view, whole
from components.schedule_form import FIELDS as SCHEDULE_FIELDS
from components.schedule_form import schedule_values
from services.errors import DomainError, ParameterError, ValidationFailed
from services.report_plans import PlanCheck, check_plan, create_report_with_plan, read_plan
from services.reports import check_name
from services.templates import validate_parameters
from services.users import Actor
from services.windows import Window, default_window
from webcontext import callback_actor, db_session, redis_client

#: Registered by pages/report_builder.py for every app (see components.callbacks).
callbacks = CallbackSet()

PLAN_STATES = [
    State(page_id("run-type"), "value"),
    *(State(page_id(name), "value") for name in SCHEDULE_FIELDS),
    State(page_id("run-now"), "value"),
    State(page_id("with-backfill"), "value"),
    State(page_id("segment"), "value"),
    State(page_id("lookback"), "value"),
]
FORM_STATES = [
    State(page_id("modal-state"), "data"),
    State(page_id("name"), "value"),
    State(page_id("instance"), "value"),
    *value_states(RUN_FORM),
    State(ParameterFormAIO.ids.store(RUN_FORM, "spec"), "data"),
    *PLAN_STATES,
    State(page_id("catalogue"), "data"),
]


def read_modal(args: tuple[Any, ...]) -> dict[str, Any]:
    """The modal's State values (FORM_STATES order) as named parts; the plan stays raw
    (`plan`): the services read it."""
    state, name, instance_id, *rest = args
    form_values, spec, rest = rest[:6], rest[6], rest[7:]
    run_type, *rest = rest
    schedule, rest = rest[: len(SCHEDULE_FIELDS)], rest[len(SCHEDULE_FIELDS) :]
    run_now, with_backfill, segment, lookback, known = rest
    values = read_form([*form_values, spec]) if spec else {}
    return {
        "state": dict(state or {}),
        "name": name or "",
        "instance_id": instance_id,
        "values": values,
        "spec": spec or {},
        "plan": raw_plan(
            run_type, schedule_values(*schedule), run_now, with_backfill, segment, lookback
        ),
        "known": known or {"instances": {}},
    }


@callbacks.callback(
    output={
        "state": Output(page_id("modal-state"), "data", allow_duplicate=True),
        "name_invalid": Output(page_id("name"), "invalid", allow_duplicate=True),
        "name_error": Output(page_id("name-error"), "children"),
        "reveal": Output(ParameterFormAIO.ids.store(RUN_FORM, "reveal"), "data"),
        "hint": Output(page_id("modal-hint"), "children", allow_duplicate=True),
        "review": Output(STEP_PANES[2], "children"),
    },
    inputs={
        "next_clicks": Input(page_id("modal-next"), "n_clicks"),
        "back_clicks": Input(page_id("modal-back"), "n_clicks"),
        "states": FORM_STATES,
    },
    prevent_initial_call=True,
)
def change_step(next_clicks: int | None, back_clicks: int | None, states: list[Any]) -> Any:
    """Next checks the step (through the services) before going on; Back always goes."""
    unchanged = dict.fromkeys(
        ("state", "name_invalid", "name_error", "reveal", "hint", "review"), no_update
    )
    modal = read_modal(tuple(states))
    if ctx.triggered_id == page_id("modal-back"):
        step = max(1, step_of(modal["state"]) - 1)
        return {**unchanged, "state": {**modal["state"], "step": step}, "hint": ""}
    actor = callback_actor()
    if actor is None:
        return unchanged
    try:
        return {**unchanged, **step_forward(actor, modal)}
    except DomainError as error:
        return {**unchanged, "hint": error_message(error)}


def step_forward(actor: Actor, modal: Mapping[str, Any]) -> dict[str, Any]:
    """change_step's outputs for Next: the next step, or what stops the user."""
    state, step = modal["state"], step_of(modal["state"])
    if step == 1:
        name_error = name_problem(modal["name"])
        check = _validate(modal)
        if name_error or not modal["instance_id"] or not check.valid:
            hint = "Choose an instance. " if not modal["instance_id"] else ""
            if name_error or not check.valid:
                hint += "Fix the fields marked in red to go on."
            return {
                "name_invalid": bool(name_error),
                "name_error": name_error,
                "reveal": True,
                "hint": hint.strip(),
            }
        return {"state": {**state, "step": 2}, "name_invalid": False, "name_error": "", "hint": ""}
    if step == 2:
        try:
            with db_session() as session:
                plan = read_plan(modal["plan"])
                check = check_plan(
                    session=session,
                    actor=actor,
                    template_id=state["template_id"],
                    instance_id=modal["instance_id"] or "",
                    plan=plan,
                )
        except ValidationFailed as error:
            return {"hint": plan_hint(error.errors)}
        parameters = _validate(modal, preview_window(check))
        if not parameters.valid:
            return {"state": {**state, "step": 1}, "reveal": True}
        info = modal["known"]["instances"].get(modal["instance_id"]) or {}
        review = create_review(
            describe_plan(plan, check, plan_facts(modal, info, check)),
            describe_values(modal["spec"], parameters.normalized, modal["values"]),
            parameters.preview_sql,
        )
        return {"state": {**state, "step": REVIEW_STEP}, "hint": "", "review": review}
    raise PreventUpdate


def preview_window(check: PlanCheck) -> Window:
    """The window the review's SQL shows: the run now's, else the backfill's first
    segment's, else the latest complete days (a scheduled run's), all after the data lag."""
    if check.run_window is not None:
        return check.run_window
    if check.backfill is not None and check.backfill.to_create:
        return check.backfill.to_create[0].window
    if check.schedule_window is not None:
        return check.schedule_window
    return default_window(check.freshest)


def name_problem(name: str) -> str:
    """The services' complaint about a report name, or ""."""
    try:
        check_name(name)
    except ParameterError as error:
        return error.message
    return ""


def _validate(modal: Mapping[str, Any], window: Window | None = None) -> Any:
    with db_session() as session:
        return validate_parameters(
            session=session,
            template_id=modal["state"]["template_id"],
            values=modal["values"],
            timezone=modal["spec"].get("timezone") or "UTC",
            window=window.as_datetimes() if window is not None else None,
        )


def plan_facts(modal: Mapping[str, Any], info: Mapping[str, Any], check: PlanCheck) -> PlanFacts:
    """The names and limits the review states besides the plan."""
    state = modal["state"]
    return PlanFacts(
        report_name=modal["name"].strip(),
        template_name=state.get("template_name", ""),
        instance_name=info.get("name", ""),
        max_concurrency=info.get("max_concurrency", 1),
        freshness=describe_freshness(
            check.freshest,
            data_lag_days=info.get("data_lag_days", 0),
            min_data_age_days=whole(state.get("min_data_age_days")),
        ),
    )


@callbacks.callback(
    Output(page_id("modal-hint"), "children", allow_duplicate=True),
    Input(page_id("run-type"), "value"),
    *(Input(page_id(name), "value") for name in SCHEDULE_FIELDS),
    Input(page_id("run-now"), "value"),
    Input(page_id("with-backfill"), "value"),
    Input(page_id("segment"), "value"),
    Input(page_id("lookback"), "value"),
    State(page_id("modal-hint"), "children"),
    State(page_id("modal-state"), "data"),
    prevent_initial_call=True,
)
def clear_fixed_hint(*values: Any) -> Any:
    """A step-2 error in the footer goes as soon as the run settings read cleanly again."""
    hint, state = values[-2], values[-1] or {}
    if not hint or step_of(state) != 2:
        raise PreventUpdate
    run_type, rest = values[0], values[1:-2]
    schedule = rest[: len(SCHEDULE_FIELDS)]
    run_now, with_backfill, segment, lookback = rest[len(SCHEDULE_FIELDS) :]
    try:
        read_plan(
            raw_plan(
                run_type, schedule_values(*schedule), run_now, with_backfill, segment, lookback
            )
        )
    except ValidationFailed as error:
        return plan_hint(error.errors)
    return ""


@callbacks.callback(
    output={
        "panes": [Output(pane, "className") for pane in STEP_PANES],
        "stepper": Output(page_id("stepper"), "children"),
        "back": Output(page_id("modal-back"), "class_name"),
        "next": Output(page_id("modal-next"), "class_name"),
        "submit": Output(page_id("modal-submit"), "class_name"),
        "cancel_label": Output(page_id("modal-cancel"), "children"),
    },
    inputs={"state": Input(page_id("modal-state"), "data")},
)
def show_step(state: dict[str, Any] | None) -> dict[str, Any]:
    step = step_of(state)
    view = step_view(step)
    return {
        "panes": list(view.panes),
        "stepper": create_stepper(step),
        "back": view.back,
        "next": view.next,
        "submit": view.submit,
        "cancel_label": view.cancel_label,
    }


@callbacks.callback(
    output={
        "pathname": Output(page_id("location"), "pathname"),
        "state": Output(page_id("modal-state"), "data", allow_duplicate=True),
        "outcome": Output(STEP_PANES[3], "children"),
        "hint": Output(page_id("modal-hint"), "children", allow_duplicate=True),
    },
    inputs={"clicks": Input(page_id("modal-submit"), "n_clicks"), "states": FORM_STATES},
    running=[(Output(page_id("modal-submit"), "disabled"), True, False)],
    prevent_initial_call=True,
)
def submit_report(clicks: int | None, states: list[Any]) -> Any:
    """Create the report with its plan, all or nothing (report_plans), then land on its
    page. A refused part sends the user back to the step holding the field."""
    unchanged = dict.fromkeys(("pathname", "state", "outcome", "hint"), no_update)
    if not clicks:
        raise PreventUpdate
    actor = callback_actor()
    if actor is None:
        return unchanged
    modal = read_modal(tuple(states))
    info = modal["known"]["instances"].get(modal["instance_id"]) or {}
    try:
        with db_session() as session:
            outcome = create_report_with_plan(
                session=session,
                redis=redis_client(),
                actor=actor,
                template_id=modal["state"].get("template_id", ""),
                instance_id=modal["instance_id"] or "",
                name=modal["name"],
                parameters=modal["values"],
                plan=read_plan(modal["plan"]),
                timezone=info.get("timezone", "UTC"),
            )
    except ValidationFailed as error:
        if parameter_errors(error.errors):
            step, hint = 1, "Some parameters need attention."
        else:
            step, hint = 2, plan_hint(error.errors)
        return {**unchanged, "state": {**modal["state"], "step": step}, "hint": hint}
    except ParameterError as error:
        step = 2 if "." in error.field else 1
        return {
            **unchanged,
            "state": {**modal["state"], "step": step},
            "hint": error_message(error),
        }
    except DomainError as error:
        return {**unchanged, "hint": error_message(error)}
    report = outcome.report
    return {
        "pathname": f"/reports/{report.report_id}",
        "state": {**modal["state"], "step": SUBMIT_STEP},
        "outcome": create_outcome(report.report_id, done_sentences(outcome)),
        "hint": "",
    }

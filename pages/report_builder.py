"""Report Builder: pick a template (Templates tab), fill in its parameters and choose how
it runs in the four-step RunReportModal, and find the reports made in the Reports tab.

Submitting creates the report and, as chosen, its schedule, a run now and a backfill;
every run is enqueued by the services, never run here. Then the browser lands on the
report's page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import (
    ALL,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    html,
    no_update,
)
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from components import ids, parameter_form, reports_table
from components.clicks import clicked_index
from components.feedback import create_error_feedback, error_message
from components.ids import RUN_FORM, page_id
from components.page import create_page_header
from components.parameter_form import (
    create_parameter_form,
    describe_values,
    parameter_errors,
    read_form,
    value_states,
)
from components.reports_table import create_reports_tab
from components.run_modal import (
    REVIEW_STEP,
    STEP_PANES,
    SUBMIT_STEP,
    PlanFacts,
    create_outcome,
    create_review,
    create_run_modal,
    create_stepper,
    describe_freshness,
    describe_plan,
    describe_segments,
    raw_plan,
    section_classes,
    step_view,
)
from components.schedule_form import (
    BROWSER_TIMEZONE_JS,
    known_zone,
    register_schedule_callbacks,
    schedule_values,
)
from components.schedule_form import FIELDS as SCHEDULE_FIELDS
from components.template_grid import (
    ANY,
    count_text,
    create_template_filters,
    create_template_grid,
    narrow,
)
from services.errors import DomainError, ParameterError, ValidationFailed
from services.instances import InstanceInfo, list_instances
from services.report_plans import (
    PlanCheck,
    PlanOutcome,
    check_plan,
    create_report_with_plan,
    read_plan,
)
from services.reports import check_name
from services.templates import fits_instance, get_template, list_templates, validate_parameters
from services.users import Actor
from services.windows import Window, default_window
from webcontext import callback_actor, current_actor, db_session, redis_client, sign_in_redirect

dash.register_page(
    __name__,
    path="/report-builder",
    name="Report Builder",
    title="Report Builder",
    order=1,
)

parameter_form.register_callbacks()
reports_table.register_callbacks()

TABS = ("templates", "reports")


def layout(tab: str | None = None, **_query: str) -> Component:
    actor = current_actor()
    if actor is None:
        return sign_in_redirect("/report-builder")
    with db_session() as session:
        templates = list_templates(session=session, actor=actor)
        instances = list_instances(session=session, actor=actor)
    needs = {t.template_id: list(t.metadata_needs) for t in templates}
    return html.Div(
        [
            dcc.Location(id=page_id("location"), refresh="callback-nav"),
            dcc.Store(id=page_id("catalogue"), data=catalogue(actor, instances, needs)),
            dcc.Store(id=page_id("modal-state"), data={"step": 1}),
            dcc.Store(id=page_id("browser-timezone")),
            html.Div(
                [
                    create_page_header(
                        "Report Builder",
                        "Pick a template, fill in its parameters, and run it once, on a schedule "
                        "or as a backfill.",
                    ),
                    dbc.Button(
                        "New template",
                        href="/report-builder/templates/new",
                        color="secondary",
                        outline=True,
                        id=page_id("new-template"),
                    )
                    if actor.can_run
                    else None,
                ],
                className="d-flex justify-content-between align-items-start gap-2",
            ),
            *notices(actor, instances),
            dbc.Tabs(
                [
                    dbc.Tab(
                        create_templates_tab(
                            templates, instances, needs, can_run(actor, instances)
                        ),
                        tab_id="templates",
                        label="Templates",
                    ),
                    dbc.Tab(
                        html.Div(create_reports_tab(), className="pt-3"),
                        tab_id="reports",
                        label="Reports",
                    ),
                ],
                id=page_id("tabs"),
                active_tab=tab if tab in TABS else "templates",
            ),
            create_run_modal(),
        ]
    )


def can_run(actor: Actor, instances: list[InstanceInfo]) -> bool:
    return actor.can_run and bool(instances)


def catalogue(
    actor: Actor, instances: list[InstanceInfo], needs: dict[str, list[str]]
) -> dict[str, Any]:
    """What the page's callbacks look up without asking the database again."""
    return {
        "can_run": can_run(actor, instances),
        "needs": needs,
        "instances": {
            i.instance_id: {
                "name": i.name,
                "timezone": i.timezone,
                "data_lag_days": i.data_lag_days,
                "max_lookback_days": i.max_lookback_days,
                "max_concurrency": i.max_concurrency,
                "kinds": list(i.metadata_kinds),
            }
            for i in instances
        },
    }


def notices(actor: Actor, instances: list[InstanceInfo]) -> list[Component]:
    if not actor.can_run:
        return [
            dbc.Alert(
                "You can browse templates and read reports; creating and running them "
                "takes an analyst or admin account.",
                color="info",
                id=page_id("viewer-notice"),
            )
        ]
    if not instances:
        return [
            dbc.Alert(
                "No instance is available to you yet, so reports have nowhere to run. "
                "Ask an admin to grant you one.",
                color="warning",
                id=page_id("no-instance-notice"),
            )
        ]
    return []


def create_templates_tab(
    templates: list[Any], instances: list[InstanceInfo], needs: dict[str, list[str]], runs: bool
) -> html.Div:
    return html.Div(
        [
            create_template_filters(
                [t.category for t in templates],
                [t.report_type for t in templates],
                {i.instance_id: i.name for i in instances},
            ),
            html.P(
                count_text(len(templates), len(templates)) if templates else "",
                id=page_id("template-count"),
                className="small text-body-secondary mb-2",
            ),
            html.Div(
                create_template_grid(templates, can_run=runs, needs=needs),
                id=page_id("templates"),
            ),
        ],
        className="pt-3",
    )


# --- templates tab ----------------------------------------------------------------------


@callback(
    Output(page_id("templates"), "children"),
    Output(page_id("template-count"), "children"),
    Input(page_id("template-search"), "value"),
    Input(page_id("template-category"), "value"),
    Input(page_id("template-type"), "value"),
    Input(page_id("template-instance"), "value"),
    State(page_id("catalogue"), "data"),
    prevent_initial_call=True,
)
def filter_templates(
    search: str | None,
    category: str | None,
    report_type: str | None,
    instance_id: str | None,
    known: dict[str, Any],
) -> Any:
    """The cards matching the search and the filters."""
    actor = callback_actor()
    if actor is None:
        return no_update, no_update
    category, report_type, instance_id = (
        None if choice in (None, "", ANY) else choice
        for choice in (category, report_type, instance_id)
    )
    with db_session() as session:
        found = list_templates(session=session, actor=actor, search=search, category=category)
    instance = known["instances"].get(instance_id) if instance_id else None
    shown = narrow(
        found,
        report_type=report_type,
        instance_kinds=None if instance is None else instance["kinds"],
        needs=known["needs"],
    )
    grid = create_template_grid(
        shown,
        can_run=known["can_run"],
        needs=known["needs"],
        filtered=any((search, category, report_type, instance_id)),
    )
    return grid, count_text(len(shown), len(known["needs"]))


@callback(
    Output(page_id("template-search"), "value"),
    Output(page_id("template-category"), "value"),
    Output(page_id("template-type"), "value"),
    Output(page_id("template-instance"), "value"),
    Input(page_id("template-clear"), "n_clicks"),
    prevent_initial_call=True,
)
def clear_template_filters(clicks: int | None) -> tuple[str, str, str, str]:
    if not clicks:
        raise PreventUpdate
    return "", ANY, ANY, ANY


# --- the run modal: open, close, instance -------------------------------------------------


@callback(
    Output(page_id("modal"), "is_open"),
    Output(page_id("modal-title"), "children"),
    Output(page_id("form"), "children"),
    Output(page_id("modal-state"), "data"),
    Output(page_id("name"), "value"),
    Output(page_id("name"), "invalid"),
    Output(page_id("instance"), "options"),
    Output(page_id("instance"), "value"),
    Output(page_id("timezone"), "value"),
    Output(page_id("run-type"), "value"),
    Output(page_id("run-now"), "value"),
    Output(page_id("with-backfill"), "value"),
    Output(page_id("modal-hint"), "children"),
    Input(ids.template_use_id(ALL), "n_clicks"),
    State(page_id("catalogue"), "data"),
    State(page_id("browser-timezone"), "data"),
    prevent_initial_call=True,
)
def open_run_modal(
    clicks: list[int | None], known: dict[str, Any], browser_timezone: str | None
) -> Any:
    """The modal at step 1 with the form of the template whose button was pressed."""
    template_id = clicked_index(ids.TEMPLATE_USE)
    if template_id is None:
        raise PreventUpdate
    actor = callback_actor()
    if actor is None:
        return (no_update,) * 13
    return modal_for(template_id, known, browser_timezone)


def modal_for(
    template_id: str, known: Mapping[str, Any], browser_timezone: str | None = None
) -> tuple[Any, ...]:
    """The outputs of open_run_modal for `template_id`; a schedule's zone is the browser's
    (else the instance's). The instances offered are those having the option lists the
    template picks from (all of them when none has)."""
    needs = known.get("needs", {}).get(template_id, [])
    instances = {
        key: info
        for key, info in known["instances"].items()
        if fits_instance(needs, info.get("kinds", []))
    } or known["instances"]
    instance_id = next(iter(instances), None)
    instance_zone = (instances.get(instance_id) or {}).get("timezone", "UTC")
    timezone = known_zone(browser_timezone, instance_zone)
    options = [{"label": info["name"], "value": key} for key, info in instances.items()]
    reset = ("once", False, False, "")  # run type, run now, with backfill, hint
    try:
        with db_session() as session:
            template = get_template(session=session, template_id=template_id)
    except DomainError as error:
        failed: Any = create_error_feedback(error)
        refused = (True, "New report", failed, {"step": 1}, "", False, options, instance_id)
        return (*refused, timezone, *reset)
    form = create_parameter_form(
        RUN_FORM,
        template_id=template.template_id,
        definitions=template.parameter_definitions,
        ui_schema=template.ui_schema,
        timezone=instance_zone,
        instance_id=instance_id,
    )
    state = {
        "template_id": template.template_id,
        "template_name": template.name,
        "min_data_age_days": template.min_data_age_days,
        "step": 1,
    }
    title = f"New report from “{template.name}”"
    opened = (True, title, form, state, template.name, False, options, instance_id)
    return (*opened, timezone, *reset)


@callback(
    Output(page_id("modal"), "is_open", allow_duplicate=True),
    Input(page_id("modal-cancel"), "n_clicks"),
    prevent_initial_call=True,
)
def close_run_modal(clicks: int | None) -> bool:
    if not clicks:
        raise PreventUpdate
    return False


@callback(
    Output(page_id("instance-info"), "children"),
    Input(page_id("instance"), "value"),
    State(page_id("catalogue"), "data"),
)
def describe_instance(instance_id: str | None, known: dict[str, Any]) -> str:
    info = known["instances"].get(instance_id) if instance_id else None
    if info is None:
        return "No instance available: ask an admin to grant you one."
    lag = info["data_lag_days"]
    return (
        f"Data arrives {lag} day{'s' if lag != 1 else ''} late · "
        f"{info['max_lookback_days']} days of history · time zone {info['timezone']}."
    )


@callback(
    Output(ids.form_store_id(RUN_FORM, "spec"), "data"),
    Input(page_id("instance"), "value"),
    State(page_id("catalogue"), "data"),
    State(ids.form_store_id(RUN_FORM, "spec"), "data"),
    prevent_initial_call=True,
)
def follow_instance(
    instance_id: str | None, known: dict[str, Any], spec: dict[str, Any] | None
) -> Any:
    """Searches and presets follow the chosen instance (and its zone)."""
    info = known["instances"].get(instance_id) if instance_id else None
    if info is None or not spec:
        raise PreventUpdate
    return {**spec, "instance_id": instance_id, "timezone": info["timezone"]}


clientside_callback(
    BROWSER_TIMEZONE_JS,
    Output(page_id("browser-timezone"), "data"),
    Input(page_id("browser-timezone"), "id"),
)


# --- step 2: run type, schedule and backfill previews -------------------------------------


@callback(
    Output(page_id("recurring"), "className"),
    Output(page_id("backfill"), "className"),
    Input(page_id("run-type"), "value"),
    Input(page_id("with-backfill"), "value"),
)
def show_run_sections(run_type: str | None, with_backfill: bool | None) -> tuple[str, str]:
    return section_classes(run_type, bool(with_backfill))


register_schedule_callbacks(page_id)


@callback(
    Output(page_id("segment"), "value"),
    Input(page_id("frequency"), "value"),
    prevent_initial_call=True,
)
def segment_follows_schedule(frequency: str | None) -> str:
    """A weekly report backfills in weeks, a monthly one in months."""
    if frequency not in {"daily", "weekly", "monthly", "quarterly"}:
        raise PreventUpdate
    return frequency


@callback(
    output={
        "freshness": Output(page_id("freshness"), "children"),
        "segments": Output(page_id("segments-preview"), "children"),
        "invalid": Output(page_id("lookback"), "invalid"),
        "error": Output(page_id("lookback-error"), "children"),
    },
    inputs={
        "segment": Input(page_id("segment"), "value"),
        "lookback": Input(page_id("lookback"), "value"),
        "instance_id": Input(page_id("instance"), "value"),
        "state": State(page_id("modal-state"), "data"),
    },
)
def preview_backfill(
    segment: str | None, lookback: Any, instance_id: str | None, state: dict[str, Any] | None
) -> dict[str, Any]:
    """Why data stops where it does, and how many segments the backfill makes (the
    services say; a value they refuse shows its field error)."""
    empty = {"freshness": "", "segments": "", "invalid": False, "error": ""}
    template_id = (state or {}).get("template_id")
    actor = callback_actor()
    if actor is None or not instance_id or not template_id:
        return empty
    raw = {"backfill": {"segment": segment, "lookback_days": lookback}}
    try:
        with db_session() as session:
            check = check_plan(
                session=session,
                actor=actor,
                template_id=template_id,
                instance_id=instance_id,
                plan=read_plan(raw),
            )
            freshness = freshness_words(session, actor, template_id, instance_id, check.freshest)
    except ValidationFailed as error:
        message = error.errors.get("backfill.lookback_days") or error.errors.get(
            "backfill.segment", ""
        )
        return {**empty, "invalid": bool(message), "error": message}
    except DomainError:
        return empty
    backfill = check.backfill
    assert backfill is not None
    window = Window(backfill.start_date, backfill.end_date + timedelta(days=1))
    return {
        **empty,
        "freshness": freshness,
        "segments": describe_segments(window, len(backfill.to_create), backfill.segment_type),
    }


def freshness_words(
    session: Session, actor: Actor, template_id: str, instance_id: str, freshest: date
) -> str:
    """Why complete data ends on `freshest`, for this template on this instance."""
    template = get_template(session=session, template_id=template_id)
    instance = next(
        (i for i in list_instances(session=session, actor=actor) if i.instance_id == instance_id),
        None,
    )
    if instance is None:
        return ""
    return describe_freshness(
        freshest,
        data_lag_days=instance.data_lag_days,
        min_data_age_days=template.min_data_age_days,
    )


@callback(
    Output(page_id("lookback"), "value"),
    Input(ids.lookback_preset_id(ALL), "n_clicks"),
    prevent_initial_call=True,
)
def pick_lookback(clicks: list[int | None]) -> int:
    days = clicked_index(ids.LOOKBACK_PRESET)
    if days is None:
        raise PreventUpdate
    if not days.isdigit():  # a crafted id
        raise PreventUpdate
    return int(days)


# --- steps: navigation, review, submit ----------------------------------------------------

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
    State(ids.form_store_id(RUN_FORM, "spec"), "data"),
    *PLAN_STATES,
    State(page_id("catalogue"), "data"),
]


def whole(value: Any, default: int = 0) -> int:
    """A small whole number kept in the browser (a store can be crafted: never trust it)."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and len(text) < 6 else default


def step_of(state: Mapping[str, Any] | None) -> int:
    """The modal's step, 1 to SUBMIT_STEP."""
    return min(max(whole((state or {}).get("step"), 1), 1), SUBMIT_STEP)


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


@callback(
    output={
        "state": Output(page_id("modal-state"), "data", allow_duplicate=True),
        "name_invalid": Output(page_id("name"), "invalid", allow_duplicate=True),
        "name_error": Output(page_id("name-error"), "children"),
        "reveal": Output(ids.form_store_id(RUN_FORM, "reveal"), "data"),
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


def plan_hint(errors: Mapping[str, str]) -> str:
    """The footer's sentence for step 2's field errors (the fields show them too)."""
    return "Fix the run settings: " + " ".join(dict.fromkeys(errors.values()))


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


@callback(
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


@callback(
    *(Output(pane, "className") for pane in STEP_PANES),
    Output(page_id("stepper"), "children"),
    Output(page_id("modal-back"), "class_name"),
    Output(page_id("modal-next"), "class_name"),
    Output(page_id("modal-submit"), "class_name"),
    Output(page_id("modal-cancel"), "children"),
    Input(page_id("modal-state"), "data"),
)
def show_step(state: dict[str, Any] | None) -> tuple[Any, ...]:
    step = step_of(state)
    view = step_view(step)
    return (*view.panes, create_stepper(step), view.back, view.next, view.submit, view.cancel_label)


@callback(
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


def done_sentences(outcome: PlanOutcome) -> list[str]:
    """What the plan made, one sentence each."""
    report = outcome.report
    done = [f"Created the report “{report.name}” ({report.report_id}) and its dashboard."]
    if outcome.schedule is not None:
        done.append(f"Scheduled it: {outcome.schedule.description} ({outcome.schedule.timezone}).")
    if outcome.execution is not None:
        done.append(f"Queued a run now ({outcome.execution.execution_id}).")
    if outcome.backfill is not None:
        backfill = outcome.backfill
        done.append(
            f"Started a backfill of {backfill.total_segments} {backfill.segment_type} segments "
            f"({backfill.collection_id})."
        )
    return done

"""Report Builder: pick a template (Templates tab), fill in its parameters and choose how
it runs in the four-step RunReportModal, and find the reports made in the Reports tab.

Submitting creates the report and, as chosen, its schedule, a run now and a backfill;
every run is enqueued by the services, never run here. Then the browser lands on the
report's page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from redis import Redis
from sqlalchemy.orm import Session

from components import ids, parameter_form, reports_table
from components.feedback import create_error_feedback, error_message
from components.ids import RUN_FORM, page_id
from components.page import create_page_header
from components.parameter_form import (
    collect_values,
    create_parameter_form,
    describe_values,
    parameter_errors,
    value_states,
)
from components.reports_table import create_reports_tab
from components.run_modal import (
    PREVIEW_COUNT,
    REVIEW_STEP,
    STEP_PANES,
    SUBMIT_STEP,
    Outcome,
    PlanFacts,
    RunPlan,
    create_next_runs,
    create_outcome,
    create_review,
    create_run_modal,
    create_stepper,
    describe_freshness,
    describe_plan,
    describe_segments,
    format_run,
    lookback_days,
    plan_cron,
    plan_problems,
    read_plan,
    schedule_words,
    section_classes,
    step_view,
)
from components.template_grid import (
    ANY,
    count_text,
    create_template_filters,
    create_template_grid,
    narrow,
)
from pages._context import callback_actor, current_actor, db_session, redis_client, sign_in_redirect
from services.backfills import backfill_window, segments, start_backfill
from services.errors import DomainError, ParameterError, ValidationFailed
from services.executions import run_report
from services.instances import InstanceInfo, list_instances
from services.reports import create_report
from services.schedules import create_schedule, preview
from services.templates import TemplateDetail, get_template, list_templates, validate_parameters
from services.users import Actor
from services.windows import default_window, freshest_day

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
        templates = list_templates(session=session)
        instances = list_instances(session=session, actor=actor)
        needs = {
            t.template_id: template_needs(get_template(session=session, template_id=t.template_id))
            for t in templates
        }
    return html.Div(
        [
            dcc.Location(id=page_id("location"), refresh="callback-nav"),
            dcc.Store(id=page_id("catalogue"), data=catalogue(actor, instances, needs)),
            dcc.Store(id=page_id("modal-state"), data={"step": 1}),
            create_page_header(
                "Report Builder",
                "Pick a template, fill in its parameters, and run it once, on a schedule "
                "or as a backfill.",
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


def template_needs(template: TemplateDetail) -> list[str]:
    """The metadata lists (campaigns, asins) a template's parameters are chosen from."""
    return sorted(
        {d["options_source"] for d in template.parameter_definitions if d.get("options_source")}
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
        found = list_templates(session=session, search=search, category=category)
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
    prevent_initial_call=True,
)
def open_run_modal(clicks: list[int | None], known: dict[str, Any]) -> Any:
    """The modal at step 1 with the form of the template whose button was pressed."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    actor = callback_actor()
    if actor is None:
        return (no_update,) * 13
    return modal_for(str(trigger["index"]), known)


def modal_for(template_id: str, known: Mapping[str, Any]) -> tuple[Any, ...]:
    """The outputs of open_run_modal for `template_id`."""
    instances = known["instances"]
    instance_id = next(iter(instances), None)
    timezone = (instances.get(instance_id) or {}).get("timezone", "UTC")
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
        timezone=timezone,
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
    Output(page_id("timezone"), "value", allow_duplicate=True),
    Output(ids.form_store_id(RUN_FORM, "spec"), "data"),
    Input(page_id("instance"), "value"),
    State(page_id("catalogue"), "data"),
    State(ids.form_store_id(RUN_FORM, "spec"), "data"),
    prevent_initial_call=True,
)
def follow_instance(
    instance_id: str | None, known: dict[str, Any], spec: dict[str, Any] | None
) -> Any:
    """Searches and presets follow the chosen instance; its zone is the schedule's default."""
    info = known["instances"].get(instance_id) if instance_id else None
    if info is None or not spec:
        raise PreventUpdate
    return info["timezone"], {**spec, "instance_id": instance_id, "timezone": info["timezone"]}


# --- step 2: run type, schedule and backfill previews -------------------------------------


@callback(
    Output(page_id("recurring"), "className"),
    Output(page_id("backfill"), "className"),
    Output(page_id("cron-row"), "className"),
    Input(page_id("run-type"), "value"),
    Input(page_id("with-backfill"), "value"),
    Input(page_id("schedule-type"), "value"),
)
def show_run_sections(
    run_type: str | None, with_backfill: bool | None, schedule_type: str | None
) -> tuple[str, str, str]:
    return section_classes(run_type, bool(with_backfill), schedule_type)


@callback(
    Output(page_id("segment"), "value"),
    Input(page_id("schedule-type"), "value"),
    prevent_initial_call=True,
)
def segment_follows_schedule(schedule_type: str | None) -> str:
    """A weekly report backfills in weeks, a monthly one in months."""
    if schedule_type not in {"daily", "weekly", "monthly", "quarterly"}:
        raise PreventUpdate
    return schedule_type


@callback(
    Output(page_id("next-runs"), "children"),
    Output(page_id("cron"), "invalid"),
    Output(page_id("cron-error"), "children"),
    Output(page_id("time"), "invalid"),
    Input(page_id("schedule-type"), "value"),
    Input(page_id("time"), "value"),
    Input(page_id("timezone"), "value"),
    Input(page_id("cron"), "value"),
)
def preview_schedule(
    schedule_type: str | None, time: str | None, timezone: str | None, cron: str | None
) -> tuple[Any, bool, str, bool]:
    """The next 5 runs in the chosen zone (and UTC), or what is wrong with the schedule."""
    plan = read_plan("recurring", schedule_type, cron, time, timezone, False, False, None, None)
    try:
        runs = preview(plan_cron(plan), plan.timezone, PREVIEW_COUNT)
    except ParameterError as error:
        item = html.Li(error.message, className="text-danger list-unstyled")
        cron_error = error.message if error.field == "cron_expression" else ""
        return [item], bool(cron_error), cron_error, error.field == "time_of_day"
    return create_next_runs(runs, plan.timezone), False, "", False


@callback(
    Output(page_id("freshness"), "children"),
    Output(page_id("segments-preview"), "children"),
    Output(page_id("lookback"), "invalid"),
    Output(page_id("lookback-error"), "children"),
    Input(page_id("segment"), "value"),
    Input(page_id("lookback"), "value"),
    Input(page_id("instance"), "value"),
    State(page_id("modal-state"), "data"),
    State(page_id("catalogue"), "data"),
)
def preview_backfill(
    segment_type: str | None,
    lookback: Any,
    instance_id: str | None,
    state: dict[str, Any] | None,
    known: dict[str, Any],
) -> tuple[str, str, bool, str]:
    """Why data stops where it does, and how many segments the backfill makes."""
    info = known["instances"].get(instance_id) if instance_id else None
    if info is None:
        return "", "", False, ""
    min_age = int((state or {}).get("min_data_age_days") or 0)
    freshest = freshest_day(
        timezone=info["timezone"], data_lag_days=info["data_lag_days"], min_data_age_days=min_age
    )
    freshness = describe_freshness(
        freshest, data_lag_days=info["data_lag_days"], min_data_age_days=min_age
    )
    try:
        days = lookback_days(lookback, info["max_lookback_days"])
        window = backfill_window(days, freshest, freshest)
        count = len(segments(window, segment_type or "weekly"))
    except ParameterError as error:
        return freshness, "", True, error.message
    return freshness, describe_segments(window, count, segment_type or "weekly"), False, ""


@callback(
    Output(page_id("lookback"), "value"),
    Input(ids.lookback_preset_id(ALL), "n_clicks"),
    prevent_initial_call=True,
)
def pick_lookback(clicks: list[int | None]) -> int:
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks):
        raise PreventUpdate
    return int(trigger["index"])


# --- steps: navigation, review, submit ----------------------------------------------------

PLAN_STATES = [
    State(page_id("run-type"), "value"),
    State(page_id("schedule-type"), "value"),
    State(page_id("cron"), "value"),
    State(page_id("time"), "value"),
    State(page_id("timezone"), "value"),
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


def read_modal(args: tuple[Any, ...]) -> dict[str, Any]:
    """The modal's State values (FORM_STATES order) as named parts."""
    state, name, instance_id, *rest = args
    form_values, spec, plan_values, known = rest[:6], rest[6], rest[7:16], rest[16]
    values = {}
    if spec:
        kinds = ("value", "search", "preset", "date", "start", "end")
        values = collect_values(spec, **dict(zip(kinds, form_values, strict=True)))
    return {
        "state": dict(state or {}),
        "name": (name or "").strip(),
        "instance_id": instance_id,
        "values": values,
        "spec": spec or {},
        "plan": read_plan(*plan_values),
        "known": known or {"instances": {}},
    }


@callback(
    Output(page_id("modal-state"), "data", allow_duplicate=True),
    Output(page_id("name"), "invalid", allow_duplicate=True),
    Output(page_id("name-error"), "children"),
    Output(ids.form_store_id(RUN_FORM, "reveal"), "data"),
    Output(page_id("modal-hint"), "children", allow_duplicate=True),
    Output(STEP_PANES[2], "children"),
    Input(page_id("modal-next"), "n_clicks"),
    Input(page_id("modal-back"), "n_clicks"),
    *FORM_STATES,
    prevent_initial_call=True,
)
def change_step(next_clicks: int | None, back_clicks: int | None, *states: Any) -> Any:
    """Next checks the step before going on; Back always goes."""
    modal = read_modal(states)
    if ctx.triggered_id == page_id("modal-back"):
        step = max(1, int(modal["state"].get("step", 1)) - 1)
        return {**modal["state"], "step": step}, no_update, no_update, no_update, "", no_update
    actor = callback_actor()
    if actor is None:
        return (no_update,) * 6
    try:
        return step_forward(modal)
    except DomainError as error:
        return no_update, no_update, no_update, no_update, error_message(error), no_update


def step_forward(modal: Mapping[str, Any]) -> tuple[Any, ...]:
    """Outputs of change_step for Next: the next step, or what stops the user."""
    state, step = modal["state"], int(modal["state"].get("step", 1))
    if step == 1:
        name_error = check_name(modal["name"])
        check = _validate(modal)
        if name_error or not modal["instance_id"] or not check.valid:
            hint = "Choose an instance. " if not modal["instance_id"] else ""
            if name_error or not check.valid:
                hint += "Fix the fields marked in red to go on."
            return no_update, bool(name_error), name_error, True, hint.strip(), no_update
        return {**state, "step": 2}, False, "", no_update, "", no_update
    if step == 2:
        info = modal["known"]["instances"].get(modal["instance_id"]) or {}
        problems = plan_problems(modal["plan"], max_lookback_days=info.get("max_lookback_days", 1))
        if problems:
            hint = "Fix the run settings: " + " ".join(problems.values())
            return no_update, no_update, no_update, no_update, hint, no_update
        check = _validate(modal)
        if not check.valid:
            return {**state, "step": 1}, no_update, no_update, True, "", no_update
        review = create_review(
            describe_plan(modal["plan"], plan_facts(modal, info)),
            describe_values(modal["spec"], check.normalized, modal["values"]),
            check.preview_sql,
        )
        return {**state, "step": REVIEW_STEP}, no_update, no_update, no_update, "", review
    raise PreventUpdate


def check_name(name: str) -> str:
    if not name or len(name) > 200:
        return "Give the report a name of 1 to 200 characters."
    return ""


def _validate(modal: Mapping[str, Any]) -> Any:
    with db_session() as session:
        return validate_parameters(
            session=session,
            template_id=modal["state"]["template_id"],
            values=modal["values"],
            timezone=modal["spec"].get("timezone") or "UTC",
        )


def plan_facts(modal: Mapping[str, Any], info: Mapping[str, Any]) -> PlanFacts:
    """The windows, first run and segments the review names, from the instance's lag."""
    plan: RunPlan = modal["plan"]
    state = modal["state"]
    freshest = freshest_day(
        timezone=info["timezone"],
        data_lag_days=info["data_lag_days"],
        min_data_age_days=int(state.get("min_data_age_days") or 0),
    )
    facts = PlanFacts(
        report_name=modal["name"],
        template_name=state.get("template_name", ""),
        instance_name=info["name"],
        once_window=default_window(freshest),
        max_concurrency=info["max_concurrency"],
        freshness=describe_freshness(
            freshest,
            data_lag_days=info["data_lag_days"],
            min_data_age_days=int(state.get("min_data_age_days") or 0),
        ),
    )
    if plan.recurring:
        first = preview(plan_cron(plan), plan.timezone, 1)[0]
        facts = replace(facts, first_run=format_run(first, plan.timezone)[0])
    if plan.backfills:
        window = backfill_window(
            lookback_days(plan.lookback_days, info["max_lookback_days"]), freshest, freshest
        )
        facts = replace(
            facts, backfill_window=window, segment_count=len(segments(window, plan.segment_type))
        )
    return facts


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
    step = int((state or {}).get("step", 1))
    view = step_view(step)
    return (*view.panes, create_stepper(step), view.back, view.next, view.submit, view.cancel_label)


@callback(
    Output(page_id("location"), "pathname"),
    Output(page_id("modal-state"), "data", allow_duplicate=True),
    Output(STEP_PANES[3], "children"),
    Output(page_id("modal-hint"), "children", allow_duplicate=True),
    Input(page_id("modal-submit"), "n_clicks"),
    *FORM_STATES,
    running=[(Output(page_id("modal-submit"), "disabled"), True, False)],
    prevent_initial_call=True,
)
def submit_report(clicks: int | None, *states: Any) -> Any:
    """Create the report (and schedule, run, backfill), then land on its page."""
    if not clicks:
        raise PreventUpdate
    actor = callback_actor()
    if actor is None:
        return (no_update,) * 4
    modal = read_modal(states)
    info = modal["known"]["instances"].get(modal["instance_id"]) or {}
    try:
        with db_session() as session:
            outcome = create_from_plan(
                session,
                redis_client(),
                actor,
                template_id=modal["state"].get("template_id", ""),
                instance_id=modal["instance_id"] or "",
                name=modal["name"],
                parameters=modal["values"],
                plan=modal["plan"],
                timezone=info.get("timezone", "UTC"),
            )
    except ValidationFailed as error:
        # Only the parameters can be invalid here: back to step 1, errors next to fields.
        hint = "Some parameters need attention." if parameter_errors(error.errors) else ""
        return no_update, {**modal["state"], "step": 1}, no_update, hint or error_message(error)
    except DomainError as error:
        return no_update, {**modal["state"], "step": REVIEW_STEP}, no_update, error_message(error)
    state = {**modal["state"], "step": SUBMIT_STEP}
    pathname = no_update if outcome.error else f"/reports/{outcome.report_id}"
    return pathname, state, create_outcome(outcome), ""


def create_from_plan(
    session: Session,
    redis: Redis | None,
    actor: Actor,
    *,
    template_id: str,
    instance_id: str,
    name: str,
    parameters: dict[str, Any],
    plan: RunPlan,
    timezone: str,
) -> Outcome:
    """Create the report, then its schedule, a run now and a backfill as the plan says.

    The report is committed first: if a later step fails, the outcome says what was done
    and the report stays, to be fixed on its page. Errors creating the report itself are
    raised (nothing was made).
    """
    report = create_report(
        session=session,
        actor=actor,
        template_id=template_id,
        instance_id=instance_id,
        name=name,
        parameters=parameters,
        frequency=plan.frequency,
        timezone=plan.timezone if plan.recurring else timezone,
    )
    done = [f"Created the report “{report.name}” ({report.report_id}) and its dashboard."]
    try:
        if plan.recurring:
            create_schedule(
                session=session,
                actor=actor,
                report_id=report.report_id,
                schedule_type=plan.schedule_type,
                cron_expression=plan_cron(plan) if plan.schedule_type == "custom" else None,
                time_of_day=plan.time_of_day or None,
                timezone=plan.timezone,
            )
            done.append(f"Scheduled it {schedule_words(plan)}.")
        if plan.runs_now:
            execution = run_report(
                session=session, redis=redis, actor=actor, report_id=report.report_id
            )
            done.append(f"Queued a run now ({execution.execution_id}).")
        if plan.backfills:
            backfill = start_backfill(
                session=session,
                redis=redis,
                actor=actor,
                report_id=report.report_id,
                segment_type=plan.segment_type,
                lookback_days=int(float(plan.lookback_days)),
            )
            done.append(
                f"Started a backfill of {backfill.total_segments} {plan.segment_type} segments "
                f"({backfill.collection_id})."
            )
    except DomainError as error:
        return Outcome(report.report_id, tuple(done), error_message(error))
    return Outcome(report.report_id, tuple(done))

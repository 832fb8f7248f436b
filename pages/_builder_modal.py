"""The run modal's callbacks up to its steps: open it for a template, close it, the
instance and its zone, and step 2's sections with the backfill preview (services.report_plans).
Moving between steps and submitting are pages/_builder_steps.py's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from dash import ALL, Input, Output, State, clientside_callback, no_update
from dash.exceptions import PreventUpdate
from sqlalchemy.orm import Session

from components import ids
from components.callbacks import CallbackSet
from components.clicks import clicked_index
from components.feedback import create_error_feedback
from components.ids import RUN_FORM, page_id
from components.parameter_form import ParameterFormAIO
from components.plan_words import describe_freshness, describe_segments
from components.run_steps import section_classes
from components.schedule_form import BROWSER_TIMEZONE_JS, known_zone, register_schedule_callbacks
from services.errors import DomainError, ValidationFailed
from services.instances import list_instances
from services.report_plans import check_plan, read_plan
from services.templates import fits_instance, get_template
from services.users import Actor
from services.windows import Window
from webcontext import callback_actor, db_session

#: Registered by pages/report_builder.py for every app (see components.callbacks).
callbacks = CallbackSet()

#: What opening the modal sets, by output name.
OPEN_OUTPUTS = {
    "is_open": Output(page_id("modal"), "is_open"),
    "title": Output(page_id("modal-title"), "children"),
    "form": Output(page_id("form"), "children"),
    "state": Output(page_id("modal-state"), "data"),
    "name": Output(page_id("name"), "value"),
    "name_invalid": Output(page_id("name"), "invalid"),
    "instance_options": Output(page_id("instance"), "options"),
    "instance": Output(page_id("instance"), "value"),
    "timezone": Output(page_id("timezone"), "value"),
    "run_type": Output(page_id("run-type"), "value"),
    "run_now": Output(page_id("run-now"), "value"),
    "with_backfill": Output(page_id("with-backfill"), "value"),
    "hint": Output(page_id("modal-hint"), "children"),
}


@callbacks.callback(
    output=OPEN_OUTPUTS,
    inputs={
        "clicks": Input(ids.template_use_id(ALL), "n_clicks"),
        "known": State(page_id("catalogue"), "data"),
        "browser_timezone": State(page_id("browser-timezone"), "data"),
    },
    prevent_initial_call=True,
)
def open_run_modal(
    clicks: list[int | None], known: dict[str, Any], browser_timezone: str | None
) -> dict[str, Any]:
    """The modal at step 1 with the form of the template whose button was pressed."""
    template_id = clicked_index(ids.TEMPLATE_USE)
    if template_id is None:
        raise PreventUpdate
    actor = callback_actor()
    if actor is None:
        return dict.fromkeys(OPEN_OUTPUTS, no_update)
    return modal_for(template_id, known, browser_timezone)


def modal_for(
    template_id: str, known: Mapping[str, Any], browser_timezone: str | None = None
) -> dict[str, Any]:
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
    opened = {
        "is_open": True,
        "instance_options": [
            {"label": info["name"], "value": key} for key, info in instances.items()
        ],
        "instance": instance_id,
        "timezone": known_zone(browser_timezone, instance_zone),
        "name_invalid": False,
        "run_type": "once",
        "run_now": False,
        "with_backfill": False,
        "hint": "",
    }
    try:
        with db_session() as session:
            template = get_template(session=session, template_id=template_id)
    except DomainError as error:
        failed = create_error_feedback(error)
        return {**opened, "title": "New report", "form": failed, "state": {"step": 1}, "name": ""}
    form = ParameterFormAIO(
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
    return {**opened, "title": title, "form": form, "state": state, "name": template.name}


@callbacks.callback(
    Output(page_id("modal"), "is_open", allow_duplicate=True),
    Input(page_id("modal-cancel"), "n_clicks"),
    prevent_initial_call=True,
)
def close_run_modal(clicks: int | None) -> bool:
    if not clicks:
        raise PreventUpdate
    return False


@callbacks.callback(
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


@callbacks.callback(
    Output(ParameterFormAIO.ids.store(RUN_FORM, "spec"), "data"),
    Input(page_id("instance"), "value"),
    State(page_id("catalogue"), "data"),
    State(ParameterFormAIO.ids.store(RUN_FORM, "spec"), "data"),
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


def _register_shared() -> None:
    clientside_callback(
        BROWSER_TIMEZONE_JS,
        Output(page_id("browser-timezone"), "data"),
        Input(page_id("browser-timezone"), "id"),
    )
    register_schedule_callbacks(page_id)


callbacks.also(_register_shared)


# --- step 2: run type, schedule and backfill previews -------------------------------------


@callbacks.callback(
    Output(page_id("recurring"), "className"),
    Output(page_id("backfill"), "className"),
    Input(page_id("run-type"), "value"),
    Input(page_id("with-backfill"), "value"),
)
def show_run_sections(run_type: str | None, with_backfill: bool | None) -> tuple[str, str]:
    return section_classes(run_type, bool(with_backfill))


@callbacks.callback(
    Output(page_id("segment"), "value"),
    Input(page_id("frequency"), "value"),
    prevent_initial_call=True,
)
def segment_follows_schedule(frequency: str | None) -> str:
    """A weekly report backfills in weeks, a monthly one in months."""
    if frequency not in {"daily", "weekly", "monthly", "quarterly"}:
        raise PreventUpdate
    return frequency


@callbacks.callback(
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


@callbacks.callback(
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

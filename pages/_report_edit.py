"""The report page's editor: name, description, recipients, parameters and schedule, saved
together in one place (`report_plans.edit_report`: all or nothing).

The page opens it from its Edit button, from the schedule card ("Add schedule" / "Edit
schedule") on the Schedule tab, and from `?open=edit` or `?open=schedule` (the Reports tab
links there). Saving reloads the page, which then shows what was saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from components.callbacks import CallbackSet
from components.feedback import error_message
from components.ids import form_store_id
from components.parameter_form import ParameterFormAIO, form_states, read_form
from components.parameter_values import parameter_errors
from components.schedule_form import (
    BROWSER_TIMEZONE_JS,
    FIELDS,
    create_schedule_fields,
    known_zone,
    register_schedule_callbacks,
    schedule_errors,
    schedule_form_values,
    schedule_values,
)
from services.errors import DomainError, ParameterError, ValidationFailed
from services.report_plans import edit_report, read_plan
from services.reports import ReportInfo
from services.schedules import ScheduleInfo
from services.templates import TemplateDetail
from webcontext import callback_actor, db_session, redis_client

#: The parameter form's key (components.parameter_form): apart from other forms' fields.
FORM = "report-edit"
TABS = ("details", "parameters", "schedule")
#: Registered by pages/report.py for every app (see components.callbacks).
callbacks = CallbackSet()


def edit_id(thing: str) -> str:
    return f"report-edit-{thing}"


def create_edit_buttons() -> dbc.Button:
    """The header's Edit button."""
    return dbc.Button(
        [html.I(className="bi bi-pencil me-1"), "Edit"],
        id=edit_id("open"),
        color="outline-secondary",
    )


def create_schedule_button(schedule: ScheduleInfo | None) -> dbc.Button:
    """The schedule card's button: add one, or change the one there is."""
    return dbc.Button(
        "Edit schedule" if schedule else "Add schedule",
        id=edit_id("open-schedule"),
        color="outline-primary",
        size="sm",
    )


def create_edit_modal(
    report: ReportInfo,
    schedule: ScheduleInfo | None,
    template: TemplateDetail,
    *,
    open_tab: str | None = None,
) -> html.Div:
    """The editor, filled with the report as it is; open at `open_tab` when given."""
    values = schedule_form_values(schedule, schedule.timezone if schedule else report.timezone)
    fields = create_schedule_fields(edit_id, values=values)
    return html.Div(
        [
            dcc.Store(id=edit_id("browser-timezone")),
            dcc.Store(id=edit_id("had-schedule"), data=schedule is not None),
            # The schedule as loaded: saving other fields leaves an unchanged schedule alone.
            dcc.Store(
                id=edit_id("loaded"),
                data=[*values, bool(schedule and schedule.is_paused)] if schedule else None,
            ),
            dcc.Location(id=edit_id("reload"), refresh=True),
            dbc.Modal(
                [
                    dbc.ModalHeader(dbc.ModalTitle(f"Edit “{report.name}”")),
                    dbc.ModalBody(
                        dbc.Tabs(
                            [
                                dbc.Tab(
                                    _details(report), tab_id="details", label="Name and e-mails"
                                ),
                                dbc.Tab(
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
                                    tab_id="parameters",
                                    label="Parameters",
                                ),
                                dbc.Tab(
                                    _schedule_tab(schedule, fields),
                                    tab_id="schedule",
                                    label="Schedule",
                                ),
                            ],
                            id=edit_id("tabs"),
                            active_tab=open_tab if open_tab in TABS else "details",
                        )
                    ),
                    dbc.ModalFooter(
                        [
                            html.Span(id=edit_id("hint"), className="me-auto small text-danger"),
                            dbc.Button("Cancel", id=edit_id("cancel"), color="link"),
                            dbc.Button("Save changes", id=edit_id("save"), color="primary"),
                        ]
                    ),
                ],
                id=edit_id("modal"),
                size="lg",
                scrollable=True,
                is_open=open_tab in TABS,
            ),
        ]
    )


def _details(report: ReportInfo) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    dbc.Label("Name", html_for=edit_id("name"), class_name="fw-semibold"),
                    dbc.Input(id=edit_id("name"), value=report.name, maxLength=200),
                    dbc.FormFeedback(id=edit_id("name-error"), type="invalid"),
                ],
                className="mb-3",
            ),
            html.Div(
                [
                    dbc.Label(
                        "Description", html_for=edit_id("description"), class_name="fw-semibold"
                    ),
                    dbc.Textarea(id=edit_id("description"), value=report.description, rows=2),
                ],
                className="mb-3",
            ),
            html.Div(
                [
                    dbc.Label(
                        "E-mail when a run ends",
                        html_for=edit_id("emails"),
                        class_name="fw-semibold",
                    ),
                    dbc.Textarea(
                        id=edit_id("emails"),
                        value="\n".join(report.notification_emails),
                        rows=2,
                        placeholder="ana@example.com, team@example.com",
                    ),
                    dbc.FormFeedback(id=edit_id("emails-error"), type="invalid"),
                    dbc.FormText("One or more addresses, separated by commas or new lines."),
                ],
                className="mb-1",
            ),
        ],
        className="pt-3",
    )


def _schedule_tab(schedule: ScheduleInfo | None, fields: html.Div) -> html.Div:
    return html.Div(
        [
            dbc.Switch(
                id=edit_id("scheduled"),
                label="Run this report on a schedule",
                value=schedule is not None,
                class_name="mb-3",
            ),
            html.Div(
                [
                    fields,
                    dbc.Checkbox(
                        id=edit_id("paused"),
                        label="Paused: no run starts until resumed",
                        value=bool(schedule and schedule.is_paused),
                        class_name="mt-3",
                    ),
                ],
                id=edit_id("schedule-fields"),
                className="" if schedule is not None else "d-none",
            ),
            html.P(
                "Without a schedule the report runs only when someone clicks Run now.",
                id=edit_id("unscheduled-note"),
                className="text-body-secondary mb-0" + (" d-none" if schedule else ""),
            ),
        ],
        className="pt-3",
    )


callbacks.also(lambda: register_schedule_callbacks(edit_id))
callbacks.clientside(
    BROWSER_TIMEZONE_JS,
    Output(edit_id("browser-timezone"), "data"),
    Input(edit_id("browser-timezone"), "id"),
)


@callbacks.callback(
    Output(edit_id("timezone"), "value"),
    Input(edit_id("browser-timezone"), "data"),
    State(edit_id("had-schedule"), "data"),
    State(edit_id("timezone"), "value"),
    prevent_initial_call=True,
)
def browser_zone_for_new_schedule(
    browser_zone: str | None, had_schedule: bool | None, current: str | None
) -> str:
    """A new schedule's zone is the browser's; an existing one keeps its own."""
    if had_schedule or not browser_zone:
        raise PreventUpdate
    return known_zone(browser_zone, current or "UTC")


@callbacks.callback(
    Output(edit_id("schedule-fields"), "className"),
    Output(edit_id("unscheduled-note"), "className"),
    Input(edit_id("scheduled"), "value"),
)
def show_schedule(scheduled: bool | None) -> tuple[str, str]:
    note = "text-body-secondary mb-0"
    return ("", f"{note} d-none") if scheduled else ("d-none", note)


@callbacks.callback(
    Output(edit_id("modal"), "is_open"),
    Output(edit_id("tabs"), "active_tab"),
    Input(edit_id("open"), "n_clicks"),
    Input(edit_id("open-schedule"), "n_clicks"),
    Input(edit_id("cancel"), "n_clicks"),
    prevent_initial_call=True,
)
def open_editor(edit: int | None, schedule: int | None, cancel: int | None) -> Any:
    if not ctx.triggered or not ctx.triggered[0].get("value"):
        raise PreventUpdate
    if ctx.triggered_id == edit_id("cancel"):
        return False, no_update
    return True, "schedule" if ctx.triggered_id == edit_id("open-schedule") else "details"


@callbacks.callback(
    output={
        "hint": Output(edit_id("hint"), "children"),
        "name_invalid": Output(edit_id("name"), "invalid"),
        "name_error": Output(edit_id("name-error"), "children"),
        "emails_invalid": Output(edit_id("emails"), "invalid"),
        "emails_error": Output(edit_id("emails-error"), "children"),
        "reveal": Output(form_store_id(FORM, "reveal"), "data"),
        "tab": Output(edit_id("tabs"), "active_tab", allow_duplicate=True),
        "reload": Output(edit_id("reload"), "href"),
    },
    inputs={
        "clicks": Input(edit_id("save"), "n_clicks"),
        "report_id": State("report-id", "data"),
        "name": State(edit_id("name"), "value"),
        "description": State(edit_id("description"), "value"),
        "emails": State(edit_id("emails"), "value"),
        "form": form_states(FORM),
        "scheduled": State(edit_id("scheduled"), "value"),
        "had_schedule": State(edit_id("had-schedule"), "data"),
        "schedule": [State(edit_id(name), "value") for name in FIELDS],
        "paused": State(edit_id("paused"), "value"),
        "loaded": State(edit_id("loaded"), "data"),
    },
    running=[(Output(edit_id("save"), "disabled"), True, False)],
    prevent_initial_call=True,
)
def save(
    clicks: int | None,
    report_id: str,
    name: str | None,
    description: str | None,
    emails: str | None,
    form: list[Any],
    scheduled: bool | None,
    had_schedule: bool | None,
    schedule: list[Any],
    paused: bool | None,
    loaded: list[Any] | None = None,
) -> dict[str, Any]:
    """Save everything at once through report_plans.edit_report; show its field errors."""
    outputs: dict[str, Any] = {
        "hint": "",
        "name_invalid": False,
        "name_error": "",
        "emails_invalid": False,
        "emails_error": "",
        "reveal": no_update,
        "tab": no_update,
        "reload": no_update,
    }
    actor = callback_actor()
    if actor is None or not clicks:
        raise PreventUpdate
    changes = {
        "name": name or "",
        "description": description or "",
        "notification_emails": split_emails(emails),
        "parameters": read_form(form),
    }
    try:
        plan = None
        if scheduled and [*schedule, bool(paused)] != loaded:
            raw = {**schedule_values(*schedule), "paused": bool(paused)}
            plan = read_plan({"schedule": raw}).schedule
        with db_session() as session:
            edit_report(
                session=session,
                redis=redis_client(),
                actor=actor,
                report_id=report_id,
                changes=changes,
                schedule=plan,
                remove_schedule=bool(had_schedule) and not scheduled,
            )
    except ValidationFailed as error:
        return {**outputs, **show_errors(error.errors)}
    except ParameterError as error:
        return {**outputs, **show_errors({error.field: error.message})}
    except DomainError as error:
        return {**outputs, "hint": error_message(error)}
    return {**outputs, "reload": f"/reports/{report_id}?saved=1"}


def split_emails(text: str | None) -> list[str]:
    """Addresses typed one per line or separated by commas or semicolons."""
    return [part for part in (text or "").replace(";", ",").replace("\n", ",").split(",")]


def show_errors(errors: Mapping[str, str]) -> dict[str, Any]:
    """The services' field errors where the fields are; the first tab holding one opens."""
    shown: dict[str, Any] = {}
    tab = None
    if "name" in errors:
        shown |= {"name_invalid": True, "name_error": errors["name"]}
        tab = "details"
    if "notification_emails" in errors:
        shown |= {"emails_invalid": True, "emails_error": errors["notification_emails"]}
        tab = tab or "details"
    if parameter_errors(dict(errors)):
        shown["reveal"] = True
        tab = tab or "parameters"
    if schedule_errors(errors):
        tab = tab or "schedule"
    shown["hint"] = "Fix the fields marked in red: " + " ".join(dict.fromkeys(errors.values()))
    if tab is not None:
        shown["tab"] = tab
    return shown

"""Template editor: write a template (SQL, parameters, dashboard widgets), preview it on a
source through the run queue, save it as a new version, and see its versions.

`/report-builder/templates/new` starts an empty one; `/report-builder/templates/<id>/edit`
changes one its author or an admin may edit, and is the template's page (its versions,
and Publish for admins).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from components.feedback import create_error_feedback, create_feedback, create_forbidden_state
from components.navbar import create_icon
from components.page import create_page_header
from components.template_editor import (
    create_details_card,
    create_list_card,
    create_sql_card,
    eid,
    param_id,
    widget_id,
)
from components.template_editor_panels import create_preview_card, create_versions_card
from components.template_editor_read import (
    SINGLE_FIELDS,
    error_summary,
    kept_ui_schema,
    place_errors,
    read_definitions,
    read_widgets,
)
from components.template_editor_rows import (
    PARAM_FIELDS,
    WIDGET_FIELDS,
    create_parameter_row,
    create_widget_row,
    param_states,
    widget_states,
)
from components.template_schema import callbacks as schema_callbacks
from components.template_schema import create_schema_card
from pages import _template_editor_preview, _template_editor_rows
from services.errors import DomainError, ValidationFailed
from services.instances import list_instances
from services.template_authoring import (
    create_template,
    publish_template,
    template_versions,
    update_template,
)
from services.templates import TemplateDetail, get_template
from webcontext import callback_actor, current_actor, db_session, sign_in_redirect

dash.register_page(
    __name__,
    path_template="/report-builder/templates/<template_id>/edit",
    name="Template",
    title="Edit template · Report Builder",
)

#: A new template's starting widget: a table of every column.
STARTER_WIDGETS = [{"type": "table", "title": "Rows", "config": {}}]


def layout(template_id: str | None = None, saved: str | None = None, **_query: str) -> Component:
    actor = current_actor()
    path = f"/report-builder/templates/{template_id}/edit"
    if actor is None:
        return sign_in_redirect(path)
    try:
        with db_session() as session:
            detail = get_template(session=session, template_id=str(template_id), actor=actor)
            versions = template_versions(
                session=session, actor=actor, template_id=detail.template_id
            )
            sources = {i.instance_id: i.name for i in list_instances(session=session, actor=actor)}
    except DomainError as error:
        return html.Div(create_error_feedback(error), id=eid("missing"))
    if not detail.can_edit:
        why = (
            "Library templates stay as their files say; create a new template to change one."
            if not detail.owner_name
            else "Only the template's author or an admin can change it."
        )
        return create_forbidden_state(why, id=eid("forbidden"))
    notice = create_feedback(f"Saved: version {saved}.") if saved else None
    side = [
        create_preview_card(sources),
        create_schema_card(),
        create_versions_card(versions, published=detail.is_published, can_publish=actor.is_admin),
    ]
    return create_editor(detail.__dict__, detail.template_id, side, notice)


def new_layout(**_query: str) -> Component:
    actor = current_actor()
    if actor is None:
        return sign_in_redirect("/report-builder/templates/new")
    if not actor.can_run:
        return create_forbidden_state(
            "Viewers read reports; writing templates takes an analyst or admin account.",
            id=eid("forbidden"),
        )
    with db_session() as session:
        sources = {i.instance_id: i.name for i in list_instances(session=session, actor=actor)}
    values = {"report_config": {"widgets": STARTER_WIDGETS}, "windowed": True}
    side = [create_preview_card(sources), create_schema_card()]
    return create_editor(values, None, side, None)


dash.register_page(
    f"{__name__}_new",
    path="/report-builder/templates/new",
    name="New template",
    title="New template · Report Builder",
    layout=new_layout,
)
schema_callbacks.register()
_template_editor_rows.callbacks.register()
_template_editor_preview.callbacks.register()


def create_editor(
    values: dict[str, Any], template_id: str | None, side: list[Any], notice: Any
) -> html.Div:
    definitions = list(values.get("parameter_definitions") or [])
    widgets = list((values.get("report_config") or {}).get("widgets") or [])
    title = f"Edit {values['name']}" if template_id else "New template"
    subtitle = (
        f"{template_id} · version {values.get('version', 1)}"
        if template_id
        else "Write the SQL with {{ placeholders }}, declare its parameters, preview, save."
    )
    return html.Div(
        [
            dcc.Location(id=eid("location"), refresh="callback-nav"),
            dcc.Store(id=eid("template"), data=template_id),
            dcc.Store(id=eid("ui-schema"), data=values.get("ui_schema") or {}),
            dcc.Store(id=eid("min-age"), data=values.get("min_data_age_days", 0)),
            dcc.Store(id=eid("next-index"), data=max(len(definitions), len(widgets))),
            dcc.Store(id=eid("columns"), data=[]),
            html.Div(
                [
                    create_page_header(title, subtitle),
                    html.Div(
                        [
                            dbc.Button("Cancel", href="/report-builder", color="link"),
                            dbc.Button(
                                [create_icon("save", class_name="me-1"), "Save"],
                                id=eid("save"),
                                color="primary",
                            ),
                        ]
                    ),
                ],
                className="d-flex justify-content-between align-items-start",
            ),
            html.Div(notice, id=eid("feedback")),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            create_details_card(values, is_new=template_id is None),
                            create_sql_card(values.get("sql_template", "")),
                            create_list_card(
                                "Parameters",
                                "param",
                                [create_parameter_row(i, d) for i, d in enumerate(definitions)],
                                "Add parameter",
                                "One per {{ placeholder }}; its default is the preview's value.",
                            ),
                            create_list_card(
                                "Dashboard widgets",
                                "widget",
                                [create_widget_row(i, w, []) for i, w in enumerate(widgets)],
                                "Add widget",
                                "Columns are picked from the preview's columns.",
                            ),
                        ],
                        lg=7,
                    ),
                    dbc.Col(side, lg=5),
                ],
                class_name="g-3",
            ),
        ],
        id=eid("page"),
    )


@callback(
    output=dict(
        feedback=Output(eid("feedback"), "children"),
        href=Output(eid("location"), "href"),
        single=[Output(eid(f"{f}-error"), "children") for f in SINGLE_FIELDS],
        params=Output(param_id("error", ALL), "children"),
        widgets=Output(widget_id("error", ALL), "children"),
    ),
    inputs=dict(
        clicks=Input(eid("save"), "n_clicks"),
        template_id=State(eid("template"), "data"),
        new_id=State(eid("template_id"), "value"),
        name=State(eid("name"), "value"),
        category=State(eid("category"), "value"),
        description=State(eid("description"), "value"),
        report_type=State(eid("report_type"), "value"),
        windowed=State(eid("windowed"), "value"),
        sql=State(eid("sql_template"), "value"),
        ui_schema=State(eid("ui-schema"), "data"),
        min_age=State(eid("min-age"), "data"),
        columns=State(eid("columns"), "data"),
        params=param_states(),
        widgets=widget_states(),
    ),
    prevent_initial_call=True,
)
def save_template(clicks: int | None, **form: Any) -> dict[str, Any]:
    """Create or change the template; field errors next to their fields, else its page."""
    actor = callback_actor()
    if not clicks or actor is None:
        raise PreventUpdate
    definitions = read_definitions(dict(zip(PARAM_FIELDS, form["params"], strict=True)))
    widgets = read_widgets(dict(zip(WIDGET_FIELDS, form["widgets"], strict=True)))
    values: dict[str, Any] = {
        "name": form["name"] or "",
        "category": form["category"] or "",
        "description": form["description"] or "",
        "report_type": form["report_type"],
        "windowed": bool(form["windowed"]),
        "sql_template": form["sql"] or "",
        "parameter_definitions": definitions,
        "report_config": {"widgets": widgets},
        "ui_schema": kept_ui_schema(form["ui_schema"], {d["name"] for d in definitions}),
        "min_data_age_days": int(form["min_age"] or 0),
    }
    blank = {
        "single": [None] * len(SINGLE_FIELDS),
        "params": [None] * len(form["params"][0]),
        "widgets": [None] * len(form["widgets"][0]),
    }
    try:
        with db_session() as session:
            if form["template_id"]:
                saved: TemplateDetail = update_template(
                    session=session,
                    actor=actor,
                    template_id=form["template_id"],
                    changes=values,
                    preview_columns=form["columns"] or None,
                )
            else:
                if form["new_id"]:
                    values["template_id"] = form["new_id"].strip()
                saved = create_template(
                    session=session,
                    actor=actor,
                    values=values,
                    preview_columns=form["columns"] or None,
                )
    except ValidationFailed as failed:
        return {
            "feedback": error_summary(failed.errors),
            "href": no_update,
            **place_errors(failed.errors, blank),
        }
    except DomainError as error:
        return {"feedback": create_error_feedback(error), "href": no_update, **blank}
    href = f"/report-builder/templates/{saved.template_id}/edit?saved={saved.version}"
    return {"feedback": None, "href": href, **blank}


@callback(
    output={
        "feedback": Output(eid("publish-feedback"), "children"),
        "badge": Output(eid("published-badge"), "children"),
        "color": Output(eid("published-badge"), "color"),
        "disabled": Output(eid("publish"), "disabled"),
    },
    inputs={"clicks": Input(eid("publish"), "n_clicks")},
    state={"template_id": State(eid("template"), "data")},
    prevent_initial_call=True,
)
def publish(clicks: int | None, template_id: str | None) -> dict[str, Any]:
    actor = callback_actor()
    if not clicks or actor is None or not template_id:
        raise PreventUpdate
    try:
        with db_session() as session:
            publish_template(session=session, actor=actor, template_id=template_id)
    except DomainError as error:
        unchanged = dict.fromkeys(("badge", "color", "disabled"), no_update)
        return {"feedback": create_error_feedback(error), **unchanged}
    return {
        "feedback": create_feedback("Published: everyone can now use this template."),
        "badge": "Published",
        "color": "success",
        "disabled": True,
    }

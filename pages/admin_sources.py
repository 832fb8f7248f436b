"""Admin → Data sources: the databases reports run on; add, edit, test, browse, delete."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, Patch, State, callback, ctx, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from components import source_form as form_ui
from components.admin_nav import create_admin_tabs
from components.clicks import clicked_index
from components.feedback import create_feedback, create_forbidden_state, error_message
from components.modals import close_modal_on
from components.page import create_page_header
from components.schema_view import create_schema_view
from components.source_modals import create_delete_modal, create_form_modal, create_schema_modal
from components.source_table import (
    DELETE,
    EDIT,
    SCHEMA,
    TEST,
    create_check_badge,
    create_sources_table,
)
from services.data_sources import (
    create_source,
    delete_source,
    get_source,
    list_sources,
    update_source,
)
from services.errors import DomainError, PermissionDenied, ValidationFailed
from services.source_checks import source_schema, test_source
from services.source_connections import SERVER_ENGINES
from webcontext import callback_actor, current_actor, db_session, get_settings, sign_in_redirect

dash.register_page(__name__, path="/admin/sources", title="Data sources · Report Builder")

#: Refusal shown to anyone but an admin.
FORBIDDEN = "Only admins can manage data sources. Ask an admin to add or change one."
REFRESH = "admin-sources-refresh"
CHECKS = "admin-sources-checks"
EDITING = "admin-sources-editing"
_FEEDBACK = Output("admin-sources-feedback", "children", allow_duplicate=True)
_REFRESH = Output(REFRESH, "data", allow_duplicate=True)


def layout(**_query: str) -> Component:
    actor = current_actor()
    if actor is None:
        return sign_in_redirect("/admin/sources")
    if not actor.is_admin:
        return create_forbidden_state(FORBIDDEN, id="admin-sources-forbidden")
    return html.Div(
        [
            dcc.Store(id=REFRESH, data=0),
            dcc.Store(id=CHECKS, data={}),
            dcc.Store(id=EDITING, data=None),
            dcc.Store(id="admin-sources-delete-target", data=None),
            create_admin_tabs("/admin/sources"),
            html.Div(
                [
                    create_page_header(
                        "Data sources",
                        "The databases reports run on: connections, limits and option lists.",
                    ),
                    dbc.Button(
                        [html.I(className="bi bi-plus-lg me-1"), "Add data source"],
                        id="admin-sources-add",
                        color="primary",
                    ),
                ],
                className="d-flex justify-content-between align-items-start gap-3",
            ),
            html.Div(id="admin-sources-feedback"),
            html.Div(id="admin-sources-table"),
            create_form_modal(),
            create_delete_modal(),
            create_schema_modal(),
        ]
    )


# -- the table -----------------------------------------------------------------------------


@callback(
    Output("admin-sources-table", "children"),
    Input(REFRESH, "data"),
    Input(CHECKS, "data"),
)
def show_sources(refresh: int | None, checks: dict[str, Any] | None) -> Any:
    """The sources table, read afresh after each change and each connection test."""
    actor = callback_actor()
    if actor is None:
        return no_update
    try:
        with db_session() as session:
            sources = list_sources(
                session=session, actor=actor, secret_key=get_settings().secret_key
            )
    except PermissionDenied:
        return create_forbidden_state(FORBIDDEN, id="admin-sources-forbidden")
    return create_sources_table(sources, checks)


@callback(
    Output(CHECKS, "data"),
    Input({"type": TEST, "index": ALL}, "n_clicks"),
    State(CHECKS, "data"),
    prevent_initial_call=True,
)
def test_row(clicks: list[int | None], checks: dict[str, Any] | None) -> Any:
    """Test one source's connection; the result stays in its row until the page reloads."""
    instance_id = clicked_index(TEST)
    actor = callback_actor()
    if instance_id is None or actor is None:
        return no_update
    try:
        with db_session() as session:
            check = test_source(
                session=session,
                actor=actor,
                secret_key=get_settings().secret_key,
                instance_id=instance_id,
            )
        result = {"ok": check.ok, "latency_ms": check.latency_ms, "error": check.error}
    except DomainError as error:
        result = {"ok": False, "latency_ms": 0, "error": error_message(error)}
    return {**(checks or {}), instance_id: result}


# -- the form ------------------------------------------------------------------------------


@callback(
    output={
        "open": Output("admin-sources-modal", "is_open", allow_duplicate=True),
        "editing": Output(EDITING, "data"),
        "title": Output("admin-sources-form-title", "children"),
        "values": {key: Output(id_, "value") for key, id_ in form_ui.FIELDS.items()},
        "id_disabled": Output(form_ui.FIELDS["instance_id"], "disabled"),
        "password_hint": Output(form_ui.FIELDS["connection.password"], "placeholder"),
        "mode": Output(form_ui.MODE, "value"),
        "lists": Output(form_ui.LISTS, "children", allow_duplicate=True),
        "test": Output("admin-sources-form-test", "children", allow_duplicate=True),
        "errors": form_ui.error_outputs(duplicate=True),
    },
    inputs={
        "add": Input("admin-sources-add", "n_clicks"),
        "edit": Input({"type": EDIT, "index": ALL}, "n_clicks"),
    },
    prevent_initial_call=True,
)
def open_form(add: int | None, edit: list[int | None]) -> dict[str, Any]:
    """The form, empty for a new source or filled for an edit (never with the secret)."""
    instance_id = clicked_index(EDIT)
    actor = callback_actor()
    if actor is None or (instance_id is None and ctx.triggered_id != "admin-sources-add"):
        raise PreventUpdate
    source = None
    if instance_id is not None:
        with db_session() as session:
            source = get_source(
                session=session,
                actor=actor,
                secret_key=get_settings().secret_key,
                instance_id=instance_id,
            )
    lists = source.option_lists if source else {}
    return {
        "open": True,
        "editing": instance_id,
        "title": f"Edit {source.name}" if source else "Add data source",
        "values": form_ui.form_props(source),
        "id_disabled": source is not None,
        "password_hint": "unchanged" if source and source.has_password else "",
        "mode": "fields",
        "lists": [form_ui.create_list_row(i, n, s) for i, (n, s) in enumerate(lists.items())],
        "test": "",
        "errors": form_ui.error_props({}),
    }


@callback(
    Output("admin-sources-fields-box", "style"),
    Output("admin-sources-url-box", "style"),
    Input(form_ui.MODE, "value"),
)
def switch_mode(mode: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Connection fields, or one URL."""
    hidden = {"display": "none"}
    return (hidden, {}) if mode == "url" else ({}, hidden)


@callback(
    output={box: Output(box, "style") for box in form_ui.SERVER_BOXES},
    inputs={"engine": Input(form_ui.FIELDS["engine"], "value")},
)
def show_engine_fields(engine: str | None) -> dict[str, dict[str, str]]:
    """A SQLite or DuckDB source is a file path: no host, port, user, password or options."""
    shown = engine in SERVER_ENGINES
    return {box: {} if shown else {"display": "none"} for box in form_ui.SERVER_BOXES}


@callback(
    Output(form_ui.LISTS, "children", allow_duplicate=True),
    Input("admin-sources-list-add", "n_clicks"),
    prevent_initial_call=True,
)
def add_list(clicks: int | None) -> Any:
    rows = Patch()
    rows.append(form_ui.create_list_row(1000 + (clicks or 0)))
    return rows


@callback(
    Output({"type": form_ui.LIST_ROW, "index": MATCH}, "style"),
    Output({"type": form_ui.LIST_NAME, "index": MATCH}, "value"),
    Output({"type": form_ui.LIST_SQL, "index": MATCH}, "value"),
    Input({"type": form_ui.LIST_REMOVE, "index": MATCH}, "n_clicks"),
    prevent_initial_call=True,
)
def remove_list(clicks: int | None) -> tuple[dict[str, str], str, str]:
    """A removed list is emptied and hidden; empty rows are not saved."""
    return {"display": "none"}, "", ""


@callback(
    output={
        "open": Output("admin-sources-modal", "is_open", allow_duplicate=True),
        "refresh": _REFRESH,
        "feedback": _FEEDBACK,
        "errors": form_ui.error_outputs(duplicate=True),
    },
    inputs={"save": Input("admin-sources-save", "n_clicks")},
    state={
        "editing": State(EDITING, "data"),
        "refresh_count": State(REFRESH, "data"),
        "form": form_ui.form_states(),
    },
    prevent_initial_call=True,
)
def save(
    save: int | None, editing: str | None, refresh_count: int | None, form: dict[str, Any]
) -> dict[str, Any]:
    """Create or change the source; field errors are shown next to their fields."""
    actor = callback_actor()
    if actor is None or not save:
        raise PreventUpdate
    values = form_ui.form_values(form, editing=editing is not None)
    settings = get_settings()
    try:
        form_ui.check_form(form)
        with db_session() as session:
            if editing is None:
                source = create_source(
                    session=session,
                    actor=actor,
                    secret_key=settings.secret_key,
                    values=values,
                    metadata_url=settings.database_url,
                )
            else:
                source = update_source(
                    session=session,
                    actor=actor,
                    secret_key=settings.secret_key,
                    instance_id=editing,
                    values=values,
                    metadata_url=settings.database_url,
                )
    except ValidationFailed as failure:
        return {
            "open": True,
            "refresh": no_update,
            "feedback": no_update,
            "errors": form_ui.error_props(failure.errors),
        }
    except DomainError as error:
        return {
            "open": True,
            "refresh": no_update,
            "feedback": no_update,
            "errors": form_ui.error_props({"connection": error_message(error)}),
        }
    verb = "added" if editing is None else "saved"
    return {
        "open": False,
        "refresh": (refresh_count or 0) + 1,
        "feedback": create_feedback(f"{source.name} ({source.instance_id}) {verb}."),
        "errors": form_ui.error_props({}),
    }


@callback(
    Output("admin-sources-form-test", "children", allow_duplicate=True),
    Input("admin-sources-form-test-button", "n_clicks"),
    State(EDITING, "data"),
    form_ui.form_states(),
    prevent_initial_call=True,
    running=[(Output("admin-sources-form-test-button", "disabled"), True, False)],
)
def test_form(clicks: int | None, editing: str | None, form: dict[str, Any]) -> Any:
    """Test the connection as the form gives it, before saving."""
    actor = callback_actor()
    if actor is None or not clicks:
        return no_update
    values = form_ui.form_values(form, editing=editing is not None)
    settings = get_settings()
    try:
        form_ui.check_form(form)
        with db_session() as session:
            check = test_source(
                session=session,
                actor=actor,
                secret_key=settings.secret_key,
                instance_id=editing,
                values=values,
                metadata_url=settings.database_url,
            )
    except DomainError as error:
        return html.Span(error_message(error), className="text-danger")
    result = {"ok": check.ok, "latency_ms": check.latency_ms, "error": check.error}
    return create_check_badge(result, instance_id="form")


cancel_form = close_modal_on(callback, "admin-sources-modal", "admin-sources-form-cancel")


# -- delete and schema ---------------------------------------------------------------------


@callback(
    output={
        "open": Output("admin-sources-delete-modal", "is_open", allow_duplicate=True),
        "target": Output("admin-sources-delete-target", "data"),
        "question": Output("admin-sources-delete-question", "children"),
        "error": Output("admin-sources-delete-error", "children", allow_duplicate=True),
    },
    inputs={"clicks": Input({"type": DELETE, "index": ALL}, "n_clicks")},
    prevent_initial_call=True,
)
def ask_delete(clicks: list[int | None]) -> dict[str, Any]:
    instance_id = clicked_index(DELETE)
    if instance_id is None:
        raise PreventUpdate
    question = [
        "Delete the data source ",
        html.Code(instance_id),
        "? Its ad-hoc runs go with it; reports must be deleted or moved first.",
    ]
    return {"open": True, "target": instance_id, "question": question, "error": ""}


@callback(
    output={
        "open": Output("admin-sources-delete-modal", "is_open", allow_duplicate=True),
        "error": Output("admin-sources-delete-error", "children", allow_duplicate=True),
        "refresh": _REFRESH,
        "feedback": _FEEDBACK,
    },
    inputs={"confirm": Input("admin-sources-delete-confirm", "n_clicks")},
    state={"target": State("admin-sources-delete-target", "data"), "count": State(REFRESH, "data")},
    prevent_initial_call=True,
)
def confirm_delete(confirm: int | None, target: str | None, count: int | None) -> dict[str, Any]:
    """Delete; a source that reports use is refused, and the modal says why."""
    actor = callback_actor()
    if actor is None or not confirm or target is None:
        raise PreventUpdate
    try:
        with db_session() as session:
            delete_source(session=session, actor=actor, instance_id=target)
    except DomainError as error:
        refusal = dbc.Alert(
            error_message(error),
            color="danger",
            class_name="mb-0",
            id="admin-sources-delete-refusal",
        )
        return {"open": True, "error": refusal, "refresh": no_update, "feedback": no_update}
    return {
        "open": False,
        "error": "",
        "refresh": (count or 0) + 1,
        "feedback": create_feedback(f"Data source {target} deleted."),
    }


cancel_delete = close_modal_on(
    callback, "admin-sources-delete-modal", "admin-sources-delete-cancel"
)


@callback(
    Output("admin-sources-schema-modal", "is_open"),
    Output("admin-sources-schema-title", "children"),
    Output("admin-sources-schema-body", "children"),
    Input({"type": SCHEMA, "index": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def show_schema(clicks: list[int | None]) -> Any:
    """The source's tables, each opening on its columns and types."""
    instance_id = clicked_index(SCHEMA)
    actor = callback_actor()
    if instance_id is None or actor is None:
        raise PreventUpdate
    try:
        with db_session() as session:
            schema = source_schema(
                session=session,
                actor=actor,
                secret_key=get_settings().secret_key,
                instance_id=instance_id,
            )
    except DomainError as error:
        return True, f"Schema of {instance_id}", dbc.Alert(error_message(error), color="danger")
    return True, f"Schema of {instance_id}", create_schema_view(schema)

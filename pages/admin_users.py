"""Admin → Users: who may sign in, their roles and sources; add, edit, disable, reset."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from flask import request

from components.admin_nav import create_admin_tabs
from components.clicks import clicked_index
from components.feedback import create_feedback, create_forbidden_state, error_message
from components.modals import close_modal_on
from components.navbar import create_icon
from components.page import create_page_header
from components.user_admin import (
    ADD_FIELDS,
    ADD_MODE,
    ADD_ROLE,
    ADD_SOURCES,
    EDIT_ACTIVE,
    EDIT_FIELDS,
    EDIT_ROLE,
    EDIT_SOURCES,
    create_add_form,
    create_edit_modal,
    create_users_table,
)
from components.user_admin_fields import create_link_box, field_outputs, field_values
from services.errors import DomainError, LastAdmin, ParameterError, UserExists
from services.instances import list_instances
from services.user_admin import (
    PasswordLink,
    admin_create_user,
    get_user,
    list_users,
    reset_password,
    revoke_token,
    update_user,
)
from webcontext import callback_actor, current_actor, db_session, sign_in_redirect

dash.register_page(__name__, path="/admin/users", title="Users · Report Builder")

#: Refusal shown to anyone but an admin.
FORBIDDEN = "Only admins can manage users. Ask an admin to add or change an account."
REFRESH = "admin-users-refresh"
#: Outputs several callbacks write: each after the first allows duplicates.
_FEEDBACK = Output("admin-users-feedback", "children", allow_duplicate=True)
_REFRESH = Output(REFRESH, "data", allow_duplicate=True)


def layout(**_query: str) -> Component:
    actor = current_actor()
    if actor is None:
        return sign_in_redirect("/admin/users")
    if not actor.is_admin:
        return create_forbidden_state(FORBIDDEN, id="admin-users-forbidden")
    with db_session() as session:
        users = list_users(session=session, actor=actor)
        instances = list_instances(session=session, actor=actor)
    return html.Div(
        [
            dcc.Store(id=REFRESH, data=0),
            create_admin_tabs("/admin/users"),
            html.Div(
                [
                    create_page_header(
                        "Users", "Who can sign in, their roles, and the data sources they use."
                    ),
                    dbc.Button(
                        [create_icon("person-plus", class_name="me-1"), "Add user"],
                        id="admin-users-add-open",
                        color="primary",
                    ),
                ],
                className="d-flex justify-content-between align-items-start",
            ),
            html.Div(id="admin-users-feedback"),
            html.Div(id="admin-users-link"),
            create_add_form(instances),
            dbc.Card(
                dbc.CardBody(create_users_table(users), id="admin-users-list", class_name="p-0"),
                class_name="shadow-sm",
            ),
            create_edit_modal(instances),
        ]
    )


def _link_url(link: PasswordLink) -> str:
    """The link as the admin's browser reaches this site."""
    return request.host_url.rstrip("/") + link.path


@callback(
    Output("admin-users-list", "children"),
    Input(REFRESH, "data"),
    prevent_initial_call=True,
)
def show_users(refresh: int | None) -> Any:
    actor = callback_actor()
    if actor is None:
        return no_update
    try:
        with db_session() as session:
            return create_users_table(list_users(session=session, actor=actor))
    except DomainError as error:
        return create_feedback(error_message(error), color="danger")


@callback(
    Output("admin-users-add-collapse", "is_open"),
    Input("admin-users-add-open", "n_clicks"),
    Input("admin-users-add-cancel", "n_clicks"),
    State("admin-users-add-collapse", "is_open"),
    prevent_initial_call=True,
)
def toggle_add_form(opened: int | None, cancelled: int | None, is_open: bool | None) -> bool:
    return ctx.triggered_id == "admin-users-add-open" and not is_open


@callback(
    Output("admin-users-add-password-box", "className"),
    Input(ADD_MODE, "value"),
)
def show_password_field(mode: str | None) -> str:
    return "" if mode == "password" else "d-none"


@callback(
    output={
        "feedback": _FEEDBACK,
        "link": Output("admin-users-link", "children"),
        "refresh": _REFRESH,
        "open": Output("admin-users-add-collapse", "is_open", allow_duplicate=True),
        "sources_error": Output(f"{ADD_SOURCES}-error", "children"),
        "form_error": Output("admin-users-add-error", "children"),
        **field_outputs(ADD_FIELDS),
    },
    inputs={
        "clicks": Input("admin-users-add-submit", "n_clicks"),
        "name": State(ADD_FIELDS["name"], "value"),
        "email": State(ADD_FIELDS["email"], "value"),
        "role": State(ADD_ROLE, "value"),
        "sources": State(ADD_SOURCES, "value"),
        "mode": State(ADD_MODE, "value"),
        "password": State(ADD_FIELDS["password"], "value"),
        "refresh": State(REFRESH, "data"),
    },
    prevent_initial_call=True,
)
def add_user(
    clicks: int | None,
    name: str | None,
    email: str | None,
    role: str | None,
    sources: list[str] | None,
    mode: str | None,
    password: str | None,
    refresh: int | None,
) -> dict[str, Any]:
    """Create the user; show the one-time link (when asked for) once, above the list."""
    actor = callback_actor()
    if actor is None or not clicks:
        raise PreventUpdate
    outputs: dict[str, Any] = {
        "feedback": no_update,
        "link": no_update,
        "refresh": no_update,
        "open": no_update,
        "sources_error": "",
        "form_error": None,
    }
    errors: dict[str, str] = {}
    if mode == "password" and not password:
        errors["password"] = "Type a first password, or choose the set-password link."
    else:
        try:
            with db_session() as session:
                created = admin_create_user(
                    session=session,
                    actor=actor,
                    email=email or "",
                    name=name or "",
                    role=role or "",
                    password=password if mode == "password" else None,
                    instance_ids=sources or [],
                )
        except ParameterError as error:
            errors[error.field] = error.message
        except UserExists as error:
            errors["email"] = str(error)
        except DomainError as error:
            outputs["form_error"] = dbc.Alert(error_message(error), color="danger")
            return {**outputs, **field_values(ADD_FIELDS, {})}
    if errors:
        sources_error = errors.pop("instance_ids", "")
        role_error = errors.pop("role", "")
        form_error = dbc.Alert(role_error, color="danger") if role_error else None
        return {
            **outputs,
            "sources_error": sources_error,
            "form_error": form_error,
            **field_values(ADD_FIELDS, errors),
        }
    who = created.user.name or created.user.email
    link = (
        create_link_box(_link_url(created.link), id="admin-users-new-link", who=who)
        if created.link
        else None
    )
    return {
        **outputs,
        "feedback": create_feedback(f"{who} was added as {created.user.role}."),
        "link": link,
        "refresh": (refresh or 0) + 1,
        "open": False,
        **field_values(ADD_FIELDS, {}),
    }


@callback(
    output={
        "open": Output("admin-users-edit-modal", "is_open"),
        "editing": Output("admin-users-editing", "data"),
        "title": Output("admin-users-edit-title", "children"),
        "name": Output(EDIT_FIELDS["name"], "value"),
        "role": Output(EDIT_ROLE, "value"),
        "sources": Output(EDIT_SOURCES, "value"),
        "active": Output(EDIT_ACTIVE, "value"),
        "result": Output("admin-users-edit-result", "children", allow_duplicate=True),
    },
    inputs={
        "clicks": Input({"type": "admin-users-edit", "index": ALL}, "n_clicks"),
    },
    prevent_initial_call=True,
)
def open_edit(clicks: list[int | None]) -> dict[str, Any]:
    """Fill the dialog with the user's current values."""
    user_id = clicked_index("admin-users-edit")
    actor = callback_actor()
    if actor is None or user_id is None:
        raise PreventUpdate
    try:
        with db_session() as session:
            user = get_user(session=session, actor=actor, user_id=user_id)
    except DomainError as error:  # not an admin (any more), or the user is gone
        alert = dbc.Alert(error_message(error), color="danger")
        return {
            "open": True,
            "editing": None,
            "title": "Edit user",
            "name": "",
            "role": None,
            "sources": [],
            "active": False,
            "result": alert,
        }
    return {
        "open": True,
        "editing": user.user_id,
        "title": f"Edit {user.name or user.email}",
        "name": user.name,
        "role": user.role,
        "sources": list(user.instance_ids),
        "active": user.is_active,
        "result": None,
    }


close_edit = close_modal_on(callback, "admin-users-edit-modal", "admin-users-edit-close")


@callback(
    output={
        "result": Output("admin-users-edit-result", "children", allow_duplicate=True),
        "feedback": _FEEDBACK,
        "refresh": _REFRESH,
        "open": Output("admin-users-edit-modal", "is_open", allow_duplicate=True),
        "role_error": Output(f"{EDIT_ROLE}-error", "children"),
        "sources_error": Output(f"{EDIT_SOURCES}-error", "children"),
        "active_error": Output(f"{EDIT_ACTIVE}-error", "children"),
        **field_outputs(EDIT_FIELDS),
    },
    inputs={
        "clicks": Input("admin-users-edit-save", "n_clicks"),
        "user_id": State("admin-users-editing", "data"),
        "name": State(EDIT_FIELDS["name"], "value"),
        "role": State(EDIT_ROLE, "value"),
        "sources": State(EDIT_SOURCES, "value"),
        "active": State(EDIT_ACTIVE, "value"),
        "refresh": State(REFRESH, "data"),
    },
    prevent_initial_call=True,
)
def save_edit(
    clicks: int | None,
    user_id: str | None,
    name: str | None,
    role: str | None,
    sources: list[str] | None,
    active: bool | None,
    refresh: int | None,
) -> dict[str, Any]:
    """Save name, role, sources and state at once; refusals are shown in the dialog."""
    actor = callback_actor()
    if actor is None or not clicks or not user_id:
        raise PreventUpdate
    outputs: dict[str, Any] = {
        "result": None,
        "feedback": no_update,
        "refresh": no_update,
        "open": no_update,
        "role_error": "",
        "sources_error": "",
        "active_error": "",
    }
    try:
        with db_session() as session:
            user = update_user(
                session=session,
                actor=actor,
                user_id=user_id,
                name=name or "",
                role=role or "",
                is_active=bool(active),
                instance_ids=sources or [],
            )
    except ParameterError as error:
        errors = {error.field: error.message}
        return {
            **outputs,
            "role_error": errors.pop("role", ""),
            "sources_error": errors.pop("instance_ids", ""),
            "active_error": errors.pop("is_active", ""),
            **field_values(EDIT_FIELDS, errors),
        }
    except LastAdmin as error:
        refusal = dbc.Alert(str(error), color="warning", id="admin-users-last-admin")
        return {**outputs, "result": refusal, **field_values(EDIT_FIELDS, {})}
    except DomainError as error:
        alert = dbc.Alert(error_message(error), color="danger")
        return {**outputs, "result": alert, **field_values(EDIT_FIELDS, {})}
    return {
        **outputs,
        "feedback": create_feedback(f"Saved {user.name or user.email}."),
        "refresh": (refresh or 0) + 1,
        "open": False,
        **field_values(EDIT_FIELDS, {}),
    }


@callback(
    output={
        "result": Output("admin-users-edit-result", "children", allow_duplicate=True),
        "refresh": _REFRESH,
    },
    inputs={
        "reset": Input("admin-users-reset", "n_clicks"),
        "revoke": Input("admin-users-revoke", "n_clicks"),
        "user_id": State("admin-users-editing", "data"),
        "refresh": State(REFRESH, "data"),
    },
    prevent_initial_call=True,
)
def reset_or_revoke(
    reset: int | None, revoke: int | None, user_id: str | None, refresh: int | None
) -> dict[str, Any]:
    """Reset: a new one-time link, shown once. Revoke: the API token stops working."""
    actor = callback_actor()
    if actor is None or not user_id or not ctx.triggered_id:
        raise PreventUpdate
    try:
        with db_session() as session:
            if ctx.triggered_id == "admin-users-reset":
                link = reset_password(session=session, actor=actor, user_id=user_id)
                result: Any = create_link_box(
                    _link_url(link), id="admin-users-reset-link", who=link.email
                )
            else:
                revoke_token(session=session, actor=actor, user_id=user_id)
                result = dbc.Alert(
                    "API token revoked: requests that send it are refused from now on.",
                    color="success",
                    id="admin-users-token-revoked",
                )
    except DomainError as error:
        result = dbc.Alert(error_message(error), color="danger")
        return {"result": result, "refresh": no_update}
    return {"result": result, "refresh": (refresh or 0) + 1}

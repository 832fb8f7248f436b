"""The signed-in user's menu: who is signed in, the API token (shown once), their password,
sign out."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update

import webauth
from components.feedback import error_message
from components.navbar import create_icon
from components.user_admin_fields import (
    create_field,
    create_password_rules,
    field_outputs,
    field_values,
)
from services.errors import DomainError, ParameterError
from services.user_admin import change_own_password
from services.users import create_api_token, revoke_api_token
from webcontext import callback_actor, db_session

#: The Flask route that ends the session (app.py).
LOGOUT_PATH = "/logout"


def create_user_menu(*, name: str, email: str, role: str) -> dbc.DropdownMenu:
    return dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem(
                [html.Div(name, className="fw-semibold"), html.Div(email, className="small")],
                header=True,
            ),
            dbc.DropdownMenuItem(
                html.Span(role.capitalize(), className="badge text-bg-secondary"), header=True
            ),
            dbc.DropdownMenuItem(divider=True),
            dbc.DropdownMenuItem(
                [create_icon("key", class_name="me-2"), "API token"], id="user-menu-api-token"
            ),
            dbc.DropdownMenuItem(
                [create_icon("lock", class_name="me-2"), "Change password"],
                id="user-menu-password",
            ),
            dbc.DropdownMenuItem(
                [create_icon("box-arrow-right", class_name="me-2"), "Sign out"],
                href=LOGOUT_PATH,
                external_link=True,
                id="user-menu-sign-out",
            ),
        ],
        label=[create_icon("person-circle", class_name="me-1"), name],
        id="user-menu",
        nav=True,
        in_navbar=True,
        align_end=True,
    )


def create_api_token_modal() -> dbc.Modal:
    """Create (or replace) and revoke the user's API token; a new token is shown once."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("API token")),
            dbc.ModalBody(
                [
                    html.P(
                        [
                            "Scripts and the REST API sign in with a token sent as ",
                            html.Code("Authorization: Bearer …"),
                            ". Creating a token replaces the one you had; revoking it "
                            "stops every script that uses it.",
                        ]
                    ),
                    html.Div(id="user-token-result"),
                ]
            ),
            dbc.ModalFooter(
                [
                    dbc.Button(
                        "Revoke token", id="user-token-revoke", color="outline-danger", size="sm"
                    ),
                    dbc.Button("Create new token", id="user-token-create", color="primary"),
                ]
            ),
        ],
        id="user-token-modal",
        is_open=False,
    )


#: The password dialog's fields → input ids.
PASSWORD_FIELDS = {
    "current_password": "user-password-current",
    "new_password": "user-password-new",
    "confirm": "user-password-confirm",
}


def create_password_modal() -> dbc.Modal:
    """Change one's own password: the current one, the new one twice, the rules shown."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Change password")),
            dbc.ModalBody(
                dbc.Form(
                    [
                        create_field(
                            "Current password",
                            PASSWORD_FIELDS["current_password"],
                            type="password",
                            autocomplete="current-password",
                        ),
                        create_field(
                            "New password",
                            PASSWORD_FIELDS["new_password"],
                            type="password",
                            autocomplete="new-password",
                        ),
                        create_field(
                            "New password again",
                            PASSWORD_FIELDS["confirm"],
                            type="password",
                            autocomplete="new-password",
                        ),
                        create_password_rules("user-password-rules"),
                        html.Div(id="user-password-result"),
                    ],
                    id="user-password-form",
                )
            ),
            dbc.ModalFooter(
                dbc.Button("Change password", id="user-password-save", color="primary")
            ),
        ],
        id="user-password-modal",
        is_open=False,
    )


def create_token_display(token: str) -> html.Div:
    """The new token with a copy button, and the warning that it will not be shown again."""
    return html.Div(
        [
            dbc.Label("Your new token", html_for="user-token-value"),
            dbc.InputGroup(
                [
                    dbc.Input(
                        id="user-token-value",
                        value=token,
                        readonly=True,
                        class_name="font-monospace",
                    ),
                    dcc.Clipboard(
                        id="user-token-copy",
                        target_id="user-token-value",
                        title="Copy the token",
                        className="btn btn-outline-secondary",
                    ),
                ]
            ),
            dbc.Alert(
                "Copy it now: it is stored hashed and will not be shown again.",
                color="warning",
                class_name="small mt-2 mb-0",
            ),
        ]
    )


def register_callbacks(app: dash.Dash) -> None:
    """Attach the menu's callbacks to `app`.

    On the app rather than with `dash.callback`: this module is imported once, and Dash
    hands globally declared callbacks to the first app only (tests build many apps).
    """
    app.callback(
        Output("user-token-modal", "is_open"),
        Output("user-token-result", "children", allow_duplicate=True),
        Input("user-menu-api-token", "n_clicks"),
        prevent_initial_call=True,
    )(open_token_modal)
    app.callback(
        Output("user-token-result", "children"),
        Input("user-token-create", "n_clicks"),
        Input("user-token-revoke", "n_clicks"),
        State("user-token-modal", "is_open"),
        prevent_initial_call=True,
    )(change_token)
    app.callback(
        output={
            "is_open": Output("user-password-modal", "is_open"),
            "result": Output("user-password-result", "children", allow_duplicate=True),
            **{f: Output(i, "value") for f, i in PASSWORD_FIELDS.items()},
            **_allow_duplicates(field_outputs(PASSWORD_FIELDS)),
        },
        inputs={"n_clicks": Input("user-menu-password", "n_clicks")},
        prevent_initial_call=True,
    )(open_password_modal)
    app.callback(
        output={
            "result": Output("user-password-result", "children"),
            **field_outputs(PASSWORD_FIELDS),
        },
        inputs={
            "n_clicks": Input("user-password-save", "n_clicks"),
            "n_submit": Input("user-password-form", "n_submit"),
            **{f: State(i, "value") for f, i in PASSWORD_FIELDS.items()},
        },
        prevent_initial_call=True,
    )(change_password)


def _allow_duplicates(outputs: dict[str, Output]) -> dict[str, Output]:
    return {
        key: Output(output.component_id, output.component_property, allow_duplicate=True)
        for key, output in outputs.items()
    }


def open_password_modal(n_clicks: int | None) -> dict[str, Any]:
    """Open the dialog with empty fields and no message."""
    values: dict[str, Any] = {f: "" for f in PASSWORD_FIELDS}
    return {
        "is_open": bool(n_clicks),
        "result": None,
        **values,
        **field_values(PASSWORD_FIELDS, {}),
    }


def change_password(
    n_clicks: int | None,
    n_submit: int | None,
    current_password: str | None,
    new_password: str | None,
    confirm: str | None,
) -> dict[str, Any]:
    """Check the current password and set the new one; field errors next to the fields."""
    outputs: dict[str, Any] = {"result": None}
    actor = callback_actor()
    if actor is None:
        return {**outputs, **field_values(PASSWORD_FIELDS, {})}
    if not new_password or new_password != confirm:
        message = "Type the new password twice." if not new_password else "The two differ."
        return {**outputs, **field_values(PASSWORD_FIELDS, {"confirm": message})}
    try:
        with db_session() as session:
            change_own_password(
                session=session,
                actor=actor,
                current_password=current_password or "",
                new_password=new_password,
            )
    except ParameterError as error:
        return {**outputs, **field_values(PASSWORD_FIELDS, {error.field: error.message})}
    except DomainError as error:
        alert = dbc.Alert(error_message(error), color="danger", class_name="mb-0")
        return {**outputs, "result": alert, **field_values(PASSWORD_FIELDS, {})}
    # The change ended every session signed in with the old password, this one too: sign
    # this browser in again with the new one.
    webauth.sign_in(actor)
    done = dbc.Alert(
        "Password changed: use the new one next time you sign in. Your other sessions "
        "were signed out.",
        color="success",
        class_name="mb-0",
        id="user-password-changed",
    )
    return {**outputs, "result": done, **field_values(PASSWORD_FIELDS, {})}


def open_token_modal(n_clicks: int | None) -> tuple[bool, Any]:
    """Open the dialog afresh: a token shown earlier is not shown again."""
    return bool(n_clicks), None


def change_token(create_clicks: int | None, revoke_clicks: int | None, is_open: bool) -> Any:
    """Create or revoke the token of whoever is signed in (never anyone else's)."""
    actor = callback_actor()
    if actor is None or not is_open:
        return no_update
    try:
        with db_session() as session:
            if ctx.triggered_id == "user-token-create":
                return create_token_display(create_api_token(session=session, email=actor.email))
            revoke_api_token(session=session, user=actor)
    except DomainError as error:
        return dbc.Alert(error_message(error), color="danger", class_name="mb-0")
    return dbc.Alert(
        "Token revoked: requests that send it are refused from now on.",
        color="success",
        class_name="mb-0",
        id="user-token-revoked",
    )

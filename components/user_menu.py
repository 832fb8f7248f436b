"""The signed-in user's menu: who is signed in, the API token (shown once), sign out."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update

from components.feedback import error_message
from components.navbar import create_icon
from services.errors import DomainError
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

"""Sign in with e-mail and password; then back to the page that asked for it."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component

import webauth
from components.page import create_account_card, create_form_alert
from services.users import authenticate_password
from webcontext import current_actor, db_session, safe_next

dash.register_page(__name__, path="/login", title="Sign in · Report Builder")

#: The command that adds a user, as typed in the project directory (`make run` puts nothing
#: on PATH).
CREATE_USER_COMMAND = ".venv/bin/reportbuilder create-user"
#: Said for any failed attempt: never which of the two was wrong.
WRONG_CREDENTIALS = "Wrong e-mail or password, or the account is disabled."


def layout(**query: str) -> Component:
    target = safe_next(query.get("next"))
    if current_actor() is not None:  # signed in already: go on to where they were headed
        return dcc.Location(id="login-redirect", href=target, refresh=True)
    if webauth.setup_needed():  # no user yet: create the first admin
        return dcc.Location(id="login-redirect", href=webauth.SETUP_PATH, refresh=True)
    return create_account_card(
        "Sign in",
        "Use the e-mail and password your administrator set up for you.",
        [
            html.Div(
                dbc.Alert(
                    "Your password is set: sign in with it.",
                    color="success",
                    class_name="py-2 small",
                )
                if query.get("password_set")
                else None,
                id="login-error",
            ),
            dbc.Form(
                [
                    html.Div(
                        [
                            dbc.Label("E-mail", html_for="login-email"),
                            dbc.Input(
                                id="login-email",
                                type="email",
                                autocomplete="username",
                                autofocus=True,
                                required=True,
                                placeholder="you@example.com",
                            ),
                        ],
                        className="mb-3",
                    ),
                    html.Div(
                        [
                            dbc.Label("Password", html_for="login-password"),
                            dbc.Input(
                                id="login-password",
                                type="password",
                                autocomplete="current-password",
                                required=True,
                            ),
                        ],
                        className="mb-4",
                    ),
                    dbc.Button(
                        "Sign in",
                        id="login-submit",
                        type="submit",
                        color="primary",
                        class_name="w-100",
                    ),
                ],
                id="login-form",
            ),
        ],
        before=[
            dcc.Location(id="login-redirect", refresh=True),
            dcc.Store(id="login-next", data=target),
        ],
        after=[
            html.P(
                [
                    "No account yet? Ask an admin to add you (Admin → Users, or ",
                    html.Code(CREATE_USER_COMMAND),
                    ").",
                ],
                className="text-body-secondary small text-center mt-3",
            ),
        ],
    )


@callback(
    Output("login-redirect", "href"),
    Output("login-error", "children"),
    Input("login-form", "n_submit"),
    State("login-email", "value"),
    State("login-password", "value"),
    State("login-next", "data"),
    prevent_initial_call=True,
)
def sign_in(
    n_submit: int | None, email: str | None, password: str | None, target: str | None
) -> tuple[Any, Any]:
    """Check the password; on success set the session cookie and reload on `next`."""
    if not email or not password:
        return no_update, _error("Enter your e-mail and password.")
    with db_session() as session:
        actor = authenticate_password(session=session, email=email, password=password)
    if actor is None:
        return no_update, _error(WRONG_CREDENTIALS)
    webauth.sign_in(actor)
    return safe_next(target), None


def _error(message: str) -> dbc.Alert:
    return create_form_alert(message, id="login-error-message")

"""First run: while the database holds no user, create the first admin, then go on signed
in."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.development.base_component import Component

import webauth
from components.page import create_account_card, create_form_alert
from components.user_admin_fields import (
    create_field,
    create_password_rules,
    field_outputs,
    field_values,
)
from services.errors import DomainError, ParameterError, SetupDone
from services.setup import create_first_admin
from webcontext import LOGIN_PATH, db_session

dash.register_page(__name__, path=webauth.SETUP_PATH, title="Set up · Report Builder")

#: Form field → input id; the service's field errors land next to these.
FIELDS = {
    "name": "setup-name",
    "email": "setup-email",
    "password": "setup-password",
    "confirm": "setup-confirm",
}


def layout(**_query: str) -> Component:
    if not webauth.setup_needed():  # a user exists: setup is closed
        return dcc.Location(id="setup-redirect", href=LOGIN_PATH, refresh=True)
    return create_account_card(
        "Set up Report Builder",
        "Create the first admin account. You can add colleagues and data sources once you "
        "are signed in.",
        [
            html.Div(id="setup-error"),
            dbc.Form(
                [
                    create_field(
                        "Your name",
                        FIELDS["name"],
                        autocomplete="name",
                        autofocus=True,
                        maxLength=200,
                    ),
                    create_field(
                        "E-mail",
                        FIELDS["email"],
                        type="email",
                        autocomplete="username",
                        placeholder="you@example.com",
                    ),
                    create_field(
                        "Password",
                        FIELDS["password"],
                        type="password",
                        autocomplete="new-password",
                    ),
                    create_field(
                        "Password again",
                        FIELDS["confirm"],
                        type="password",
                        autocomplete="new-password",
                    ),
                    create_password_rules("setup-rules"),
                    dbc.Button(
                        "Create admin and sign in",
                        id="setup-submit",
                        type="submit",
                        color="primary",
                        class_name="w-100",
                    ),
                ],
                id="setup-form",
            ),
        ],
        before=[dcc.Location(id="setup-redirect", refresh=True)],
    )


@callback(
    output={
        "redirect": Output("setup-redirect", "href"),
        "alert": Output("setup-error", "children"),
        **field_outputs(FIELDS),
    },
    inputs={
        "submitted": Input("setup-form", "n_submit"),
        "name": State(FIELDS["name"], "value"),
        "email": State(FIELDS["email"], "value"),
        "password": State(FIELDS["password"], "value"),
        "confirm": State(FIELDS["confirm"], "value"),
    },
    prevent_initial_call=True,
)
def create_admin(
    submitted: int | None,
    name: str | None,
    email: str | None,
    password: str | None,
    confirm: str | None,
) -> dict[str, Any]:
    """Create the first admin, sign them in and go home; or show what to fix."""
    errors: dict[str, str] = {}
    if not password:
        errors["password"] = "Choose a password."
    elif password != confirm:
        errors["confirm"] = "The two passwords differ."
    outputs: dict[str, Any] = {"redirect": dash.no_update, "alert": None}
    if errors:
        return {**outputs, **field_values(FIELDS, errors)}
    try:
        with db_session() as session:
            actor = create_first_admin(
                session=session, email=email or "", password=password or "", name=name or ""
            )
    except SetupDone:
        return {**outputs, **field_values(FIELDS, {}), "redirect": LOGIN_PATH}
    except ParameterError as error:
        errors[error.field] = error.message
    except DomainError as error:
        return {**outputs, **field_values(FIELDS, {}), "alert": _alert(str(error))}
    if errors:
        return {**outputs, **field_values(FIELDS, errors)}
    webauth.sign_in(actor)
    return {**outputs, **field_values(FIELDS, {}), "redirect": "/"}


def _alert(message: str) -> dbc.Alert:
    return create_form_alert(message)

"""Set a password from a one-time link (`/set-password#token=…`), then sign in.

The token travels in the URL's fragment, which the browser sends to no server: it stays out
of access logs and Referer headers. Links given out before in the query form (`?token=…`)
still work; the page then takes the token out of the address bar and history.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update
from dash.development.base_component import Component

from components.page import create_account_card, create_form_alert
from components.user_admin_fields import (
    create_field,
    create_password_rules,
    field_outputs,
    field_values,
)
from services.errors import DomainError, ParameterError
from services.user_admin import SET_PASSWORD_PATH, set_password_with_token
from webcontext import LOGIN_PATH, db_session

dash.register_page(__name__, path=SET_PASSWORD_PATH, title="Set your password · Report Builder")

FIELDS = {"password": "set-password-password", "confirm": "set-password-confirm"}


def layout(**_query: str) -> Component:
    """The form; the token is read in the browser (`read_token`), never from the query."""
    return create_account_card(
        "Set your password",
        "Choose the password you will sign in with.",
        [
            html.Div(id="set-password-error"),
            dbc.Form(
                [
                    create_field(
                        "New password",
                        FIELDS["password"],
                        type="password",
                        autocomplete="new-password",
                        autofocus=True,
                    ),
                    create_field(
                        "New password again",
                        FIELDS["confirm"],
                        type="password",
                        autocomplete="new-password",
                    ),
                    create_password_rules("set-password-rules"),
                    dbc.Button(
                        "Set password",
                        id="set-password-submit",
                        type="submit",
                        color="primary",
                        class_name="w-100",
                    ),
                ],
                id="set-password-form",
            ),
        ],
        before=[
            dcc.Location(id="set-password-redirect", refresh=True),
            dcc.Location(id="set-password-location", refresh=False),
            dcc.Store(id="set-password-token", data=""),
            dcc.Store(id="set-password-url-cleaned"),
        ],
        logo=False,
    )


def read_token(hash_: str | None, search: str | None) -> str:
    """The token of `#token=…` (or of the older `?token=…`), or ""."""
    for part in (hash_, search):
        values = parse_qs((part or "").lstrip("#?")).get("token")
        if values:
            return values[0]
    return ""


callback(
    Output("set-password-token", "data"),
    Input("set-password-location", "hash"),
    Input("set-password-location", "search"),
)(read_token)

# Once the token is read, take it out of the address bar and the history entry, so it is
# neither bookmarked nor shown again by Back.
clientside_callback(
    """function (token) {
        if (token && (window.location.hash || window.location.search)) {
            window.history.replaceState(window.history.state, "", window.location.pathname);
            return true;
        }
        return window.dash_clientside.no_update;
    }""",
    Output("set-password-url-cleaned", "data"),
    Input("set-password-token", "data"),
)


@callback(
    output={
        "redirect": Output("set-password-redirect", "href"),
        "alert": Output("set-password-error", "children"),
        **field_outputs(FIELDS),
    },
    inputs={
        "submitted": Input("set-password-form", "n_submit"),
        "token": State("set-password-token", "data"),
        "password": State(FIELDS["password"], "value"),
        "confirm": State(FIELDS["confirm"], "value"),
    },
    prevent_initial_call=True,
)
def set_password(
    submitted: int | None, token: str | None, password: str | None, confirm: str | None
) -> dict[str, Any]:
    """Use the link up and go to the sign-in page; or say what is wrong."""
    outputs: dict[str, Any] = {"redirect": no_update, "alert": None}
    if not password:
        return {**outputs, **field_values(FIELDS, {"password": "Choose a password."})}
    if password != confirm:
        return {**outputs, **field_values(FIELDS, {"confirm": "The two passwords differ."})}
    try:
        with db_session() as session:
            set_password_with_token(session=session, token=token or "", password=password)
    except ParameterError as error:
        if error.field in FIELDS:
            return {**outputs, **field_values(FIELDS, {error.field: error.message})}
        return {**outputs, **field_values(FIELDS, {}), "alert": _alert(error.message)}
    except DomainError as error:
        return {**outputs, **field_values(FIELDS, {}), "alert": _alert(str(error))}
    return {**outputs, **field_values(FIELDS, {}), "redirect": f"{LOGIN_PATH}?password_set=1"}


def _alert(message: str) -> dbc.Alert:
    return create_form_alert(message, id="set-password-alert")

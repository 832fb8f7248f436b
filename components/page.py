"""Building blocks shared by page layouts: the page heading, the empty state, and the card
of the account pages (sign in, first-run setup, set a password)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html
from dash.development.base_component import Component

from components.navbar import create_icon


def create_page_header(title: str, subtitle: str | None = None) -> html.Div:
    children: list[Component] = [html.H1(title, className="h3 mb-1")]
    if subtitle:
        children.append(html.P(subtitle, className="text-body-secondary mb-0"))
    return html.Div(children, className="page-header mb-4")


def create_empty_state(
    message: str | Component | list[Component | str], *, icon: str = "inbox", id: str
) -> html.Div:
    """A quiet box saying why there is nothing to show yet, and what would fill it."""
    return html.Div(
        [
            create_icon(icon, class_name="empty-state-icon d-block mb-2"),
            html.P(message, className="mb-0"),
        ],
        id=id,
        className="empty-state text-center text-body-secondary border rounded-3 p-5",
    )


def create_account_card(
    title: str,
    intro: str,
    body: list[Component],
    *,
    before: Sequence[Component] = (),
    after: Sequence[Component] = (),
    logo: bool = True,
) -> dbc.Row:
    """The narrow, centred card of the sign-in, first-run setup and set-password pages:
    the logo, a title, one line on what to do, then `body` (the form). `before` holds
    stores and locations; `after` what goes under the card."""
    heading: list[Component] = []
    if logo:
        heading.append(
            html.Div(create_icon("bar-chart-line-fill"), className="login-logo text-primary mb-2")
        )
    heading += [
        html.H1(title, className="h4 mb-1"),
        html.P(intro, className="text-body-secondary small mb-4"),
    ]
    card = dbc.Card(dbc.CardBody([*heading, *body], class_name="p-4"), class_name="shadow-sm")
    return dbc.Row(
        dbc.Col([*before, card, *after], xs=12, sm=10, md=7, lg=5, xl=4),
        justify="center",
        class_name="login-page pt-md-4",
    )


def create_form_alert(message: str, *, id: str | None = None) -> dbc.Alert:
    """A form's refusal as a whole (not one field's): red, small, with a warning icon."""
    extra: dict[str, Any] = {"id": id} if id else {}
    return dbc.Alert(
        [create_icon("exclamation-triangle", class_name="me-2"), message],
        color="danger",
        class_name="py-2 small",
        **extra,
    )

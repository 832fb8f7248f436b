"""The top navigation bar shown on every page, with the signed-in user's menu."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html

from services.users import Actor

#: (label, path, Bootstrap Icons name, how the link knows it is active) for each nav entry.
NAV_LINKS: tuple[tuple[str, str, str, str], ...] = (
    ("Home", "/", "house", "exact"),
    ("Report Builder", "/report-builder", "ui-checks", "partial"),
    ("Dashboards", "/dashboards", "speedometer2", "partial"),
    ("Runs", "/runs", "clock-history", "partial"),
    ("Admin", "/admin/queues", "gear", "partial"),
)
#: Entries only admins see (hiding is a courtesy: the admin pages check the role themselves).
ADMIN_PATHS = frozenset({"/admin/queues"})


def create_icon(name: str, *, class_name: str = "") -> html.I:
    """A Bootstrap Icons glyph (https://icons.getbootstrap.com), hidden from screen readers."""
    aria: dict[str, Any] = {"aria-hidden": "true"}
    return html.I(className=f"bi bi-{name} {class_name}".strip(), **aria)


def nav_link_id(path: str) -> str:
    return f"navbar-link-{path.strip('/').replace('/', '-') or 'home'}"


def create_navbar(actor: Actor | None = None, user_menu: Any = None) -> dbc.Navbar:
    """The bar; without a signed-in `actor` (the login page) it shows only the brand."""
    brand = dbc.NavbarBrand(
        [create_icon("bar-chart-line-fill", class_name="me-2"), "Report Builder"],
        href="/",
        id="navbar-brand",
    )
    if actor is None:
        return dbc.Navbar(
            dbc.Container(brand), id="navbar", color="dark", dark=True, class_name="mb-4"
        )
    links = [
        dbc.NavItem(
            dbc.NavLink(
                [create_icon(icon, class_name="me-1"), label],
                href=path,
                active=active,
                id=nav_link_id(path),
            )
        )
        for label, path, icon, active in NAV_LINKS
        if actor.is_admin or path not in ADMIN_PATHS
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                brand,
                dbc.NavbarToggler(id="navbar-toggler"),
                dbc.Collapse(
                    [
                        dbc.Nav(links, navbar=True, class_name="me-auto"),
                        dbc.Nav(user_menu, navbar=True) if user_menu is not None else None,
                    ],
                    id="navbar-collapse",
                    navbar=True,
                    is_open=False,
                ),
            ],
        ),
        id="navbar",
        color="dark",
        dark=True,
        expand="lg",
        class_name="mb-4",
    )


def register_callbacks(app: dash.Dash) -> None:
    """Attach the bar's callback to `app` (see components.user_menu.register_callbacks)."""
    app.callback(
        Output("navbar-collapse", "is_open"),
        Input("navbar-toggler", "n_clicks"),
        State("navbar-collapse", "is_open"),
        prevent_initial_call=True,
    )(toggle_navbar)


def toggle_navbar(n_clicks: int | None, is_open: bool) -> bool:
    """Open or close the menu on narrow screens."""
    return not is_open

"""The top navigation bar shown on every page."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

#: (label, path, Bootstrap Icons name, how the link knows it is active) for each nav entry.
NAV_LINKS: tuple[tuple[str, str, str, str], ...] = (
    ("Home", "/", "house", "exact"),
    ("Report Builder", "/report-builder", "ui-checks", "partial"),
    ("Dashboards", "/dashboards", "speedometer2", "partial"),
    ("Runs", "/runs", "clock-history", "partial"),
    ("Admin", "/admin/queues", "gear", "partial"),
)


def create_icon(name: str, *, class_name: str = "") -> html.I:
    """A Bootstrap Icons glyph (https://icons.getbootstrap.com), hidden from screen readers."""
    aria: dict[str, Any] = {"aria-hidden": "true"}
    return html.I(className=f"bi bi-{name} {class_name}".strip(), **aria)


def create_navbar() -> dbc.Navbar:
    links = [
        dbc.NavItem(
            dbc.NavLink(
                [create_icon(icon, class_name="me-1"), label],
                href=path,
                active=active,
                id=f"navbar-link-{path.strip('/').replace('/', '-') or 'home'}",
            )
        )
        for label, path, icon, active in NAV_LINKS
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [create_icon("bar-chart-line-fill", class_name="me-2"), "Report Builder"],
                    href="/",
                    id="navbar-brand",
                ),
                dbc.Nav(links, navbar=True, class_name="flex-row flex-wrap gap-2"),
            ],
        ),
        id="navbar",
        color="dark",
        dark=True,
        expand=True,
        class_name="mb-4",
    )

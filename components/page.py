"""Building blocks shared by page layouts: the page heading and the empty state."""

from __future__ import annotations

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

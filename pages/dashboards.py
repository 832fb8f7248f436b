"""Dashboards: one per report, favorites first, with a favorites filter and stars."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component

from components.clicks import clicked_id
from components.dashboard_cards import create_dashboard_grid
from components.feedback import create_error_feedback
from components.page import create_empty_state, create_page_header
from services.dashboards import favorite_dashboard, list_dashboards, unfavorite_dashboard
from services.errors import DomainError
from webcontext import callback_actor, current_actor, db_session, sign_in_redirect

dash.register_page(
    __name__, path="/dashboards", name="Dashboards", title="Dashboards · Report Builder", order=2
)

#: Pattern-matching id type of the star buttons on this page.
STAR_TYPE = "dashboards-star"


def layout(**query: str) -> Component:
    if current_actor() is None:
        return sign_in_redirect("/dashboards")
    return html.Div(
        [
            dcc.Store(id="dashboards-refresh", data=0),
            html.Div(
                [
                    create_page_header(
                        "Dashboards", "Every report has one, drawn from its completed runs."
                    ),
                    html.Div(
                        [
                            html.Span(
                                "Show", className="visually-hidden", id="dashboards-filter-label"
                            ),
                            dbc.RadioItems(
                                id="dashboards-filter",
                                options=[
                                    {"label": "All", "value": "all"},
                                    {"label": "Favorites", "value": "favorites"},
                                ],
                                value="favorites" if query.get("favorites") else "all",
                                class_name="btn-group",
                                input_class_name="btn-check",
                                label_class_name="btn btn-outline-primary btn-sm",
                                label_checked_class_name="active",
                            ),
                        ],
                        className="segmented",
                    ),
                ],
                className="page-heading d-flex justify-content-between align-items-start "
                "flex-wrap gap-2",
            ),
            html.Div(id="dashboards-feedback"),
            html.Div(id="dashboards-list"),
        ]
    )


@callback(
    Output("dashboards-list", "children"),
    Input("dashboards-filter", "value"),
    Input("dashboards-refresh", "data"),
)
def show_dashboards(choice: str | None, refresh: int | None) -> Any:
    """All dashboards, or the favorites only; favorites first, newest star first."""
    actor = callback_actor()
    if actor is None:
        return no_update
    favorites_only = choice == "favorites"
    try:
        with db_session() as session:
            dashboards = list_dashboards(
                session=session, actor=actor, favorites_only=favorites_only
            )
    except DomainError as error:
        return create_error_feedback(error)
    if not dashboards:
        return create_empty_state(
            "No favorites yet. Star a dashboard (☆) to pin it here and on Home."
            if favorites_only
            else [
                "No dashboards yet. Every report gets one: pick a template in the ",
                dcc.Link("Report Builder", href="/report-builder"),
                " and create a report.",
            ],
            icon="star" if favorites_only else "speedometer2",
            id="dashboards-empty",
        )
    return create_dashboard_grid(dashboards, id="dashboards-grid", star_type=STAR_TYPE, md=6, xl=4)


@callback(
    Output("dashboards-feedback", "children"),
    Output("dashboards-refresh", "data"),
    Input({"type": STAR_TYPE, "index": ALL, "starred": ALL}, "n_clicks"),
    State("dashboards-refresh", "data"),
    prevent_initial_call=True,
)
def toggle_star(clicks: list[int | None], refresh: int | None) -> tuple[Any, Any]:
    """Star or unstar one dashboard, then redraw the list (favorites move to the top)."""
    star = clicked_id(STAR_TYPE)
    if star is None:
        return no_update, no_update
    actor = callback_actor()
    if actor is None:
        return no_update, no_update
    dashboard_id = str(star["index"])
    change = unfavorite_dashboard if star["starred"] else favorite_dashboard
    try:
        with db_session() as session:
            change(session=session, actor=actor, dashboard_id=dashboard_id)
    except DomainError as error:
        return create_error_feedback(error), (refresh or 0) + 1
    return None, (refresh or 0) + 1

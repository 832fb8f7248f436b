"""One dashboard: its widgets drawn from the report's combined results, a star and exports."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component

from components.dashboard_cards import create_star_icon, star_label
from components.feedback import create_error_feedback
from components.format import format_count, plural
from components.navbar import create_icon
from components.page import create_empty_state, create_page_header
from components.widgets import create_widget_grid
from services.dashboards import (
    DashboardDetail,
    favorite_dashboard,
    get_dashboard,
    unfavorite_dashboard,
)
from services.errors import DomainError, NotFound
from webcontext import (
    callback_actor,
    current_actor,
    db_session,
    results_store,
    sign_in_redirect,
)

dash.register_page(
    __name__,
    path_template="/dashboards/<dashboard_id>",
    title="Dashboard · Report Builder",
    description="A report's dashboard.",
)

#: Where the exports are downloaded (a Flask route in downloads.py).
EXPORT_PATH = "/download/dashboards"


def layout(dashboard_id: str | None = None, **_query: str) -> Component:
    actor = current_actor()
    if actor is None:
        return sign_in_redirect(f"/dashboards/{dashboard_id}")
    try:
        with db_session() as session:
            dashboard = get_dashboard(
                session=session,
                actor=actor,
                store=results_store(),
                dashboard_id=str(dashboard_id),
            )
    except NotFound:
        return create_empty_state(
            [
                html.Strong("Dashboard not found. ", className="d-block mb-2"),
                "Its report may have been deleted, or it belongs to someone else. ",
                dbc.Button(
                    "All dashboards",
                    href="/dashboards",
                    color="primary",
                    size="sm",
                    class_name="ms-1",
                ),
            ],
            icon="speedometer2",
            id="dashboard-not-found",
        )
    return create_dashboard_layout(dashboard)


def export_href(dashboard_id: str, fmt: str) -> str:
    return f"{EXPORT_PATH}/{dashboard_id}.{fmt}"


def create_dashboard_layout(dashboard: DashboardDetail) -> html.Div:
    data = dashboard.data
    has_data = data.run_count > 0
    subtitle = [
        "Report ",
        dcc.Link(dashboard.report_name, href=f"/reports/{dashboard.report_id}"),
        f" · template {dashboard.template_name} · instance {dashboard.instance_id}",
    ]
    facts = (
        f"{plural(data.run_count, 'time window')} combined · {format_count(data.total_rows)} rows"
        if has_data
        else None
    )
    actions = [
        dbc.Button(
            [
                create_star_icon(dashboard.is_favorite),
                html.Span(
                    "Favorite" if dashboard.is_favorite else "Add to favorites", className="ms-1"
                ),
            ],
            id="dashboard-star",
            color="outline-secondary",
            title=star_label(dashboard.is_favorite),
        ),
    ]
    if has_data:
        actions += [
            dbc.Button(
                [create_icon("download", class_name="me-1"), "CSV"],
                href=export_href(dashboard.dashboard_id, "csv"),
                external_link=True,
                color="outline-secondary",
                id="dashboard-export-csv",
            ),
            dbc.Button(
                [create_icon("file-earmark-spreadsheet", class_name="me-1"), "Excel"],
                href=export_href(dashboard.dashboard_id, "xlsx"),
                external_link=True,
                color="outline-secondary",
                id="dashboard-export-xlsx",
            ),
        ]
    body: Component
    if not has_data:
        body = create_empty_state(
            [
                "No completed runs yet. ",
                dcc.Link("Open the report", href=f"/reports/{dashboard.report_id}"),
                " and click Run now, or start a backfill: each finished run adds its time "
                "window here.",
            ],
            icon="bar-chart",
            id="dashboard-empty",
        )
    else:
        body = create_widget_grid(dashboard.widgets, data.rows, data.columns)
    return html.Div(
        [
            dcc.Store(id="dashboard-id", data=dashboard.dashboard_id),
            dcc.Store(id="dashboard-starred", data=dashboard.is_favorite),
            html.Div(
                [
                    html.Div(
                        [
                            create_page_header(dashboard.name),
                            html.P(subtitle, className="text-body-secondary mb-1"),
                            html.P(facts, className="small text-body-secondary mb-0")
                            if facts
                            else None,
                        ],
                        className="dashboard-heading flex-grow-1",
                    ),
                    html.Div(actions, className="d-flex gap-2 flex-wrap align-items-start"),
                ],
                className="d-flex flex-column flex-lg-row gap-3 mb-3",
            ),
            html.Div(id="dashboard-feedback"),
            dbc.Alert(
                "Only the newest rows are drawn: the data is larger than a dashboard reads "
                "at once. The exports hold it all.",
                color="info",
                class_name="small",
            )
            if data.truncated
            else None,
            body,
        ]
    )


@callback(
    output={
        "label": Output("dashboard-star", "children"),
        "title": Output("dashboard-star", "title"),
        "starred": Output("dashboard-starred", "data"),
        "feedback": Output("dashboard-feedback", "children"),
    },
    inputs={"n_clicks": Input("dashboard-star", "n_clicks")},
    state={
        "dashboard_id": State("dashboard-id", "data"),
        "starred": State("dashboard-starred", "data"),
    },
    prevent_initial_call=True,
)
def toggle_star(n_clicks: int | None, dashboard_id: str, starred: bool | None) -> dict[str, Any]:
    """Star or unstar the dashboard for the signed-in user."""
    unchanged = dict.fromkeys(("label", "title", "starred", "feedback"), no_update)
    actor = callback_actor()
    if actor is None or not n_clicks:
        return unchanged
    change = unfavorite_dashboard if starred else favorite_dashboard
    try:
        with db_session() as session:
            change(session=session, actor=actor, dashboard_id=dashboard_id)
    except DomainError as error:
        return {**unchanged, "feedback": create_error_feedback(error)}
    now_starred = not starred
    label = [
        create_star_icon(now_starred),
        html.Span("Favorite" if now_starred else "Add to favorites", className="ms-1"),
    ]
    return {
        "label": label,
        "title": star_label(now_starred),
        "starred": now_starred,
        "feedback": None,
    }

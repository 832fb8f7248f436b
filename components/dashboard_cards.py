"""Dashboard cards (Home, Dashboards) and the favorite star."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.format import format_datetime, format_relative, plural
from components.navbar import create_icon
from services.dashboards import DashboardSummary


def dashboard_href(dashboard_id: str) -> str:
    return f"/dashboards/{dashboard_id}"


def star_label(is_favorite: bool) -> str:
    return "Remove from favorites" if is_favorite else "Add to favorites"


def create_star_icon(is_favorite: bool) -> html.I:
    return create_icon(
        "star-fill" if is_favorite else "star",
        class_name="text-warning" if is_favorite else "text-body-secondary",
    )


def create_star_button(is_favorite: bool, *, id: Any, size: str = "sm") -> dbc.Button:
    """A toggle: filled star when the dashboard is a favorite."""
    return dbc.Button(
        [
            create_star_icon(is_favorite),
            html.Span(star_label(is_favorite), className="visually-hidden"),
        ],
        id=id,
        color="link",
        size=size,
        class_name="star-button p-1",
        title=star_label(is_favorite),
    )


def create_dashboard_card(summary: DashboardSummary, *, star_type: str | None) -> dbc.Card:
    """Name (a link), its report and template, widget count and the last completed run.

    With `star_type`, the card carries a star toggle whose id is
    {"type": star_type, "index": dashboard_id, "starred": is_favorite}.
    """
    star = (
        create_star_button(
            summary.is_favorite,
            id={"type": star_type, "index": summary.dashboard_id, "starred": summary.is_favorite},
        )
        if star_type
        else (create_star_icon(True) if summary.is_favorite else None)
    )
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        dcc.Link(
                            html.H3(summary.name, className="h6 mb-0"),
                            href=dashboard_href(summary.dashboard_id),
                            className="text-decoration-none",
                        ),
                        star,
                    ],
                    className="d-flex justify-content-between align-items-start gap-2",
                ),
                html.Div(
                    [summary.template_name, " · ", summary.instance_id],
                    className="small text-body-secondary mb-2",
                ),
                html.Div(
                    [
                        html.Span(
                            [
                                create_icon("grid-1x2", class_name="me-1"),
                                plural(summary.widget_count, "widget"),
                            ],
                            className="me-3 text-nowrap",
                        ),
                        html.Span(
                            [
                                create_icon("clock", class_name="me-1"),
                                f"updated {format_relative(summary.last_run_at)}"
                                if summary.last_run_at
                                else "no data yet",
                            ],
                            title=format_datetime(summary.last_run_at),
                            className="text-nowrap",
                        ),
                    ],
                    className="small text-body-secondary",
                ),
            ]
        ),
        class_name="dashboard-card shadow-sm h-100",
        id={"type": "dashboard-card", "index": summary.dashboard_id},
    )


def create_dashboard_grid(
    dashboards: Sequence[DashboardSummary], *, id: str, star_type: str | None, **width: int
) -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col(create_dashboard_card(d, star_type=star_type), xs=12, **width)
            for d in dashboards
        ],
        id=id,
        class_name="g-3",
    )

"""Dashboards: one per report, drawn from its completed results (coming next)."""

from __future__ import annotations

import dash
from dash import html

from components.page import create_empty_state, create_page_header

dash.register_page(
    __name__, path="/dashboards", name="Dashboards", title="Dashboards · Report Builder", order=2
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            create_page_header("Dashboards", "Charts drawn from each report's results."),
            create_empty_state(
                "Dashboards will appear here once reports are created.",
                icon="speedometer2",
                id="dashboards-empty",
            ),
        ]
    )

"""Runs: every execution with its status, manual, scheduled or backfill (coming next)."""

from __future__ import annotations

import dash
from dash import html

from components.page import create_empty_state, create_page_header

dash.register_page(__name__, path="/runs", name="Runs", title="Runs · Report Builder", order=3)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            create_page_header("Runs", "Every execution of every report, newest first."),
            create_empty_state(
                "Runs will appear here once reports have been run.",
                icon="clock-history",
                id="runs-empty",
            ),
        ]
    )

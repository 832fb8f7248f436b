"""Report Builder: pick a template, fill its parameters, run or schedule it (coming next)."""

from __future__ import annotations

import dash
from dash import html

from components.page import create_empty_state, create_page_header

dash.register_page(
    __name__, path="/report-builder", name="Report Builder", title="Report Builder", order=1
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            create_page_header(
                "Report Builder",
                "Pick a template, fill in its parameters, and run it once, on a schedule "
                "or as a backfill.",
            ),
            create_empty_state(
                "Reports will appear here once created.",
                icon="ui-checks",
                id="report-builder-empty",
            ),
        ]
    )

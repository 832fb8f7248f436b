"""Admin: the run queues, their workers and jobs (coming next)."""

from __future__ import annotations

import dash
from dash import html

from components.page import create_empty_state, create_page_header

dash.register_page(
    __name__, path="/admin/queues", name="Admin", title="Run queues · Report Builder", order=4
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            create_page_header("Run queues", "Workers, queued and running jobs."),
            create_empty_state(
                "Queue monitoring is not built yet; it will appear here.",
                icon="stack",
                id="admin-queues-empty",
            ),
        ]
    )

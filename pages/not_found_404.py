"""The page shown for any path no other page claims."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.page import create_empty_state

dash.register_page(__name__, title="Not found · Report Builder")


def layout(**_query: str) -> html.Div:
    return create_empty_state(
        [
            html.Strong("Page not found. ", className="d-block mb-2"),
            "The address may be mistyped, or the page may have moved. ",
            dbc.Button(
                "Go to the home page", href="/", color="primary", size="sm", class_name="ms-1"
            ),
        ],
        icon="signpost-split",
        id="not-found-empty",
    )

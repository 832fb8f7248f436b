"""The template editor's side panels: the preview (source, row limit, progress, first rows
with their column types) and the template's versions with the publish button."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.format import format_datetime
from components.navbar import create_icon
from components.template_editor import eid
from services.template_preview import DEFAULT_PREVIEW_ROWS, MAX_PREVIEW_ROWS, PreviewResult
from services.template_versions import VersionInfo

#: Milliseconds between two looks at a running preview.
PREVIEW_POLL_MS = 700
#: Preview states → (progress value, words).
PROGRESS = {
    "queued": (30, "Waiting for a worker…"),
    "running": (70, "Running on the source…"),
}


def create_preview_card(sources: Mapping[str, str]) -> dbc.Card:
    """Source and row limit, the Preview button and where its result appears."""
    options = [{"label": name, "value": key} for key, name in sources.items()]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Preview", className="h6"),
                html.P(
                    "Runs the SQL on a source through the run queue, with each parameter's "
                    "default and the default window.",
                    className="small text-body-secondary",
                ),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label(
                                    "Source", html_for=eid("source"), class_name="small mb-1"
                                ),
                                dbc.Select(
                                    id=eid("source"),
                                    options=options,
                                    value=options[0]["value"] if options else None,
                                    disabled=not options,
                                ),
                            ],
                            xs=6,
                        ),
                        dbc.Col(
                            [
                                dbc.Label(
                                    "Rows", html_for=eid("row-limit"), class_name="small mb-1"
                                ),
                                dbc.Input(
                                    id=eid("row-limit"),
                                    type="number",
                                    min=1,
                                    max=MAX_PREVIEW_ROWS,
                                    value=DEFAULT_PREVIEW_ROWS,
                                ),
                            ],
                            xs=3,
                        ),
                        dbc.Col(
                            dbc.Button(
                                [create_icon("play", class_name="me-1"), "Preview"],
                                id=eid("preview"),
                                color="secondary",
                                disabled=not options,
                                class_name="w-100 text-nowrap",
                            ),
                            xs=3,
                            class_name="d-flex align-items-end",
                        ),
                    ],
                    class_name="g-2 mb-2",
                ),
                html.P(
                    "No source is available to you: ask an admin to grant one.",
                    className="small text-warning",
                )
                if not options
                else None,
                dcc.Store(id=eid("preview-id")),
                dcc.Interval(id=eid("preview-poll"), interval=PREVIEW_POLL_MS, disabled=True),
                html.Div(id=eid("preview-result"), className="preview-result"),
            ]
        ),
        class_name="mb-3",
    )


def create_preview_progress(state: str) -> html.Div:
    value, words = PROGRESS.get(state, (10, "Starting…"))
    return html.Div(
        [
            dbc.Progress(value=value, striped=True, animated=True, class_name="mb-1"),
            html.Span(words, className="small text-body-secondary"),
        ],
        id=eid("preview-progress"),
    )


def create_preview_table(result: PreviewResult) -> Any:
    """The first rows, each column headed by its name and type."""
    if result.state == "failed":
        return dbc.Alert(
            [html.Strong("The preview failed. "), result.error or ""],
            color="danger",
            class_name="small mb-0",
            id=eid("preview-error"),
        )
    columns = result.columns
    count = len(result.rows)
    note = f"First {count} rows" if result.truncated else f"{count} row{'s' if count != 1 else ''}"
    header = html.Tr(
        [
            html.Th(
                [
                    html.Div(c.name),
                    html.Div(c.type, className="small fw-normal text-body-secondary"),
                ],
                scope="col",
            )
            for c in columns
        ]
    )
    body = [
        html.Tr([html.Td(_cell(row.get(c.name))) for c in columns]) for row in result.rows[:200]
    ]
    return html.Div(
        [
            html.P(
                [note, " · ", f"{len(columns)} columns"],
                className="small text-body-secondary mb-1",
                id=eid("preview-summary"),
            ),
            html.Div(
                dbc.Table(
                    [html.Thead(header), html.Tbody(body)],
                    size="sm",
                    bordered=False,
                    hover=True,
                    class_name="mb-0 small",
                    id=eid("preview-table"),
                ),
                className="table-responsive",
                style={"maxHeight": "22rem"},
            ),
        ]
    )


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    return str(value)


def create_versions_card(
    versions: Sequence[VersionInfo], *, published: bool, can_publish: bool
) -> dbc.Card:
    """Each saved version with who and when; Publish for admins while unpublished."""
    status = dbc.Badge(
        "Published" if published else "Unpublished",
        color="success" if published else "warning",
        class_name="ms-2",
        id=eid("published-badge"),
    )
    items = [
        html.Li(
            [
                html.Span(f"Version {v.version}", className="fw-semibold"),
                dbc.Badge("latest", color="primary", class_name="ms-1") if v.is_latest else None,
                html.Div(
                    [
                        v.created_by_name,
                        f" ({v.created_by_email})" if v.created_by_email else "",
                        " · ",
                        format_datetime(v.created_at),
                    ],
                    className="small text-body-secondary",
                ),
            ],
            className="list-group-item",
        )
        for v in versions
    ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        html.H2(["Versions", status], className="h6 mb-0"),
                        dbc.Button(
                            [create_icon("megaphone", class_name="me-1"), "Publish"],
                            id=eid("publish"),
                            color="success",
                            size="sm",
                        )
                        if can_publish and not published
                        else None,
                    ],
                    className="d-flex justify-content-between align-items-center mb-2",
                ),
                html.P(
                    "Unpublished templates are visible to their author and admins only."
                    if not published
                    else "Everyone can use this template; reports follow its latest version.",
                    className="small text-body-secondary",
                ),
                html.Div(id=eid("publish-feedback")),
                html.Ul(items, className="list-group list-group-flush", id=eid("versions")),
            ]
        ),
        class_name="mb-3",
    )

"""The sources table of Admin → Data sources and the connection-test badge (the schema view
is components/schema_view.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from components.page import create_empty_state
from services.data_sources import SourceInfo

ENGINE_LABELS = {
    "postgresql": "PostgreSQL",
    "mysql": "MySQL / MariaDB",
    "sqlite": "SQLite",
    "duckdb": "DuckDB",
}
#: Button types of each row (pattern-matching ids, `index` = the source's instance_id).
TEST = "admin-sources-row-test"
SCHEMA = "admin-sources-row-schema"
EDIT = "admin-sources-row-edit"
DELETE = "admin-sources-row-delete"


def where(source: SourceInfo) -> str:
    """host:port / database for a server, the file for SQLite and DuckDB."""
    if not source.connection_readable:
        return "(connection unreadable with this SECRET_KEY)"
    if source.host:
        port = f":{source.port}" if source.port else ""
        return f"{source.host}{port} / {source.database or '—'}"
    return source.database or "—"


def create_check_badge(check: Mapping[str, Any] | None, *, instance_id: str) -> html.Span:
    """The last connection test: ok with its latency, the error, or not tested yet."""
    ident = {"type": "admin-sources-check", "index": instance_id}
    if not check:
        return html.Span("not tested", id=ident, className="text-body-secondary small")
    if check.get("ok"):
        return html.Span(
            [html.I(className="bi bi-check-circle-fill me-1"), f"ok · {check['latency_ms']:g} ms"],
            id=ident,
            className="text-success small fw-semibold text-nowrap",
        )
    return html.Span(
        [html.I(className="bi bi-x-circle-fill me-1"), str(check.get("error") or "failed")],
        id=ident,
        className="text-danger small",
    )


def _button(kind: str, instance_id: str, icon: str, label: str, color: str) -> dbc.Button:
    return dbc.Button(
        [html.I(className=f"bi bi-{icon} me-1"), label],
        id={"type": kind, "index": instance_id},
        color=color,
        outline=True,
        size="sm",
        class_name="me-1 mb-1",
    )


def create_sources_table(
    sources: Sequence[SourceInfo], checks: Mapping[str, Any] | None
) -> html.Div | dbc.Table:
    if not sources:
        return create_empty_state(
            "No data sources yet. Add one to run reports on your own database.",
            icon="database",
            id="admin-sources-empty",
        )
    checks = checks or {}
    rows = [
        html.Tr(
            [
                html.Td(
                    [
                        html.Div(source.name, className="fw-semibold"),
                        html.Code(source.instance_id, className="small"),
                    ]
                ),
                html.Td(ENGINE_LABELS.get(source.engine, source.engine)),
                html.Td(where(source), className="small text-break"),
                html.Td(source.timezone),
                html.Td(str(source.report_count), className="text-end"),
                html.Td(
                    create_check_badge(
                        checks.get(source.instance_id), instance_id=source.instance_id
                    )
                ),
                html.Td(
                    [
                        _button(TEST, source.instance_id, "plug", "Test", "success"),
                        _button(SCHEMA, source.instance_id, "table", "Schema", "secondary"),
                        _button(EDIT, source.instance_id, "pencil", "Edit", "primary"),
                        _button(DELETE, source.instance_id, "trash", "Delete", "danger"),
                    ],
                    className="text-nowrap",
                ),
            ],
            id={"type": "admin-sources-row", "index": source.instance_id},
        )
        for source in sources
    ]
    header = html.Thead(
        html.Tr(
            [
                html.Th("Name"),
                html.Th("Engine"),
                html.Th("Host / database or file"),
                html.Th("Time zone"),
                html.Th("Reports", className="text-end"),
                html.Th("Last test", className="text-nowrap"),
                html.Th(""),
            ]
        )
    )
    return dbc.Table(
        [header, html.Tbody(rows)],
        id="admin-sources-list",
        hover=True,
        responsive=True,
        class_name="align-middle",
    )

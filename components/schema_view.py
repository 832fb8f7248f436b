"""A source's schema as an accordion of tables, each opening on its columns and types:
shown by Admin → Data sources and the template editor, with the editor's search and the
round trip through a `dcc.Store`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from components.page import create_empty_state
from services.source_checks import Column, SourceSchema, Table


def create_schema_view(
    schema: SourceSchema, *, prefix: str = "admin-sources-schema", expanded: bool = False
) -> html.Div:
    """Tables as an accordion (`<prefix>-tables`), collapsed unless `expanded`."""
    if not schema.tables:
        return create_empty_state(
            "This source has no tables the connection's user can see.",
            icon="table",
            id=f"{prefix}-empty",
        )
    schemas = {table.schema for table in schema.tables}
    items = [
        dbc.AccordionItem(
            dbc.Table(
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(html.Code(c.name)),
                                html.Td(c.type, className="text-body-secondary"),
                            ]
                        )
                        for c in table.columns
                    ]
                ),
                size="sm",
                class_name="mb-0",
            ),
            title=(f"{table.schema}.{table.name}" if len(schemas) > 1 else table.name)
            + f" · {len(table.columns)} column{'s' if len(table.columns) != 1 else ''}",
            item_id=f"{table.schema}.{table.name}",
        )
        for table in schema.tables
    ]
    note = (
        [html.P(f"Only the first {len(schema.tables)} tables are listed.", className="small")]
        if schema.truncated
        else []
    )
    opened: dict[str, Any] = (
        {"active_item": [f"{t.schema}.{t.name}" for t in schema.tables]}
        if expanded
        else {"start_collapsed": True}
    )
    return html.Div(
        [*note, dbc.Accordion(items, id=f"{prefix}-tables", always_open=True, **opened)]
    )


def matching(schema: SourceSchema, search: str) -> SourceSchema:
    """The tables whose name contains `search` (with all their columns) and the others'
    columns whose name contains it; case-insensitive, everything for an empty search."""
    needle = search.strip().lower()
    if not needle:
        return schema
    tables: list[Table] = []
    for table in schema.tables:
        if needle in f"{table.schema}.{table.name}".lower():
            tables.append(table)
            continue
        columns = tuple(c for c in table.columns if needle in c.name.lower())
        if columns:
            tables.append(Table(table.schema, table.name, columns))
    return SourceSchema(schema.instance_id, tuple(tables), schema.truncated)


def schema_data(schema: SourceSchema) -> dict[str, Any]:
    """The schema as JSON for a `dcc.Store`."""
    return {
        "instance_id": schema.instance_id,
        "truncated": schema.truncated,
        "tables": [
            {"schema": t.schema, "name": t.name, "columns": [[c.name, c.type] for c in t.columns]}
            for t in schema.tables
        ],
    }


def schema_from_data(data: Mapping[str, Any]) -> SourceSchema:
    return SourceSchema(
        instance_id=str(data.get("instance_id") or ""),
        tables=tuple(
            Table(
                str(t["schema"]),
                str(t["name"]),
                tuple(Column(str(name), str(kind)) for name, kind in t["columns"]),
            )
            for t in data.get("tables") or []
        ),
        truncated=bool(data.get("truncated")),
    )

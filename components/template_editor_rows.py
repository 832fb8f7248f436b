"""The template editor's repeated rows: one per parameter (name, type, label, default,
limits, options or the source's option list) and one per dashboard widget (type, title,
columns), with the States a callback reads them by."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, State, dcc, html

from components.navbar import create_icon
from components.template_editor import param_id, widget_id
from services.parameter_types import METADATA_KINDS, PARAMETER_TYPES

#: Widget types an author picks from (the dashboard also draws pies, kept when present).
WIDGET_CHOICES = ("kpi", "line", "bar", "area", "table")
#: Parameter fields, each an input per row: {"type": "te-param-<field>", "index": n}.
PARAM_FIELDS = (
    "name",
    "type",
    "label",
    "help",
    "default",
    "required",
    "min",
    "max",
    "options",
    "options_source",
)
#: Widget fields, each an input per row: {"type": "te-widget-<field>", "index": n}.
WIDGET_FIELDS = ("type", "title", "x", "y")
#: Types whose options are written in the row (the others have none, or the source's).
OPTION_TYPES = frozenset({"enum", "multi_select", "column"})
#: Types whose options come from an option list of the source: option_list names its own,
#: campaign_ids and asins have theirs fixed (METADATA_KINDS).
SOURCE_TYPES = frozenset({*METADATA_KINDS, "option_list"})


def param_states() -> list[State]:
    """Every parameter row's inputs, one State (a list over the rows) per field."""
    return [State(param_id(f, ALL), "value") for f in PARAM_FIELDS]


def widget_states() -> list[State]:
    """Every widget row's inputs, one State (a list over the rows) per field."""
    return [State(widget_id(f, ALL), "value") for f in WIDGET_FIELDS]


def options_cell_class(kind: str) -> str:
    """The row's Options cell shows unless the options come from the source's list."""
    return "d-none" if kind in SOURCE_TYPES else ""


def source_cell_class(kind: str) -> str:
    """The row's Option list cell shows for the types fed from the source's lists."""
    return "" if kind in SOURCE_TYPES else "d-none"


def create_parameter_row(index: int, definition: Mapping[str, Any]) -> html.Div:
    """One parameter: name, type, label, help, default, required, min/max, and its options
    or the name of the source's option list they come from."""
    kind = str(definition.get("type", "text"))

    def cell(label: str, control: Any, width: int, **col: Any) -> dbc.Col:
        return dbc.Col([dbc.Label(label, class_name="small mb-0"), control], md=width, **col)

    options = definition.get("options") or []
    options_text = ", ".join(
        f"{o['value']}={o['label']}"
        if isinstance(o, Mapping) and str(o.get("label", o.get("value"))) != str(o.get("value"))
        else str(o.get("value") if isinstance(o, Mapping) else o)
        for o in options
    )
    default = definition.get("default")
    default_text = (
        ""
        if default is None
        else (json.dumps(default) if isinstance(default, list | dict) else str(default))
    )
    return html.Div(
        [
            dbc.Row(
                [
                    cell(
                        "Name",
                        dbc.Input(
                            id=param_id("name", index), value=definition.get("name", ""), size="sm"
                        ),
                        3,
                    ),
                    cell(
                        "Type",
                        dbc.Select(
                            id=param_id("type", index),
                            options=[{"label": t, "value": t} for t in PARAMETER_TYPES],
                            value=kind,
                            size="sm",
                        ),
                        3,
                    ),
                    cell(
                        "Label",
                        dbc.Input(
                            id=param_id("label", index),
                            value=definition.get("label", ""),
                            size="sm",
                        ),
                        3,
                    ),
                    cell(
                        "Default",
                        dbc.Input(id=param_id("default", index), value=default_text, size="sm"),
                        3,
                    ),
                ],
                class_name="g-2",
            ),
            dbc.Row(
                [
                    cell(
                        "Help",
                        dbc.Input(
                            id=param_id("help", index), value=definition.get("help", ""), size="sm"
                        ),
                        4,
                    ),
                    cell(
                        "Min",
                        dbc.Input(
                            id=param_id("min", index),
                            type="number",
                            value=definition.get("min"),
                            size="sm",
                        ),
                        2,
                    ),
                    cell(
                        "Max",
                        dbc.Input(
                            id=param_id("max", index),
                            type="number",
                            value=definition.get("max"),
                            size="sm",
                        ),
                        2,
                    ),
                    cell(
                        "Options",
                        dbc.Input(
                            id=param_id("options", index),
                            value=options_text,
                            placeholder="a, b=Label B (enum, multi select, column)",
                            size="sm",
                        ),
                        4,
                        id=param_id("options-cell", index),
                        class_name=options_cell_class(kind),
                    ),
                    cell(
                        "Option list",
                        dbc.Input(
                            id=param_id("options_source", index),
                            value=definition.get("options_source") or METADATA_KINDS.get(kind, ""),
                            placeholder="the source's list, e.g. regions",
                            disabled=kind != "option_list",
                            size="sm",
                        ),
                        4,
                        id=param_id("source-cell", index),
                        class_name=source_cell_class(kind),
                    ),
                ],
                class_name="g-2 mt-1",
            ),
            html.Div(
                [
                    dbc.Checkbox(
                        id=param_id("required", index),
                        label="Required",
                        value=bool(definition.get("required", False)),
                        class_name="small",
                    ),
                    dbc.Button(
                        [create_icon("trash", class_name="me-1"), "Remove"],
                        id=param_id("remove", index),
                        color="link",
                        size="sm",
                        class_name="text-danger p-0",
                    ),
                ],
                className="d-flex justify-content-between align-items-center mt-2",
            ),
            html.Div(id=param_id("error", index), className="invalid-feedback d-block"),
        ],
        id=param_id("row", index),
        className="parameter-row border rounded p-2 mb-2",
    )


def create_widget_row(index: int, widget: Mapping[str, Any], columns: Sequence[str]) -> html.Div:
    """One dashboard widget: type, title, and the columns it reads."""
    config = widget.get("config") or {}
    kind = str(widget.get("type", "table"))
    x = config.get("x") or config.get("column") or config.get("names")
    ys = (
        config.get("y")
        or config.get("columns")
        or ([config["values"]] if config.get("values") else [])
    )
    known = list(dict.fromkeys([*columns, *([x] if x else []), *ys]))
    choices = [{"label": c, "value": c} for c in known]
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Select(
                            id=widget_id("type", index),
                            options=[
                                {"label": t.upper() if t == "kpi" else t.capitalize(), "value": t}
                                for t in (
                                    *WIDGET_CHOICES,
                                    *([kind] if kind not in WIDGET_CHOICES else []),
                                )
                            ],
                            value=kind,
                            size="sm",
                        ),
                        md=2,
                    ),
                    dbc.Col(
                        dbc.Input(
                            id=widget_id("title", index),
                            value=widget.get("title", ""),
                            placeholder="Title",
                            size="sm",
                        ),
                        md=3,
                    ),
                    dbc.Col(
                        dcc.Dropdown(
                            id=widget_id("x", index),
                            options=choices,
                            value=x,
                            placeholder="X / KPI column",
                        ),
                        md=3,
                    ),
                    dbc.Col(
                        dcc.Dropdown(
                            id=widget_id("y", index),
                            options=choices,
                            value=list(ys),
                            multi=True,
                            placeholder="Values",
                        ),
                        md=3,
                    ),
                    dbc.Col(
                        dbc.Button(
                            create_icon("trash"),
                            id=widget_id("remove", index),
                            color="link",
                            size="sm",
                            class_name="text-danger",
                            title="Remove this widget",
                        ),
                        md=1,
                        class_name="text-end",
                    ),
                ],
                class_name="g-2 align-items-center",
            ),
            html.Div(id=widget_id("error", index), className="invalid-feedback d-block"),
        ],
        id=widget_id("row", index),
        className="widget-row mb-2",
    )

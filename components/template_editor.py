"""The template editor's form: details, the SQL with its placeholders, one row per
parameter and per dashboard widget, and the readers that turn the form back into the
values services/template_authoring.py checks.

The SQL editor is a monospace text area: the code-editor components for Dash (dash-ace and
its forks) were built for Dash 1 and React 16 and do not load under Dash 4.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.navbar import create_icon
from services.parameters import METADATA_KINDS, PARAMETER_TYPES
from services.sql_templates import PLACEHOLDER, WINDOW_NAMES
from services.template_checks import REPORT_TYPES

PREFIX = "template-editor"
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


def eid(thing: str) -> str:
    """The id of a single element of the editor page."""
    return f"{PREFIX}-{thing}"


def param_id(field: str, index: Any) -> dict[str, Any]:
    return {"type": f"te-param-{field}", "index": index}


def widget_id(field: str, index: Any) -> dict[str, Any]:
    return {"type": f"te-widget-{field}", "index": index}


def _field(
    label: str, control: Any, thing: str, *, help_text: str = "", width: int = 12
) -> dbc.Col:
    children = [dbc.Label(label, html_for=eid(thing), class_name="small mb-1"), control]
    if help_text:
        children.append(dbc.FormText(help_text))
    children.append(html.Div(id=eid(f"{thing}-error"), className="invalid-feedback d-block"))
    return dbc.Col(children, md=width, class_name="mb-3")


def create_details_card(values: Mapping[str, Any], *, is_new: bool) -> dbc.Card:
    """Name, id (new templates only), category, report type, windowed, description."""
    fields = [
        _field("Name", dbc.Input(id=eid("name"), value=values.get("name", "")), "name", width=5),
        _field(
            "Category",
            dbc.Input(id=eid("category"), value=values.get("category", "General")),
            "category",
            width=4,
        ),
        _field(
            "Report type",
            dbc.Select(
                id=eid("report_type"),
                options=[
                    {"label": t.replace("_", " ").capitalize(), "value": t} for t in REPORT_TYPES
                ],
                value=values.get("report_type", "table"),
            ),
            "report_type",
            width=3,
        ),
    ]
    # Present on every editor (hidden once the template exists) so one save callback serves both.
    fields.append(
        dbc.Col(
            _field(
                "Template id",
                dbc.Input(id=eid("template_id"), placeholder="made from the name", value=""),
                "template_id",
                help_text="Lower-case letters, digits and _; it cannot change later.",
            ),
            md=6,
            class_name="d-none" if not is_new else None,
        )
    )
    fields.append(
        _field(
            "Windowed",
            dbc.Switch(
                id=eid("windowed"),
                label="Uses the run's time window",
                value=bool(values.get("windowed", True)),
            ),
            "windowed",
            width=6,
        )
    )
    fields.append(
        _field(
            "Description",
            dbc.Textarea(id=eid("description"), value=values.get("description", ""), rows=2),
            "description",
        )
    )
    return dbc.Card(dbc.CardBody(dbc.Row(fields, class_name="g-2")), class_name="mb-3")


def create_sql_card(sql: str) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                dbc.Label("SQL", html_for=eid("sql_template"), class_name="fw-semibold"),
                dcc.Textarea(
                    id=eid("sql_template"),
                    value=sql,
                    spellCheck=False,
                    className="form-control font-monospace sql-editor",
                    style={"minHeight": "16rem", "fontSize": "0.85rem"},
                    placeholder="SELECT day, SUM(amount) AS sales FROM sales\n"
                    "WHERE region = {{ region }}\n"
                    "  AND day >= {{ window_start }} AND day < {{ window_end }}\n"
                    "GROUP BY day",
                ),
                html.Div(id=eid("sql_template-error"), className="invalid-feedback d-block"),
                html.Div(
                    [
                        html.Span(create_placeholder_list(sql, ()), id=eid("placeholders")),
                        dbc.Button(
                            "Declare them",
                            id=eid("declare"),
                            color="link",
                            size="sm",
                            class_name="p-0 ms-1 align-baseline d-none",
                        ),
                    ],
                    className="mt-2 small",
                ),
            ]
        ),
        class_name="mb-3",
    )


def placeholders_in(sql: str) -> list[str]:
    """The names `{{ name }}` placeholders use, in order of first use."""
    seen: list[str] = []
    for match in PLACEHOLDER.finditer(sql or ""):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def create_placeholder_list(sql: str, declared: Sequence[str]) -> list[Any]:
    """A badge per placeholder: the window's, declared ones, and undeclared ones in red."""
    names = placeholders_in(sql)
    if not names:
        return [html.Span("No {{ placeholders }} yet.", className="text-body-secondary")]
    badges: list[Any] = [html.Span("Placeholders: ", className="text-body-secondary me-1")]
    missing = [n for n in names if n not in WINDOW_NAMES and n not in declared]
    for name in names:
        if name in WINDOW_NAMES:
            color, title = "secondary", "Bound from the run's time window."
        elif name in missing:
            color, title = "danger", "Not declared: add a parameter with this name."
        else:
            color, title = "success", "Declared below."
        text = f"{name} · not declared" if name in missing else name
        badges.append(
            dbc.Badge(text, color=color, class_name="me-1 placeholder-badge", title=title)
        )
    return badges


def undeclared(sql: str, declared: Sequence[str]) -> list[str]:
    """Placeholders that name no declared parameter (the window's excepted)."""
    return [n for n in placeholders_in(sql) if n not in WINDOW_NAMES and n not in declared]


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


def create_list_card(
    title: str, thing: str, rows: list[Any], add_label: str, note: str
) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        html.H2(title, className="h6 mb-0"),
                        dbc.Button(
                            [create_icon("plus-lg", class_name="me-1"), add_label],
                            id=eid(f"add-{thing}"),
                            color="secondary",
                            outline=True,
                            size="sm",
                        ),
                    ],
                    className="d-flex justify-content-between align-items-center mb-2",
                ),
                html.P(note, className="small text-body-secondary"),
                html.Div(rows, id=eid(f"{thing}s")),
                html.Div(id=eid(f"{thing}s-error"), className="invalid-feedback d-block"),
            ]
        ),
        class_name="mb-3",
    )

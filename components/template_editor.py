"""The template editor's form: its ids, the details, the SQL with its placeholders, and
the cards that hold the parameter and widget rows (components/template_editor_rows.py);
components/template_editor_read.py turns the form back into the values
services/template_authoring.py checks.

The SQL editor is a monospace text area: the code-editor components for Dash (dash-ace and
its forks) were built for Dash 1 and React 16 and do not load under Dash 4.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.navbar import create_icon
from services.sql_templates import PLACEHOLDER, WINDOW_NAMES
from services.template_checks import REPORT_TYPES

PREFIX = "template-editor"


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

"""The template editor's parameter and widget rows: placeholders found as the SQL is typed,
rows added (one per undeclared placeholder on "Declare them"), removed, and their fields
shown by type; widgets offered the preview's columns.

pages/template_editor.py registers these callbacks for every app (components.callbacks).
"""

from __future__ import annotations

from typing import Any

from dash import ALL, MATCH, Input, Output, Patch, State, ctx, no_update
from dash.exceptions import PreventUpdate

from components.callbacks import CallbackSet
from components.template_editor import create_placeholder_list, eid, param_id, undeclared, widget_id
from components.template_editor_rows import (
    create_parameter_row,
    create_widget_row,
    options_cell_class,
    source_cell_class,
)
from services.parameter_types import METADATA_KINDS

#: Registered by pages/template_editor.py for every app (see components.callbacks).
callbacks = CallbackSet()


@callbacks.callback(
    Output(eid("placeholders"), "children"),
    Output(eid("declare"), "class_name"),
    Input(eid("sql_template"), "value"),
    Input(param_id("name", ALL), "value"),
)
def show_placeholders(sql: str | None, names: list[str | None]) -> Any:
    """The placeholders found as the SQL is typed, undeclared ones marked (and a button
    that declares them)."""
    declared = [n for n in names if n]
    hidden = "" if undeclared(sql or "", declared) else " d-none"
    return create_placeholder_list(sql or "", declared), f"p-0 ms-1 align-baseline{hidden}"


@callbacks.callback(
    Output(eid("params"), "children"),
    Output(eid("next-index"), "data"),
    Input(eid("add-param"), "n_clicks"),
    Input(eid("declare"), "n_clicks"),
    State(eid("sql_template"), "value"),
    State(param_id("name", ALL), "value"),
    State(eid("next-index"), "data"),
    prevent_initial_call=True,
)
def add_parameters(
    add: int | None, declare: int | None, sql: str | None, names: list[str | None], next_index: int
) -> Any:
    """A blank parameter row, or one row per undeclared placeholder."""
    if not (add or declare):
        raise PreventUpdate
    if ctx.triggered_id == eid("declare"):
        wanted = undeclared(sql or "", [n for n in names if n])
        new_rows = [
            {"name": n, "type": "text", "label": n.replace("_", " ").capitalize()} for n in wanted
        ]
    else:
        new_rows = [{"name": "", "type": "text"}]
    if not new_rows:
        raise PreventUpdate
    rows = Patch()
    for offset, definition in enumerate(new_rows):
        rows.append(create_parameter_row(next_index + offset, definition))
    return rows, next_index + len(new_rows)


@callbacks.callback(
    Output(eid("widgets"), "children"),
    Output(eid("next-index"), "data", allow_duplicate=True),
    Input(eid("add-widget"), "n_clicks"),
    State(eid("columns"), "data"),
    State(eid("next-index"), "data"),
    prevent_initial_call=True,
)
def add_widget(clicks: int | None, columns: list[str] | None, next_index: int) -> Any:
    if not clicks:
        raise PreventUpdate
    rows = Patch()
    rows.append(create_widget_row(next_index, {"type": "bar", "title": ""}, columns or []))
    return rows, next_index + 1


@callbacks.callback(
    output={
        "options_cell": Output(param_id("options-cell", MATCH), "class_name"),
        "source_cell": Output(param_id("source-cell", MATCH), "class_name"),
        "source_disabled": Output(param_id("options_source", MATCH), "disabled"),
        "source": Output(param_id("options_source", MATCH), "value"),
    },
    inputs={"kind": Input(param_id("type", MATCH), "value")},
    prevent_initial_call=True,
)
def show_option_fields(kind: str | None) -> dict[str, Any]:
    """Options typed in the row, or the source's option list they come from: an
    option_list names its list; campaign_ids and asins show their own, fixed."""
    kind = kind or "text"
    return {
        "options_cell": options_cell_class(kind),
        "source_cell": source_cell_class(kind),
        "source_disabled": kind != "option_list",
        # campaign_ids and asins show their fixed list; the others keep what was there.
        "source": METADATA_KINDS.get(kind, no_update),
    }


@callbacks.callback(
    Output(widget_id("x", ALL), "options"),
    Output(widget_id("y", ALL), "options"),
    Input(eid("columns"), "data"),
    State(widget_id("x", ALL), "value"),
    State(widget_id("y", ALL), "value"),
    prevent_initial_call=True,
)
def offer_columns(columns: list[str] | None, xs: list[Any], ys: list[Any]) -> Any:
    """Once a preview has run, the widgets pick from its columns (keeping their choices)."""

    def options(chosen: list[Any]) -> list[dict[str, str]]:
        names = list(dict.fromkeys([*(columns or []), *(c for c in chosen if c)]))
        return [{"label": n, "value": n} for n in names]

    return (
        [options([x]) for x in xs],
        [options(list(y or [])) for y in ys],
    )


def remove_row(clicks: int | None) -> tuple[list[Any], str]:
    """A removed row is emptied and hidden: its inputs leave the form the save reads."""
    if not clicks:
        raise PreventUpdate
    return [], "d-none"


for _row_id in (param_id, widget_id):
    callbacks.callback(
        Output(_row_id("row", MATCH), "children"),
        Output(_row_id("row", MATCH), "className"),
        Input(_row_id("remove", MATCH), "n_clicks"),
        prevent_initial_call=True,
    )(remove_row)

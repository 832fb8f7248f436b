"""The template editor's Schema card: the tables, columns and types of the source chosen in
the Preview card, with a search, to write the SQL against. The page registers `callbacks`."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html
from dash.exceptions import PreventUpdate

from components.callbacks import CallbackSet
from components.feedback import error_message
from components.navbar import create_icon
from components.schema_view import create_schema_view, matching, schema_data, schema_from_data
from components.template_editor import eid
from services.errors import DomainError, EngineError
from services.source_checks import source_schema
from webcontext import callback_actor, db_session, get_settings

#: Matching tables opened by a search when there are at most this many.
MAX_EXPANDED = 10
#: Milliseconds of no typing before the search applies.
SEARCH_DEBOUNCE_MS = 250

callbacks = CallbackSet()
#: The spinner shows while the schema loads, not while the search applies (Dash's stub
#: types this dict as an empty TypedDict).
_SPIN_WHILE_LOADING: Any = {eid("schema-data"): "data"}


def create_schema_card() -> dbc.Card:
    """Under the Preview card; follows its source select."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Schema", className="h6"),
                html.P(
                    "Tables and columns of the source chosen above.",
                    className="small text-body-secondary",
                ),
                dbc.InputGroup(
                    [
                        dbc.InputGroupText(create_icon("search")),
                        dbc.Input(
                            id=eid("schema-search"),
                            type="search",
                            placeholder="Search tables and columns",
                            debounce=SEARCH_DEBOUNCE_MS,
                            autocomplete="off",
                        ),
                    ],
                    size="sm",
                    class_name="mb-2",
                ),
                dcc.Loading(
                    [
                        dcc.Store(id=eid("schema-data")),
                        html.Div(
                            id=eid("schema-body"),
                            className="overflow-auto",
                            style={"maxHeight": "28rem", "minHeight": "3rem"},
                        ),
                    ],
                    type="circle",
                    target_components=_SPIN_WHILE_LOADING,
                ),
            ]
        ),
        class_name="mb-3",
        id=eid("schema-card"),
    )


@callbacks.callback(
    Output(eid("schema-data"), "data"),
    Input(eid("source"), "value"),
)
def load_schema(instance_id: str | None) -> dict[str, Any] | None:
    """The source's schema, or why it cannot be read, in words."""
    actor = callback_actor()
    if actor is None:
        raise PreventUpdate
    if not instance_id:
        return None
    try:
        with db_session() as session:
            schema = source_schema(
                session=session,
                actor=actor,
                secret_key=get_settings().secret_key,
                instance_id=str(instance_id),
            )
    except DomainError as error:
        return {"instance_id": instance_id, "error": error_message(error)}
    except EngineError as error:
        return {"instance_id": instance_id, "error": f"The schema cannot be read now: {error}"}
    return schema_data(schema)


@callbacks.callback(
    Output(eid("schema-body"), "children"),
    Input(eid("schema-data"), "data"),
    Input(eid("schema-search"), "value"),
)
def show_schema(data: dict[str, Any] | None, search: str | None) -> Any:
    """The tables matching the search; a search opens them when few match."""
    if not data:
        return html.P(
            "Choose a source above to see its tables.",
            className="small text-body-secondary mb-0",
            id=eid("schema-none"),
        )
    if data.get("error"):
        return dbc.Alert(
            [create_icon("exclamation-triangle", class_name="me-2"), str(data["error"])],
            color="danger",
            class_name="small mb-0",
            id=eid("schema-error"),
        )
    schema = schema_from_data(data)
    search = (search or "").strip()
    found = matching(schema, search)
    if schema.tables and not found.tables:
        return html.P(
            f"No table or column matches “{search}”.",
            className="small text-body-secondary mb-0",
            id=eid("schema-no-match"),
        )
    count = len(found.tables)
    summary = f"{count} table{'s' if count != 1 else ''}"
    if search:
        summary += f" match “{search}”" if count != 1 else f" matches “{search}”"
    return [
        html.P(summary, className="small text-body-secondary mb-1", id=eid("schema-summary"))
        if schema.tables
        else None,
        create_schema_view(
            found,
            prefix=eid("schema"),
            expanded=bool(search) and count <= MAX_EXPANDED,
        ),
    ]

"""The data-source form of Admin → Data sources: engine, connection (fields or URL), settings
and option lists; its values as the services take them, and their field errors shown back."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Output, State, html
from dash.development.base_component import Component

from services.data_sources import DEFAULTS, SourceInfo
from services.errors import ValidationFailed
from services.source_connections import SERVER_ENGINES

#: Form inputs: the service's field name → the input's id.
FIELDS: dict[str, str] = {
    "name": "admin-sources-name",
    "instance_id": "admin-sources-instance-id",
    "engine": "admin-sources-engine",
    "connection.host": "admin-sources-host",
    "connection.port": "admin-sources-port",
    "connection.database": "admin-sources-database",
    "connection.user": "admin-sources-user",
    "connection.password": "admin-sources-password",
    "connection.options": "admin-sources-options",
    "connection.url": "admin-sources-url",
    "timezone": "admin-sources-timezone",
    "data_lag_days": "admin-sources-lag",
    "max_lookback_days": "admin-sources-lookback",
    "max_concurrency": "admin-sources-concurrency",
    "statement_timeout_seconds": "admin-sources-timeout",
    "description": "admin-sources-description",
}
MODE = "admin-sources-mode"
#: Where errors without an input of their own go (`connection`, `option_lists.<name>`).
GENERAL_ERRORS = "admin-sources-form-errors"
LIST_NAME = "admin-sources-list-name"
LIST_SQL = "admin-sources-list-sql"
LIST_ROW = "admin-sources-list-row"
LIST_REMOVE = "admin-sources-list-remove"
LISTS = "admin-sources-lists"
#: Wrappers of the inputs only servers have (a SQLite or DuckDB source is a file path).
SERVER_BOXES = (
    "admin-sources-host-box",
    "admin-sources-user-box",
    "admin-sources-password-box",
    "admin-sources-options-box",
)
ENGINE_OPTIONS = [
    {"label": "PostgreSQL", "value": "postgresql"},
    {"label": "MySQL / MariaDB", "value": "mysql"},
    {"label": "SQLite file", "value": "sqlite"},
    {"label": "DuckDB file", "value": "duckdb"},
]
_NUMBERS = ("data_lag_days", "max_lookback_days", "max_concurrency", "statement_timeout_seconds")


def _field(label: str, key: str, component: Component, help_text: str = "") -> dbc.Col:
    children: list[Component] = [dbc.Label(label, html_for=FIELDS[key]), component]
    if help_text:
        children.append(dbc.FormText(help_text))
    children.append(dbc.FormFeedback(id=f"{FIELDS[key]}-feedback"))
    return dbc.Col(children, class_name="mb-3")


def _input(key: str, **props: Any) -> dbc.Input:
    return dbc.Input(id=FIELDS[key], **props)


def create_list_row(index: int, name: str = "", sql: str = "") -> dbc.Row:
    """One option list: a name and its SQL, removable."""
    return dbc.Row(
        [
            dbc.Col(
                dbc.Input(
                    id={"type": LIST_NAME, "index": index},
                    value=name,
                    placeholder="campaigns",
                    size="sm",
                ),
                md=3,
            ),
            dbc.Col(
                dbc.Textarea(
                    id={"type": LIST_SQL, "index": index},
                    value=sql,
                    placeholder="SELECT id AS value, name AS label FROM campaigns "
                    "WHERE name LIKE CONCAT('%', {{ search }}, '%')",
                    rows=2,
                    class_name="font-monospace small",
                ),
                md=8,
            ),
            dbc.Col(
                dbc.Button(
                    html.I(className="bi bi-x-lg"),
                    id={"type": LIST_REMOVE, "index": index},
                    color="link",
                    size="sm",
                    title="Remove this list",
                    class_name="text-danger",
                ),
                md=1,
            ),
        ],
        id={"type": LIST_ROW, "index": index},
        class_name="g-2 mb-2 align-items-start",
    )


def create_source_form() -> html.Div:
    """The form's inputs, empty; `form_props` fills them for an edit."""
    connection_fields = html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(_field("Host", "connection.host", _input("connection.host")), md=8),
                    dbc.Col(
                        _field("Port", "connection.port", _input("connection.port", type="number")),
                        md=4,
                    ),
                ],
                id=SERVER_BOXES[0],
                class_name="g-2",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        _field(
                            "Database",
                            "connection.database",
                            _input("connection.database"),
                            "A name, or a file's absolute path for SQLite and DuckDB.",
                        )
                    ),
                    dbc.Col(
                        _field("User", "connection.user", _input("connection.user")),
                        id=SERVER_BOXES[1],
                    ),
                ],
                class_name="g-2",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        _field(
                            "Password",
                            "connection.password",
                            _input(
                                "connection.password", type="password", autoComplete="new-password"
                            ),
                            "Write-only: stored encrypted, never shown again.",
                        ),
                        id=SERVER_BOXES[2],
                    ),
                    dbc.Col(
                        _field(
                            "Driver options",
                            "connection.options",
                            _input("connection.options", placeholder="sslmode=require"),
                            "KEY=VALUE, separated by &. Secret ones stay hidden and kept.",
                        ),
                        id=SERVER_BOXES[3],
                    ),
                ],
                class_name="g-2",
            ),
        ],
        id="admin-sources-fields-box",
    )
    url_box = html.Div(
        _field(
            "SQLAlchemy URL",
            "connection.url",
            _input(
                "connection.url",
                type="password",
                placeholder="mysql+pymysql://user:pass@host:3306/db",
            ),
            "Write-only, like a password. Leave empty when editing to keep the stored one.",
        ),
        id="admin-sources-url-box",
        style={"display": "none"},
    )
    settings = dbc.Row(
        [
            dbc.Col(_field("Time zone", "timezone", _input("timezone", value="UTC")), md=4),
            dbc.Col(
                _field(
                    "Data lag (days)",
                    "data_lag_days",
                    _input("data_lag_days", type="number", min=0),
                ),
                md=4,
            ),
            dbc.Col(
                _field(
                    "Max lookback (days)",
                    "max_lookback_days",
                    _input("max_lookback_days", type="number", min=1, max=365),
                ),
                md=4,
            ),
            dbc.Col(
                _field(
                    "Max concurrent runs",
                    "max_concurrency",
                    _input("max_concurrency", type="number", min=1),
                ),
                md=4,
            ),
            dbc.Col(
                _field(
                    "Statement timeout (s)",
                    "statement_timeout_seconds",
                    _input("statement_timeout_seconds", type="number", min=1),
                ),
                md=4,
            ),
        ],
        class_name="g-2",
    )
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        _field("Name", "name", _input("name", placeholder="Shop warehouse")), md=5
                    ),
                    dbc.Col(
                        _field(
                            "Id",
                            "instance_id",
                            _input("instance_id", placeholder="made from the name"),
                        ),
                        md=3,
                    ),
                    dbc.Col(
                        _field(
                            "Engine",
                            "engine",
                            dbc.Select(
                                id=FIELDS["engine"], options=ENGINE_OPTIONS, value="postgresql"
                            ),
                        ),
                        md=4,
                    ),
                ],
                class_name="g-2",
            ),
            dbc.RadioItems(
                id=MODE,
                options=[
                    {"label": "Connection fields", "value": "fields"},
                    {"label": "URL", "value": "url"},
                ],
                value="fields",
                inline=True,
                class_name="btn-group mb-3",
                input_class_name="btn-check",
                label_class_name="btn btn-outline-secondary btn-sm",
                label_checked_class_name="active",
            ),
            connection_fields,
            url_box,
            html.H6("Limits", className="mt-2"),
            settings,
            _field("Description", "description", dbc.Textarea(id=FIELDS["description"], rows=2)),
            html.H6("Option lists", className="mt-2"),
            html.P(
                "Named lists that feed pickers in report forms: SQL returning columns value "
                "and label; {{ search }} is the text typed.",
                className="small text-body-secondary mb-2",
            ),
            html.Div(id=LISTS),
            dbc.Button(
                [html.I(className="bi bi-plus-lg me-1"), "Add a list"],
                id="admin-sources-list-add",
                color="link",
                size="sm",
                class_name="px-0",
            ),
            html.Div(id=GENERAL_ERRORS, className="text-danger small mt-2"),
        ]
    )


# -- values and errors ---------------------------------------------------------------------


def form_states() -> dict[str, Any]:
    """The form's inputs as one dict of States (the callback's `form` argument)."""
    return {
        "fields": {key: State(id_, "value") for key, id_ in FIELDS.items()},
        "mode": State(MODE, "value"),
        "list_names": State({"type": LIST_NAME, "index": ALL}, "value"),
        "list_sql": State({"type": LIST_SQL, "index": ALL}, "value"),
    }


def form_values(form: dict[str, Any], *, editing: bool) -> dict[str, Any]:
    """The service's `values` from the form: empty secrets left out, so an edit keeps them."""
    fields = form["fields"]
    values: dict[str, Any] = {
        "name": fields["name"] or "",
        "engine": fields["engine"],
        "timezone": fields["timezone"] or "",
        "description": fields["description"] or "",
    }
    if not editing and fields["instance_id"]:
        values["instance_id"] = fields["instance_id"].strip()
    for key in _NUMBERS:
        values[key] = fields[key] if fields[key] not in (None, "") else ""
    if form["mode"] == "url":
        url = (fields["connection.url"] or "").strip()
        values["connection"] = {"url": url} if url or not editing else {}
    elif fields["engine"] not in SERVER_ENGINES:
        # The server inputs are hidden for a file: what they may still hold is not sent.
        database = fields["connection.database"]
        values["connection"] = {"database": database} if database not in (None, "") else {}
    else:
        connection = {
            key: fields[f"connection.{key}"]
            for key in ("host", "port", "database", "user", "password")
            if fields[f"connection.{key}"] not in (None, "")
        }
        options = _options(fields["connection.options"] or "")
        connection["options"] = options
        values["connection"] = connection
    names = form.get("list_names") or []
    sqls = form.get("list_sql") or []
    values["option_lists"] = {
        (name or "").strip(): sql or ""
        for name, sql in zip(names, sqls, strict=False)
        if (name or "").strip() or (sql or "").strip()
    }
    return values


def check_form(form: dict[str, Any]) -> None:
    """What `form_values` cannot say: two option lists with one name (a dict keeps one)."""
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for name in form.get("list_names") or []:
        name = (name or "").strip()
        if name and name in seen:
            errors[f"option_lists.{name}"] = f"Two lists are named {name}; give each its own name."
        seen.add(name)
    if errors:
        raise ValidationFailed(errors)


def _options(text: str) -> dict[str, str]:
    pairs = [part for part in text.replace("\n", "&").split("&") if part.strip()]
    return {k.strip(): v.strip() for k, _, v in (p.partition("=") for p in pairs)}


def form_props(source: SourceInfo | None) -> dict[str, Any]:
    """The inputs' values for `source` (None: a new source with the defaults)."""
    if source is None:
        values: dict[str, Any] = {key: None for key in FIELDS}
        values.update({key: DEFAULTS[key] for key in (*_NUMBERS, "timezone", "description")})
        values["engine"] = "postgresql"
        return values
    return {
        "name": source.name,
        "instance_id": source.instance_id,
        "engine": source.engine,
        "connection.host": source.host,
        "connection.port": source.port,
        "connection.database": source.database,
        "connection.user": source.user,
        "connection.password": None,
        "connection.options": "&".join(f"{k}={v}" for k, v in source.options.items()),
        "connection.url": None,
        "timezone": source.timezone,
        "data_lag_days": source.data_lag_days,
        "max_lookback_days": source.max_lookback_days,
        "max_concurrency": source.max_concurrency,
        "statement_timeout_seconds": source.statement_timeout_seconds,
        "description": source.description,
    }


def error_outputs(*, duplicate: bool = False) -> dict[str, Any]:
    """Outputs of each field's error state and message, and of the errors below the form."""
    return {
        "invalid": {
            key: Output(id_, "invalid", allow_duplicate=duplicate) for key, id_ in FIELDS.items()
        },
        "messages": {
            key: Output(f"{id_}-feedback", "children", allow_duplicate=duplicate)
            for key, id_ in FIELDS.items()
        },
        "general": Output(GENERAL_ERRORS, "children", allow_duplicate=duplicate),
    }


def error_props(errors: dict[str, str]) -> dict[str, Any]:
    """Each field's error next to it; the others (connection, option lists) below the form."""
    general = [
        html.Div(f"{_label(field)}: {message}")
        for field, message in errors.items()
        if field not in FIELDS
    ]
    return {
        "invalid": {key: key in errors for key in FIELDS},
        "messages": {key: errors.get(key, "") for key in FIELDS},
        "general": general,
    }


def _label(field: str) -> str:
    if field.startswith("option_lists."):
        return f"Option list {field.removeprefix('option_lists.')!r}"
    return {"connection": "Connection", "option_lists": "Option lists"}.get(field, field)

"""Reading the template editor back: parameter and widget rows into the values
services/template_authoring.py checks, and its field errors into the slots beside each field."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from components.template_editor import eid
from components.template_editor_rows import OPTION_TYPES, PARAM_FIELDS
from services.parameter_types import LIST_TYPES

#: Fields shown next to their own input; other errors go to the summary above the form.
SINGLE_FIELDS = (
    "name",
    "category",
    "report_type",
    "template_id",
    "windowed",
    "description",
    "sql_template",
)

# --- reading the form back ----------------------------------------------------------------


def _number(value: Any) -> float | int | None:
    if value in (None, ""):
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _default(kind: str, text: Any) -> Any:
    """The default as typed, in the type's own shape (the service checks it)."""
    if text is None or str(text).strip() == "":
        return None
    raw = str(text).strip()
    if raw.startswith(("[", "{")):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    if kind == "integer":
        return int(raw) if raw.lstrip("+-").isdigit() else raw
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return raw.lower() in {"true", "1", "yes", "on"}
    if kind in LIST_TYPES:
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def _options(text: Any) -> list[dict[str, str]]:
    options = []
    for part in str(text or "").split(","):
        value, _, label = part.strip().partition("=")
        if value.strip():
            options.append({"value": value.strip(), "label": (label or value).strip()})
    return options


def read_definitions(fields: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Parameter definitions from the rows' inputs (`fields[name]` lists, in row order)."""
    definitions: list[dict[str, Any]] = []
    for position in range(len(fields.get("name", []))):
        row = {field: fields[field][position] for field in PARAM_FIELDS}
        kind = str(row["type"] or "text")
        definition: dict[str, Any] = {"name": str(row["name"] or "").strip(), "type": kind}
        for key in ("label", "help"):
            if row[key] and str(row[key]).strip():
                definition[key] = str(row[key]).strip()
        definition["required"] = bool(row["required"])
        default = _default(kind, row["default"])
        if default is not None:
            definition["default"] = default
        for key in ("min", "max"):
            number = _number(row[key])
            if number is not None:
                definition[key] = number
        if kind in OPTION_TYPES and str(row["options"] or "").strip():
            definition["options"] = _options(row["options"])
        # campaign_ids / asins: their type names their list; the service checks a missing one.
        if kind == "option_list" and str(row["options_source"] or "").strip():
            definition["options_source"] = str(row["options_source"]).strip()
        definitions.append(definition)
    return definitions


def read_widgets(fields: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Dashboard widgets from the rows' inputs, each type's config keys filled."""
    widgets: list[dict[str, Any]] = []
    for position in range(len(fields.get("type", []))):
        kind = str(fields["type"][position] or "table")
        title = str(fields["title"][position] or "").strip()
        x = fields["x"][position]
        ys = [str(y) for y in fields["y"][position] or []]
        config: dict[str, Any] = {}
        if kind == "kpi":
            config = {
                "column": x or (ys[0] if ys else None),
                "aggregate": "sum",
                "format": "number",
            }
        elif kind == "table":
            config = {"columns": ys} if ys else {}
        elif kind == "pie":
            config = {"names": x, "values": ys[0] if ys else None}
        else:
            config = {"x": x, "y": ys}
        config = {k: v for k, v in config.items() if v not in (None, "", [])}
        widgets.append({"type": kind, "title": title or kind.capitalize(), "config": config})
    return widgets


def kept_ui_schema(ui_schema: dict[str, Any] | None, names: set[str]) -> dict[str, Any]:
    """The form hints kept for the parameters that remain."""
    hints = dict(ui_schema or {})
    if "order" in hints:
        hints["order"] = [n for n in hints["order"] if n in names]
    if "fields" in hints:
        hints["fields"] = {k: v for k, v in hints["fields"].items() if k in names}
    return hints


def place_errors(errors: dict[str, str], blank: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Each error in the slot of its field (parameter and widget rows by position)."""
    placed = {key: list(slots) for key, slots in blank.items()}
    for field, message in errors.items():
        parts = field.split(".")
        if field in SINGLE_FIELDS:
            placed["single"][SINGLE_FIELDS.index(field)] = message
        elif parts[0] == "parameter_definitions" and len(parts) > 1 and parts[1].isdigit():
            position = int(parts[1])
            if position < len(placed["params"]):
                label = f"{parts[2]}: " if len(parts) > 2 else ""
                placed["params"][position] = f"{label}{message}"
        elif parts[:2] == ["report_config", "widgets"] and len(parts) > 2 and parts[2].isdigit():
            position = int(parts[2])
            if position < len(placed["widgets"]):
                placed["widgets"][position] = message
    return placed


def error_summary(errors: dict[str, str]) -> dbc.Alert:
    count = len(errors)
    return dbc.Alert(
        [
            html.Strong(f"The template was not saved: {count} problem{'s' if count != 1 else ''}."),
            html.Ul(
                [html.Li(f"{field}: {message}") for field, message in errors.items()],
                className="mb-0 small",
            ),
        ],
        color="danger",
        id=eid("errors"),
    )

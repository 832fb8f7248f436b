"""What makes a template usable, checked in one place for the library's files and for the
templates people write in the app: its SQL, parameters, dashboard widgets and form hints.

Problems come back as field errors (`ValidationFailed`), keyed as a form shows them:
`sql_template`, `parameter_definitions.<i>.<field>`, `report_config.widgets.<i>`, …
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.dashboard_data import WINDOW_COLUMNS
from services.dashboards import check_report_config
from services.errors import TemplateDefinitionError, ValidationFailed
from services.parameter_types import ParameterDefinition
from services.parameters import parse_definitions
from services.sql_templates import PLACEHOLDER, WINDOW_NAMES, Dialect, check_template

#: Kinds of report a template produces; they name how its result is best read.
REPORT_TYPES = ("table", "time_series", "funnel", "distribution")
#: A template id: a lower-case slug, as the library's file names.
TEMPLATE_ID = re.compile(r"[a-z][a-z0-9_]{1,63}")
#: The fields a version holds: changing any of them saves a new version.
VERSIONED_FIELDS = (
    "sql_template",
    "parameter_definitions",
    "report_type",
    "report_config",
    "ui_schema",
    "min_data_age_days",
    "windowed",
)
#: Longest freshness delay a template may ask for, in days (a year, like the lookback).
MAX_MIN_DATA_AGE_DAYS = 365
#: Keys of a widget's config that name result columns, per widget type.
_WIDGET_COLUMN_KEYS = {
    "kpi": ("column", "numerator", "denominator"),
    "line": ("x", "y", "series"),
    "bar": ("x", "y", "series"),
    "area": ("x", "y", "series"),
    "pie": ("names", "values"),
    "table": ("columns",),
}
#: Words of a parameter error → the key of the definition it is about.
_DEFINITION_FIELDS = (
    ("options_source", "options_source"),  # before "needs options", which it contains
    ("snake_case", "name"),
    ("bound from the time window", "name"),
    ("unknown type", "type"),
    ("unknown keys", "name"),
    ("needs options", "options"),
    ("column options", "options"),
    ("option", "options"),
    ("pattern", "pattern"),
    ("item_type", "item_type"),
    ("default of", "default"),
)


@dataclass(frozen=True)
class TemplateContent:
    """The versioned part of a template, checked."""

    sql_template: str
    parameter_definitions: list[dict[str, Any]]
    report_type: str
    report_config: dict[str, Any]
    ui_schema: dict[str, Any]
    min_data_age_days: int
    windowed: bool

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in VERSIONED_FIELDS}


def check_content(
    raw: Mapping[str, Any],
    *,
    dialect: Dialect | None = None,
    preview_columns: Sequence[str] | None = None,
) -> TemplateContent:
    """The checked content of `raw`; ValidationFailed with every field error found.

    `windowed` None (or absent): the template is windowed when its SQL uses the window.
    `preview_columns`: the columns a preview returned, which every widget must use.
    """
    errors: dict[str, str] = {}
    sql = raw.get("sql_template")
    if not isinstance(sql, str) or not sql.strip():
        errors["sql_template"] = "Write the template's SQL."
        sql = ""
    sql = sql.strip()
    raw_definitions = raw.get("parameter_definitions") or []
    definitions = _definitions(raw_definitions, errors)
    used = {m.group(1) for m in PLACEHOLDER.finditer(sql)}
    if sql and definitions is not None:
        try:
            check_template(sql, definitions, dialect)
        except TemplateDefinitionError as error:
            errors["sql_template"] = _sentence(str(error))
        for index, definition in enumerate(definitions):
            if definition.name not in used:
                errors.setdefault(
                    f"parameter_definitions.{index}.name",
                    f"{definition.name!r} is declared but the SQL never uses "
                    f"{{{{ {definition.name} }}}}: use it or remove it.",
                )
    windowed = _windowed(raw.get("windowed"), bool(used & set(WINDOW_NAMES)), sql, errors)
    report_type = raw.get("report_type") or "table"
    if report_type not in REPORT_TYPES:
        errors["report_type"] = f"report_type must be one of {', '.join(REPORT_TYPES)}"
    report_config = raw.get("report_config") or {}
    try:
        widgets = check_report_config(report_config)
    except TemplateDefinitionError as error:
        errors["report_config"] = str(error)
    else:
        if preview_columns is not None:
            _check_widget_columns(widgets, preview_columns, errors)
    ui_schema = raw.get("ui_schema") or {}
    names = {d.name for d in definitions or ()}
    problem = ui_schema_problem(ui_schema, names) if definitions is not None else None
    if problem:
        errors["ui_schema"] = problem
    min_age = raw.get("min_data_age_days", 0)
    min_age = 0 if min_age is None else min_age
    if not isinstance(min_age, int) or isinstance(min_age, bool):
        errors["min_data_age_days"] = "min_data_age_days must be a whole number of days"
    elif not 0 <= min_age <= MAX_MIN_DATA_AGE_DAYS:
        errors["min_data_age_days"] = (
            f"min_data_age_days is 0 to {MAX_MIN_DATA_AGE_DAYS} (it cannot be negative)"
        )
    if errors:
        raise ValidationFailed(errors)
    return TemplateContent(
        sql_template=sql,
        parameter_definitions=[dict(item) for item in raw_definitions],
        report_type=str(report_type),
        report_config=dict(report_config),
        ui_schema=dict(ui_schema),
        min_data_age_days=int(min_age),
        windowed=windowed,
    )


def _definitions(raw: Any, errors: dict[str, str]) -> tuple[ParameterDefinition, ...] | None:
    """The parsed definitions, or None after recording where they are wrong."""
    if not isinstance(raw, list):
        errors["parameter_definitions"] = "parameter_definitions is a list of parameters"
        return None
    parsed: list[ParameterDefinition] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors[f"parameter_definitions.{index}"] = "each parameter definition is a mapping"
            continue
        try:
            parsed.extend(parse_definitions([item]))
        except TemplateDefinitionError as error:
            key = f"parameter_definitions.{index}.{_definition_field(str(error))}"
            errors[key] = str(error)
    if len(parsed) != len(raw):
        return None
    seen: set[str] = set()
    for index, definition in enumerate(parsed):
        if definition.name in seen:
            errors[f"parameter_definitions.{index}.name"] = (
                f"parameter names used twice: [{definition.name!r}]"
            )
        seen.add(definition.name)
    return tuple(parsed) if len(seen) == len(parsed) else None


def _definition_field(message: str) -> str:
    return next((key for words, key in _DEFINITION_FIELDS if words in message), "name")


def _windowed(value: Any, uses_window: bool, sql: str, errors: dict[str, str]) -> bool:
    if value is None:
        return uses_window
    if not isinstance(value, bool):
        errors["windowed"] = "windowed is true or false"
        return True
    if value and sql and not uses_window and "sql_template" not in errors:
        errors["sql_template"] = (
            "The SQL uses neither {{ window_start }} nor {{ window_end }}: filter on the "
            "run's time window with them, or mark the template as not windowed."
        )
    if not value and uses_window:
        errors["windowed"] = (
            "The SQL uses {{ window_start }} / {{ window_end }}, so the template is windowed."
        )
    return bool(value)


def widget_columns(widget: Mapping[str, Any]) -> list[str]:
    """The result columns a dashboard widget reads, as its config names them."""
    config = widget.get("config") or {}
    found: list[str] = []
    for key in _WIDGET_COLUMN_KEYS.get(str(widget.get("type")), ()):
        value = config.get(key)
        values = value if isinstance(value, list) else [value]
        found.extend(str(v) for v in values if v not in (None, ""))
    return found


def _check_widget_columns(
    widgets: list[dict[str, Any]], columns: Sequence[str], errors: dict[str, str]
) -> None:
    known = {*columns, *WINDOW_COLUMNS}
    for index, widget in enumerate(widgets):
        missing = [c for c in widget_columns(widget) if c not in known]
        if missing:
            title = widget.get("title") or widget.get("type")
            errors[f"report_config.widgets.{index}"] = (
                f"Widget {index + 1} ({title}) uses {', '.join(map(repr, missing))}, not a "
                f"column of the preview ({', '.join(columns) or 'no columns'})."
            )


def ui_schema_problem(ui_schema: Any, names: set[str]) -> str | None:
    """What is wrong with the form hints, or None: they may only speak of the parameters."""
    if not isinstance(ui_schema, dict):
        return "ui_schema is a mapping with an order list and a fields map"
    order = ui_schema.get("order", [])
    fields = ui_schema.get("fields", {})
    if not isinstance(order, list) or not isinstance(fields, dict):
        return "ui_schema has an order list and a fields map"
    strangers = sorted({str(name) for name in [*order, *fields]} - names)
    if strangers:
        return f"ui_schema names no parameter {strangers}"
    for name, hints in fields.items():
        width = hints.get("width") if isinstance(hints, dict) else None
        if not isinstance(hints, dict) or (
            width is not None and (not isinstance(width, int) or not 1 <= width <= 12)
        ):
            return f"ui_schema.fields.{name} is a mapping; width is 1 to 12"
    return None


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]

"""One input builder per parameter type (INPUT_BUILDERS), and the pieces around an input:
its label, required marker, help text and quick picks.

Numbers and days are text inputs, so what the user typed reaches the service as typed:
"abc" or 2025-02-30 is a field error, never silently a default or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from components import ids
from services.parameter_types import ID_LIST_TYPES
from services.presets import DATE_PRESETS, DAY_PRESETS

#: Milliseconds a text or number input waits after the last keystroke before it is checked.
DEBOUNCE_MS = 400
#: Preset value meaning "I pick the day(s) myself" for date and date_range parameters.
CUSTOM = "custom"
#: Parameter types whose options are searched on the instance, in the option list their
#: definition's `options_source` names (campaign_ids: "campaigns", asins: "asins").
SEARCHED_TYPES = ID_LIST_TYPES
#: Placeholder of a searched dropdown, by parameter type.
SEARCH_PLACEHOLDERS = {
    "campaign_ids": "Search campaigns…",
    "asins": "Search products…",
    "option_list": "Search…",
}
#: Parameter types that offer the ui_schema's quick picks beside their input.
QUICK_PICK_TYPES = frozenset({"integer", "number", "text", "enum"})

#: Builds the input(s) of one parameter: (form, definition, ui_schema hints, value).
InputBuilder = Callable[[str, Mapping[str, Any], Mapping[str, Any], Any], list[Component]]


def kinds_of(parameter_type: str) -> tuple[str, ...]:
    """The input kinds (see components.ids.KIND_PROPS) one parameter is made of."""
    if parameter_type == "date":
        return ("preset", "date")
    if parameter_type == "date_range":
        return ("preset", "range")
    if parameter_type in SEARCHED_TYPES:
        return ("search",)
    return ("value",)


def create_input(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    """The input(s) of one parameter, by type."""
    builder = INPUT_BUILDERS.get(definition["type"])
    if builder is None:
        raise ValueError(f"no input for parameter type {definition['type']!r}")
    return builder(form, definition, hints, value)


def _placeholder(definition: Mapping[str, Any], hints: Mapping[str, Any]) -> str:
    return str(hints.get("placeholder") or definition.get("placeholder") or "")


def _options(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"label": str(o.get("label", o["value"])), "value": o["value"]}
        for o in definition.get("options") or []
    ]


def create_text_input(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    return [
        dbc.Input(
            id=ids.param_id(form, definition["name"]),
            type="text",
            value="" if value is None else str(value),
            placeholder=_placeholder(definition, hints),
            maxLength=definition.get("max_length"),
            debounce=DEBOUNCE_MS,
            autocomplete="off",
        )
    ]


def create_number_input(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    # Text, not type="number": a number input hands over no value for "abc" or an
    # out-of-range entry, so the field would say "required" (or take the default)
    # instead of the service's "Enter a number." The service parses the text.
    return [
        dbc.Input(
            id=ids.param_id(form, definition["name"]),
            type="text",
            inputmode="numeric" if definition["type"] == "integer" else "decimal",
            value="" if value is None else value,
            placeholder=_placeholder(definition, hints),
            debounce=DEBOUNCE_MS,
            autocomplete="off",
        )
    ]


def create_switch(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    label: list[Any] = [definition.get("label") or definition["name"]]
    return [
        dbc.Switch(
            id=ids.param_id(form, definition["name"]),
            label=label,
            value=bool(value),
            class_name="mt-2 mb-0",
            label_class_name="fw-semibold",
        )
    ]


def create_choice(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    """One option of a list (enum) or one column to group by (column: never empty)."""
    required = bool(definition.get("required"))
    return [
        dcc.Dropdown(
            id=ids.param_id(form, definition["name"]),
            options=_options(definition),
            value=value,
            clearable=not required and definition["type"] != "column",
            placeholder=_placeholder(definition, hints) or "Choose…",
            className="rb-dropdown",
        )
    ]


def create_multi_select(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    return [
        dcc.Dropdown(
            id=ids.param_id(form, definition["name"]),
            options=_options(definition),
            value=list(value or []),
            multi=True,
            placeholder=_placeholder(definition, hints) or "Choose one or more…",
            className="rb-dropdown",
        )
    ]


def create_search_input(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    """A multi-select whose options are searched on the instance as the user types."""
    chosen = [str(v) for v in value or []]
    placeholder = _placeholder(definition, hints)
    return [
        dcc.Dropdown(
            id=ids.param_id(form, definition["name"], "search"),
            options=[{"label": v, "value": v} for v in chosen],
            value=chosen,
            multi=True,
            placeholder=placeholder or SEARCH_PLACEHOLDERS.get(definition["type"], "Search…"),
            className="rb-dropdown",
        )
    ]


def _preset_options(
    presets: Mapping[str, tuple[str, Any]], allowed: Any, custom_label: str
) -> list[dict[str, str]]:
    names = [p for p in allowed if p in presets] if isinstance(allowed, list) else list(presets)
    return [{"label": custom_label, "value": CUSTOM}] + [
        {"label": presets[p][0], "value": p} for p in names
    ]


def picker_class(preset: str | None) -> str:
    """Show the picker only when the user picks the day(s) themselves."""
    return "mt-2" if preset in (None, "", CUSTOM) else "mt-2 d-none"


def split_day(value: Any) -> tuple[str, str | None]:
    """A date parameter's value as (preset, day)."""
    if isinstance(value, str) and value in DAY_PRESETS:
        return value, None
    return CUSTOM, str(value) if value else None


def split_range(value: Any) -> tuple[str, str | None, str | None]:
    """A date_range value (preset, {"preset"}, {"start", "end"} or "A..B") as parts."""
    if isinstance(value, Mapping) and "preset" in value:
        value = value["preset"]
    if isinstance(value, str) and value in DATE_PRESETS:
        return value, None, None
    if isinstance(value, str) and ".." in value:
        start, _, end = value.partition("..")
        return CUSTOM, start.strip() or None, end.strip() or None
    if isinstance(value, Mapping):
        first, last = value.get("start"), value.get("end")
        return CUSTOM, str(first) if first else None, str(last) if last else None
    return CUSTOM, None, None


def _preset_menu(form: str, name: str, options: list[dict[str, str]], preset: str) -> Component:
    return dcc.Dropdown(
        id=ids.param_id(form, name, "preset"),
        options=options,
        value=preset,
        clearable=False,
        searchable=False,
        className="rb-dropdown",
    )


def create_date_input(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    """A preset menu (yesterday, start of month…) and the day's text for "Pick a day"."""
    name = definition["name"]
    preset, day = split_day(value)
    day_id = ids.param_id(form, name, "date")
    options = _preset_options(DAY_PRESETS, hints.get("presets"), "Pick a day")
    return [
        _preset_menu(form, name, options, preset),
        html.Div(
            [
                dbc.Label(
                    f"{definition.get('label') or name}: day",
                    html_for=ids.dom_id(day_id),
                    class_name="visually-hidden",
                ),
                # Text, not a date picker: a picker drops a day it cannot parse (2025-02-30)
                # without a word; the service says "Not a valid date" instead.
                dbc.Input(
                    id=day_id,
                    type="text",
                    value=day or "",
                    placeholder="YYYY-MM-DD",
                    debounce=DEBOUNCE_MS,
                    autocomplete="off",
                ),
            ],
            id=ids.picker_id(form, name),
            className=picker_class(preset),
        ),
    ]


def create_range_input(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    """A preset menu (last 7 days, previous month…) and a range picker for "Custom range"."""
    name = definition["name"]
    preset, start, end = split_range(value)
    options = _preset_options(DATE_PRESETS, hints.get("presets"), "Custom range")
    return [
        _preset_menu(form, name, options, preset),
        html.Div(
            dcc.DatePickerRange(
                id=ids.param_id(form, name, "range"),
                start_date=start,
                end_date=end,
                display_format="YYYY-MM-DD",
                first_day_of_week=1,
                minimum_nights=0,
                clearable=True,
                start_date_placeholder_text="Start",
                end_date_placeholder_text="End",
            ),
            id=ids.picker_id(form, name),
            className=picker_class(preset),
        ),
    ]


INPUT_BUILDERS: dict[str, InputBuilder] = {
    "text": create_text_input,
    "integer": create_number_input,
    "number": create_number_input,
    "boolean": create_switch,
    "enum": create_choice,
    "column": create_choice,
    "multi_select": create_multi_select,
    "date": create_date_input,
    "date_range": create_range_input,
    **dict.fromkeys(SEARCHED_TYPES, create_search_input),
}


# --- around the input ---------------------------------------------------------------------


def create_label(definition: Mapping[str, Any], target: dict[str, Any]) -> dbc.Label:
    """The field's label, bound to its input, with a marker when the field is required."""
    children: list[Any] = [definition.get("label") or definition["name"]]
    if definition.get("required"):
        children.append(create_required_marker())
    return dbc.Label(children, html_for=ids.dom_id(target), class_name="fw-semibold mb-1")


def create_required_marker() -> html.Span:
    hidden: dict[str, Any] = {"aria-hidden": "true"}
    return html.Span(
        [
            html.Span(" *", className="text-danger", title="Required", **hidden),
            html.Span(" (required)", className="visually-hidden"),
        ],
        className="rb-required",
    )


def describe_help(definition: Mapping[str, Any]) -> str:
    """The definition's help, plus the bounds a number or range must keep."""
    parts = [str(definition.get("help") or "").strip()]
    low, high = definition.get("min"), definition.get("max")
    if definition["type"] in {"integer", "number"}:
        if low is not None and high is not None:
            parts.append(f"Between {format_number(low)} and {format_number(high)}.")
        elif low is not None:
            parts.append(f"At least {format_number(low)}.")
        elif high is not None:
            parts.append(f"At most {format_number(high)}.")
    if definition["type"] == "date_range" and high is not None:
        parts.append(f"At most {format_number(high)} days.")
    return " ".join(part for part in parts if part)


def format_number(value: Any) -> str:
    """1000 → "1,000", 2.5 → "2.5"."""
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:,}"


def create_quick_picks(form: str, name: str, picks: list[Any]) -> html.Div:
    """Buttons that fill the input with a common value (the ui_schema's `presets`)."""
    usable = [p for p in picks if isinstance(p, str | int | float) and not isinstance(p, bool)]
    return html.Div(
        [html.Span("Quick picks:", className="small text-body-secondary me-1")]
        + [
            dbc.Button(
                format_number(p) if isinstance(p, int | float) else str(p),
                id=ids.quick_pick_id(form, name, p),
                size="sm",
                color="secondary",
                outline=True,
                class_name="rb-quick-pick",
            )
            for p in usable
        ],
        className="d-flex flex-wrap align-items-center gap-1 mt-1",
    )

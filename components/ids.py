"""Ids of the Report Builder's components, built in one place.

Single elements are `"report-builder-<thing>"`; repeated ones are dicts whose `"type"`
starts with `rb-`. A parameter input is `{"type": "rb-param", "form": ..., "name": ...,
"kind": ...}`: `form` keeps the run modal's form apart from the edit modal's, and `kind`
groups inputs by the property that holds their value, because one wildcard callback can
only read one property name across the inputs it matches.
"""

from __future__ import annotations

import json
from typing import Any

from dash import ALL

#: Forms built by components.parameter_form: the run modal's and the edit modal's.
RUN_FORM = "run"
EDIT_FORM = "edit"

#: Parameter input kinds → the property holding the value ("range" also has end_date).
KIND_PROPS: dict[str, str] = {
    "value": "value",  # text, numbers, switch, enum, multi_select, column
    "search": "value",  # campaign_ids / asins: options searched on the instance
    "preset": "value",  # the preset menu of a date or date range
    "date": "value",  # the text input of a day: the raw text reaches the service
    "range": "start_date",  # dcc.DatePickerRange (and end_date)
}

PARAM = "rb-param"
PARAM_ERROR = "rb-param-error"
PARAM_FIELD = "rb-param-field"
PARAM_PICKER = "rb-param-picker"
PARAM_QUICK = "rb-param-quick"
FORM_STORE = "rb-form"
TEMPLATE_USE = "rb-template-use"
LOOKBACK_PRESET = "rb-lookback-preset"

#: A key of a dict id: a value, or a wildcard (dash.ALL / dash.MATCH) in a callback.
Key = Any


def page_id(thing: str) -> str:
    """The id of a single element of the Report Builder page."""
    return f"report-builder-{thing}"


def param_id(form: Key, name: Key, kind: str = "value") -> dict[str, Any]:
    return {"type": PARAM, "form": form, "name": name, "kind": kind}


def param_inputs(form: Key, kind: str) -> dict[str, Any]:
    """Every parameter input of one kind in `form` (MATCH for the form a callback serves)."""
    return param_id(form, ALL, kind)


def error_id(form: Key, name: Key) -> dict[str, Any]:
    return {"type": PARAM_ERROR, "form": form, "name": name}


def field_id(form: Key, name: Key) -> dict[str, Any]:
    return {"type": PARAM_FIELD, "form": form, "name": name}


def picker_id(form: Key, name: Key) -> dict[str, Any]:
    """The wrapper of a date (range) picker, shown when the preset is "custom"."""
    return {"type": PARAM_PICKER, "form": form, "name": name}


def quick_pick_id(form: Key, name: Key, value: Any) -> dict[str, Any]:
    return {"type": PARAM_QUICK, "form": form, "name": name, "value": value}


def form_store_id(form: Key, part: str) -> dict[str, Any]:
    """A form's stores: "spec" (what the form holds) and "reveal" (show every error)."""
    return {"type": FORM_STORE, "form": form, "part": part}


def template_use_id(template_id: Key) -> dict[str, Any]:
    return {"type": TEMPLATE_USE, "index": template_id}


def lookback_preset_id(days: Key) -> dict[str, Any]:
    return {"type": LOOKBACK_PRESET, "index": days}


def dom_id(component_id: str | dict[str, Any]) -> str:
    """The DOM id Dash gives a component, for `html_for` (labels bound to their inputs)."""
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

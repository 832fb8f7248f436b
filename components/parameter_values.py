"""A parameter form as plain data: its spec (fields in order, by input kind, with
types, labels and choices), its raw values read back by kind, and each field's feedback."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from components.ids import KIND_PROPS
from components.parameter_inputs import CUSTOM, SEARCHED_TYPES, kinds_of
from services.parameters import METADATA_KINDS

FIELD_CLASS = "rb-field"
INVALID_FIELD_CLASS = "rb-field rb-field-invalid"


def ordered(
    definitions: Iterable[Mapping[str, Any]], ui_schema: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """Definitions in the ui_schema's order; those it does not name follow in file order."""
    definitions = list(definitions)
    order = [name for name in ui_schema.get("order") or [] if isinstance(name, str)]
    by_name = {d["name"]: d for d in definitions}
    first = [by_name[name] for name in order if name in by_name]
    named = {d["name"] for d in first}
    return first + [d for d in definitions if d["name"] not in named]


def form_spec(
    form: str,
    *,
    template_id: str,
    definitions: Iterable[Mapping[str, Any]],
    ui_schema: Mapping[str, Any],
    timezone: str,
    instance_id: str | None,
) -> dict[str, Any]:
    """What callbacks need to read a form back: its fields in order, by kind, with types."""
    fields = ordered(definitions, ui_schema)
    kinds: dict[str, list[str]] = {kind: [] for kind in KIND_PROPS}
    for definition in fields:
        for kind in kinds_of(definition["type"]):
            kinds[kind].append(definition["name"])
    return {
        "form": form,
        "template_id": template_id,
        "timezone": timezone,
        "instance_id": instance_id,
        "order": [d["name"] for d in fields],
        "types": {d["name"]: d["type"] for d in fields},
        "sources": {d["name"]: options_source(d) for d in fields if options_source(d)},
        "labels": {d["name"]: d.get("label") or d["name"] for d in fields},
        "choices": {
            d["name"]: {str(o["value"]): str(o.get("label", o["value"])) for o in d["options"]}
            for d in fields
            if d.get("options")
        },
        "kinds": kinds,
    }


def options_source(definition: Mapping[str, Any]) -> str | None:
    """The instance option list a searched parameter picks from, None for other types."""
    kind = definition.get("type")
    if kind not in SEARCHED_TYPES:
        return None
    source = definition.get("options_source") or METADATA_KINDS.get(str(kind))
    return str(source) if source else None


def collect_values(
    spec: Mapping[str, Any],
    *,
    value: list[Any] | None = None,
    search: list[Any] | None = None,
    preset: list[Any] | None = None,
    date: list[Any] | None = None,
    start: list[Any] | None = None,
    end: list[Any] | None = None,
) -> dict[str, Any]:
    """The raw values of a form, by parameter name, from its inputs' values by kind.

    Each list holds the values of one kind in form order (as wildcard callbacks get them).
    A date preset wins over the picker unless it is "custom"; presets stay presets, so a
    recurring report's "last 7 days" moves with each run.
    """
    kinds = spec["kinds"]
    values = dict(zip(kinds["value"], value or [], strict=False))
    searched = dict(zip(kinds["search"], search or [], strict=False))
    presets = dict(zip(kinds["preset"], preset or [], strict=False))
    days = dict(zip(kinds["date"], date or [], strict=False))
    starts = dict(zip(kinds["range"], start or [], strict=False))
    ends = dict(zip(kinds["range"], end or [], strict=False))
    raw: dict[str, Any] = {}
    for name in spec["order"]:
        kind = spec["types"][name]
        chosen = presets.get(name)
        if kind == "date":
            raw[name] = chosen if chosen not in (None, "", CUSTOM) else days.get(name)
        elif kind == "date_range":
            if chosen not in (None, "", CUSTOM):
                raw[name] = chosen
            elif starts.get(name) or ends.get(name):
                raw[name] = {"start": starts.get(name), "end": ends.get(name)}
            else:
                raw[name] = None
        elif kind in SEARCHED_TYPES:
            raw[name] = list(searched.get(name) or [])
        elif kind == "boolean":
            raw[name] = bool(values.get(name))
        else:
            raw[name] = values.get(name)
    return raw


def is_blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def field_feedback(
    spec: Mapping[str, Any],
    errors: Mapping[str, str],
    values: Mapping[str, Any],
    *,
    reveal: bool,
) -> tuple[list[str], list[str]]:
    """Each field's message and wrapper class, in form order.

    A field left empty says "required" only once the user asks to go on (`reveal`):
    nobody wants a form full of red before typing anything.
    """
    messages: list[str] = []
    classes: list[str] = []
    for name in spec["order"]:
        message = errors.get(name, "")
        if message and not reveal and is_blank(values.get(name)):
            message = ""
        messages.append(message)
        classes.append(INVALID_FIELD_CLASS if message else FIELD_CLASS)
    return messages, classes


def parameter_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Field errors of a service's ValidationFailed ("parameters.name" → "name")."""
    return {
        key.split(".", 1)[1]: message
        for key, message in errors.items()
        if key.startswith(("parameters.", "default_parameters."))
    }

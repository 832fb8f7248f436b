"""Parameter validation: raw input (a form, JSON, or `--param name=value` strings) turned
into normalized values or field-level errors."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.parameter_types import ParameterDefinition
from services.presets import DATE_PRESETS, DAY_PRESETS, resolve_day, resolve_range

#: Longest text value accepted unless a definition sets max_length.
DEFAULT_MAX_TEXT = 10_000
#: Most items a list parameter takes unless a definition sets max_items.
DEFAULT_MAX_ITEMS = 1_000
#: Longest single item of a campaign_ids / asins / option_list list.
MAX_ID_LENGTH = 128

#: A number as text: digits with an optional point and exponent ("1e400" overflows later).
_DECIMAL = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", re.ASCII)
#: A day as text; date.fromisoformat alone would also take "20260115" and "2026-W01-1".
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class ValidationResult:
    """Field-level errors (field → message) and the normalized values, ready to store."""

    errors: dict[str, str] = field(default_factory=dict)
    normalized: dict[str, Any] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


class _Invalid(ValueError):
    pass


def validate(
    definitions: Iterable[ParameterDefinition],
    values: Mapping[str, Any],
    *,
    today: date,
    known_options: Mapping[str, Iterable[str]] | None = None,
) -> ValidationResult:
    """Check `values` against `definitions`; defaults fill what is missing.

    `today` is the day in the report's time zone, for relative presets. `known_options`
    (option list name → allowed ids) restricts campaign_ids / asins / option_list when given.
    """
    definitions = tuple(definitions)
    errors: dict[str, str] = {}
    normalized: dict[str, Any] = {}
    by_name = {d.name: d for d in definitions}
    for name in values:
        if name not in by_name:
            errors[str(name)] = "Unknown parameter."
    for definition in definitions:
        raw = values.get(definition.name)
        # A column is an identifier in the SQL text: there is no "nothing" to write.
        needed = definition.required or definition.type == "column"
        # The default fills a value that was not given; a required value given empty (a
        # cleared field) is an error, never silently the default.
        if _is_empty(raw) and (definition.name not in values or not needed):
            raw = definition.default
        if _is_empty(raw):
            if needed:
                errors[definition.name] = "This field is required."
            else:
                normalized[definition.name] = [] if definition.is_list else None
            continue
        try:
            value = _NORMALIZERS[definition.type](definition, raw, today)
            if needed and value == []:
                raise _Invalid("This field is required.")
            allowed = (known_options or {}).get(definition.metadata_kind or "")
            if allowed is not None:
                allowed_text = {str(a) for a in allowed}
                missing = [str(v) for v in value if str(v) not in allowed_text]
                if missing:
                    raise _Invalid(f"Not found on this instance: {', '.join(missing[:5])}.")
            normalized[definition.name] = value
        except _Invalid as problem:
            errors[definition.name] = str(problem)
    return ValidationResult(errors=errors, normalized=normalized)


def _is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "") or raw == []


def _text(definition: ParameterDefinition, raw: Any, today: date) -> str:
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        raise _Invalid("Enter text.")
    value = str(raw).strip()
    if "\x00" in value:
        raise _Invalid("Text cannot contain NUL characters.")
    limit = definition.max_length or DEFAULT_MAX_TEXT
    if len(value) > limit:
        raise _Invalid(f"Use at most {limit} characters.")
    if definition.pattern and not re.fullmatch(definition.pattern, value):
        raise _Invalid(definition.help or f"Must match the pattern {definition.pattern}.")
    return value


def _number(definition: ParameterDefinition, raw: Any, today: date) -> float:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _Invalid("Enter a number.")
    # Text must be a plain decimal: float() alone would also take "nan", "inf" and "1_000".
    if isinstance(raw, str) and not _DECIMAL.fullmatch(raw):
        raise _Invalid("Enter a number.")
    try:
        value = float(raw)
    except OverflowError:  # an int beyond any float
        raise _Invalid("The number is too large.") from None
    if not math.isfinite(value):  # text such as "1e400" overflows; a float nan is no number
        raise _Invalid("The number is too large." if isinstance(raw, str) else "Enter a number.")
    return _bounded(definition, value)


def _integer(definition: ParameterDefinition, raw: Any, today: date) -> int:
    if isinstance(raw, bool):
        raise _Invalid("Enter a whole number.")
    if isinstance(raw, float):
        if not raw.is_integer():
            raise _Invalid("Enter a whole number.")
        raw = int(raw)
    if isinstance(raw, str):
        if not re.fullmatch(r"\s*[+-]?\d{1,18}\s*", raw):
            raise _Invalid("Enter a whole number.")
        raw = int(raw)
    if not isinstance(raw, int):
        raise _Invalid("Enter a whole number.")
    if not -(2**63) <= raw < 2**63:
        raise _Invalid("The number is too large.")
    return int(_bounded(definition, raw))


def _bounded(definition: ParameterDefinition, value: float) -> float:
    if definition.min is not None and value < definition.min:
        raise _Invalid(f"Must be at least {_show(definition.min)}.")
    if definition.max is not None and value > definition.max:
        raise _Invalid(f"Must be at most {_show(definition.max)}.")
    return value


def _show(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _boolean(definition: ParameterDefinition, raw: Any, today: date) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Invalid("Choose yes or no.")


def _parse_day(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and _DAY.fullmatch(raw.strip()):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            raise _Invalid(f"Not a valid date: {raw.strip()} does not exist.") from None
    raise _Invalid("Enter a date as YYYY-MM-DD.")


def _date(definition: ParameterDefinition, raw: Any, today: date) -> str:
    if isinstance(raw, str) and raw.strip() in DAY_PRESETS:
        return resolve_day(raw.strip(), today).isoformat()
    return _parse_day(raw).isoformat()


def _date_range(definition: ParameterDefinition, raw: Any, today: date) -> dict[str, str]:
    """A preset name, {"preset": name}, {"start", "end"}, or "START..END"; both days inclusive."""
    if isinstance(raw, Mapping) and "preset" in raw:
        raw = raw["preset"]
    if isinstance(raw, str) and ".." in raw:
        first, _, last = raw.partition("..")
        raw = {"start": first, "end": last}
    if isinstance(raw, str):
        if raw.strip() not in DATE_PRESETS:
            raise _Invalid(f"Unknown range {raw!r}; choose a preset or enter start and end.")
        start, end = resolve_range(raw.strip(), today)
    elif isinstance(raw, Mapping):
        start, end = _parse_day(raw.get("start")), _parse_day(raw.get("end"))
    else:
        raise _Invalid("Enter a start and an end date.")
    if end < start:
        raise _Invalid("The end date is before the start date.")
    if definition.max is not None and (end - start).days + 1 > definition.max:
        raise _Invalid(f"Choose at most {_show(definition.max)} days.")
    return {"start": start.isoformat(), "end": end.isoformat()}


def _choice(definition: ParameterDefinition, raw: Any) -> Any:
    for option in definition.options:
        if raw == option.value or str(raw) == str(option.value):
            return option.value
    raise _Invalid("Choose one of the listed options.")


def _enum(definition: ParameterDefinition, raw: Any, today: date) -> Any:
    return _choice(definition, raw)


def _as_list(raw: Any) -> list[Any]:
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, list | tuple):
        return list(raw)
    raise _Invalid("Choose one or more values.")


def _dedupe(items: Iterable[Any]) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def _limited(definition: ParameterDefinition, items: list[Any]) -> list[Any]:
    limit = definition.max_items or DEFAULT_MAX_ITEMS
    if len(items) > limit:
        raise _Invalid(f"Choose at most {limit} values.")
    return items


def _multi_select(definition: ParameterDefinition, raw: Any, today: date) -> list[Any]:
    return _limited(definition, _dedupe(_choice(definition, item) for item in _as_list(raw)))


def _ids(definition: ParameterDefinition, raw: Any, today: date) -> list[Any]:
    items = _as_list(raw)
    out: list[Any] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise _Invalid("Each value must be an id.")
        text = str(item).strip()
        if "\x00" in text:
            raise _Invalid("Ids cannot contain NUL characters.")
        if not text or len(text) > MAX_ID_LENGTH:
            raise _Invalid(f"Each id has 1 to {MAX_ID_LENGTH} characters.")
        if definition.item_type == "integer":
            if not re.fullmatch(r"[+-]?\d{1,18}", text):
                raise _Invalid(f"{text[:40]!r} is not a numeric id.")
            out.append(int(text))
        else:
            out.append(text)
    return _limited(definition, _dedupe(out))


def _column(definition: ParameterDefinition, raw: Any, today: date) -> str:
    value = _choice(definition, raw)
    assert isinstance(value, str)  # checked when the definition was parsed
    return value


_NORMALIZERS: dict[str, Callable[[ParameterDefinition, Any, date], Any]] = {
    "text": _text,
    "number": _number,
    "integer": _integer,
    "boolean": _boolean,
    "date": _date,
    "date_range": _date_range,
    "enum": _enum,
    "multi_select": _multi_select,
    "campaign_ids": _ids,
    "asins": _ids,
    "column": _column,
    "option_list": _ids,
}

"""Template parameters: a template's parameter list read into checked definitions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from services.errors import TemplateDefinitionError
from services.parameter_types import (
    METADATA_KINDS,
    OPTION_LIST_NAME,
    PARAMETER_TYPES,
    RESERVED_NAMES,
    Option,
    ParameterDefinition,
)
from services.parameter_validation import validate

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def parse_definitions(raw: Iterable[Mapping[str, Any]]) -> tuple[ParameterDefinition, ...]:
    """Read a template's parameter list; TemplateDefinitionError says what is wrong."""
    definitions = tuple(_parse_definition(item) for item in raw)
    names = [d.name for d in definitions]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise TemplateDefinitionError(f"parameter names used twice: {sorted(duplicates)}")
    for definition in definitions:
        if definition.default is not None:
            result = validate(
                definitions, {definition.name: definition.default}, today=date.today()
            )
            if definition.name in result.errors:
                raise TemplateDefinitionError(
                    f"default of {definition.name!r} is invalid: {result.errors[definition.name]}"
                )
    return definitions


def _parse_definition(item: Mapping[str, Any]) -> ParameterDefinition:
    name = item.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise TemplateDefinitionError(f"parameter name {name!r} must be snake_case")
    if name in RESERVED_NAMES:
        raise TemplateDefinitionError(f"{name!r} is bound from the time window; rename it")
    kind = item.get("type")
    if kind not in PARAMETER_TYPES:
        raise TemplateDefinitionError(f"{name}: unknown type {kind!r}")
    known = set(ParameterDefinition.__dataclass_fields__) | {"options"}
    unknown = set(item) - known
    if unknown:
        raise TemplateDefinitionError(f"{name}: unknown keys {sorted(unknown)}")
    options = tuple(_parse_option(o) for o in item.get("options") or ())
    if kind in {"enum", "multi_select", "column"} and not options:
        raise TemplateDefinitionError(f"{name}: a {kind} parameter needs options")
    if kind == "column" and not all(
        isinstance(o.value, str) and _IDENTIFIER.fullmatch(o.value) for o in options
    ):
        raise TemplateDefinitionError(f"{name}: column options must be plain identifiers")
    if item.get("pattern") is not None:
        try:
            re.compile(str(item["pattern"]))
        except re.error as error:
            raise TemplateDefinitionError(
                f"{name}: pattern is not a valid regex: {error}"
            ) from None
    if item.get("item_type", "text") not in {"text", "integer"}:
        raise TemplateDefinitionError(f"{name}: item_type is text or integer")
    _check_options_source(name, kind, item.get("options_source"))
    fields = {k: v for k, v in item.items() if k != "options"}
    if kind != "option_list":  # campaign_ids / asins: their type names the list
        fields.pop("options_source", None)
    fields.setdefault("label", name.replace("_", " ").capitalize())
    return ParameterDefinition(**fields, options=options)


def _check_options_source(name: str, kind: str, source: Any) -> None:
    """option_list names its list; campaign_ids / asins may repeat their own (as to_dict
    writes it); no other type takes one."""
    if kind == "option_list":
        if source is None or (isinstance(source, str) and not source.strip()):
            raise TemplateDefinitionError(
                f"{name}: an option_list parameter needs options_source, the name of "
                "the source's option list its options come from"
            )
        if not isinstance(source, str) or not OPTION_LIST_NAME.fullmatch(source):
            raise TemplateDefinitionError(
                f"{name}: options_source {source!r} must be an option list name "
                "(lower-case letters, digits and _)"
            )
    elif source is not None and source != METADATA_KINDS.get(kind):
        fixed = METADATA_KINDS.get(kind)
        raise TemplateDefinitionError(
            f"{name}: a {kind} parameter's options_source is {fixed!r}"
            if fixed
            else f"{name}: options_source is for option_list parameters only"
        )


def _parse_option(raw: Any) -> Option:
    if isinstance(raw, Mapping):
        if raw.get("value") is None:
            raise TemplateDefinitionError(f"option {dict(raw)!r} has no value")
        return Option(value=raw["value"], label=str(raw.get("label", raw["value"])))
    if raw is None:
        raise TemplateDefinitionError("an option is empty")
    return Option(value=raw, label=str(raw))

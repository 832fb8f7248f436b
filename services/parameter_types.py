"""Parameter types, and one parameter's definition as a template's YAML file writes it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: Every type a template parameter may have.
PARAMETER_TYPES = (
    "text",
    "number",
    "integer",
    "boolean",
    "date",
    "date_range",
    "enum",
    "multi_select",
    "campaign_ids",
    "asins",
    "column",
    "option_list",
)
#: Types whose value is a list, bound as one array parameter.
LIST_TYPES = frozenset({"multi_select", "campaign_ids", "asins", "option_list"})
#: Types whose options come from a fixed one of the instance's option lists (metadata
#: queries); an option_list parameter names its list in `options_source`.
METADATA_KINDS = {"campaign_ids": "campaigns", "asins": "asins"}
#: Types whose value is a list of ids picked from an instance's option list.
ID_LIST_TYPES = frozenset({*METADATA_KINDS, "option_list"})
#: The name of an option list, as a data source's option lists are named.
OPTION_LIST_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: Names every execution binds from its time window; no parameter may take them.
RESERVED_NAMES = frozenset({"window_start", "window_end"})


@dataclass(frozen=True)
class Option:
    value: Any
    label: str


@dataclass(frozen=True)
class ParameterDefinition:
    """One parameter of a template, as written in the template's YAML file."""

    name: str
    type: str
    label: str
    required: bool = False
    default: Any = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    pattern: str | None = None
    max_length: int | None = None
    max_items: int | None = None
    options: tuple[Option, ...] = ()
    #: Element type of a list bound on PostgreSQL: "text" or "integer".
    item_type: str = "text"
    placeholder: str = ""
    #: option_list: the name of the instance's option list its options come from.
    options_source: str | None = None

    @property
    def is_list(self) -> bool:
        return self.type in LIST_TYPES

    @property
    def metadata_kind(self) -> str | None:
        """The instance option list this parameter's options come from, if any."""
        if self.type == "option_list":
            return self.options_source
        return METADATA_KINDS.get(self.type)

    def to_dict(self) -> dict[str, Any]:
        """The public shape: name, type, label, required, default, and what else is set."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "required": self.required,
            "default": self.default,
        }
        for key in ("help", "min", "max", "pattern", "max_length", "max_items", "placeholder"):
            value = getattr(self, key)
            if value not in (None, ""):
                out[key] = value
        if self.options:
            out["options"] = [{"value": o.value, "label": o.label} for o in self.options]
        if self.metadata_kind:
            out["options_source"] = self.metadata_kind
        if self.item_type != "text":
            out["item_type"] = self.item_type
        return out

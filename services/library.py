"""The template library: one `<id>.sql` and one `<id>.yaml` per template, reviewed like code.

Reading a template checks it as fully as loading it into the database would: its fields,
its parameter definitions, its SQL (one read-only statement whose placeholders all name a
parameter) and its dashboard widgets. Every problem is a TemplateDefinitionError that
names the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import QueryTemplate
from services.dashboards import check_report_config
from services.errors import TemplateDefinitionError
from services.parameters import parse_definitions
from services.sql_templates import check_template

#: The template library shipped with the product.
LIBRARY_DIR = Path(__file__).resolve().parent.parent / "library"
#: Kinds of report a template produces; they name how its result is best read.
REPORT_TYPES = ("table", "time_series", "funnel", "distribution")

_TEMPLATE_ID = re.compile(r"[a-z][a-z0-9_]{1,63}")
_KNOWN_KEYS = frozenset(
    {
        "id",
        "name",
        "description",
        "category",
        "report_type",
        "min_data_age_days",
        "parameter_definitions",
        "report_config",
        "ui_schema",
    }
)


@dataclass(frozen=True)
class LibraryTemplate:
    """One template as its library files define it, already validated."""

    template_id: str
    name: str
    description: str
    category: str
    sql_template: str
    parameter_definitions: list[dict[str, Any]]
    report_type: str
    report_config: dict[str, Any]
    ui_schema: dict[str, Any]
    min_data_age_days: int


def read_library(library_dir: Path = LIBRARY_DIR) -> list[LibraryTemplate]:
    """Every template in `library_dir`, sorted by id; TemplateDefinitionError on a bad file."""
    specs = sorted(library_dir.glob("*.yaml"))
    orphans = sorted(
        sql.name for sql in library_dir.glob("*.sql") if not sql.with_suffix(".yaml").is_file()
    )
    if orphans:
        raise TemplateDefinitionError(f"{orphans[0]}: no YAML file describes this SQL")
    return [read_template(spec) for spec in specs]


def load_library(*, session: Session, library_dir: Path = LIBRARY_DIR) -> list[str]:
    """Insert or update every library template by template_id; return their ids. Flushes."""
    templates = read_library(library_dir)
    ids = [template.template_id for template in templates]
    existing = {
        row.template_id: row
        for row in session.scalars(select(QueryTemplate).where(QueryTemplate.template_id.in_(ids)))
    }
    for template in templates:
        row = existing.get(template.template_id)
        if row is None:
            row = QueryTemplate(template_id=template.template_id)
            session.add(row)
        row.name = template.name
        row.description = template.description
        row.category = template.category
        row.sql_template = template.sql_template
        row.parameter_definitions = template.parameter_definitions
        row.report_type = template.report_type
        row.report_config = template.report_config
        row.ui_schema = template.ui_schema
        row.min_data_age_days = template.min_data_age_days
        row.is_public = True
    session.flush()
    return ids


def read_template(spec_path: Path) -> LibraryTemplate:
    """The template described by `spec_path` (a `.yaml`) and its `.sql` sibling."""
    where = spec_path.name
    try:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise TemplateDefinitionError(f"{where}: not valid YAML: {error}") from None
    if not isinstance(spec, dict):
        raise TemplateDefinitionError(f"{where}: expected a mapping of fields")
    unknown = sorted(str(key) for key in set(spec) - _KNOWN_KEYS)
    if unknown:
        raise TemplateDefinitionError(f"{where}: unknown fields {unknown}")
    template_id = spec.get("id")
    if not isinstance(template_id, str) or not _TEMPLATE_ID.fullmatch(template_id):
        raise TemplateDefinitionError(f"{where}: id must be a lowercase slug")
    if template_id != spec_path.stem:
        raise TemplateDefinitionError(f"{where}: id {template_id!r} does not match the file name")
    sql_path = spec_path.with_suffix(".sql")
    if not sql_path.is_file():
        raise TemplateDefinitionError(f"{where}: {sql_path.name} is missing")
    sql = sql_path.read_text(encoding="utf-8").strip()
    if not sql:
        raise TemplateDefinitionError(f"{sql_path.name}: empty SQL")

    report_type = _field(spec, "report_type", str, where, required=True)
    if report_type not in REPORT_TYPES:
        raise TemplateDefinitionError(
            f"{where}: report_type must be one of {', '.join(REPORT_TYPES)}"
        )
    min_data_age_days = _field(spec, "min_data_age_days", int, where, default=0)
    if min_data_age_days < 0:
        raise TemplateDefinitionError(f"{where}: min_data_age_days cannot be negative")
    raw_definitions = _field(spec, "parameter_definitions", list, where, default=[])
    if not all(isinstance(item, dict) for item in raw_definitions):
        raise TemplateDefinitionError(f"{where}: each parameter definition is a mapping")
    try:
        definitions = parse_definitions(raw_definitions)
    except TemplateDefinitionError as error:
        raise TemplateDefinitionError(f"{where}: parameter_definitions: {error}") from None
    try:
        check_template(sql, definitions)
    except TemplateDefinitionError as error:
        raise TemplateDefinitionError(f"{sql_path.name}: {error}") from None
    report_config = _field(spec, "report_config", dict, where, default={})
    try:
        check_report_config(report_config)
    except TemplateDefinitionError as error:
        raise TemplateDefinitionError(f"{where}: report_config: {error}") from None
    ui_schema = _field(spec, "ui_schema", dict, where, default={})
    _check_ui_schema(ui_schema, {d.name for d in definitions}, where)
    return LibraryTemplate(
        template_id=template_id,
        name=_field(spec, "name", str, where, required=True),
        description=_field(spec, "description", str, where, default="").strip(),
        category=_field(spec, "category", str, where, default="General"),
        sql_template=sql,
        parameter_definitions=raw_definitions,
        report_type=report_type,
        report_config=report_config,
        ui_schema=ui_schema,
        min_data_age_days=min_data_age_days,
    )


def _check_ui_schema(ui_schema: dict[str, Any], names: set[str], where: str) -> None:
    """The layout hints may only speak of the template's own parameters."""
    order = ui_schema.get("order", [])
    fields = ui_schema.get("fields", {})
    if not isinstance(order, list) or not isinstance(fields, dict):
        raise TemplateDefinitionError(f"{where}: ui_schema has an order list and a fields map")
    strangers = sorted({str(name) for name in [*order, *fields]} - names)
    if strangers:
        raise TemplateDefinitionError(f"{where}: ui_schema names no parameter {strangers}")
    for name, hints in fields.items():
        width = hints.get("width") if isinstance(hints, dict) else None
        if not isinstance(hints, dict) or (
            width is not None and (not isinstance(width, int) or not 1 <= width <= 12)
        ):
            raise TemplateDefinitionError(
                f"{where}: ui_schema.fields.{name} is a mapping; width is 1 to 12"
            )


def _field(
    spec: dict[str, Any],
    key: str,
    kind: type[Any],
    where: str,
    *,
    required: bool = False,
    default: Any = None,
) -> Any:
    value = spec.get(key)
    if value is None:
        if required:
            raise TemplateDefinitionError(f"{where}: {key} is required")
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TemplateDefinitionError(f"{where}: {key} must be a {kind.__name__}")
    return value

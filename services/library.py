"""The template library: one `<id>.sql` and one `<id>.yaml` per template, reviewed like code.

Reading a template checks it as fully as loading it into the database would: its fields,
its parameter definitions, its SQL (one read-only statement whose placeholders all name a
parameter) and its dashboard widgets. Every problem is a TemplateDefinitionError that
names the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import QueryTemplate
from services.errors import TemplateDefinitionError, ValidationFailed
from services.template_checks import REPORT_TYPES, TEMPLATE_ID, TemplateContent, check_content
from services.template_versions import apply_content, record_version, save_content

#: The template library shipped with the product.
LIBRARY_DIR = Path(__file__).resolve().parent.parent / "library"
__all__ = ["LIBRARY_DIR", "REPORT_TYPES", "LibraryTemplate", "load_library", "read_library"]
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
        "windowed",
        # Export writes the SQL inline; the library keeps it in the .sql sibling.
        "sql_template",
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
    windowed: bool = True

    def content(self) -> TemplateContent:
        """The versioned part (already checked when the file was read)."""
        return TemplateContent(
            sql_template=self.sql_template,
            parameter_definitions=self.parameter_definitions,
            report_type=self.report_type,
            report_config=self.report_config,
            ui_schema=self.ui_schema,
            min_data_age_days=self.min_data_age_days,
            windowed=self.windowed,
        )


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
        content = template.content()
        row = existing.get(template.template_id)
        if row is None:
            row = QueryTemplate(template_id=template.template_id, version=1)
            _describe(row, template)
            apply_content(row, content)
            session.add(row)
            record_version(session=session, template=row, created_by=None)
        else:
            _describe(row, template)
            # A changed file is a new version, so runs of the library record theirs too.
            save_content(session=session, template=row, content=content, created_by=None)
    session.flush()
    return ids


def _describe(row: QueryTemplate, template: LibraryTemplate) -> None:
    row.name = template.name
    row.description = template.description
    row.category = template.category
    row.is_public = True


def read_template(spec_path: Path, *, in_library: bool = True) -> LibraryTemplate:
    """The template described by `spec_path` (a `.yaml`) and its SQL: the `.sql` sibling, or
    (outside the library, for `templates import`) an inline `sql_template` key.

    In the library the id must match the file name and the SQL lives in its own file.
    """
    where = spec_path.name
    try:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise TemplateDefinitionError(f"{where}: not valid YAML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateDefinitionError(f"{where}: cannot be read: {error}") from None
    if not isinstance(spec, dict):
        raise TemplateDefinitionError(f"{where}: expected a mapping of fields")
    unknown = sorted(str(key) for key in set(spec) - _KNOWN_KEYS)
    if in_library and "sql_template" in spec:
        unknown.append("sql_template")
    if unknown:
        raise TemplateDefinitionError(f"{where}: unknown fields {unknown}")
    template_id = spec.get("id")
    if not isinstance(template_id, str) or not TEMPLATE_ID.fullmatch(template_id):
        raise TemplateDefinitionError(f"{where}: id must be a lowercase slug")
    if in_library and template_id != spec_path.stem:
        raise TemplateDefinitionError(f"{where}: id {template_id!r} does not match the file name")
    sql_path = spec_path.with_suffix(".sql")
    if "sql_template" in spec:
        sql = _field(spec, "sql_template", str, where, required=True).strip()
        sql_name = f"{where} (sql_template)"
        if sql_path.is_file():
            raise TemplateDefinitionError(
                f"{where}: the SQL is both inline and in {sql_path.name}; keep one"
            )
    else:
        if not sql_path.is_file():
            raise TemplateDefinitionError(f"{where}: {sql_path.name} is missing")
        sql = sql_path.read_text(encoding="utf-8").strip()
        sql_name = sql_path.name
    if not sql:
        raise TemplateDefinitionError(f"{sql_name}: empty SQL")

    report_type = _field(spec, "report_type", str, where, required=True)
    raw_definitions = _field(spec, "parameter_definitions", list, where, default=[])
    try:
        content = check_content(
            {
                "sql_template": sql,
                "parameter_definitions": raw_definitions,
                "report_type": report_type,
                "report_config": _field(spec, "report_config", dict, where, default={}),
                "ui_schema": _field(spec, "ui_schema", dict, where, default={}),
                "min_data_age_days": _field(spec, "min_data_age_days", int, where, default=0),
                "windowed": _field(spec, "windowed", bool, where),
            }
        )
    except ValidationFailed as failed:
        raise _file_error(failed.errors, where, sql_name) from None
    return LibraryTemplate(
        template_id=template_id,
        name=_field(spec, "name", str, where, required=True),
        description=_field(spec, "description", str, where, default="").strip(),
        category=_field(spec, "category", str, where, default="General"),
        sql_template=content.sql_template,
        parameter_definitions=content.parameter_definitions,
        report_type=content.report_type,
        report_config=content.report_config,
        ui_schema=content.ui_schema,
        min_data_age_days=content.min_data_age_days,
        windowed=content.windowed,
    )


def _file_error(errors: dict[str, str], where: str, sql_name: str) -> TemplateDefinitionError:
    """The first problem, naming the file it is in: the SQL's before the YAML's."""
    if "sql_template" in errors:
        return TemplateDefinitionError(f"{sql_name}: {errors['sql_template']}")
    field = next(
        (key for key in errors if key.startswith("parameter_definitions")), next(iter(errors))
    )
    section = field.split(".")[0]
    prefix = f"{section}: " if section in {"parameter_definitions", "report_config"} else ""
    return TemplateDefinitionError(f"{where}: {prefix}{errors[field]}")


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

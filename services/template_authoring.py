"""Templates written in the app: create, change (a new version when what it runs changes),
publish and delete. Library templates (no owner) stay as their files say."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import QueryTemplate, ReportDefinition, ReportExecution
from services.access import require_runner
from services.errors import Conflict, PermissionDenied, ValidationFailed
from services.sql_templates import Dialect
from services.template_checks import (
    TEMPLATE_ID,
    VERSIONED_FIELDS,
    TemplateContent,
    check_content,
)
from services.template_versions import (
    VersionInfo,
    apply_content,
    content_of,
    list_versions,
    record_version,
    save_content,
)
from services.templates import (
    TemplateDetail,
    get_template,
    get_template_row,
    may_edit_template,
)
from services.users import Actor

#: Fields a template's author sets besides its content.
DESCRIPTIVE_FIELDS = ("name", "description", "category")
#: Every field `update_template` accepts.
UPDATABLE = (*DESCRIPTIVE_FIELDS, *VERSIONED_FIELDS)
#: Longest name and category, as the columns hold them.
MAX_NAME = 200
MAX_CATEGORY = 64
#: Longest description kept.
MAX_DESCRIPTION = 5_000


def create_template(
    *,
    session: Session,
    actor: Actor,
    values: Mapping[str, Any],
    preview_columns: Sequence[str] | None = None,
    dialect: Dialect | None = None,
) -> TemplateDetail:
    """A new, unpublished template at version 1, owned by `actor`."""
    _require_author(actor)
    unknown = sorted(set(values) - {"template_id", *UPDATABLE})
    if unknown:
        raise ValidationFailed({name: "Not a template field." for name in unknown})
    errors: dict[str, str] = {}
    described = _descriptive(values, errors, creating=True)
    template_id = _template_id(values.get("template_id"), described.get("name", ""), errors)
    content = _content(values, errors, preview_columns=preview_columns, dialect=dialect)
    if errors or content is None:
        raise ValidationFailed(errors)
    taken = session.scalar(select(QueryTemplate.id).where(QueryTemplate.template_id == template_id))
    if taken is not None:
        raise Conflict(f"The template id {template_id!r} is taken; choose another.")
    template = QueryTemplate(
        template_id=template_id, owner_uuid=actor.id, is_public=False, version=1, **described
    )
    apply_content(template, content)
    session.add(template)
    record_version(session=session, template=template, created_by=actor.id)
    session.flush()
    return get_template(session=session, template_id=template_id, actor=actor)


def update_template(
    *,
    session: Session,
    actor: Actor,
    template_id: str,
    changes: Mapping[str, Any],
    preview_columns: Sequence[str] | None = None,
    dialect: Dialect | None = None,
) -> TemplateDetail:
    """Change a template its author or an admin may edit; a change to what it runs (SQL,
    parameters, report type, widgets, form hints, freshness, windowed) saves a new version."""
    template = _editable(session, actor, template_id)
    unknown = sorted(set(changes) - set(UPDATABLE))
    if unknown:
        raise ValidationFailed(
            {name: "Not a field a template's author changes." for name in unknown}
        )
    errors: dict[str, str] = {}
    described = _descriptive(changes, errors, creating=False)
    content = None
    if set(changes) & set(VERSIONED_FIELDS):
        merged = {
            **content_of(template),
            **{k: changes[k] for k in VERSIONED_FIELDS if k in changes},
        }
        content = _content(merged, errors, preview_columns=preview_columns, dialect=dialect)
    if errors:
        raise ValidationFailed(errors)
    for name, value in described.items():
        setattr(template, name, value)
    if content is not None:
        save_content(session=session, template=template, content=content, created_by=actor.id)
    session.flush()
    return get_template(session=session, template_id=template.template_id, actor=actor)


def delete_template(*, session: Session, actor: Actor, template_id: str) -> None:
    """Delete a template no report uses; its versions go with it."""
    template = _editable(session, actor, template_id)
    reports = session.scalar(
        select(func.count())
        .select_from(ReportDefinition)
        .where(ReportDefinition.template_uuid == template.id)
    )
    if reports:
        raise Conflict(
            f"{_count(reports, 'report')} use this template; delete them before the template."
        )
    runs = session.scalar(
        select(func.count())
        .select_from(ReportExecution)
        .where(ReportExecution.template_uuid == template.id)
    )
    if runs:
        raise Conflict(
            f"This template has {_count(runs, 'run')} in the run history; "
            "it stays so that they can still be read."
        )
    session.delete(template)
    session.flush()


def publish_template(
    *, session: Session, actor: Actor, template_id: str, published: bool = True
) -> TemplateDetail:
    """Make a template visible to everyone (or, `published=False`, to its author and admins
    again). Admins only."""
    if not actor.is_admin:
        raise PermissionDenied("Only an admin can publish a template.")
    template = get_template_row(session=session, template_id=template_id, actor=actor)
    if template.owner_uuid is None:
        raise PermissionDenied("Library templates are always published.")
    template.is_public = published
    session.flush()
    return get_template(session=session, template_id=template.template_id, actor=actor)


def template_versions(*, session: Session, actor: Actor, template_id: str) -> list[VersionInfo]:
    """The versions of a template `actor` may see, newest first, with who and when."""
    template = get_template_row(session=session, template_id=template_id, actor=actor)
    return list_versions(session=session, template=template)


def slug_from_name(name: str) -> str:
    """A template id made from its name: "Sales by day!" → "sales_by_day"."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60].rstrip("_")
    if not slug or not slug[0].isalpha():
        slug = f"t_{slug}".rstrip("_")
    return slug if len(slug) >= 2 else f"{slug}_template"


def _require_author(actor: Actor) -> None:
    require_runner(actor)  # viewers read; analysts and admins write templates


def _editable(session: Session, actor: Actor, template_id: str) -> QueryTemplate:
    _require_author(actor)
    template = get_template_row(session=session, template_id=template_id, actor=actor)
    if template.owner_uuid is None:
        raise PermissionDenied(
            "Library templates stay as their files say; create a new template to change one."
        )
    if not may_edit_template(actor, template):
        raise PermissionDenied("Only the template's author or an admin can change it.")
    return template


def _descriptive(
    values: Mapping[str, Any], errors: dict[str, str], *, creating: bool
) -> dict[str, str]:
    out: dict[str, str] = {}
    if creating or "name" in values:
        name = values.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
            errors["name"] = f"Give the template a name of 1 to {MAX_NAME} characters."
        else:
            out["name"] = name.strip()
    if "description" in values or creating:
        description = values.get("description") or ""
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            errors["description"] = (
                f"A description is text of at most {MAX_DESCRIPTION} characters."
            )
        else:
            out["description"] = description.strip()
    if "category" in values or creating:
        category = values.get("category") or "General"
        if not isinstance(category, str) or not category.strip() or len(category) > MAX_CATEGORY:
            errors["category"] = f"A category has 1 to {MAX_CATEGORY} characters."
        else:
            out["category"] = category.strip()
    return out


def _template_id(given: Any, name: str, errors: dict[str, str]) -> str:
    if given is None or given == "":
        return slug_from_name(name) if name else ""
    if not isinstance(given, str) or not TEMPLATE_ID.fullmatch(given):
        errors["template_id"] = (
            "Use 2 to 64 lower-case letters, digits and _, starting with a letter."
        )
        return ""
    return given


def _content(
    values: Mapping[str, Any],
    errors: dict[str, str],
    *,
    preview_columns: Sequence[str] | None,
    dialect: Dialect | None,
) -> TemplateContent | None:
    raw = {name: values.get(name) for name in VERSIONED_FIELDS if name in values}
    raw.setdefault("windowed", True)  # a template written in the app says so explicitly
    try:
        return check_content(raw, dialect=dialect, preview_columns=preview_columns)
    except ValidationFailed as failed:
        errors.update(failed.errors)
        return None


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def template_spec(*, session: Session, actor: Actor, template_id: str) -> dict[str, Any]:
    """The template in the library's YAML format (with its SQL as `sql_template`), as
    `templates export` writes it and `templates import` reads it back."""
    template = get_template_row(session=session, template_id=template_id, actor=actor)
    return {
        "id": template.template_id,
        "name": template.name,
        "description": template.description,
        "category": template.category,
        "report_type": template.report_type,
        "min_data_age_days": template.min_data_age_days,
        "windowed": template.windowed,
        "parameter_definitions": list(template.parameter_definitions or []),
        "report_config": dict(template.report_config or {}),
        "ui_schema": dict(template.ui_schema or {}),
        "sql_template": template.sql_template,
    }


def import_template(
    *, session: Session, actor: Actor, spec: Mapping[str, Any]
) -> tuple[TemplateDetail, bool]:
    """Create the template `spec` describes (library format, `id` its template id), or
    save it over the existing one; returns it and whether this added a version."""
    values = {key: value for key, value in spec.items() if key != "id"}
    template_id = str(spec["id"])
    exists = session.scalar(
        select(QueryTemplate.id).where(QueryTemplate.template_id == template_id)
    )
    if exists is None:
        made = create_template(
            session=session, actor=actor, values={**values, "template_id": template_id}
        )
        return made, True
    before = get_template_row(session=session, template_id=template_id, actor=actor).version
    changed = update_template(session=session, actor=actor, template_id=template_id, changes=values)
    return changed, changed.version != before

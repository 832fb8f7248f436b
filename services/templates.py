"""Query templates as the UI lists them: the catalogue a user picks a report from."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.models import QueryTemplate
from services.errors import ParameterError, TemplateNotFound
from services.keys import by_id
from services.parameters import (
    METADATA_KINDS,
    ParameterDefinition,
    parse_definitions,
    validate,
)
from services.sql_templates import preview_sql
from services.windows import default_window, freshest_day


@dataclass(frozen=True)
class TemplateSummary:
    """One template as a catalogue card shows it; no SQL, no parameter details."""

    template_id: str
    name: str
    description: str
    category: str
    report_type: str
    parameter_count: int
    min_data_age_days: int
    #: The instance metadata lists (campaigns, asins) its parameters are chosen from.
    metadata_needs: tuple[str, ...] = ()


def fits_instance(needs: Iterable[str], instance_kinds: Iterable[str]) -> bool:
    """A template runs on an instance that has every metadata list it needs."""
    return set(needs) <= set(instance_kinds)


def list_templates(
    *, session: Session, search: str | None = None, category: str | None = None
) -> list[TemplateSummary]:
    """Templates ordered by category then name, optionally narrowed by a search and a category.

    `search` matches anywhere in the name, description or template id, ignoring case;
    a blank search or category filters nothing.
    """
    query = select(QueryTemplate).order_by(
        QueryTemplate.category, QueryTemplate.name, QueryTemplate.template_id
    )
    if search and search.strip():
        term = search.strip().lower()
        query = query.where(
            or_(
                *(
                    column.ilike(f"%{escape_like(term)}%", escape="\\")
                    for column in (
                        QueryTemplate.name,
                        QueryTemplate.description,
                        QueryTemplate.template_id,
                    )
                )
            )
        )
    if category and category.strip():
        query = query.where(QueryTemplate.category == category.strip())
    return [_summary(template) for template in session.scalars(query)]


def escape_like(term: str) -> str:
    """Make `%` and `_` in user input match themselves rather than act as wildcards."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _summary(template: QueryTemplate) -> TemplateSummary:
    return TemplateSummary(
        template_id=template.template_id,
        name=template.name,
        description=template.description,
        category=template.category,
        report_type=template.report_type,
        parameter_count=len(template.parameter_definitions or []),
        min_data_age_days=template.min_data_age_days,
        metadata_needs=_metadata_needs(template.parameter_definitions or []),
    )


def _metadata_needs(definitions: list[Any]) -> tuple[str, ...]:
    """The metadata lists a template's parameters choose from: a campaign_ids parameter
    needs "campaigns" (its type says so; stored definitions carry no options_source)."""
    kinds = {
        str(METADATA_KINDS.get(str(d.get("type"))) or d.get("options_source"))
        for d in definitions
        if isinstance(d, dict) and (d.get("type") in METADATA_KINDS or d.get("options_source"))
    }
    return tuple(sorted(kinds))


@dataclass(frozen=True)
class TemplateDetail:
    """One template with what a form and a client need: parameters, widgets, form hints."""

    uuid: uuid.UUID
    template_id: str
    name: str
    description: str
    category: str
    report_type: str
    parameter_definitions: list[dict[str, Any]]
    report_config: dict[str, Any]
    ui_schema: dict[str, Any]
    min_data_age_days: int
    sql_template: str


@dataclass(frozen=True)
class ParameterCheck:
    """What `validate_parameters` found: field errors, normalized values, readable SQL."""

    valid: bool
    errors: dict[str, str]
    normalized: dict[str, Any]
    preview_sql: str | None


def get_template_row(*, session: Session, template_id: str) -> QueryTemplate:
    """The template by slug or UUID; TemplateNotFound otherwise."""
    template: QueryTemplate | None = session.scalar(
        select(QueryTemplate).where(by_id(QueryTemplate.id, QueryTemplate.template_id, template_id))
    )
    if template is None:
        raise TemplateNotFound(template_id)
    return template


def definitions_of(template: QueryTemplate) -> tuple[ParameterDefinition, ...]:
    return parse_definitions(template.parameter_definitions or [])


def get_template(*, session: Session, template_id: str) -> TemplateDetail:
    template = get_template_row(session=session, template_id=template_id)
    return TemplateDetail(
        uuid=template.id,
        template_id=template.template_id,
        name=template.name,
        description=template.description,
        category=template.category,
        report_type=template.report_type,
        parameter_definitions=[d.to_dict() for d in definitions_of(template)],
        report_config=template.report_config or {},
        ui_schema=template.ui_schema or {},
        min_data_age_days=template.min_data_age_days,
        sql_template=template.sql_template,
    )


def today_in(timezone: str, now: datetime | None = None) -> date:
    """The calendar day in `timezone`: what relative date presets count from."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError(
            "timezone", f"Unknown time zone {timezone!r}; use an IANA name."
        ) from None
    return (now or datetime.now(UTC)).astimezone(zone).date()


def validate_parameters(
    *,
    session: Session,
    template_id: str,
    values: dict[str, Any],
    timezone: str = "UTC",
    window: tuple[datetime, datetime] | None = None,
) -> ParameterCheck:
    """Field-level errors and normalized values; with a valid result, the SQL to read."""
    template = get_template_row(session=session, template_id=template_id)
    definitions = definitions_of(template)
    result = validate(definitions, values, today=today_in(timezone))
    preview = None
    if result.valid:
        if window is None:
            freshest = freshest_day(
                timezone=timezone, data_lag_days=0, min_data_age_days=template.min_data_age_days
            )
            window = default_window(freshest).as_datetimes()
        preview = preview_sql(template.sql_template, definitions, result.normalized, window)
    return ParameterCheck(
        valid=result.valid,
        errors=result.errors,
        normalized=result.normalized,
        preview_sql=preview,
    )

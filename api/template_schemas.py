"""Request and response schemas of template authoring: create, change, publish, versions
and previews. Bounds here are about transport; what makes a template valid is checked by
services/template_checks.py."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from api.inputs import Body
from api.schemas import Out, ParameterDefinition
from services.template_preview import DEFAULT_PREVIEW_ROWS, MAX_PREVIEW_ROWS

#: Longest SQL text accepted, in characters.
MAX_SQL = 100_000
#: Most parameters a template declares.
MAX_DEFINITIONS = 50
#: Most columns a client reports from its preview.
MAX_COLUMNS = 500


class TemplateFields(Body):
    """What an author writes; every field of a PATCH is optional."""

    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5_000)
    category: str | None = Field(None, max_length=64)
    sql_template: str | None = Field(None, max_length=MAX_SQL)
    parameter_definitions: list[dict[str, Any]] | None = Field(
        None, max_length=MAX_DEFINITIONS, description="As in the library's YAML files."
    )
    report_type: str | None = Field(None, max_length=32)
    report_config: dict[str, Any] | None = Field(
        None, description='Dashboard widgets: {"widgets": [{"type", "title", "config"}]}.'
    )
    ui_schema: dict[str, Any] | None = None
    min_data_age_days: int | None = Field(None, ge=0, le=365)
    windowed: bool | None = Field(
        None,
        description="False: the SQL does not use {{ window_start }} / {{ window_end }}.",
    )
    preview_columns: list[str] | None = Field(
        None,
        max_length=MAX_COLUMNS,
        description="The columns a preview returned; when given, widgets must use them.",
    )


class CreateTemplateBody(TemplateFields):
    template_id: str | None = Field(
        None, max_length=64, description="A lower-case slug; made from the name when left out."
    )
    name: str = Field(min_length=1, max_length=200)
    sql_template: str = Field(min_length=1, max_length=MAX_SQL)
    report_type: str = Field("table", max_length=32)


class UpdateTemplateBody(TemplateFields):
    pass


class PreviewBody(Body):
    instance_id: str = Field(min_length=1, max_length=64)
    sql_template: str = Field(min_length=1, max_length=MAX_SQL)
    parameter_definitions: list[dict[str, Any]] = Field(
        default_factory=list, max_length=MAX_DEFINITIONS
    )
    parameters: dict[str, Any] = Field(default_factory=dict, max_length=100)
    row_limit: int = Field(DEFAULT_PREVIEW_ROWS, ge=1, le=MAX_PREVIEW_ROWS)
    windowed: bool = True
    min_data_age_days: int = Field(0, ge=0, le=365)


class AuthoredTemplate(Out):
    """A template with its version and who may change it."""

    template_id: str
    uuid: uuid.UUID
    name: str
    description: str
    category: str
    report_type: str
    parameter_definitions: list[ParameterDefinition]
    report_config: dict[str, Any]
    ui_schema: dict[str, Any]
    min_data_age_days: int
    sql_template: str
    version: int
    windowed: bool
    is_published: bool
    can_edit: bool
    owner_name: str


class TemplateVersion(Out):
    version: int
    created_at: datetime
    created_by_name: str
    created_by_email: str
    is_latest: bool
    report_type: str
    parameter_count: int


class TemplateVersions(Out):
    template_id: str
    items: list[TemplateVersion]


class PreviewStarted(Out):
    preview_id: str = Field(description="Poll GET /templates/previews/{preview_id}.")


class PreviewColumn(Out):
    name: str
    type: str = Field(description="The Arrow type, e.g. int64, string, timestamp[us].")


class Preview(Out):
    preview_id: str
    state: Literal["queued", "running", "finished", "failed"]
    columns: list[PreviewColumn]
    rows: list[dict[str, Any]]
    truncated: bool = Field(description="True when the query had more rows than the limit.")
    error: str | None

"""Request and response schemas of the data-source endpoints (admins) and the schema browser.

The password and the URL are write-only: they appear in request bodies, never in a response.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import ConfigDict, Field

from api.inputs import Body
from api.schemas import Out

SourceEngine = Literal["postgresql", "mysql", "sqlite", "duckdb"]
#: Most characters of an option list's SQL.
MAX_SQL = 100_000


class Connection(Body):
    """Either `url` (a SQLAlchemy URL) or the fields; SQLite and DuckDB need only
    `database` (the file's absolute path). On PATCH, an empty or missing password or URL
    keeps the stored one, and fields left out keep their stored values."""

    url: str | None = Field(
        None,
        max_length=2000,
        description="e.g. mysql+pymysql://user:pass@host:3306/db (write-only)",
    )
    host: str | None = Field(None, max_length=255)
    port: int | None = Field(None, ge=1, le=65535)
    database: str | None = Field(None, max_length=1000)
    user: str | None = Field(None, max_length=255)
    password: str | None = Field(None, max_length=1000, description="Write-only.")
    options: dict[str, str] | None = Field(
        None, max_length=50, description='Driver options, e.g. {"sslmode": "require"}.'
    )


class SourceFields(Body):
    description: str | None = Field(None, max_length=10_000)
    connection: Connection | None = None
    timezone: str | None = Field(None, min_length=1, max_length=64)
    data_lag_days: int | None = Field(None, ge=0, le=1_000_000)
    max_lookback_days: int | None = Field(None, ge=0, le=1_000_000)
    max_concurrency: int | None = Field(None, ge=0, le=1_000_000)
    statement_timeout_seconds: int | None = Field(None, ge=0, le=1_000_000)
    option_lists: dict[str, str] | None = Field(
        None,
        max_length=50,
        description="Named lists for pickers: {name: SQL returning value and label; "
        "`{{ search }}` is the text typed}.",
    )


class CreateSourceBody(SourceFields):
    instance_id: str | None = Field(
        None, max_length=64, description="A slug; made from the name when left out."
    )
    name: str = Field(min_length=1, max_length=200)
    engine: SourceEngine
    connection: Connection


class UpdateSourceBody(SourceFields):
    instance_id: str | None = Field(None, max_length=64, description="Cannot change.")
    name: str | None = Field(None, min_length=1, max_length=200)
    engine: SourceEngine | None = None


class Source(Out):
    instance_id: str
    uuid: uuid.UUID
    name: str
    description: str
    engine: str
    host: str | None
    port: int | None
    database: str | None
    user: str | None
    has_password: bool = Field(description="A password is stored (it is never returned).")
    options: dict[str, str]
    timezone: str
    data_lag_days: int
    max_lookback_days: int
    max_concurrency: int
    statement_timeout_seconds: int
    option_lists: dict[str, str]
    is_active: bool
    report_count: int = Field(description="Reports that run on this source.")
    connection_readable: bool


class SourceList(Out):
    items: list[Source]
    total: int
    page: int
    limit: int


class ConnectionCheck(Out):
    ok: bool
    latency_ms: float
    error: str | None = Field(description="What went wrong, in words; never the password.")


class Column(Out):
    name: str
    type: str


class Table(Out):
    # `schema` would shadow a BaseModel attribute: the field has another name in Python.
    model_config = ConfigDict(from_attributes=True, serialize_by_alias=True, validate_by_name=True)

    schema_: str = Field(alias="schema")
    name: str
    columns: list[Column]


class SourceSchema(Out):
    instance_id: str
    tables: list[Table]
    truncated: bool = Field(description="More tables exist than the list holds.")

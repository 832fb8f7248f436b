"""Read-only views, declared for querying; the migrations create them.

They live in their own MetaData so that `create_all` and Alembic's comparison leave them
alone.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, String, Table, Text, Uuid

from db.base import UTCDateTime

view_metadata = MetaData()

#: One row per report for the reports table (migration 0002).
report_runs_overview = Table(
    "report_runs_overview",
    view_metadata,
    Column("report_uuid", Uuid, primary_key=True),
    Column("report_id", String),
    Column("name", String),
    Column("description", Text),
    Column("frequency", String),
    Column("timezone", String),
    Column("is_active", Boolean),
    Column("owner_uuid", Uuid),
    Column("owner_email", String),
    Column("template_uuid", Uuid),
    Column("template_id", String),
    Column("template_name", String),
    Column("report_type", String),
    Column("instance_uuid", Uuid),
    Column("instance_id", String),
    Column("instance_name", String),
    Column("dashboard_uuid", Uuid),
    Column("dashboard_id", String),
    Column("state", String),  # active | paused | inactive
    Column("schedule_uuid", Uuid),
    Column("schedule_id", String),
    Column("next_run_at", UTCDateTime),
    Column("last_execution_id", String),
    Column("last_status", String),
    Column("last_run_at", UTCDateTime),
    Column("last_completed_at", UTCDateTime),
    Column("execution_count", Integer),
    Column("favorite_count", Integer),
    Column("is_favorite", Integer),  # the owner's star: 1 or 0
    Column("created_at", UTCDateTime),
    Column("updated_at", UTCDateTime),
)

"""Baseline: the schema before the report builder, with the older workflow tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.base import JSONType, UTCDateTime
from db.ddl import (
    add_updated_at_trigger,
    create_updated_at_function,
    drop_updated_at_function,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = ("pending", "running", "completed", "failed", "cancelled")
TABLES_WITH_UPDATED_AT = (
    "users",
    "instances",
    "query_templates",
    "workflows",
    "workflow_executions",
    "dashboards",
    "dashboard_widgets",
    "report_data_collections",
)


def one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}"))


def check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*columns, name=op.f(f"pk_{table}"))


def timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("api_token_hash", sa.String(128), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *timestamps(),
        pk("users", "id"),
        unique("users", "user_id"),
        unique("users", "email"),
        unique("users", "api_token_hash"),
        one_of("users", "role", ("admin", "analyst", "viewer")),
    )
    op.create_table(
        "instances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("instance_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("connection_url_encrypted", sa.Text(), nullable=False),
        sa.Column("data_lag_days", sa.Integer(), nullable=False),
        sa.Column("max_lookback_days", sa.Integer(), nullable=False),
        sa.Column("max_concurrency", sa.Integer(), nullable=False),
        sa.Column("statement_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("metadata_queries", JSONType, nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *timestamps(),
        pk("instances", "id"),
        unique("instances", "instance_id"),
        one_of("instances", "engine", ("duckdb", "postgresql", "sqlite")),
        check("instances", "data_lag_days", "data_lag_days >= 0"),
        check("instances", "max_lookback_days", "max_lookback_days BETWEEN 1 AND 365"),
        check("instances", "max_concurrency", "max_concurrency >= 1"),
        check("instances", "statement_timeout_seconds", "statement_timeout_seconds >= 1"),
        check("instances", "max_attempts", "max_attempts >= 1"),
    )
    op.create_table(
        "instance_access",
        sa.Column("user_uuid", sa.Uuid(), nullable=False),
        sa.Column("instance_uuid", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        pk("instance_access", "user_uuid", "instance_uuid"),
        fk("instance_access", "user_uuid", "users", "CASCADE"),
        fk("instance_access", "instance_uuid", "instances", "CASCADE"),
    )
    op.create_table(
        "query_templates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("template_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("sql_template", sa.Text(), nullable=False),
        sa.Column("parameter_definitions", JSONType, nullable=False),
        sa.Column("min_data_age_days", sa.Integer(), nullable=False),
        sa.Column("owner_uuid", sa.Uuid(), nullable=True),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        *timestamps(),
        pk("query_templates", "id"),
        unique("query_templates", "template_id"),
        fk("query_templates", "owner_uuid", "users", "SET NULL"),
        check("query_templates", "min_data_age_days", "min_data_age_days >= 0"),
    )
    op.create_table(
        "workflows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workflow_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("instance_uuid", sa.Uuid(), nullable=False),
        sa.Column("user_uuid", sa.Uuid(), nullable=True),
        sa.Column("template_uuid", sa.Uuid(), nullable=True),
        sa.Column("sql_query", sa.Text(), nullable=False),
        sa.Column("parameters", JSONType, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *timestamps(),
        pk("workflows", "id"),
        unique("workflows", "workflow_id"),
        fk("workflows", "instance_uuid", "instances", "RESTRICT"),
        fk("workflows", "user_uuid", "users", "SET NULL"),
        fk("workflows", "template_uuid", "query_templates", "SET NULL"),
        one_of("workflows", "status", ("draft", "active", "archived")),
    )
    op.create_table(
        "workflow_executions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("execution_id", sa.String(64), nullable=False),
        sa.Column("workflow_uuid", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("engine_execution_id", sa.String(128), nullable=True),
        sa.Column("parameters", JSONType, nullable=False),
        sa.Column("output_location", sa.Text(), nullable=True),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        *timestamps(),
        pk("workflow_executions", "id"),
        unique("workflow_executions", "execution_id"),
        fk("workflow_executions", "workflow_uuid", "workflows", "CASCADE"),
        one_of("workflow_executions", "status", STATUSES),
    )
    op.create_index(
        op.f("ix_workflow_executions_workflow_uuid"), "workflow_executions", ["workflow_uuid"]
    )
    op.create_table(
        "dashboards",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dashboard_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_uuid", sa.Uuid(), nullable=True),
        *timestamps(),
        pk("dashboards", "id"),
        unique("dashboards", "dashboard_id"),
        fk("dashboards", "owner_uuid", "users", "SET NULL"),
    )
    op.create_table(
        "dashboard_widgets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dashboard_uuid", sa.Uuid(), nullable=False),
        sa.Column("widget_type", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("config", JSONType, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *timestamps(),
        pk("dashboard_widgets", "id"),
        fk("dashboard_widgets", "dashboard_uuid", "dashboards", "CASCADE"),
        one_of("dashboard_widgets", "widget_type", ("kpi", "line", "bar", "area", "table", "pie")),
    )
    op.create_index(
        op.f("ix_dashboard_widgets_dashboard_uuid"), "dashboard_widgets", ["dashboard_uuid"]
    )
    op.create_table(
        "report_data_collections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("collection_id", sa.String(32), nullable=False),
        sa.Column("workflow_uuid", sa.Uuid(), nullable=True),
        sa.Column("instance_uuid", sa.Uuid(), nullable=False),
        sa.Column("user_uuid", sa.Uuid(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total_segments", sa.Integer(), nullable=False),
        sa.Column("completed_segments", sa.Integer(), nullable=False),
        sa.Column("failed_segments", sa.Integer(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        *timestamps(),
        pk("report_data_collections", "id"),
        unique("report_data_collections", "collection_id"),
        fk("report_data_collections", "workflow_uuid", "workflows", "CASCADE"),
        fk("report_data_collections", "instance_uuid", "instances", "RESTRICT"),
        fk("report_data_collections", "user_uuid", "users", "SET NULL"),
        one_of("report_data_collections", "status", STATUSES),
        check("report_data_collections", "date_range", "end_date >= start_date"),
        check(
            "report_data_collections",
            "segment_counts",
            "total_segments >= 0 AND completed_segments >= 0 AND failed_segments >= 0",
        ),
    )
    create_updated_at_function()
    for table in TABLES_WITH_UPDATED_AT:
        add_updated_at_trigger(table)


def downgrade() -> None:
    for table in reversed(
        (
            "users",
            "instances",
            "instance_access",
            "query_templates",
            "workflows",
            "workflow_executions",
            "dashboards",
            "dashboard_widgets",
            "report_data_collections",
        )
    ):
        op.drop_table(table)  # a table's triggers go with it
    drop_updated_at_function()

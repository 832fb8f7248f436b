"""Bring your own data, SQL and people: MySQL sources, template versions, set-password links.

- instances: the engine may be "mysql" (MySQL and MariaDB through PyMySQL).
- query_templates: `version` (the latest saved version) and `windowed` (false: the SQL
  uses no window placeholders); every existing template gets its version 1 row.
- template_versions: one row per saved version of a template (its SQL, parameters,
  widgets), who saved it and when; executions record the version they ran.
- users: a one-time set-password link (hash and expiry), for users an admin creates
  without a password.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

from db.base import JSONType, UTCDateTime
from db.ddl import add_updated_at_trigger, drop_updated_at_trigger

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ENGINES_BEFORE = ("duckdb", "postgresql", "sqlite")
ENGINES_AFTER = ("duckdb", "mysql", "postgresql", "sqlite")
VERSIONED = (
    "sql_template",
    "parameter_definitions",
    "report_type",
    "report_config",
    "ui_schema",
    "min_data_age_days",
)


@contextmanager
def _rebuilding(table: str) -> Iterator[BatchOperations]:
    """Alter `table` in batch mode. SQLite rebuilds it under a temporary name: legacy
    renaming keeps report_runs_overview (which names the table) from being checked
    half-way, and the updated_at trigger is put back on the new table."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA legacy_alter_table = ON")
    drop_updated_at_trigger(table)
    with op.batch_alter_table(table) as batch:
        yield batch
    add_updated_at_trigger(table)
    if sqlite:
        op.execute("PRAGMA legacy_alter_table = OFF")


def _engines(engines: tuple[str, ...]) -> None:
    allowed = ", ".join(f"'{e}'" for e in engines)
    with _rebuilding("instances") as batch:
        batch.drop_constraint(op.f("ck_instances_engine"), type_="check")
        batch.create_check_constraint(op.f("ck_instances_engine"), f"engine IN ({allowed})")


def upgrade() -> None:
    _engines(ENGINES_AFTER)
    op.add_column(
        "query_templates", sa.Column("version", sa.Integer(), nullable=False, server_default="1")
    )
    op.add_column(
        "query_templates",
        sa.Column("windowed", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    versions = op.create_table(
        "template_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("template_uuid", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sql_template", sa.Text(), nullable=False),
        sa.Column("parameter_definitions", JSONType, nullable=False),
        sa.Column("report_type", sa.String(32), nullable=False),
        sa.Column("report_config", JSONType, nullable=False),
        sa.Column("ui_schema", JSONType, nullable=False),
        sa.Column("min_data_age_days", sa.Integer(), nullable=False),
        sa.Column("windowed", sa.Boolean(), nullable=False),
        sa.Column("created_by_uuid", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_versions")),
        sa.ForeignKeyConstraint(
            ["template_uuid"],
            ["query_templates.id"],
            name=op.f("fk_template_versions_template_uuid_query_templates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_uuid"],
            ["users.id"],
            name=op.f("fk_template_versions_created_by_uuid_users"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint(
            "template_uuid", "version", name=op.f("uq_template_versions_template_uuid_version")
        ),
    )
    templates = sa.table(
        "query_templates",
        sa.column("id", sa.Uuid()),
        sa.column("sql_template", sa.Text()),
        sa.column("parameter_definitions", JSONType),
        sa.column("report_type", sa.String()),
        sa.column("report_config", JSONType),
        sa.column("ui_schema", JSONType),
        sa.column("min_data_age_days", sa.Integer()),
    )
    rows = op.get_bind().execute(sa.select(templates)).mappings().all()
    now = datetime.now(UTC)
    op.bulk_insert(
        versions,
        [
            {
                "id": uuid.uuid4(),
                "template_uuid": row["id"],
                "version": 1,
                **{name: row[name] for name in VERSIONED},
                "windowed": True,
                "created_by_uuid": None,
                "created_at": now,
            }
            for row in rows
        ],
    )
    op.add_column("report_executions", sa.Column("template_version", sa.Integer(), nullable=True))
    op.add_column("users", sa.Column("password_token_hash", sa.String(128), nullable=True))
    op.add_column("users", sa.Column("password_token_expires_at", UTCDateTime(), nullable=True))
    op.create_index(op.f("ix_users_password_token_hash"), "users", ["password_token_hash"])


def downgrade() -> None:
    op.drop_index(op.f("ix_users_password_token_hash"), "users")
    with _rebuilding("users") as batch:
        batch.drop_column("password_token_expires_at")
        batch.drop_column("password_token_hash")
    with _rebuilding("report_executions") as batch:
        batch.drop_column("template_version")
    op.drop_table("template_versions")
    with _rebuilding("query_templates") as batch:
        batch.drop_column("windowed")
        batch.drop_column("version")
    mysql = op.get_bind().scalar(sa.text("SELECT count(*) FROM instances WHERE engine = 'mysql'"))
    if mysql:
        raise RuntimeError(
            f"{mysql} MySQL source(s) exist; remove them before downgrading below 0006."
        )
    _engines(ENGINES_BEFORE)

"""Report builder: report definitions, executions, schedules, favorites, backfills by report,
the report_runs_overview view; the workflow tables move to archived_* copies.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.base import JSONType, UTCDateTime
from db.ddl import add_updated_at_trigger, drop_updated_at_trigger

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATUSES = ("pending", "running", "completed", "failed", "cancelled")
FREQUENCIES = ("once", "daily", "weekly", "monthly", "quarterly")
TRIGGERS = ("manual", "schedule", "backfill", "api")
SCHEDULE_TYPES = ("daily", "weekly", "monthly", "quarterly", "custom")
SEGMENT_TYPES = ("daily", "weekly", "monthly", "quarterly")
NEW_TABLES_WITH_UPDATED_AT = ("report_definitions", "report_schedules", "report_executions")

WORKFLOW_COLUMNS = (
    "id, workflow_id, name, description, instance_uuid, user_uuid, template_uuid, "
    "sql_query, parameters, status, created_at, updated_at"
)
WORKFLOW_EXECUTION_COLUMNS = (
    "id, execution_id, workflow_uuid, status, engine_execution_id, parameters, "
    "output_location, row_count, error_message, started_at, completed_at, created_at, updated_at"
)

# Portable SQL (SQLite and PostgreSQL). The latest run is reached through
# last_execution_uuid, so listing does not scan the execution history.
# is_favorite is the owner's star; per-viewer stars are joined by the service.
OVERVIEW_VIEW = """
CREATE VIEW report_runs_overview AS
SELECT
    r.id AS report_uuid,
    r.report_id,
    r.name,
    r.description,
    r.frequency,
    r.timezone,
    r.is_active,
    r.owner_uuid,
    u.email AS owner_email,
    r.template_uuid,
    t.template_id,
    t.name AS template_name,
    t.report_type,
    r.instance_uuid,
    i.instance_id,
    i.name AS instance_name,
    r.dashboard_uuid,
    d.dashboard_id,
    CASE
        WHEN NOT r.is_active THEN 'inactive'
        WHEN s.is_paused THEN 'paused'
        ELSE 'active'
    END AS state,
    s.id AS schedule_uuid,
    s.schedule_id,
    CASE WHEN r.is_active AND NOT s.is_paused THEN s.next_run_at END AS next_run_at,
    e.execution_id AS last_execution_id,
    e.status AS last_status,
    COALESCE(e.started_at, e.created_at) AS last_run_at,
    e.completed_at AS last_completed_at,
    r.execution_count,
    (SELECT COUNT(*) FROM dashboard_favorites f
        WHERE f.dashboard_uuid = r.dashboard_uuid) AS favorite_count,
    CASE WHEN EXISTS (
        SELECT 1 FROM dashboard_favorites f
        WHERE f.dashboard_uuid = r.dashboard_uuid AND f.user_uuid = r.owner_uuid
    ) THEN 1 ELSE 0 END AS is_favorite,
    r.created_at,
    r.updated_at
FROM report_definitions r
JOIN query_templates t ON t.id = r.template_uuid
JOIN instances i ON i.id = r.instance_uuid
JOIN users u ON u.id = r.owner_uuid
LEFT JOIN dashboards d ON d.id = r.dashboard_uuid
LEFT JOIN report_schedules s ON s.report_uuid = r.id AND s.is_active
LEFT JOIN report_executions e ON e.id = r.last_execution_uuid
"""


def one_of(table: str, column: str, values: tuple[str, ...], nullable: bool = False) -> str:
    allowed = ", ".join(f"'{v}'" for v in values)
    condition = f"{column} IN ({allowed})"
    return f"{column} IS NULL OR {condition}" if nullable else condition


def check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.add_column(
        "query_templates",
        sa.Column("report_type", sa.String(32), nullable=False, server_default="table"),
    )
    op.add_column(
        "query_templates",
        sa.Column("report_config", JSONType, nullable=False, server_default=sa.text("'{}'")),
    )
    op.add_column(
        "query_templates",
        sa.Column("ui_schema", JSONType, nullable=False, server_default=sa.text("'{}'")),
    )
    _create_report_definitions()
    _create_report_schedules()
    _collections_by_report()
    _create_report_executions()
    _create_dashboard_favorites()
    for table in NEW_TABLES_WITH_UPDATED_AT:
        add_updated_at_trigger(table)
    op.execute(OVERVIEW_VIEW)
    _archive_workflows()


def _create_report_definitions() -> None:
    table = "report_definitions"
    op.create_table(
        table,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("template_uuid", sa.Uuid(), nullable=False),
        sa.Column("instance_uuid", sa.Uuid(), nullable=False),
        sa.Column("owner_uuid", sa.Uuid(), nullable=False),
        sa.Column("parameters", JSONType, nullable=False),
        sa.Column("frequency", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("notification_emails", JSONType, nullable=False),
        sa.Column("dashboard_uuid", sa.Uuid(), nullable=True),
        sa.Column("last_execution_uuid", sa.Uuid(), nullable=True),
        sa.Column("execution_count", sa.Integer(), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        unique(table, "report_id"),
        fk(table, "template_uuid", "query_templates", "RESTRICT"),
        fk(table, "instance_uuid", "instances", "RESTRICT"),
        fk(table, "owner_uuid", "users", "RESTRICT"),
        fk(table, "dashboard_uuid", "dashboards", "SET NULL"),
        check(table, "frequency", one_of(table, "frequency", FREQUENCIES)),
        check(table, "execution_count", "execution_count >= 0"),
    )
    for column in ("owner_uuid", "instance_uuid", "template_uuid"):
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def _create_report_schedules() -> None:
    table = "report_schedules"
    op.create_table(
        table,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("schedule_id", sa.String(32), nullable=False),
        sa.Column("report_uuid", sa.Uuid(), nullable=False),
        sa.Column("schedule_type", sa.String(16), nullable=False),
        sa.Column("cron_expression", sa.String(120), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("default_parameters", JSONType, nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_run_status", sa.String(16), nullable=True),
        sa.Column("next_run_at", UTCDateTime(), nullable=True),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        unique(table, "schedule_id"),
        fk(table, "report_uuid", "report_definitions", "CASCADE"),
        check(table, "schedule_type", one_of(table, "schedule_type", SCHEDULE_TYPES)),
        check(
            table,
            "last_run_status",
            one_of(table, "last_run_status", STATUSES, nullable=True),
        ),
        check(table, "counts", "run_count >= 0 AND failure_count >= 0"),
    )
    op.create_index(
        op.f("uq_report_schedules_active_report"),
        table,
        ["report_uuid"],
        unique=True,
        sqlite_where=sa.text("is_active"),
        postgresql_where=sa.text("is_active"),
    )
    op.create_index(
        op.f("ix_report_schedules_due"),
        table,
        ["next_run_at"],
        sqlite_where=sa.text("is_active AND NOT is_paused"),
        postgresql_where=sa.text("is_active AND NOT is_paused"),
    )


def _collections_by_report() -> None:
    """Backfills belong to reports now; the link to workflows is archived, then dropped."""
    table = "report_data_collections"
    op.create_table(
        "archived_collection_workflows",
        sa.Column("collection_uuid", sa.Uuid(), nullable=False),
        sa.Column("workflow_uuid", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("collection_uuid", name=op.f("pk_archived_collection_workflows")),
    )
    op.execute(
        "INSERT INTO archived_collection_workflows (collection_uuid, workflow_uuid) "
        f"SELECT id, workflow_uuid FROM {table} WHERE workflow_uuid IS NOT NULL"
    )
    drop_updated_at_trigger(table)  # SQLite's batch mode rebuilds the table without it
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(op.f(f"fk_{table}_workflow_uuid_workflows"), type_="foreignkey")
        batch.drop_column("workflow_uuid")
        batch.add_column(sa.Column("report_uuid", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("segment_type", sa.String(16), nullable=True))
        batch.add_column(sa.Column("max_lookback_days", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f(f"fk_{table}_report_uuid_report_definitions"),
            "report_definitions",
            ["report_uuid"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_check_constraint(
            op.f(f"ck_{table}_segment_type"),
            sa.text(one_of(table, "segment_type", SEGMENT_TYPES, nullable=True)),
        )
        batch.create_check_constraint(
            op.f(f"ck_{table}_max_lookback_days"),
            sa.text("max_lookback_days IS NULL OR max_lookback_days BETWEEN 1 AND 365"),
        )
        batch.create_index(op.f(f"ix_{table}_report_uuid"), ["report_uuid"])
    add_updated_at_trigger(table)


def _create_report_executions() -> None:
    table = "report_executions"
    op.create_table(
        table,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("execution_id", sa.String(32), nullable=False),
        sa.Column("report_uuid", sa.Uuid(), nullable=True),
        sa.Column("template_uuid", sa.Uuid(), nullable=False),
        sa.Column("instance_uuid", sa.Uuid(), nullable=False),
        sa.Column("user_uuid", sa.Uuid(), nullable=True),
        sa.Column("triggered_by", sa.String(16), nullable=False),
        sa.Column("schedule_uuid", sa.Uuid(), nullable=True),
        sa.Column("collection_uuid", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("engine_execution_id", sa.String(128), nullable=True),
        sa.Column("output_location", sa.Text(), nullable=True),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("parameters_snapshot", JSONType, nullable=False),
        sa.Column("time_window_start", UTCDateTime(), nullable=True),
        sa.Column("time_window_end", UTCDateTime(), nullable=True),
        sa.Column("scheduled_for", UTCDateTime(), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        unique(table, "execution_id"),
        unique(table, "schedule_uuid", "scheduled_for"),
        unique(table, "collection_uuid", "time_window_start", "attempt"),
        fk(table, "report_uuid", "report_definitions", "CASCADE"),
        fk(table, "template_uuid", "query_templates", "RESTRICT"),
        fk(table, "instance_uuid", "instances", "RESTRICT"),
        fk(table, "user_uuid", "users", "SET NULL"),
        fk(table, "schedule_uuid", "report_schedules", "SET NULL"),
        fk(table, "collection_uuid", "report_data_collections", "SET NULL"),
        check(table, "status", one_of(table, "status", STATUSES)),
        check(table, "triggered_by", one_of(table, "triggered_by", TRIGGERS)),
        check(table, "attempt", "attempt >= 1"),
        check(
            table,
            "time_window",
            "time_window_end IS NULL OR time_window_start IS NULL "
            "OR time_window_end > time_window_start",
        ),
    )
    op.create_index(
        op.f("ix_report_executions_report_created"), table, ["report_uuid", "created_at"]
    )
    op.create_index(op.f("ix_report_executions_status"), table, ["status"])
    op.create_index(op.f("ix_report_executions_started_at"), table, ["started_at"])
    op.create_index(op.f("ix_report_executions_created_at"), table, ["created_at"])
    op.create_index(
        op.f("ix_report_executions_instance_status"), table, ["instance_uuid", "status"]
    )
    # report_definitions and report_executions refer to each other: the second key comes
    # once both tables exist (SQLite rebuilds the still empty report_definitions for it).
    with op.batch_alter_table("report_definitions") as batch:
        batch.create_foreign_key(
            op.f("fk_report_definitions_last_execution_uuid_report_executions"),
            "report_executions",
            ["last_execution_uuid"],
            ["id"],
            ondelete="SET NULL",
        )


def _create_dashboard_favorites() -> None:
    table = "dashboard_favorites"
    op.create_table(
        table,
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dashboard_uuid", sa.Uuid(), nullable=False),
        sa.Column("user_uuid", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        unique(table, "dashboard_uuid", "user_uuid"),
        fk(table, "dashboard_uuid", "dashboards", "CASCADE"),
        fk(table, "user_uuid", "users", "CASCADE"),
    )
    op.create_index(op.f(f"ix_{table}_user_uuid"), table, ["user_uuid"])


def _workflow_tables(prefix: str) -> None:
    """The workflow tables' columns; `prefix` "archived_" makes the key-less archive copies."""
    archived = bool(prefix)
    extra = [sa.Column("archived_at", UTCDateTime(), nullable=True)] if archived else []
    keys: list[sa.Constraint] = []
    if not archived:
        keys = [
            sa.UniqueConstraint("workflow_id", name=op.f("uq_workflows_workflow_id")),
            fk("workflows", "instance_uuid", "instances", "RESTRICT"),
            fk("workflows", "user_uuid", "users", "SET NULL"),
            fk("workflows", "template_uuid", "query_templates", "SET NULL"),
            check(
                "workflows",
                "status",
                one_of("workflows", "status", ("draft", "active", "archived")),
            ),
        ]
    op.create_table(
        f"{prefix}workflows",
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
        *extra,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{prefix}workflows")),
        *keys,
    )
    execution_keys: list[sa.Constraint] = []
    if not archived:
        execution_keys = [
            sa.UniqueConstraint("execution_id", name=op.f("uq_workflow_executions_execution_id")),
            fk("workflow_executions", "workflow_uuid", "workflows", "CASCADE"),
            check(
                "workflow_executions",
                "status",
                one_of("workflow_executions", "status", STATUSES),
            ),
        ]
    op.create_table(
        f"{prefix}workflow_executions",
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
        *extra,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{prefix}workflow_executions")),
        *execution_keys,
    )
    if not archived:
        op.create_index(
            op.f("ix_workflow_executions_workflow_uuid"),
            "workflow_executions",
            ["workflow_uuid"],
        )


def _archive_workflows() -> None:
    """Copy every workflow row into the archive, then drop the live tables."""
    _workflow_tables("archived_")
    now = "CURRENT_TIMESTAMP"
    op.execute(
        f"INSERT INTO archived_workflows ({WORKFLOW_COLUMNS}, archived_at) "
        f"SELECT {WORKFLOW_COLUMNS}, {now} FROM workflows"
    )
    op.execute(
        f"INSERT INTO archived_workflow_executions ({WORKFLOW_EXECUTION_COLUMNS}, archived_at) "
        f"SELECT {WORKFLOW_EXECUTION_COLUMNS}, {now} FROM workflow_executions"
    )
    op.drop_table("workflow_executions")
    op.drop_table("workflows")


def _restore_workflows() -> None:
    _workflow_tables("")
    op.execute(
        f"INSERT INTO workflows ({WORKFLOW_COLUMNS}) "
        f"SELECT {WORKFLOW_COLUMNS} FROM archived_workflows"
    )
    op.execute(
        f"INSERT INTO workflow_executions ({WORKFLOW_EXECUTION_COLUMNS}) "
        f"SELECT {WORKFLOW_EXECUTION_COLUMNS} FROM archived_workflow_executions"
    )
    op.drop_table("archived_workflow_executions")
    op.drop_table("archived_workflows")
    add_updated_at_trigger("workflows")
    add_updated_at_trigger("workflow_executions")


def downgrade() -> None:
    _restore_workflows()
    op.execute("DROP VIEW report_runs_overview")
    with op.batch_alter_table("report_definitions") as batch:
        batch.drop_constraint(
            op.f("fk_report_definitions_last_execution_uuid_report_executions"),
            type_="foreignkey",
        )
    op.drop_table("report_executions")
    op.drop_table("dashboard_favorites")
    table = "report_data_collections"
    drop_updated_at_trigger(table)
    with op.batch_alter_table(table) as batch:
        batch.drop_index(op.f(f"ix_{table}_report_uuid"))
        batch.drop_constraint(op.f(f"ck_{table}_max_lookback_days"), type_="check")
        batch.drop_constraint(op.f(f"ck_{table}_segment_type"), type_="check")
        batch.drop_constraint(
            op.f(f"fk_{table}_report_uuid_report_definitions"), type_="foreignkey"
        )
        batch.drop_column("max_lookback_days")
        batch.drop_column("segment_type")
        batch.drop_column("report_uuid")
        batch.add_column(sa.Column("workflow_uuid", sa.Uuid(), nullable=True))
        batch.create_foreign_key(
            op.f(f"fk_{table}_workflow_uuid_workflows"),
            "workflows",
            ["workflow_uuid"],
            ["id"],
            ondelete="CASCADE",
        )
    add_updated_at_trigger(table)
    op.execute(
        f"UPDATE {table} SET workflow_uuid = (SELECT a.workflow_uuid "
        "FROM archived_collection_workflows a "
        f"WHERE a.collection_uuid = {table}.id)"
    )
    op.drop_table("archived_collection_workflows")
    op.drop_table("report_schedules")
    op.drop_table("report_definitions")
    drop_updated_at_trigger("query_templates")
    with op.batch_alter_table("query_templates") as batch:
        batch.drop_column("ui_schema")
        batch.drop_column("report_config")
        batch.drop_column("report_type")
    add_updated_at_trigger("query_templates")

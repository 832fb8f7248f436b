"""Typed ORM models of the metadata database, as the head migration leaves it.

Naming: every table has a UUID primary key `id`; people-facing tables also carry a slug
named as in DESIGN.md (`report_id` = ``rpt_ab12cd34``, `template_id`, `instance_id` …).
Foreign-key columns end in `_uuid` (`report_uuid` → report_definitions.id), so a column
called `report_id` is always the slug, never a key of another table.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, JSONType, UTCDateTime, new_slug, new_uuid, utcnow

#: Allowed values of every enumerated column; the migrations hold their own frozen copies.
ROLES = ("admin", "analyst", "viewer")
ENGINES = ("duckdb", "mysql", "postgresql", "sqlite")
FREQUENCIES = ("once", "daily", "weekly", "monthly", "quarterly")
EXECUTION_STATUSES = ("pending", "running", "completed", "failed", "cancelled")
TRIGGERS = ("manual", "schedule", "backfill", "api")
SCHEDULE_TYPES = ("daily", "weekly", "monthly", "quarterly", "custom")
SEGMENT_TYPES = ("daily", "weekly", "monthly", "quarterly")
COLLECTION_STATUSES = (*EXECUTION_STATUSES, "partial")
WIDGET_TYPES = ("kpi", "line", "bar", "area", "table", "pie")
#: AMC keeps at most a year of history; so do backfills.
MAX_LOOKBACK_DAYS = 365


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _check(column: str, values: tuple[str, ...]) -> CheckConstraint:
    return CheckConstraint(_in(column, values), name=column)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (_check("role", ROLES),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    user_id: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_slug("usr"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), default="analyst")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    api_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: SHA-256 of a one-time set-password link's token, and when the link stops working.
    password_token_hash: Mapped[str | None] = mapped_column(String(128), index=True)
    password_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Instance(TimestampMixin, Base):
    __tablename__ = "instances"
    __table_args__ = (
        _check("engine", ENGINES),
        CheckConstraint("data_lag_days >= 0", name="data_lag_days"),
        CheckConstraint(
            f"max_lookback_days BETWEEN 1 AND {MAX_LOOKBACK_DAYS}", name="max_lookback_days"
        ),
        CheckConstraint("max_concurrency >= 1", name="max_concurrency"),
        CheckConstraint("statement_timeout_seconds >= 1", name="statement_timeout_seconds"),
        CheckConstraint("max_attempts >= 1", name="max_attempts"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    instance_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    engine: Mapped[str] = mapped_column(String(16))
    #: Fernet token of the SQLAlchemy URL; never logged or returned.
    connection_url_encrypted: Mapped[str] = mapped_column(Text)
    data_lag_days: Mapped[int] = mapped_column(Integer, default=0)
    max_lookback_days: Mapped[int] = mapped_column(Integer, default=MAX_LOOKBACK_DAYS)
    max_concurrency: Mapped[int] = mapped_column(Integer, default=10)
    statement_timeout_seconds: Mapped[int] = mapped_column(Integer, default=300)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    #: {"campaigns": "SELECT value, label …", "asins": "…"}: the metadata queries.
    metadata_queries: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class InstanceAccess(Base):
    __tablename__ = "instance_access"

    user_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    instance_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueryTemplate(TimestampMixin, Base):
    """A template as of its latest version (`version`); older versions are TemplateVersion
    rows. `is_public`: published, visible to everyone (else to its owner and admins)."""

    __tablename__ = "query_templates"
    __table_args__ = (CheckConstraint("min_data_age_days >= 0", name="min_data_age_days"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    template_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(64), default="General")
    sql_template: Mapped[str] = mapped_column(Text)
    parameter_definitions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    report_type: Mapped[str] = mapped_column(String(32), default="table")
    report_config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ui_schema: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    min_data_age_days: Mapped[int] = mapped_column(Integer, default=0)
    owner_uuid: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The latest saved version; every save that changes the SQL, parameters or widgets adds one.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: False: the SQL uses no window placeholders (it reads a fixed or parameter-given range).
    windowed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class TemplateVersion(Base):
    """One saved version of a template: what an execution of that version ran."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_uuid", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    template_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("query_templates.id", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    sql_template: Mapped[str] = mapped_column(Text)
    parameter_definitions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    report_type: Mapped[str] = mapped_column(String(32))
    report_config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ui_schema: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    min_data_age_days: Mapped[int] = mapped_column(Integer, default=0)
    windowed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_uuid: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dashboard(TimestampMixin, Base):
    __tablename__ = "dashboards"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    dashboard_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: new_slug("dsh")
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_uuid: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    widgets: Mapped[list[DashboardWidget]] = relationship(
        back_populates="dashboard",
        order_by="DashboardWidget.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class DashboardWidget(TimestampMixin, Base):
    __tablename__ = "dashboard_widgets"
    __table_args__ = (_check("widget_type", WIDGET_TYPES),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    dashboard_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dashboards.id", ondelete="CASCADE"), index=True
    )
    widget_type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    position: Mapped[int] = mapped_column(Integer, default=0)
    dashboard: Mapped[Dashboard] = relationship(back_populates="widgets")


class DashboardFavorite(Base):
    __tablename__ = "dashboard_favorites"
    __table_args__ = (UniqueConstraint("dashboard_uuid", "user_uuid"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    dashboard_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dashboards.id", ondelete="CASCADE")
    )
    user_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportDefinition(TimestampMixin, Base):
    __tablename__ = "report_definitions"
    __table_args__ = (
        _check("frequency", FREQUENCIES),
        CheckConstraint("execution_count >= 0", name="execution_count"),
        Index("ix_report_definitions_owner_uuid", "owner_uuid"),
        Index("ix_report_definitions_instance_uuid", "instance_uuid"),
        Index("ix_report_definitions_template_uuid", "template_uuid"),
        # The reports table's default order: newest change first (migration 0004).
        Index("ix_report_definitions_updated_at", text("updated_at DESC"), "report_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    report_id: Mapped[str] = mapped_column(String(32), unique=True, default=lambda: new_slug("rpt"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    template_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("query_templates.id", ondelete="RESTRICT")
    )
    instance_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("instances.id", ondelete="RESTRICT")
    )
    owner_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    frequency: Mapped[str] = mapped_column(String(16), default="once")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    notification_emails: Mapped[list[str]] = mapped_column(JSONType, default=list)
    dashboard_uuid: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dashboards.id", ondelete="SET NULL")
    )
    last_execution_uuid: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("report_executions.id", ondelete="SET NULL", use_alter=True)
    )
    execution_count: Mapped[int] = mapped_column(Integer, default=0)

    template: Mapped[QueryTemplate] = relationship()
    instance: Mapped[Instance] = relationship()
    owner: Mapped[User] = relationship()
    dashboard: Mapped[Dashboard | None] = relationship()
    schedules: Mapped[list[ReportSchedule]] = relationship(
        back_populates="report", cascade="all, delete-orphan", passive_deletes=True
    )
    executions: Mapped[list[ReportExecution]] = relationship(
        back_populates="report",
        foreign_keys="ReportExecution.report_uuid",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ReportExecution(TimestampMixin, Base):
    __tablename__ = "report_executions"
    __table_args__ = (
        _check("status", EXECUTION_STATUSES),
        _check("triggered_by", TRIGGERS),
        CheckConstraint("attempt >= 1", name="attempt"),
        CheckConstraint(
            "time_window_end IS NULL OR time_window_start IS NULL "
            "OR time_window_end > time_window_start",
            name="time_window",
        ),
        # A schedule slot exists once, whatever races.
        UniqueConstraint("schedule_uuid", "scheduled_for"),
        # A backfill segment exists once per attempt; a retry is a new attempt, and the
        # old one stays in history.
        UniqueConstraint("collection_uuid", "time_window_start", "attempt"),
        Index("ix_report_executions_report_created", "report_uuid", "created_at"),
        Index("ix_report_executions_status", "status"),
        Index("ix_report_executions_started_at", "started_at"),
        Index("ix_report_executions_created_at", "created_at"),
        Index("ix_report_executions_instance_status", "instance_uuid", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    execution_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: new_slug("exe")
    )
    report_uuid: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("report_definitions.id", ondelete="CASCADE")
    )
    template_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("query_templates.id", ondelete="RESTRICT")
    )
    instance_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("instances.id", ondelete="RESTRICT")
    )
    user_uuid: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    triggered_by: Mapped[str] = mapped_column(String(16), default="manual")
    schedule_uuid: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("report_schedules.id", ondelete="SET NULL")
    )
    collection_uuid: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("report_data_collections.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")
    engine_execution_id: Mapped[str | None] = mapped_column(String(128))
    output_location: Mapped[str | None] = mapped_column(Text)
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    error_message: Mapped[str | None] = mapped_column(Text)
    parameters_snapshot: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    time_window_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_window_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    #: The template version the run used (NULL for runs made before versions existed).
    template_version: Mapped[int | None] = mapped_column(Integer)
    #: NULL while held back (concurrency limit, retry backoff); set when enqueued.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Written every few seconds by the worker running it (see services.run_worker).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: A held run is not released before this time (retry backoff).
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    report: Mapped[ReportDefinition | None] = relationship(
        back_populates="executions", foreign_keys=[report_uuid]
    )
    template: Mapped[QueryTemplate] = relationship()
    instance: Mapped[Instance] = relationship()


class ReportSchedule(TimestampMixin, Base):
    __tablename__ = "report_schedules"
    __table_args__ = (
        _check("schedule_type", SCHEDULE_TYPES),
        CheckConstraint(
            f"last_run_status IS NULL OR {_in('last_run_status', EXECUTION_STATUSES)}",
            name="last_run_status",
        ),
        CheckConstraint("run_count >= 0 AND failure_count >= 0", name="counts"),
        # At most one active schedule per report.
        Index(
            "uq_report_schedules_active_report",
            "report_uuid",
            unique=True,
            sqlite_where=text("is_active"),
            postgresql_where=text("is_active"),
        ),
        # The tick's scan: due, active, unpaused schedules.
        Index(
            "ix_report_schedules_due",
            "next_run_at",
            sqlite_where=text("is_active AND NOT is_paused"),
            postgresql_where=text("is_active AND NOT is_paused"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    schedule_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: new_slug("sch")
    )
    report_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("report_definitions.id", ondelete="CASCADE")
    )
    schedule_type: Mapped[str] = mapped_column(String(16))
    cron_expression: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    default_parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_status: Mapped[str | None] = mapped_column(String(16))
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    run_count: Mapped[int] = mapped_column(Integer, default=0)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)

    report: Mapped[ReportDefinition] = relationship(back_populates="schedules")


class ReportDataCollection(TimestampMixin, Base):
    """A backfill: one report over a range cut into segments, one execution per segment."""

    __tablename__ = "report_data_collections"
    __table_args__ = (
        _check("status", COLLECTION_STATUSES),
        CheckConstraint(
            f"segment_type IS NULL OR {_in('segment_type', SEGMENT_TYPES)}", name="segment_type"
        ),
        CheckConstraint(
            f"max_lookback_days IS NULL OR max_lookback_days BETWEEN 1 AND {MAX_LOOKBACK_DAYS}",
            name="max_lookback_days",
        ),
        CheckConstraint("end_date >= start_date", name="date_range"),
        CheckConstraint(
            "total_segments >= 0 AND completed_segments >= 0 AND failed_segments >= 0",
            name="segment_counts",
        ),
        Index("ix_report_data_collections_report_uuid", "report_uuid"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_uuid)
    collection_id: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: new_slug("col")
    )
    # Nullable: collections made by the archived workflow system have no report.
    report_uuid: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("report_definitions.id", ondelete="CASCADE")
    )
    instance_uuid: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("instances.id", ondelete="RESTRICT")
    )
    user_uuid: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    segment_type: Mapped[str | None] = mapped_column(String(16))
    max_lookback_days: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    total_segments: Mapped[int] = mapped_column(Integer, default=0)
    completed_segments: Mapped[int] = mapped_column(Integer, default=0)
    failed_segments: Mapped[int] = mapped_column(Integer, default=0)
    error_message: Mapped[str | None] = mapped_column(Text)
    #: When the e-mail about the backfill's end went out; NULL until then.
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

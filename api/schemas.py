"""Response schemas: what each endpoint returns, defined once. Views serialize through them
and api/openapi.py publishes their JSON Schema, so the document cannot drift from the code.

Models read service dataclasses by attribute (`Execution.model_validate(info)`); fields a
client relies on are listed in issue 5, and timestamps serialize as ISO 8601 UTC.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ExecutionStatus = Literal["pending", "running", "completed", "failed", "cancelled"]
BackfillStatus = Literal["pending", "running", "completed", "partial", "failed", "cancelled"]
Trigger = Literal["manual", "schedule", "backfill", "api"]
RunKind = Literal["daily", "weekly", "monthly", "quarterly", "custom", "backfill", "once"]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- errors -------------------------------------------------------------------------------


class ErrorDetail(Out):
    code: str = Field(description="Stable machine-readable code, e.g. `validation_failed`.")
    message: str = Field(description="A sentence safe to show a user.")
    details: dict[str, Any] = Field(
        description="More about the error; 422s carry `fields`: {field: message}."
    )


class ErrorResponse(Out):
    error: ErrorDetail
    request_id: str


# --- templates ----------------------------------------------------------------------------


class Option(Out):
    value: Any
    label: str


class ParameterDefinition(Out):
    name: str
    type: str
    label: str
    required: bool
    default: Any = None
    options: list[Option] | None = None
    options_source: str | None = Field(
        None,
        description="The instance option list the options come from: campaigns (campaign_ids),"
        " asins (asins) or an option_list's own; search it with GET /metadata/options?list=.",
    )
    item_type: str | None = Field(None, description="integer: a list of numeric ids.")
    min: float | None = None
    max: float | None = None
    help: str | None = None
    pattern: str | None = None
    max_length: int | None = None
    max_items: int | None = None
    placeholder: str | None = None


class TemplateSummary(Out):
    template_id: str
    name: str
    description: str
    category: str
    report_type: str
    parameter_count: int
    min_data_age_days: int


class TemplatePage(Out):
    items: list[TemplateSummary]
    total: int
    page: int
    limit: int


class Template(Out):
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


class ParameterValidation(Out):
    valid: bool
    errors: dict[str, str]
    normalized: dict[str, Any]
    preview_sql: str | None = Field(description="The SQL with values shown, for reading only.")


# --- executions ---------------------------------------------------------------------------


class Execution(Out):
    execution_id: str
    uuid: uuid.UUID
    report_id: str | None
    template_id: str
    instance_id: str
    triggered_by: Trigger
    status: ExecutionStatus
    scheduled_for: datetime | None
    time_window_start: datetime | None
    time_window_end: datetime | None
    row_count: int | None
    size_bytes: int | None
    error_message: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    attempt: int
    parameters: dict[str, Any]
    template_version: int | None = Field(
        None, description="The template version the run used; null for runs made before."
    )


class ExecutionPage(Out):
    items: list[Execution]
    total: int
    page: int
    limit: int


class ResultRows(Out):
    execution_id: str
    columns: list[str]
    rows: list[dict[str, Any]]
    total_rows: int = Field(description="Rows in the whole result; `rows` holds the first ones.")
    limit: int


# --- reports, schedules, backfills ----------------------------------------------------------


class Report(Out):
    report_id: str
    uuid: uuid.UUID
    name: str
    description: str
    template_id: str
    template_name: str
    report_type: str
    instance_id: str
    instance_name: str
    owner_email: str
    frequency: str
    timezone: str
    is_active: bool
    state: Literal["active", "paused", "inactive"]
    dashboard_id: str | None
    schedule_id: str | None
    last_execution_id: str | None
    last_status: str | None
    last_run_at: datetime | None
    next_run_at: datetime | None
    execution_count: int
    is_favorite: bool
    created_at: datetime
    updated_at: datetime
    parameters: dict[str, Any]
    notification_emails: list[str]
    run_kind: RunKind = Field(
        description="How the report runs: its active schedule's type, else `backfill` if it "
        "was ever backfilled, else `once`. `frequency` alone says `once` for a custom cron."
    )


class ReportPage(Out):
    items: list[Report]
    total: int
    page: int
    limit: int


class Schedule(Out):
    schedule_id: str
    uuid: uuid.UUID
    report_id: str
    schedule_type: str
    cron_expression: str
    timezone: str
    default_parameters: dict[str, Any]
    is_active: bool
    is_paused: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_run_status: str | None
    run_count: int
    failure_count: int
    description: str = Field("", description="The cron in words, e.g. 'At 06:00, only on Monday'.")
    time_of_day: str | None = Field(None, description="HH:MM of a typed schedule.")
    weekday: int | None = Field(None, description="Weekly: 0 = Monday … 6 = Sunday.")
    day_of_month: int | None = None


class PreviewRun(Out):
    local: str = Field(description="ISO 8601 in the schedule's time zone, with its offset.")
    utc: str = Field(description="ISO 8601 in UTC, ending in Z.")


class SchedulePreview(Out):
    timezone: str
    runs: list[PreviewRun]


class BackfillSummary(Out):
    collection_id: str
    uuid: uuid.UUID
    report_id: str | None
    status: BackfillStatus = Field(
        description="running until every segment has ended; then completed (all completed), "
        "partial (some completed, some failed or cancelled), failed (none completed), or "
        "cancelled (the backfill itself was cancelled)."
    )
    segment_type: str | None
    start_date: date
    end_date: date
    total_segments: int
    completed_segments: int
    failed_segments: int
    cancelled_segments: int
    running_segments: int
    progress: float = Field(description="Ended segments / all segments, 0 to 1.")
    summary: str = Field(description="Each state counted: '11 completed, 1 failed of 12'.")
    created_at: datetime


class Backfill(BackfillSummary):
    segments: list[Execution] = Field(description="The newest attempt of each segment, in order.")
    partial_segments: list[str] = Field(
        description="Execution ids of the segments clipped at the range's ends."
    )


class PlannedSegment(Out):
    """One segment of a dry run; its window is half-open: window_end is the day after."""

    window_start: date = Field(description="First day of the segment.")
    window_end: date = Field(description="The day after its last day (half-open window).")
    action: Literal["create", "skip"]
    partial: bool = Field(description="Clipped at the range's ends: not a whole period.")
    reason: str = Field(description="Why a segment is skipped: completed, running, never run.")


class BackfillDryRun(Out):
    """A dry run: the segments the backfill would create or skip; nothing was created."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_serialization_defaults_required=True
    )

    dry_run: Literal[True] = True
    start_date: date
    end_date: date
    segment_type: str
    reprocess: str
    segments: list[PlannedSegment]


class ReportDetail(Report):
    recent_executions: list[Execution]
    schedule: Schedule | None
    backfills: list[BackfillSummary]


class ReportCreated(Out):
    report_id: str
    uuid: uuid.UUID
    dashboard_id: str | None
    execution_id: str | None = None
    schedule_id: str | None = None
    collection_id: str | None = None
    report: Report


# --- instances and metadata ---------------------------------------------------------------


class Instance(Out):
    instance_id: str
    uuid: uuid.UUID
    name: str
    description: str
    engine: str
    data_lag_days: int
    max_lookback_days: int
    max_concurrency: int
    timezone: str
    metadata_kinds: list[str]


class InstanceList(Out):
    items: list[Instance]
    total: int
    page: int
    limit: int


class OptionPage(Out):
    items: list[Option]
    total: int
    page: int
    limit: int


# --- dashboards ---------------------------------------------------------------------------


class DashboardSummary(Out):
    dashboard_id: str
    uuid: uuid.UUID
    name: str
    report_id: str
    report_name: str
    template_name: str
    instance_id: str
    is_favorite: bool
    favorited_at: datetime | None
    widget_count: int
    last_run_at: datetime | None
    updated_at: datetime


class DashboardPage(Out):
    items: list[DashboardSummary]
    total: int
    page: int
    limit: int


class Widget(Out):
    type: str
    title: str
    config: dict[str, Any]
    position: int


class DashboardData(Out):
    columns: list[str]
    rows: list[dict[str, Any]]
    total_rows: int
    truncated: bool = Field(description="True when max_rows cut the data (newest kept).")
    run_count: int


class Dashboard(Out):
    dashboard_id: str
    uuid: uuid.UUID
    name: str
    description: str
    report_id: str
    report_name: str
    template_name: str
    instance_id: str
    is_favorite: bool
    widgets: list[Widget]
    data: DashboardData


class FavoriteState(Out):
    dashboard_id: str
    is_favorite: bool


# --- admin --------------------------------------------------------------------------------


class QueueStats(Out):
    name: str
    queued: int
    started: int
    failed: int
    scheduled: int


class WorkerInfo(Out):
    name: str
    state: str
    current_job_id: str | None
    heartbeat_age_seconds: float | None
    queues: list[str]


class FailedJob(Out):
    job_id: str
    queue: str
    func: str | None
    exc_summary: str | None
    ended_at: datetime | None


class LateSchedule(Out):
    schedule_id: str
    report_id: str
    next_run_at: datetime
    late_seconds: float


class QueueOverview(Out):
    queues: list[QueueStats]
    workers: list[WorkerInfo]
    scheduler_last_tick: datetime | None
    scheduler_healthy: bool
    failed_jobs: list[FailedJob]
    late_schedules: list[LateSchedule]
    checked_at: datetime


class RequeuedJob(Out):
    job_id: str
    queue: str
    status: Literal["queued"] = "queued"

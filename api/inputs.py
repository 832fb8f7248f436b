"""Request schemas: query strings and JSON bodies, defined once. The views validate with them
and api/openapi.py publishes them. Bodies refuse unknown fields; queries ignore them.

Bounds here are about transport (lengths, page sizes); what a value means (a known time
zone, a valid cron, a template's parameters) is checked by the services.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.paging import DEFAULT_LIMIT, MAX_LIMIT
from services.reports import SORTABLE

Frequency = Literal["once", "daily", "weekly", "monthly", "quarterly"]
Period = Literal["daily", "weekly", "monthly", "quarterly"]
ScheduleType = Literal["daily", "weekly", "monthly", "quarterly", "custom"]
RunPreset = Literal[
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "previous_week",
    "previous_month",
    "previous_quarter",
    "month_to_date",
]
SortColumn = Literal[SORTABLE]  # type: ignore[valid-type]

#: Pages beyond this are refused: an offset must fit the databases' 64-bit integers.
MAX_PAGE = 1_000_000
#: Most characters of a short text field (ids, names, searches, time zones).
SHORT_TEXT = 200
#: Parameters are a mapping of at most this many names.
MAX_PARAMETERS = 100


def _text_id() -> Any:
    """A required id, as a slug or a UUID."""
    return Field(min_length=1, max_length=64)


def _parameters() -> Any:
    return Field(default_factory=dict, max_length=MAX_PARAMETERS)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore")


class PageQuery(Query):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


# --- templates ----------------------------------------------------------------------------


class TemplatesQuery(PageQuery):
    category: str | None = Field(None, max_length=SHORT_TEXT)
    report_type: str | None = Field(None, max_length=SHORT_TEXT)
    instance_id: str | None = Field(
        None, max_length=64, description="Only when this instance is usable by the caller."
    )
    search: str | None = Field(None, max_length=SHORT_TEXT)


class TimeWindow(Body):
    """Whole days, both included; the end is capped by data freshness."""

    start: date | None = None
    end: date | None = None


class ValidateParametersBody(Body):
    parameters: dict[str, Any] = _parameters()
    timezone: str = Field("UTC", min_length=1, max_length=64)
    time_window: TimeWindow | None = None


class ExecuteBody(Body):
    instance_id: str = _text_id()
    parameters: dict[str, Any] = _parameters()
    time_window: TimeWindow | None = None
    timezone: str = Field("UTC", min_length=1, max_length=64)


# --- reports ------------------------------------------------------------------------------


class BackfillBody(Body):
    segment: Period = Field("weekly", description="Calendar-aligned segment length.")
    lookback_days: int | None = Field(
        None, ge=1, le=365, description="Days back from end_date; or give start_date."
    )
    start_date: date | None = Field(
        None, description="First day included (instead of lookback_days)."
    )
    end_date: date | None = Field(None, description="Last day included; capped by freshness.")
    reprocess: Literal["missing", "failed", "all"] = Field(
        "missing",
        description="Segments that ran before: run those never completed (missing), those "
        "whose latest run failed or was cancelled (failed), or all of them (all).",
    )
    dry_run: bool = Field(
        False, description="List the segments it would create (and skip); create nothing."
    )


class RunSpec(Body):
    """How a new report runs: once now, on a schedule, or as a backfill."""

    type: Literal["once", "recurring", "backfill"]
    frequency: Period | None = Field(None, description="recurring: the schedule's period.")
    timezone: str | None = Field(None, min_length=1, max_length=64)
    cron_expression: str | None = Field(None, min_length=1, max_length=120)
    time_of_day: str | None = Field(None, min_length=1, max_length=5, description="HH:MM")
    weekday: int | None = Field(None, ge=0, le=6, description="weekly: 0 = Monday … 6 = Sunday.")
    day_of_month: int | None = Field(
        None, ge=1, le=28, description="monthly and quarterly: the day of the month."
    )
    execute_now: bool | None = Field(
        None, description="Run once right away (default: true for once, false otherwise)."
    )
    backfill: BackfillBody | None = None


class CreateReportBody(Body):
    template_id: str = _text_id()
    instance_id: str = _text_id()
    name: str = Field(min_length=1, max_length=SHORT_TEXT)
    description: str = Field("", max_length=10_000)
    parameters: dict[str, Any] = _parameters()
    timezone: str | None = Field(None, min_length=1, max_length=64)
    notification_emails: list[str] = Field(default_factory=list, max_length=50)
    run: RunSpec | None = None


class ReportsQuery(PageQuery):
    instance_id: str | None = Field(None, max_length=64)
    owner_id: str | None = Field(None, max_length=320, description="E-mail or UUID (admins).")
    state: Literal["active", "paused", "inactive"] | None = None
    frequency: Frequency | None = None
    search: str | None = Field(None, max_length=SHORT_TEXT)
    sort: SortColumn = "updated_at"
    order: Literal["asc", "desc"] = "desc"


class UpdateReportBody(Body):
    name: str | None = Field(None, max_length=SHORT_TEXT)
    description: str | None = Field(None, max_length=10_000)
    parameters: dict[str, Any] | None = Field(None, max_length=MAX_PARAMETERS)
    frequency: Frequency | None = None
    timezone: str | None = Field(None, min_length=1, max_length=64)
    notification_emails: list[str] | None = Field(None, max_length=50)
    is_active: bool | None = None


class RunReportBody(Body):
    parameters: dict[str, Any] = Field(
        default_factory=dict, max_length=MAX_PARAMETERS, description="Overrides for this run."
    )
    time_window: TimeWindow | None = None
    preset: RunPreset | None = Field(
        None,
        description="A date range relative to the latest complete data (not with time_window).",
    )


class RetryBackfillBody(Body):
    segment_ids: list[str] | None = Field(
        None, max_length=1000, description="Failed segments to retry; all of them when absent."
    )


# --- schedules ----------------------------------------------------------------------------


class CreateScheduleBody(Body):
    schedule_type: ScheduleType
    cron_expression: str | None = Field(None, min_length=1, max_length=120)
    time_of_day: str | None = Field(None, min_length=1, max_length=5, description="HH:MM")
    weekday: int | None = Field(None, ge=0, le=6, description="weekly: 0 = Monday … 6 = Sunday.")
    day_of_month: int | None = Field(None, ge=1, le=28, description="monthly and quarterly.")
    timezone: str | None = Field(None, min_length=1, max_length=64)
    default_parameters: dict[str, Any] = _parameters()


class UpdateScheduleBody(Body):
    is_paused: bool | None = None
    schedule_type: ScheduleType | None = None
    cron_expression: str | None = Field(None, min_length=1, max_length=120)
    time_of_day: str | None = Field(None, min_length=1, max_length=5, description="HH:MM")
    weekday: int | None = Field(None, ge=0, le=6, description="weekly: 0 = Monday … 6 = Sunday.")
    day_of_month: int | None = Field(None, ge=1, le=28, description="monthly and quarterly.")
    timezone: str | None = Field(None, min_length=1, max_length=64)
    default_parameters: dict[str, Any] | None = Field(None, max_length=MAX_PARAMETERS)


class PreviewQuery(Query):
    n: int = Field(5, ge=1, le=50, description="How many runs to show.")


# --- executions and metadata --------------------------------------------------------------


class ExecutionsQuery(PageQuery):
    report_id: str | None = Field(None, max_length=64)
    instance_id: str | None = Field(None, max_length=64)
    status: str | None = Field(
        None, max_length=SHORT_TEXT, description="One status or several, comma-separated."
    )
    triggered_by: Literal["manual", "schedule", "backfill", "api"] | None = None
    start_date: date | None = Field(None, description="Requested on or after this day (UTC).")
    end_date: date | None = Field(None, description="Requested on or before this day (UTC).")


class ResultsQuery(Query):
    limit: int = Field(100, ge=1, le=1000)


class MetadataQuery(Query):
    instance_id: str = _text_id()
    search: str = Field("", max_length=SHORT_TEXT)
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


class OptionListQuery(MetadataQuery):
    list_name: str = Field(
        alias="list",
        pattern=r"^[a-z][a-z0-9_]{0,63}$",
        description="The option list's name (an option_list parameter's options_source).",
    )


# --- dashboards ---------------------------------------------------------------------------


class DashboardsQuery(PageQuery):
    report_id: str | None = Field(None, max_length=64)
    favorites_only: bool = False


class DashboardQuery(Query):
    max_rows: int = Field(10_000, ge=1, le=50_000, description="Most data rows returned.")


class ExportQuery(Query):
    format: Literal["csv", "xlsx"] = "csv"

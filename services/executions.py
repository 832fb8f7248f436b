"""Runs: request (validate, snapshot, pending row, enqueue after commit), list and read them.
Results are read in services/run_results.py; the worker's side is services/run_lifecycle.py."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from redis import Redis
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db.models import (
    EXECUTION_STATUSES,
    TRIGGERS,
    Instance,
    QueryTemplate,
    ReportDataCollection,
    ReportDefinition,
    ReportExecution,
)
from services.access import require_runner, visible_executions
from services.errors import (
    Conflict,
    ExecutionNotFound,
    ParameterError,
    ValidationFailed,
)
from services.instances import get_instance
from services.keys import by_id
from services.paging import DEFAULT_LIMIT, Page, fetch_page
from services.parameter_validation import validate
from services.reports import get_report_row
from services.runtime import enqueue_execution
from services.templates import definitions_of, get_template_row, today_in
from services.users import Actor
from services.windows import (
    Window,
    default_window,
    freshest_day,
    midnight,
    preset_window,
    requested_window,
)

log = logging.getLogger(__name__)

ACTIVE_STATUSES = ("pending", "running")


@dataclass(frozen=True)
class ExecutionInfo:
    execution_id: str
    uuid: uuid.UUID
    report_id: str | None
    template_id: str
    instance_id: str
    triggered_by: str
    status: str
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
    output_location: str | None
    #: The template version it ran (None: run before versions were recorded).
    template_version: int | None = None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.completed_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()


def _select_info() -> Any:
    return (
        select(
            ReportExecution,
            ReportDefinition.report_id,
            QueryTemplate.template_id,
            Instance.instance_id,
        )
        .join(QueryTemplate, QueryTemplate.id == ReportExecution.template_uuid)
        .join(Instance, Instance.id == ReportExecution.instance_uuid)
        .outerjoin(ReportDefinition, ReportDefinition.id == ReportExecution.report_uuid)
    )


def _info(row: Any) -> ExecutionInfo:
    execution: ReportExecution = row[0]
    return ExecutionInfo(
        execution_id=execution.execution_id,
        uuid=execution.id,
        report_id=row.report_id,
        template_id=row.template_id,
        instance_id=row.instance_id,
        triggered_by=execution.triggered_by,
        status=execution.status,
        scheduled_for=execution.scheduled_for,
        time_window_start=execution.time_window_start,
        time_window_end=execution.time_window_end,
        row_count=execution.row_count,
        size_bytes=execution.size_bytes,
        error_message=execution.error_message,
        created_at=execution.created_at,
        started_at=execution.started_at,
        completed_at=execution.completed_at,
        attempt=execution.attempt,
        parameters=dict(execution.parameters_snapshot or {}),
        output_location=execution.output_location,
        template_version=execution.template_version,
    )


def get_execution_row(*, session: Session, actor: Actor, execution_id: str) -> ReportExecution:
    statement = visible_executions(
        select(ReportExecution).where(
            by_id(ReportExecution.id, ReportExecution.execution_id, execution_id)
        ),
        actor,
    )
    execution: ReportExecution | None = session.scalar(statement)
    if execution is None:
        raise ExecutionNotFound(execution_id)
    return execution


def get_execution(*, session: Session, actor: Actor, execution_id: str) -> ExecutionInfo:
    execution = get_execution_row(session=session, actor=actor, execution_id=execution_id)
    return execution_info(session=session, execution_uuid=execution.id)


def execution_info(*, session: Session, execution_uuid: uuid.UUID) -> ExecutionInfo:
    """An execution by primary key, without an authorization check (workers, services)."""
    return _info(session.execute(_select_info().where(ReportExecution.id == execution_uuid)).one())


def list_executions(
    *,
    session: Session,
    actor: Actor,
    report_id: str | None = None,
    instance_id: str | None = None,
    status: str | None = None,
    triggered_by: str | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    collection_uuid: uuid.UUID | None = None,
    page: int = 1,
    limit: int = DEFAULT_LIMIT,
    history_order: bool = False,
) -> Page[ExecutionInfo]:
    """Executions newest first; dates filter on the day each was requested (inclusive).

    `history_order` (a report's run history): running ones first, then newest first with a
    backfill's segments together, in window order.
    """
    statement = visible_executions(_select_info(), actor)
    if report_id:
        report = get_report_row(session=session, actor=actor, report_id=report_id)
        statement = statement.where(ReportExecution.report_uuid == report.id)
    if instance_id:
        statement = statement.where(Instance.instance_id == instance_id)
    if status:
        statuses = [s.strip() for s in status.split(",") if s.strip()]
        if not set(statuses) <= set(EXECUTION_STATUSES):
            raise ParameterError("status", f"Choose from: {', '.join(EXECUTION_STATUSES)}.")
        statement = statement.where(ReportExecution.status.in_(statuses))
    if triggered_by:
        if triggered_by not in TRIGGERS:
            raise ParameterError("triggered_by", f"Choose one of: {', '.join(TRIGGERS)}.")
        statement = statement.where(ReportExecution.triggered_by == triggered_by)
    if start_date:
        statement = statement.where(ReportExecution.created_at >= midnight(start_date))
    if end_date:
        next_day = midnight(end_date + timedelta(days=1))
        statement = statement.where(ReportExecution.created_at < next_day)
    if collection_uuid:
        statement = statement.where(ReportExecution.collection_uuid == collection_uuid)
    order: list[Any] = [ReportExecution.created_at.desc(), ReportExecution.execution_id]
    if history_order:
        started = select(ReportDataCollection.created_at).where(
            ReportDataCollection.id == ReportExecution.collection_uuid
        )
        order = [
            case((ReportExecution.status == "running", 0), else_=1),
            func.coalesce(started.scalar_subquery(), ReportExecution.created_at).desc(),
            ReportExecution.time_window_start,
            *order,
        ]
    return fetch_page(session, statement.order_by(*order), page=page, limit=limit, item=_info)


def _resolve(
    *,
    template: QueryTemplate,
    instance: Instance,
    values: dict[str, Any],
    timezone: str,
    start: date | None,
    end: date | None,
    preset: str | None = None,
) -> tuple[dict[str, Any], Window]:
    """Validated values (presets resolved) and the window, capped by data freshness and
    by the instance's history."""
    result = validate(definitions_of(template), values, today=today_in(timezone))
    if not result.valid:
        raise ValidationFailed(result.errors)
    return result.normalized, run_window(
        template=template, instance=instance, start=start, end=end, preset=preset
    )


def run_window(
    *,
    template: QueryTemplate,
    instance: Instance,
    start: date | None = None,
    end: date | None = None,
    preset: str | None = None,
    now: datetime | None = None,
) -> Window:
    """The window a one-off run covers: a preset, explicit days, or the default window."""
    freshest = freshest_day(
        timezone=instance.timezone,
        data_lag_days=instance.data_lag_days,
        min_data_age_days=template.min_data_age_days,
        now=now,
    )
    if preset:
        if start is not None or end is not None:
            raise ParameterError("preset", "Choose a preset or explicit dates, not both.")
        return preset_window(preset, freshest, max_days=instance.max_lookback_days)
    if start is None and end is None:
        return default_window(freshest)
    return requested_window(start, end, freshest, max_days=instance.max_lookback_days)


def new_execution(
    *,
    session: Session,
    template: QueryTemplate,
    instance: Instance,
    snapshot: dict[str, Any],
    window: Window,
    triggered_by: str,
    user_uuid: uuid.UUID | None,
    report: ReportDefinition | None = None,
    **fields: Any,
) -> ReportExecution:
    """A pending execution row, flushed but not committed; the caller commits, then enqueues."""
    window_start, window_end = window.as_datetimes()
    execution = ReportExecution(
        report_uuid=report.id if report else None,
        template_uuid=template.id,
        instance_uuid=instance.id,
        user_uuid=user_uuid,
        triggered_by=triggered_by,
        status="pending",
        parameters_snapshot=snapshot,
        time_window_start=window_start,
        time_window_end=window_end,
        template_version=template.version,  # reports follow the latest version
        **fields,
    )
    session.add(execution)
    session.flush()
    if report is not None:
        report.last_execution_uuid = execution.id
        report.execution_count = ReportDefinition.execution_count + 1
    return execution


def submit(session: Session, redis: Redis | None, executions: list[ReportExecution]) -> None:
    """Commit the pending rows, then enqueue them; a Redis failure loses nothing (the
    reconciler enqueues what is still pending)."""
    ids = [e.execution_id for e in executions]
    queued_at = datetime.now(UTC)
    for execution in executions:
        execution.queued_at = queued_at
    session.commit()
    if redis is None:
        return
    for execution_id in ids:
        try:
            enqueue_execution(redis, execution_id)
        except Exception:  # the row is safe: the reconciler enqueues it again
            log.warning(
                "enqueue failed; the reconciler will retry", extra={"execution_id": execution_id}
            )


def run_template(
    *,
    session: Session,
    redis: Redis | None,
    actor: Actor,
    template_id: str,
    instance_id: str,
    parameters: dict[str, Any] | None = None,
    start: date | None = None,
    end: date | None = None,
    timezone: str = "UTC",
    triggered_by: str = "manual",
) -> ExecutionInfo:
    """An ad-hoc run of a template on an instance, without a report."""
    require_runner(actor)
    template = get_template_row(session=session, template_id=template_id, actor=actor)
    instance = get_instance(session=session, actor=actor, instance_id=instance_id)
    snapshot, window = _resolve(
        template=template,
        instance=instance,
        values=parameters or {},
        timezone=timezone,
        start=start,
        end=end,
    )
    execution = new_execution(
        session=session,
        template=template,
        instance=instance,
        snapshot=snapshot,
        window=window,
        triggered_by=triggered_by,
        user_uuid=actor.id,
    )
    submit(session, redis, [execution])
    return execution_info(session=session, execution_uuid=execution.id)


def run_report(
    *,
    session: Session,
    redis: Redis | None,
    actor: Actor,
    report_id: str,
    overrides: dict[str, Any] | None = None,
    start: date | None = None,
    end: date | None = None,
    preset: str | None = None,
    triggered_by: str = "manual",
) -> ExecutionInfo:
    """Run a report now with its saved parameters, `overrides` on top (this run only)."""
    execution = new_report_run(
        session=session,
        actor=actor,
        report_id=report_id,
        overrides=overrides,
        start=start,
        end=end,
        preset=preset,
        triggered_by=triggered_by,
    )
    submit(session, redis, [execution])
    return execution_info(session=session, execution_uuid=execution.id)


def new_report_run(
    *,
    session: Session,
    actor: Actor,
    report_id: str,
    overrides: dict[str, Any] | None = None,
    start: date | None = None,
    end: date | None = None,
    preset: str | None = None,
    triggered_by: str = "manual",
) -> ReportExecution:
    """The pending run of a report, flushed but not committed (see `submit`)."""
    require_runner(actor)
    report = get_report_row(session=session, actor=actor, report_id=report_id)
    if not report.is_active:
        raise Conflict("The report is inactive; activate it before running it.")
    if overrides is not None and not isinstance(overrides, dict):
        raise ParameterError("parameters", "Parameters are a mapping of name to value.")
    template = session.get_one(QueryTemplate, report.template_uuid)
    instance = get_instance(session=session, actor=actor, instance_id=str(report.instance_uuid))
    snapshot, window = _resolve(
        template=template,
        instance=instance,
        values={**report.parameters, **(overrides or {})},
        timezone=report.timezone,
        start=start,
        end=end,
        preset=preset,
    )
    return new_execution(
        session=session,
        template=template,
        instance=instance,
        snapshot=snapshot,
        window=window,
        triggered_by=triggered_by,
        user_uuid=actor.id,
        report=report,
    )

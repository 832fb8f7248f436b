"""What a page left open asks: did anything it shows change, is a run in flight, when is the
next schedule due, and which failed runs still need a look.

`activity` is the question a live page asks on every tick of its poll, so it stays cheap
whatever the history's length: one statement of aggregates over indexed columns (and
`next_due`'s one-row lookup). Finished runs never change again, so a run's change shows
either as a newer run or among the few pending and running ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from db.models import ReportDataCollection, ReportDefinition, ReportExecution, ReportSchedule
from services.access import visible_executions, visible_reports
from services.executions import ACTIVE_STATUSES, ExecutionInfo, execution_info
from services.paging import DEFAULT_LIMIT
from services.reports import get_report_row
from services.schedules import next_due
from services.users import Actor
from services.windows import midnight


@dataclass(frozen=True)
class Activity:
    #: Changes whenever a run, backfill, schedule or report in view changes, or a slot passes.
    signature: str
    #: A run in view is pending or running.
    in_flight: bool
    #: The earliest next run of a schedule in view (in the past while not started yet).
    wake_at: datetime | None


def activity(
    *, session: Session, actor: Actor, report_id: str | None = None, now: datetime | None = None
) -> Activity:
    """What has changed among the reports `actor` sees (one report with `report_id`)."""
    now = now or datetime.now(UTC)
    reports = visible_reports(select(ReportDefinition.id), actor)
    runs = visible_executions(select(ReportExecution), actor)
    if report_id is not None:
        report = get_report_row(session=session, actor=actor, report_id=report_id)
        reports = reports.where(ReportDefinition.id == report.id)
        runs = runs.where(ReportExecution.report_uuid == report.id)
    active = runs.where(ReportExecution.status.in_(ACTIVE_STATUSES))
    row = session.execute(
        select(
            _aggregate(runs, func.max(ReportExecution.created_at)),
            _aggregate(active, func.count()),
            _aggregate(active, func.max(ReportExecution.updated_at)),
            _aggregate(reports, func.count()),
            _aggregate(reports, func.max(ReportDefinition.updated_at)),
            *_children(ReportSchedule, reports),
            *_children(ReportDataCollection, reports),
        )
    ).one()
    wake_at = next_due(session=session, actor=actor, report_id=report_id)
    # A slot that passes changes what "next runs" lists even when the tick is late.
    due = wake_at is not None and wake_at <= now
    digest = hashlib.sha256(repr((*row, due)).encode()).hexdigest()[:16]
    return Activity(signature=digest, in_flight=bool(row[1]), wake_at=wake_at)


def _aggregate(statement: Select[Any], aggregate: Any) -> Any:
    """`aggregate` over the rows `statement` selects, as a scalar subquery."""
    # maintain_column_froms: count() names no table, so keep the FROM of the old columns.
    return (
        statement.with_only_columns(aggregate, maintain_column_froms=True)
        .order_by(None)
        .scalar_subquery()
    )


def _children(model: type[ReportSchedule | ReportDataCollection], reports: Select[Any]) -> Any:
    """How many rows of `model` belong to `reports`, and when the latest changed."""
    rows = select(model).where(model.report_uuid.in_(reports))
    return (
        _aggregate(rows, func.count()),
        _aggregate(rows, func.max(model.updated_at)),
    )


def unresolved_failures(
    *, session: Session, actor: Actor, since: date, limit: int = DEFAULT_LIMIT
) -> list[ExecutionInfo]:
    """Failed runs requested since `since`, newest first, less those made good: a run of the
    same report over the same window, requested later, completed."""
    later = aliased(ReportExecution)
    made_good = (
        select(later.id)
        .where(
            later.report_uuid == ReportExecution.report_uuid,
            later.time_window_start == ReportExecution.time_window_start,
            later.time_window_end == ReportExecution.time_window_end,
            later.created_at > ReportExecution.created_at,
            later.status == "completed",
        )
        .exists()
    )
    statement = (
        visible_executions(select(ReportExecution.id), actor)
        .where(
            ReportExecution.status == "failed",
            ReportExecution.created_at >= midnight(since),
            ~made_good,
        )
        .order_by(ReportExecution.created_at.desc(), ReportExecution.execution_id)
        .limit(limit)
    )
    return [
        execution_info(session=session, execution_uuid=uuid)
        for uuid in session.scalars(statement).all()
    ]

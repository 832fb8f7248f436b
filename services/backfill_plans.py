"""Backfill plans: a past range cut into calendar-aligned segments, and which of them a
backfill would run (its dry run)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import MAX_LOOKBACK_DAYS, SEGMENT_TYPES, Instance, QueryTemplate, ReportExecution
from services.errors import ParameterError
from services.reports import get_report_row
from services.users import Actor
from services.windows import Window, check_history, earliest_day, freshest_day, requested_window


def next_boundary(day: date, segment_type: str) -> date:
    """The first day of the segment after the one holding `day`."""
    if segment_type == "daily":
        return day + timedelta(days=1)
    if segment_type == "weekly":  # ISO weeks: Monday to Sunday
        return day + timedelta(days=7 - day.weekday())
    months = 1 if segment_type == "monthly" else 3
    first_month = day.month - 1 if segment_type == "monthly" else 3 * ((day.month - 1) // 3)
    index = day.year * 12 + first_month + months
    return date(index // 12, index % 12 + 1, 1)


def segments(window: Window, segment_type: str) -> list[Window]:
    """`window` cut at calendar boundaries; the first and last pieces are clipped."""
    if segment_type not in SEGMENT_TYPES:
        raise ParameterError("segment_type", f"Choose one of: {', '.join(SEGMENT_TYPES)}.")
    pieces: list[Window] = []
    start = window.start
    while start < window.end:
        end = min(next_boundary(start, segment_type), window.end)
        pieces.append(Window(start, end))
        start = end
    return pieces


def backfill_window(lookback_days: int, end_date: date, freshest: date) -> Window:
    """The `lookback_days` whole days ending with `end_date` (capped by freshness)."""
    if not 1 <= lookback_days <= MAX_LOOKBACK_DAYS:
        raise ParameterError("lookback_days", f"Look back between 1 and {MAX_LOOKBACK_DAYS} days.")
    last = min(end_date, freshest)
    return Window(last - timedelta(days=lookback_days - 1), last + timedelta(days=1))


def is_whole_segment(window: Window, segment_type: str) -> bool:
    """Whether `window` is a whole calendar segment (a first or last one may be clipped)."""
    if segment_type == "daily":
        return window.days == 1
    first = window.start
    aligned = {
        "weekly": first.weekday() == 0,
        "monthly": first.day == 1,
        "quarterly": first.day == 1 and first.month in (1, 4, 7, 10),
    }.get(segment_type, False)
    return aligned and window.end == next_boundary(first, segment_type)


#: What a backfill does with segments that ran before: run only those never completed,
#: only those whose latest run failed or was cancelled, or all of them again.
REPROCESS_MODES = ("missing", "failed", "all")


@dataclass(frozen=True)
class PlannedSegment:
    """One segment a backfill would make: its window, and whether it runs ("create") or
    is left as it is ("skip", with why)."""

    window_start: date
    window_end: date
    action: str
    partial: bool
    reason: str = ""

    @property
    def window(self) -> Window:
        return Window(self.window_start, self.window_end)


@dataclass(frozen=True)
class BackfillPlanInfo:
    """What a backfill would do (a dry run): the range and every segment."""

    start_date: date
    end_date: date
    segment_type: str
    reprocess: str
    segments: list[PlannedSegment]

    @property
    def to_create(self) -> list[PlannedSegment]:
        return [s for s in self.segments if s.action == "create"]


def plan_backfill(
    *,
    session: Session,
    actor: Actor,
    report_id: str,
    segment_type: str,
    lookback_days: int | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    reprocess: str = "missing",
    now: datetime | None = None,
) -> BackfillPlanInfo:
    """The segments a backfill of the report would make, without making them.

    The range is `lookback_days` whole days ending with `end_date`, or the days
    `start_date`..`end_date`; either way its end is capped by data freshness and its start
    by the instance's history (max_lookback_days).
    """
    report = get_report_row(session=session, actor=actor, report_id=report_id)
    return plan_segments(
        session=session,
        template=session.get_one(QueryTemplate, report.template_uuid),
        instance=session.get_one(Instance, report.instance_uuid),
        report_uuid=report.id,
        segment_type=segment_type,
        lookback_days=lookback_days,
        start_date=start_date,
        end_date=end_date,
        reprocess=reprocess,
        now=now,
    )


def plan_segments(
    *,
    session: Session,
    template: QueryTemplate,
    instance: Instance,
    report_uuid: uuid.UUID | None,
    segment_type: str,
    lookback_days: int | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    reprocess: str = "missing",
    now: datetime | None = None,
) -> BackfillPlanInfo:
    """`plan_backfill` for a template on an instance; `report_uuid` None: a report not made
    yet, whose segments have never run."""
    if reprocess not in REPROCESS_MODES:
        raise ParameterError("reprocess", f"Choose one of: {', '.join(REPROCESS_MODES)}.")
    if segment_type not in SEGMENT_TYPES:
        raise ParameterError("segment_type", f"Choose one of: {', '.join(SEGMENT_TYPES)}.")
    freshest = freshest_day(
        timezone=instance.timezone,
        data_lag_days=instance.data_lag_days,
        min_data_age_days=template.min_data_age_days,
        now=now,
    )
    window = _range(instance, freshest, lookback_days, start_date, end_date)
    done = _latest_by_window(session, report_uuid) if report_uuid is not None else {}
    planned = []
    for piece in segments(window, segment_type):
        status = done.get(piece.start, {}).get(piece.end)
        action, reason = _action(status, reprocess)
        planned.append(
            PlannedSegment(
                window_start=piece.start,
                window_end=piece.end,
                action=action,
                partial=not is_whole_segment(piece, segment_type),
                reason=reason,
            )
        )
    return BackfillPlanInfo(
        start_date=window.start,
        end_date=window.last_day,
        segment_type=segment_type,
        reprocess=reprocess,
        segments=planned,
    )


def _range(
    instance: Instance,
    freshest: date,
    lookback_days: int | None,
    start_date: date | None,
    end_date: date | None,
) -> Window:
    if start_date is not None:
        if lookback_days is not None:
            raise ParameterError("lookback_days", "Give a lookback or a start date, not both.")
        return requested_window(
            start_date,
            end_date,
            freshest,
            max_days=instance.max_lookback_days,
            field="start_date",
        )
    if lookback_days is None:
        raise ParameterError("lookback_days", "Give a lookback in days, or a start date.")
    if lookback_days > instance.max_lookback_days:
        raise ParameterError(
            "lookback_days", f"This instance keeps {instance.max_lookback_days} days of history."
        )
    if end_date is not None and end_date < earliest_day(freshest, instance.max_lookback_days):
        raise ParameterError(
            "end_date", f"This instance keeps {instance.max_lookback_days} days of history."
        )
    window = backfill_window(lookback_days, end_date or freshest, freshest)
    check_history(window.start, freshest, instance.max_lookback_days, field="lookback_days")
    return window


def _latest_by_window(session: Session, report_uuid: uuid.UUID) -> dict[date, dict[date, str]]:
    """Window start → window end → the status that counts for the report's runs of that
    window: completed if any run of it completed, else the newest run's status."""
    rows = session.execute(
        select(
            ReportExecution.time_window_start,
            ReportExecution.time_window_end,
            ReportExecution.status,
        )
        .where(ReportExecution.report_uuid == report_uuid)
        .order_by(ReportExecution.created_at)
    ).all()
    found: dict[date, dict[date, str]] = {}
    for start, end, status in rows:
        if start is None or end is None:
            continue
        by_end = found.setdefault(start.date(), {})
        if by_end.get(end.date()) != "completed":
            by_end[end.date()] = status
    return found


def _action(status: str | None, reprocess: str) -> tuple[str, str]:
    """("create" | "skip", why) for a segment whose window last ended with `status`."""
    if reprocess == "all":
        return "create", ""
    if status in ("pending", "running"):
        return "skip", "running"
    if reprocess == "missing":
        return ("skip", "completed") if status == "completed" else ("create", "")
    if status in ("failed", "cancelled"):
        return "create", ""
    return "skip", "completed" if status == "completed" else "never run"

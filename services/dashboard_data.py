"""A report's combined results, as its dashboard shows them: the newest completed run of
each time window, stacked into one Arrow table whose rows carry their run's window.

A re-run replaces its window and a backfill's segments stack up, each row tagged with
`window_start` / `window_end`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ReportExecution
from services.results import ResultsStore

log = logging.getLogger(__name__)

#: The columns every data row gets: the run's half-open window [window_start, window_end).
WINDOW_COLUMNS = ("window_start", "window_end")
_WINDOW_TYPE = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class CombinedTable:
    """The combined rows, oldest window first."""

    table: pa.Table
    #: True when `max_rows` cut the data; the newest windows are the ones kept.
    truncated: bool
    #: Runs (one per time window) the rows come from.
    run_count: int


def newest_per_window(session: Session, report_uuid: uuid.UUID) -> list[ReportExecution]:
    """Completed runs whose windows do not overlap, the newest run winning each clash;
    newest window first.

    A run whose window overlaps a newer run's (a 30-day ad-hoc run across weekly
    segments) is left out, so no day is counted twice.
    """
    runs = session.scalars(
        select(ReportExecution)
        .where(
            ReportExecution.report_uuid == report_uuid,
            ReportExecution.status == "completed",
            ReportExecution.output_location.is_not(None),
        )
        .order_by(ReportExecution.completed_at.desc(), ReportExecution.created_at.desc())
    ).all()
    kept: list[ReportExecution] = []
    for run in runs:  # newest first
        if not any(_overlap(run, newer) for newer in kept):
            kept.append(run)
    return sorted(kept, key=_window_key, reverse=True)


def _overlap(one: ReportExecution, other: ReportExecution) -> bool:
    if None in (one.time_window_start, one.time_window_end):
        return (one.time_window_start, one.time_window_end) == (
            other.time_window_start,
            other.time_window_end,
        )
    if None in (other.time_window_start, other.time_window_end):
        return False
    assert one.time_window_start and one.time_window_end
    assert other.time_window_start and other.time_window_end
    return (
        one.time_window_start < other.time_window_end
        and other.time_window_start < one.time_window_end
    )


def _window_key(run: ReportExecution) -> tuple[datetime, datetime]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return (run.time_window_start or oldest, run.time_window_end or oldest)


def combined_table(
    session: Session, store: ResultsStore, report_uuid: uuid.UUID, max_rows: int
) -> CombinedTable:
    """At most `max_rows` rows of the report's newest run per window. The newest windows
    are read first, so a cut keeps the most recent data; a missing file is skipped."""
    pieces: list[pa.Table] = []
    remaining = max_rows
    truncated = False
    for run in newest_per_window(session, report_uuid):
        if remaining <= 0:
            truncated = True
            break
        assert run.output_location is not None
        try:
            table = store.read_table(run.output_location, limit=remaining)
        except FileNotFoundError:
            log.warning("result file missing", extra={"execution_id": run.execution_id})
            continue
        if run.row_count is not None and table.num_rows < run.row_count:
            truncated = True
        remaining -= table.num_rows
        pieces.append(with_window(table, run))
    pieces.reverse()
    if not pieces:
        empty = pa.table({name: pa.array([], type=_WINDOW_TYPE) for name in WINDOW_COLUMNS})
        return CombinedTable(empty, truncated, 0)
    combined = pa.concat_tables(pieces, promote_options="permissive")
    return CombinedTable(combined, truncated, len(pieces))


def with_window(table: pa.Table, run: ReportExecution) -> pa.Table:
    """`table` with the run's window as its last two columns."""
    for name in WINDOW_COLUMNS:
        if name in table.column_names:  # the run's own window wins over a same-named column
            table = table.drop_columns([name])
    for name, value in zip(
        WINDOW_COLUMNS, (run.time_window_start, run.time_window_end), strict=True
    ):
        table = table.append_column(
            pa.field(name, _WINDOW_TYPE), pa.array([value] * table.num_rows, type=_WINDOW_TYPE)
        )
    return table

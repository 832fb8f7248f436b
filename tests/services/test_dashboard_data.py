"""A report's combined results: the newest completed run of each window, stacked oldest
window first, each row carrying its run's window; a cut keeps the newest windows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from db.models import ReportDefinition
from services.dashboard_data import WINDOW_COLUMNS, combined_table, with_window
from services.results import ResultsStore
from tests.factories import RUN_DAY_0, create_finished_run, create_report

T0 = RUN_DAY_0


@pytest.fixture
def report(session: Session) -> ReportDefinition:
    report = create_report(session=session)
    session.commit()
    return report


def _run(session: Session, store: ResultsStore, report: ReportDefinition, **fields: Any) -> Any:
    return create_finished_run(session=session, store=store, report=report, **fields)


def _numbers(*values: int) -> pa.Table:
    return pa.table({"x": pa.array(values, type=pa.int64())})


def _column(combined: Any, name: str) -> list[Any]:
    values: list[Any] = combined.table.column(name).to_pylist()
    return values


def test_the_newest_completed_run_of_each_window_wins_oldest_window_first(
    session: Session, store: ResultsStore, report: ReportDefinition
) -> None:
    _run(session, store, report, start_day=7, table=_numbers(1, 2, 3), finished_minutes=1)
    _run(session, store, report, start_day=7, table=_numbers(10, 20), finished_minutes=5)
    _run(session, store, report, start_day=0, table=_numbers(0), finished_minutes=2)
    _run(session, store, report, start_day=14, table=None, status="failed")
    _run(session, store, report, start_day=0, table=None, status="running", finished_minutes=9)

    combined = combined_table(session, store, report.id, max_rows=100)

    assert combined.table.column_names == ["x", *WINDOW_COLUMNS]
    assert _column(combined, "x") == [0, 10, 20]
    week_two = T0 + timedelta(days=7)
    assert _column(combined, "window_start") == [T0, week_two, week_two]
    assert (combined.run_count, combined.truncated) == (2, False)


def test_a_run_overlapping_newer_ones_is_left_out_so_no_day_counts_twice(
    session: Session, store: ResultsStore, report: ReportDefinition
) -> None:
    # An older 28-day run, then two newer weekly segments inside it, and one more week
    # the 28 days do not reach.
    _run(session, store, report, start_day=0, days=28, table=_numbers(100), finished_minutes=1)
    _run(session, store, report, start_day=7, table=_numbers(7), finished_minutes=5)
    _run(session, store, report, start_day=14, table=_numbers(14), finished_minutes=6)
    _run(session, store, report, start_day=28, table=_numbers(28), finished_minutes=0)

    combined = combined_table(session, store, report.id, max_rows=100)

    assert _column(combined, "x") == [7, 14, 28]


def test_segments_with_different_columns_are_stacked_with_nulls(
    session: Session, store: ResultsStore, report: ReportDefinition
) -> None:
    _run(session, store, report, start_day=0, table=_numbers(1))
    wider = pa.table({"x": pa.array([2], type=pa.int32()), "label": ["two"]})
    _run(session, store, report, start_day=7, table=wider)

    combined = combined_table(session, store, report.id, max_rows=100)

    assert combined.table.column_names == ["x", "window_start", "window_end", "label"]
    assert combined.table.select(["x", "label"]).to_pylist() == [
        {"x": 1, "label": None},
        {"x": 2, "label": "two"},
    ]


def test_a_row_cap_keeps_the_newest_windows(
    session: Session, store: ResultsStore, report: ReportDefinition
) -> None:
    for week in range(3):
        _run(session, store, report, start_day=7 * week, table=_numbers(week, week))

    combined = combined_table(session, store, report.id, max_rows=3)

    assert _column(combined, "x") == [1, 2, 2]
    assert combined.truncated and combined.table.num_rows == 3


def test_a_missing_result_file_is_left_out(
    session: Session, store: ResultsStore, report: ReportDefinition
) -> None:
    lost = _run(session, store, report, start_day=0, table=_numbers(1))
    _run(session, store, report, start_day=7, table=_numbers(2))
    assert lost.output_location is not None
    store.delete(lost.output_location)

    combined = combined_table(session, store, report.id, max_rows=100)

    assert (_column(combined, "x"), combined.run_count) == ([2], 1)


def test_a_report_without_runs_has_only_the_window_columns(
    session: Session, store: ResultsStore, report: ReportDefinition
) -> None:
    combined = combined_table(session, store, report.id, max_rows=100)

    assert combined.table.column_names == list(WINDOW_COLUMNS)
    assert (combined.table.num_rows, combined.run_count) == (0, 0)


def test_the_runs_own_window_replaces_a_same_named_result_column(
    session: Session, store: ResultsStore, report: ReportDefinition
) -> None:
    run = _run(session, store, report, start_day=0, table=None)
    table = pa.table({"window_start": ["not a time"], "x": [1]})

    windowed = with_window(table, run)

    assert windowed.column_names == ["x", *WINDOW_COLUMNS]
    assert windowed.to_pylist() == [
        {"x": 1, "window_start": T0, "window_end": T0 + timedelta(days=7)}
    ]

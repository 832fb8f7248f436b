from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from components.progress import (
    create_backfill_progress,
    create_poll_interval,
    create_segment_grid,
    create_status_legend,
)
from components.status import STATUS_COLORS, create_status_badge, is_in_flight
from services.backfills import BackfillInfo
from services.executions import ExecutionInfo
from tests.trees import text_of


def _segment(status: str, day: int) -> ExecutionInfo:
    return ExecutionInfo(
        execution_id=f"exe_{day:08d}",
        uuid=uuid.uuid4(),
        report_id="rpt_1",
        template_id="t",
        instance_id="i",
        triggered_by="backfill",
        status=status,
        scheduled_for=None,
        time_window_start=datetime(2026, 1, day, tzinfo=UTC),
        time_window_end=datetime(2026, 1, day + 1, tzinfo=UTC),
        row_count=None,
        size_bytes=None,
        error_message="boom" if status == "failed" else None,
        created_at=datetime(2026, 1, 20, tzinfo=UTC),
        started_at=None,
        completed_at=None,
        attempt=1,
        parameters={},
        output_location=None,
    )


def _backfill(statuses: list[str]) -> BackfillInfo:
    return BackfillInfo(
        collection_id="col_1",
        uuid=uuid.uuid4(),
        report_id="rpt_1",
        status="running" if any(is_in_flight(s) for s in statuses) else "completed",
        segment_type="daily",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 1, len(statuses)),
        total_segments=len(statuses),
        completed_segments=statuses.count("completed"),
        failed_segments=statuses.count("failed"),
        running_segments=statuses.count("running"),
        created_at=datetime(2026, 1, 20, tzinfo=UTC),
        segments=[_segment(s, i + 1) for i, s in enumerate(statuses)],
    )


def test_badges_use_the_one_colour_table() -> None:
    for status, color in STATUS_COLORS.items():
        badge = create_status_badge(status)
        assert badge.color == color
        assert status.capitalize() in text_of(badge)


def test_the_bar_counts_finished_segments_failed_ones_included() -> None:
    progress = create_backfill_progress(
        _backfill(["completed", "failed", "running", "pending"]), id="p"
    )

    assert progress.to_plotly_json()["props"]["data-percent"] == "50"
    assert "1 completed, 1 failed, 1 running, 1 pending of 4 segments" in text_of(progress)


def test_a_backfill_whose_segments_all_failed_never_reads_as_done() -> None:
    progress = create_backfill_progress(_backfill(["failed", "failed", "cancelled"]), id="p")

    assert "2 failed, 1 cancelled of 3 segments" in text_of(progress)
    assert "finished" not in text_of(progress)
    assert "100%" not in text_of(progress)


def test_every_segment_gets_a_cell_coloured_by_status() -> None:
    grid = create_segment_grid([_segment("completed", 1), _segment("failed", 2)])

    links = grid.children
    assert [link.children.className.split()[-1] for link in links] == ["bg-success", "bg-danger"]
    assert "boom" in links[1].title
    assert links[1].href == "/runs/exe_00000002"


def test_clipped_segments_are_marked_partial_in_the_grid_and_the_legend() -> None:
    grid = create_segment_grid(
        [_segment("completed", 1), _segment("completed", 2)], partial=["exe_00000002"]
    )

    whole, clipped = grid.children
    assert "segment-cell-partial" not in whole.children.className
    assert "segment-cell-partial" in clipped.children.className
    assert "partial" in clipped.title and "partial" not in whole.title
    assert "Partial" in text_of(create_status_legend(partial=True))
    assert "Partial" not in text_of(create_status_legend())


def test_the_poll_interval_ticks_every_two_seconds() -> None:
    interval = create_poll_interval("x")
    assert (interval.interval, interval.disabled) == (2000, False)
    assert create_poll_interval("y", active=False).disabled is True

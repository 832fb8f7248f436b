"""Progress while runs are in flight: the polling interval, backfill bars and segment grids."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.format import format_window, plural
from components.status import status_color, status_label
from services.backfills import BackfillInfo
from services.executions import ExecutionInfo

#: Milliseconds between two polls while something is pending or running.
POLL_INTERVAL_MS = 2_000
#: Order of the stacked bar's parts: finished work first, then what still moves.
_BAR_ORDER = ("completed", "failed", "cancelled", "running")


def create_poll_interval(id: str, *, active: bool = True) -> dcc.Interval:
    """An interval that ticks every 2 s while `active`; callbacks switch it off (disabled)
    as soon as nothing shown is pending or running, so idle pages make no requests."""
    return dcc.Interval(id=id, interval=POLL_INTERVAL_MS, disabled=not active)


def any_in_flight(statuses: Iterable[str | None]) -> bool:
    return any(status in {"pending", "running"} for status in statuses)


def progress_percent(backfill: BackfillInfo) -> int:
    return round(backfill.progress * 100)


def create_backfill_progress(backfill: BackfillInfo, *, id: str) -> html.Div:
    """A stacked bar (completed, failed, cancelled, running) with a sentence under it."""
    counts = Counter(segment.status for segment in backfill.segments)
    total = max(backfill.total_segments, len(backfill.segments), 1)
    running = backfill.status in {"pending", "running"}
    bars = [
        dbc.Progress(
            value=100 * counts[status] / total,
            color=status_color(status),
            bar=True,
            animated=status == "running",
            striped=status == "running",
            label=str(counts[status]) if counts[status] and status != "running" else "",
        )
        for status in _BAR_ORDER
        if counts[status]
    ]
    percent = progress_percent(backfill)
    finished = sum(counts[s] for s in ("completed", "failed", "cancelled"))
    summary = f"{finished} of {plural(total, 'segment')} finished · {percent}%"
    details = [
        f"{label}: {counts[status]}"
        for status, label in (("failed", "failed"), ("running", "running"), ("pending", "queued"))
        if counts[status]
    ]
    return html.Div(
        [
            dbc.Progress(
                bars,
                style={"height": "1.25rem"},
                class_name="backfill-progress",
            ),
            html.Div(
                [
                    html.Span(summary, id=f"{id}-label", className="fw-semibold"),
                    html.Span(" · " + ", ".join(details)) if details else None,
                    html.Span(" · still running", className="text-primary") if running else None,
                ],
                className="small text-body-secondary mt-1",
            ),
        ],
        id=id,
        **{"data-percent": str(percent)},
    )


def create_segment_grid(segments: list[ExecutionInfo], *, id: Any = None) -> html.Div:
    """One small square per segment, coloured by status; hover (or focus) names its window."""
    cells = [
        html.Span(
            className=f"segment-cell bg-{status_color(segment.status)}",
            title=f"{format_window(segment.time_window_start, segment.time_window_end)}: "
            f"{status_label(segment.status)}"
            + (f" — {segment.error_message}" if segment.error_message else ""),
            tabIndex=0,
            **{
                "data-status": segment.status,
                "role": "img",
                "aria-label": f"{format_window(segment.time_window_start, segment.time_window_end)}"
                f" {segment.status}",
            },
        )
        for segment in segments
    ]
    extra: dict[str, Any] = {} if id is None else {"id": id}
    return html.Div(cells, className="segment-grid", **extra)


def create_status_legend() -> html.Div:
    """The key to the segment colours."""
    return html.Div(
        [
            html.Span(
                [
                    html.Span(className=f"segment-cell segment-cell-sm bg-{status_color(s)} me-1"),
                    status_label(s),
                ],
                className="me-3 text-nowrap",
            )
            for s in ("completed", "running", "pending", "failed", "cancelled")
        ],
        className="small text-body-secondary d-flex flex-wrap row-gap-1 mt-2",
    )

"""Progress while runs are in flight: the polling interval, backfill bars and segment grids."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, clientside_callback, dcc, html

from components.execution_table import run_href
from components.format import format_window
from components.status import status_color, status_label
from services.backfills import BackfillInfo
from services.executions import ExecutionInfo

#: Milliseconds between two polls while something is pending or running.
POLL_INTERVAL_MS = 2_000
#: Milliseconds between two polls while a schedule shown is due and the tick has not
#: started its run yet (the tick runs every second; a late one is a scheduler problem).
DUE_POLL_INTERVAL_MS = 5_000
#: Added to a schedule's due time before the page looks: by then the tick has started it.
WAKE_SLACK_MS = 1_500
#: The longest a page waits for a far-off slot before it asks again.
MAX_WAKE_MS = 3_600_000
#: The poll plan of a page with nothing to wait for.
IDLE_PLAN: dict[str, Any] = {"active": False, "wake_at": None}
#: Order of the stacked bar's parts: finished work first, then what still moves.
_BAR_ORDER = ("completed", "failed", "cancelled", "running")


def create_poll_interval(id: str, *, active: bool = True) -> dcc.Interval:
    """An interval that ticks every 2 s while `active`; callbacks switch it off (disabled)
    as soon as nothing shown is pending or running, so idle pages make no requests. A live
    page leaves that to its poll plan instead (see `register_poll_plan`)."""
    return dcc.Interval(id=id, interval=POLL_INTERVAL_MS, disabled=not active)


def poll_plan(
    *, active: bool, wake_at: datetime | None, now: datetime | None = None
) -> dict[str, Any]:
    """What a live page's poll does next, kept in its "poll plan" store (see
    `register_poll_plan`): times are epoch milliseconds, `checked_at` the server's now, so
    a browser whose clock is off still wakes on time."""
    now = now or datetime.now(UTC)
    return {
        "active": active,
        "wake_at": None if wake_at is None else round(wake_at.timestamp() * 1000),
        "checked_at": round(now.timestamp() * 1000),
    }


# The plan → the interval: active, every 2 s; a schedule due later, one tick just after it
# (at most an hour away); due already but not started, every 5 s; else no tick at all.
# dcc.Interval restarts its timer only when `interval` changes, so a steady plan keeps time.
_PLAN_TO_INTERVAL = f"""
function(plan) {{
    const unchanged = window.dash_clientside.no_update;
    if (!plan) {{ return [true, unchanged]; }}
    if (plan.active) {{ return [false, {POLL_INTERVAL_MS}]; }}
    if (plan.wake_at === null || plan.wake_at === undefined) {{ return [true, unchanged]; }}
    const wait = plan.wake_at - (plan.checked_at || Date.now());
    if (wait <= 0) {{ return [false, {DUE_POLL_INTERVAL_MS}]; }}
    return [false, Math.min(wait + {WAKE_SLACK_MS}, {MAX_WAKE_MS})];
}}
"""


def register_poll_plan(interval_id: str, plan_id: str) -> None:
    """Let the poll plan in store `plan_id` (see `poll_plan`) set when `interval_id` ticks.

    Call it where the page's callbacks are declared (a page module, or a component's
    register_callbacks), so that every app built gets it.
    """
    clientside_callback(
        _PLAN_TO_INTERVAL,
        Output(interval_id, "disabled"),
        Output(interval_id, "interval"),
        Input(plan_id, "data"),
    )


def any_in_flight(statuses: Iterable[str | None]) -> bool:
    return any(status in {"pending", "running"} for status in statuses)


def progress_percent(backfill: BackfillInfo) -> int:
    return round(backfill.progress * 100)


def create_backfill_progress(backfill: BackfillInfo, *, id: str) -> html.Div:
    """A stacked bar (completed, failed, cancelled, running) over a sentence that counts
    each state, so a backfill whose segments all failed never reads as done."""
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
    noun = "segment" if backfill.total_segments == 1 else "segments"
    data: dict[str, Any] = {"data-percent": str(percent)}
    return html.Div(
        [
            dbc.Progress(
                bars,
                style={"height": "1.25rem"},
                class_name="backfill-progress",
            ),
            html.Div(
                [
                    html.Span(
                        f"{backfill.summary} {noun}", id=f"{id}-label", className="fw-semibold"
                    ),
                    html.Span(" · still running", className="text-primary") if running else None,
                ],
                className="small text-body-secondary mt-1",
            ),
        ],
        id=id,
        **data,
    )


def segment_title(segment: ExecutionInfo, *, partial: bool = False) -> str:
    """What hovering a segment says: its window, status, whether it is clipped, and why
    it failed."""
    title = (
        f"{format_window(segment.time_window_start, segment.time_window_end)}: "
        f"{status_label(segment.status)}"
    )
    if partial:
        title += " · partial (clipped at the backfill's first or last day)"
    if segment.error_message:
        title += f" — {segment.error_message}"
    return title


def create_segment_grid(
    segments: list[ExecutionInfo], *, id: Any = None, partial: Iterable[str] = ()
) -> html.Div:
    """One small square per segment, coloured by status, each a link to its run; hover (or
    focus) names its window. Segments in `partial` (execution ids of those clipped at the
    range's ends) get a dashed border."""
    clipped = set(partial)
    cells = []
    for segment in segments:
        is_partial = segment.execution_id in clipped
        title = segment_title(segment, partial=is_partial)
        data: dict[str, Any] = {
            "data-status": segment.status,
            "data-execution": segment.execution_id,
            "aria-label": title,
        }
        cells.append(
            dcc.Link(
                html.Span(
                    className=f"segment-cell bg-{status_color(segment.status)}"
                    + (" segment-cell-partial" if is_partial else ""),
                    role="img",
                    **data,
                ),
                href=run_href(segment.execution_id),
                title=title,
                className="segment-link",
            )
        )
    extra: dict[str, Any] = {} if id is None else {"id": id}
    return html.Div(cells, className="segment-grid", **extra)


def create_status_legend(*, partial: bool = False) -> html.Div:
    """The key to the segment colours (and to the dashed border, with `partial`)."""
    entries = [
        html.Span(
            [
                html.Span(className=f"segment-cell segment-cell-sm bg-{status_color(s)} me-1"),
                status_label(s),
            ],
            className="me-3 text-nowrap",
        )
        for s in ("completed", "running", "pending", "failed", "cancelled")
    ]
    if partial:
        entries.append(
            html.Span(
                [
                    html.Span(
                        className="segment-cell segment-cell-sm segment-cell-partial "
                        "bg-body-secondary me-1"
                    ),
                    "Partial (clipped at the range's ends)",
                ],
                className="me-3 text-nowrap",
            )
        )
    return html.Div(entries, className="small text-body-secondary d-flex flex-wrap row-gap-1 mt-2")

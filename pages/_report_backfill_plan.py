"""The backfill modal's dry run: the range, how many segments run or are skipped and why,
and each segment (partial ones marked)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import dash_bootstrap_components as dbc
from dash import html
from dash.development.base_component import Component

from components.format import format_window, plural
from components.navbar import create_icon
from pages._report_backfill_form import PLAN
from services.backfill_plans import BackfillPlanInfo, PlannedSegment

SEGMENT_NOUNS = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter"}
#: Why a segment is skipped (PlannedSegment.reason), in words.
SKIP_WORDS = {
    "completed": "already completed",
    "running": "still running",
    "never run": "never run",
}


def create_plan_preview(plan: BackfillPlanInfo) -> html.Div:
    """The dry run: the range, a count of what runs and what is skipped, and each segment."""
    to_run = len(plan.to_create)
    skipped = Counter(s.reason or "skipped" for s in plan.segments if s.action == "skip")
    counts = [f"{to_run} to run"] + [
        f"{n} {SKIP_WORDS.get(reason, reason)}" for reason, n in skipped.items()
    ]
    last = len(plan.segments) - 1
    items = [
        _planned_item(segment, plan.segment_type, first=i == 0, last=i == last)
        for i, segment in enumerate(plan.segments)
    ]
    return html.Div(
        [
            html.Div(
                [
                    html.Span(
                        format_window(plan.start_date, plan.end_date + timedelta(days=1)),
                        className="fw-semibold",
                    ),
                    f" · {plural(len(plan.segments), f'{plan.segment_type} segment')}",
                ],
            ),
            html.Div(
                ", ".join(counts),
                id=f"{PLAN}-count",
                className="small mb-2 " + ("text-body-secondary" if to_run else "text-danger"),
            ),
            html.Ul(
                items, id=f"{PLAN}-list", className="list-unstyled small mb-0 backfill-plan-list"
            ),
        ]
    )


def _planned_item(
    segment: PlannedSegment, segment_type: str, *, first: bool, last: bool
) -> html.Li:
    noun = SEGMENT_NOUNS.get(segment_type, "segment")
    edges = [word for word, at in (("starts", first), ("ends", last)) if at]
    partial = (
        dbc.Badge(
            "partial",
            color="light",
            text_color="dark",
            class_name="border ms-2",
            title=f"Not a whole {noun}: the range {' and '.join(edges)} mid-{noun}.",
        )
        if segment.partial
        else None
    )
    if segment.action == "create":
        action: Component = html.Span(
            [create_icon("play-fill", class_name="me-1"), "Will run"], className="text-success"
        )
    else:
        reason = SKIP_WORDS.get(segment.reason, segment.reason or "skipped")
        action = html.Span(f"Skipped: {reason}", className="text-body-secondary")
    data: dict[str, Any] = {
        "data-action": segment.action,
        "data-partial": str(segment.partial).lower(),
    }
    return html.Li(
        [
            html.Span(format_window(segment.window_start, segment.window_end)),
            partial,
            html.Span(action, className="ms-auto ps-2 text-nowrap"),
        ],
        className="d-flex align-items-center py-1 border-bottom",
        **data,
    )

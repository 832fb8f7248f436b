"""Run statuses and their colours, defined once for every page that shows a status."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

#: Bootstrap colour of each execution (and backfill) status.
STATUS_COLORS: dict[str, str] = {
    "pending": "secondary",
    "running": "primary",
    "completed": "success",
    "failed": "danger",
    "cancelled": "warning",
}
#: Colour of the status only a backfill has: its segments ended, some of them not completed.
BACKFILL_STATUS_COLORS: dict[str, str] = {"partial": "warning"}
#: Colour for a status this table does not know; visible, but not mistaken for a real one.
UNKNOWN_STATUS_COLOR = "dark"
#: Statuses of a run still in flight: pages keep polling while one is shown.
IN_FLIGHT_STATUSES = frozenset({"pending", "running"})


_HIDDEN: dict[str, Any] = {"aria-hidden": "true"}


def status_color(status: str) -> str:
    return STATUS_COLORS.get(status) or BACKFILL_STATUS_COLORS.get(status, UNKNOWN_STATUS_COLOR)


def status_label(status: str) -> str:
    return status.capitalize()


def is_in_flight(status: str | None) -> bool:
    return status in IN_FLIGHT_STATUSES


def create_status_badge(status: str, *, id: Any = None) -> dbc.Badge:
    """A coloured badge naming the status; a running one carries a turning arrow."""
    extra: dict[str, Any] = {} if id is None else {"id": id}
    label: Any = status_label(status)
    if status == "running":
        label = [html.I(className="bi bi-arrow-repeat status-spin me-1", **_HIDDEN), label]
    return dbc.Badge(
        label,
        color=status_color(status),
        class_name="status-badge",
        title=f"Status: {status}",
        **extra,
    )

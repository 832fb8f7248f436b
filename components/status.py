"""Run statuses and their colours, defined once for every page that shows a status."""

from __future__ import annotations

import dash_bootstrap_components as dbc

#: Bootstrap colour of each execution (and backfill) status.
STATUS_COLORS: dict[str, str] = {
    "pending": "secondary",
    "running": "primary",
    "completed": "success",
    "failed": "danger",
    "cancelled": "warning",
}
#: Colour for a status this table does not know; visible, but not mistaken for a real one.
UNKNOWN_STATUS_COLOR = "dark"


def status_color(status: str) -> str:
    return STATUS_COLORS.get(status, UNKNOWN_STATUS_COLOR)


def create_status_badge(status: str) -> dbc.Badge:
    return dbc.Badge(status.capitalize(), color=status_color(status), class_name="status-badge")

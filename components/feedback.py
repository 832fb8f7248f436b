"""What the UI says after an action: domain errors mapped to messages here, in one place."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.navbar import create_icon
from services.errors import (
    DomainError,
    NotFound,
    ParameterError,
    PermissionDenied,
    ValidationFailed,
)

#: Milliseconds a success message stays before it fades; errors stay until dismissed.
SUCCESS_DURATION_MS = 6_000


def error_message(error: DomainError) -> str:
    """A sentence for a person; services write their messages to be shown as they are."""
    if isinstance(error, ParameterError):
        return error.message
    if isinstance(error, ValidationFailed):
        return " ".join(f"{field}: {message}" for field, message in error.errors.items())
    if isinstance(error, NotFound):
        return f"{error} It may have been deleted, or you may not have access to it."
    if isinstance(error, PermissionDenied):
        return str(error) or "You are not allowed to do this."
    return str(error)


def create_feedback(message: str, *, color: str = "success") -> dbc.Alert:
    """A dismissable notice at the top of a page section; successes fade on their own."""
    icon = {"success": "check-circle", "danger": "exclamation-triangle"}.get(color, "info-circle")
    return dbc.Alert(
        [create_icon(icon, class_name="me-2"), message],
        color=color,
        dismissable=True,
        duration=SUCCESS_DURATION_MS if color == "success" else None,
        class_name="feedback mb-3",
    )


def create_error_feedback(error: DomainError) -> dbc.Alert:
    return create_feedback(error_message(error), color="danger")


def create_forbidden_state(message: str, *, id: str) -> html.Div:
    """The 403 page body: what is refused, and where to go instead."""
    return html.Div(
        [
            create_icon("shield-lock", class_name="empty-state-icon d-block mb-2"),
            html.H1("403 · Not allowed", className="h4"),
            html.P(message, className="mb-3"),
            dbc.Button("Go to the home page", href="/", color="primary", size="sm"),
        ],
        id=id,
        className="empty-state text-center text-body-secondary border rounded-3 p-5",
    )

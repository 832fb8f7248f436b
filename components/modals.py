"""The callbacks every modal has, declared once: its open button opens it, its Cancel
button closes it. A button drawn, not clicked, changes nothing."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, ctx
from dash.exceptions import PreventUpdate

from components.actions import Register


def open_close_modal(register: Register, modal: str, *, open: str, close: str) -> Any:
    """Declare the callback that opens `modal` with the `open` button and closes it with
    `close`; returns the callback function."""

    def toggle(open_clicks: int | None, close_clicks: int | None) -> bool:
        if not (open_clicks or close_clicks):
            raise PreventUpdate
        return bool(ctx.triggered_id == open)

    register(
        Output(modal, "is_open"),
        Input(open, "n_clicks"),
        Input(close, "n_clicks"),
        prevent_initial_call=True,
    )(toggle)
    return toggle


def close_modal_on(register: Register, modal: str, button: str) -> Any:
    """Declare the callback that closes `modal` when `button` (its Cancel) is clicked; the
    modal's opening is another callback's. Returns the callback function."""

    def close(clicks: int | None) -> bool:
        if not clicks:
            raise PreventUpdate
        return False

    register(
        Output(modal, "is_open", allow_duplicate=True),
        Input(button, "n_clicks"),
        prevent_initial_call=True,
    )(close)
    return close

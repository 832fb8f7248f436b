"""Which of a page's repeated buttons the user clicked, read from the callback context.

A callback on `Input({"type": kind, "index": ALL}, "n_clicks")` also fires when its
buttons are drawn or redrawn (a live table refreshing), and then `ctx.triggered_id`
names a button nobody clicked while `any(clicks)` may be true of another one. A click
is the one thing that changes a button's `n_clicks` to a count, so that is what counts.
"""

from __future__ import annotations

import json
from typing import Any

from dash import ctx


def clicked_id(kind: str) -> dict[str, Any] | None:
    """The id of the button of type `kind` the user clicked; None when none was clicked."""
    clicked = []
    for trigger in ctx.triggered:
        component_id, _, prop = str(trigger.get("prop_id", "")).rpartition(".")
        if prop != "n_clicks" or not component_id.startswith("{") or not trigger.get("value"):
            continue
        parsed = json.loads(component_id)
        if isinstance(parsed, dict) and parsed.get("type") == kind:
            clicked.append(parsed)
    # Two counts changed at once cannot be one click: act on neither rather than guess.
    return clicked[0] if len(clicked) == 1 else None


def clicked_index(kind: str) -> str | None:
    """The `index` (execution id, collection id …) of the button of `kind` clicked, or None."""
    clicked = clicked_id(kind)
    if clicked is None or "index" not in clicked:
        return None
    return str(clicked["index"])

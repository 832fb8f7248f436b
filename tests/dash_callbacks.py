"""The one place tests touch Dash internals: a callback context to call a callback in.

Dash's documented recipe for unit-testing a callback that reads `callback_context`
(dash.plotly.com/testing) sets the context with `dash._callback_context.context_value` and
`dash._utils.AttributeDict`; no public API does it. Every test goes through
`callback_context`, so a Dash release that moves them breaks this module alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from dash._callback_context import context_value
from dash._utils import AttributeDict

#: What a callback reads through `dash.ctx`; `updated_props` holds what `set_props` changed.
CallbackContext = AttributeDict
#: A component id: a string, or a dict for the repeated components of pattern callbacks.
ComponentId = str | dict[str, Any]
#: What the browser reports changed: (component id, property, its new value).
Change = tuple[ComponentId, str, Any]


def prop_id(component_id: ComponentId, prop: str) -> str:
    """The renderer's name for a property ("id.prop"): a dict id as compact JSON with sorted
    keys, as the renderer writes `changedPropIds`."""
    if isinstance(component_id, dict):
        component_id = json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return f"{component_id}.{prop}"


@contextmanager
def callback_context(triggered: Sequence[Change] = ()) -> Iterator[CallbackContext]:
    """Run the block as a Dash callback fired by `triggered` (none: a first call), as Dash
    builds `ctx.triggered` from the renderer's changedPropIds. The yielded context holds
    what `set_props` changed (`context.updated_props`)."""
    inputs = [{"prop_id": prop_id(c_id, prop), "value": value} for c_id, prop, value in triggered]
    context = CallbackContext(triggered_inputs=inputs, updated_props={})
    token = context_value.set(context)
    try:
        yield context
    finally:
        context_value.reset(token)

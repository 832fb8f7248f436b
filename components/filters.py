"""The filters above the template grid and the reports grid: a search box and selects
whose first choice, ANY, filters nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import dash_bootstrap_components as dbc

#: A select filter's value that filters nothing ("All categories", "Any state"…).
ANY = "any"
#: Milliseconds a search box waits after the last keystroke before it filters.
SEARCH_DEBOUNCE_MS = 300


def chosen(value: str | None) -> str | None:
    """A filter's value, None when it filters nothing."""
    return None if value in (None, "", ANY) else value


def create_search_filter(component_id: str, placeholder: str, **widths: int) -> dbc.Col:
    """A labelled search box in a grid column (`widths`: xs=12, lg=6…)."""
    return dbc.Col(
        [
            dbc.Label("Search", html_for=component_id, class_name="small mb-1"),
            dbc.Input(
                id=component_id,
                type="search",
                placeholder=placeholder,
                debounce=SEARCH_DEBOUNCE_MS,
                autocomplete="off",
            ),
        ],
        **widths,
    )


def create_select_filter(
    component_id: str,
    label: str,
    any_label: str,
    options: Iterable[Mapping[str, Any]],
    **widths: int,
) -> dbc.Col:
    """A labelled select whose first option, `any_label`, filters nothing."""
    return dbc.Col(
        [
            dbc.Label(label, html_for=component_id, class_name="small mb-1"),
            dbc.Select(
                id=component_id,
                options=[{"label": any_label, "value": ANY}, *options],
                value=ANY,
            ),
        ],
        **widths,
    )

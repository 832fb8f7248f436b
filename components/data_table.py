"""A plain table of result rows, shared by the result preview and dashboard table widgets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

#: Types shown as numbers (right-aligned, with separators).
NUMBER_TYPES = (int, float, Decimal)


def create_data_table(
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    id: str,
    empty_message: str = "The run completed with no rows for its window.",
) -> html.Div:
    """A plain, scrollable table of result rows; numbers aligned right."""
    if not rows:
        return html.P(empty_message, className="text-body-secondary mb-0")
    numeric = {
        c
        for c in columns
        if all(isinstance(r.get(c), NUMBER_TYPES) or r.get(c) is None for r in rows[:20])
        and any(r.get(c) is not None for r in rows[:20])
    }
    return html.Div(
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(
                                column_title(c),
                                scope="col",
                                title=c,
                                className="text-end" if c in numeric else None,
                            )
                            for c in columns
                        ]
                    )
                ),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(
                                    format_cell(c, row.get(c)),
                                    className="text-end" if c in numeric else None,
                                )
                                for c in columns
                            ]
                        )
                        for row in rows
                    ]
                ),
            ],
            size="sm",
            striped=True,
            class_name="data-table mb-0",
        ),
        id=id,
        className="table-responsive data-table-wrap",
    )


#: Short names read as acronyms in column titles.
ACRONYMS = frozenset({"ctr", "cpm", "cpc", "cpa", "roas", "asin", "id", "ntb", "dsp", "sp"})


def column_title(column: str) -> str:
    """A column name as a heading: cost_per_purchase → Cost per purchase, roas → ROAS.

    The raw name stays in the header's tooltip.
    """
    words = [w.upper() if w.lower() in ACRONYMS else w for w in column.split("_") if w]
    if not words:
        return column
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def format_cell(column: str, value: Any) -> str:
    """Numbers with thousands separators, except identifiers and years, which are names."""
    if value is None:
        return ""
    if isinstance(value, bool) or _is_name_column(column):
        return str(value)
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second) == (0, 0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _is_name_column(column: str) -> bool:
    name = column.lower()
    return name == "id" or name.endswith(("_id", "year", "asin", "_code"))

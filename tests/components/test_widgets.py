"""Dashboard widgets: KPI maths, how windows combine in charts, and configs that do not fit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from components.widgets import (
    MAX_BAR_CATEGORIES,
    WidgetConfigError,
    create_pie_figure,
    create_widget,
    create_widget_grid,
    create_xy_figure,
    format_value,
    kpi_value,
    series_totals,
)
from tests.trees import text_of

W1 = datetime(2026, 1, 5, tzinfo=UTC)
W2 = datetime(2026, 1, 12, tzinfo=UTC)
ROWS = [
    {
        "campaign": "A",
        "channel": "dsp",
        "spend": 10.0,
        "sales": Decimal("30"),
        "ctr": 0.01,
        "window_start": W1,
    },
    {
        "campaign": "B",
        "channel": "sp",
        "spend": 20.0,
        "sales": Decimal("20"),
        "ctr": 0.03,
        "window_start": W1,
    },
    {
        "campaign": "A",
        "channel": "dsp",
        "spend": 5.0,
        "sales": None,
        "ctr": 0.02,
        "window_start": W2,
    },
]
COLUMNS = list(ROWS[0])


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"column": "spend", "aggregate": "sum"}, 35.0),
        ({"column": "spend", "aggregate": "avg"}, 35.0 / 3),
        ({"column": "spend", "aggregate": "min"}, 5.0),
        ({"column": "sales", "aggregate": "max"}, 30.0),
        ({"column": "sales", "aggregate": "count"}, 2.0),  # empty cells are not counted
        ({"aggregate": "count"}, 3.0),
        ({"numerator": "sales", "denominator": "spend"}, 50.0 / 35.0),
    ],
)
def test_kpis_aggregate_every_row_of_every_window(config: dict[str, Any], expected: float) -> None:
    assert kpi_value(config, ROWS, COLUMNS) == pytest.approx(expected)


def test_a_ratio_over_nothing_is_missing_not_a_division_error() -> None:
    assert kpi_value({"numerator": "sales", "denominator": "spend"}, [], COLUMNS) is None


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (1_250_000, "number", "1.25M"),
        (15346.2, "currency", "$15,346"),
        (0.0092, "percent", "0.92%"),
        (8.1, "ratio", "8.10"),
        (None, "number", "—"),
        (-2_500_000_000, "currency", "-$2.50B"),
    ],
)
def test_kpi_formats(value: float | None, fmt: str, expected: str) -> None:
    assert format_value(value, fmt) == expected


def test_amounts_add_up_across_windows_but_rates_are_averaged() -> None:
    assert series_totals(ROWS, "campaign", "spend", None) == {"spend": {"A": 15.0, "B": 20.0}}
    assert series_totals(ROWS, "campaign", "ctr", None)["ctr"]["A"] == pytest.approx(0.015)


def test_a_series_column_splits_lines() -> None:
    totals = series_totals(ROWS, "window_start", "spend", "channel")

    assert totals == {"dsp": {W1: 10.0, W2: 5.0}, "sp": {W1: 20.0}}


def test_line_charts_follow_time_order_with_one_trace_per_series() -> None:
    figure = create_xy_figure(
        "line", {"x": "window_start", "y": ["spend"], "series": "channel"}, ROWS, COLUMNS
    )

    assert [trace.name for trace in figure.data] == ["dsp", "sp"]
    assert list(figure.data[0].x) == [W1, W2]
    assert figure.layout.showlegend is True


def test_named_categories_become_horizontal_bars_largest_first() -> None:
    rows = [{"name": f"c{i}", "v": float(i)} for i in range(MAX_BAR_CATEGORIES + 5)]

    figure = create_xy_figure("bar", {"x": "name", "y": ["v"]}, rows, ["name", "v"])

    bars = figure.data[0]
    assert bars.orientation == "h"
    assert len(bars.y) == MAX_BAR_CATEGORIES
    assert bars.y[0] == f"c{MAX_BAR_CATEGORIES + 4}"


def test_area_charts_stack() -> None:
    figure = create_xy_figure("area", {"x": "window_start", "y": ["spend"]}, ROWS, COLUMNS)

    assert figure.data[0].stackgroup == "one"


def test_a_pie_keeps_the_largest_slices_and_sums_the_rest() -> None:
    rows = [{"k": f"k{i}", "v": float(i + 1)} for i in range(12)]

    figure = create_pie_figure({"names": "k", "values": "v"}, rows, ["k", "v"])

    labels = list(figure.data[0].labels)
    assert len(labels) == 8
    assert labels[-1] == "Other"
    assert sum(figure.data[0].values) == sum(range(1, 13))


def test_a_widget_naming_a_missing_column_says_so_in_its_card() -> None:
    card = create_widget("line", "Oops", {"x": "day", "y": ["spend"]}, ROWS, COLUMNS, index=0)

    assert "cannot be drawn" in text_of(card)
    assert "'day'" in text_of(card)
    with pytest.raises(WidgetConfigError):
        kpi_value({"column": "spend", "aggregate": "median"}, ROWS, COLUMNS)


@dataclass(frozen=True)
class _Widget:
    type: str
    title: str
    config: dict[str, Any]
    position: int


def test_the_grid_puts_kpis_first_and_gives_a_lonely_chart_the_whole_row() -> None:
    widgets = [
        _Widget("line", "L", {"x": "window_start", "y": ["spend"]}, 0),
        _Widget("kpi", "K", {"column": "spend"}, 1),
        _Widget("table", "T", {"columns": ["campaign", "spend"]}, 2),
    ]

    grid = create_widget_grid(widgets, ROWS, COLUMNS)

    kpi_row, other_row = grid.children
    assert kpi_row.children[0].children.id == {"type": "dashboard-widget", "index": 1}
    assert [col.lg for col in other_row.children] == [12, 12]
    assert "Campaign" in text_of(grid)  # table headers read as words

"""Dashboard widgets drawn with Plotly from a report's combined result rows.

Each widget's config comes from its template's report_config:
- kpi: {column, aggregate: sum|avg|min|max|count, format} or {numerator, denominator, format}
- line / bar / area: {x, y: [columns], series?: column}
- table: {columns: [...]}
- pie: {names, values}
Formats: number | currency | percent (a fraction, 0.012 → 1.2%) | ratio.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html
from dash.development.base_component import Component

from components.data_table import create_data_table
from components.format import MISSING

#: Colours of chart series, in order: Bootstrap's palette, so charts match the page.
PALETTE = (
    "#0d6efd",
    "#20c997",
    "#fd7e14",
    "#6f42c1",
    "#d63384",
    "#198754",
    "#ffc107",
    "#0dcaf0",
    "#6c757d",
    "#dc3545",
)
#: Named categories (campaigns, stages …) a bar chart shows: the largest, by the first y.
MAX_BAR_CATEGORIES = 20
#: Points on a time or number axis a bar chart shows at most (the newest are kept).
MAX_BAR_POINTS = 400
#: Pixels per bar of a horizontal (named-category) bar chart.
BAR_ROW_PX = 26
#: Slices a pie shows; the rest are summed into "Other".
MAX_PIE_SLICES = 8
#: Rows a table widget shows.
TABLE_ROWS = 100
#: Pixel height of a chart.
CHART_HEIGHT = 320
#: Plotly's toolbar: download, zoom and reset only; it shows when the pointer is on a chart.
GRAPH_CONFIG = {
    "displayModeBar": "hover",
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d", "zoomIn2d", "zoomOut2d"],
}
#: Type of the widget ids: {"type": WIDGET_TYPE, "index": position}.
WIDGET_TYPE = "dashboard-widget"

#: Words in a column name that mark a rate or an average: summing those across windows
#: would be wrong, so charts average them unless the widget's config names an aggregate.
RATE_WORDS = (
    "rate",
    "ratio",
    "roas",
    "ctr",
    "cpm",
    "cpc",
    "cpa",
    "share",
    "pct",
    "percent",
    "avg",
    "average",
    "cost_per",
    "_per_",
)

_AGGREGATES: dict[str, Callable[[list[float]], float | None]] = {
    "sum": lambda values: sum(values),
    "avg": lambda values: sum(values) / len(values) if values else None,
    "min": lambda values: min(values) if values else None,
    "max": lambda values: max(values) if values else None,
}


class WidgetConfigError(ValueError):
    """A widget names a column the results do not have, or an unknown option."""


def number(value: Any) -> float | None:
    """A cell as a float, or None when it is empty or not a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        result = float(value)
        return None if result != result else result  # NaN
    return None


def format_value(value: float | None, fmt: str = "number") -> str:
    if value is None:
        return MISSING
    if fmt == "currency":
        return _compact(value, prefix="$")
    if fmt == "percent":
        return f"{value * 100:,.2f}%"
    if fmt == "ratio":
        return f"{value:,.2f}"
    return _compact(value)


def _compact(value: float, *, prefix: str = "") -> str:
    sign, value = ("-" if value < 0 else ""), abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M")):
        if value >= limit:
            return f"{sign}{prefix}{value / limit:,.2f}{suffix}"
    if value >= 1000 or value == int(value):
        return f"{sign}{prefix}{value:,.0f}"
    return f"{sign}{prefix}{value:,.2f}"


def _require(columns: Iterable[str], available: Sequence[str]) -> None:
    missing = [c for c in columns if c not in available]
    if missing:
        raise WidgetConfigError(f"The results have no column {missing[0]!r}.")


def kpi_value(
    config: dict[str, Any], rows: Sequence[dict[str, Any]], columns: Sequence[str]
) -> float | None:
    """A KPI over all rows: an aggregate of one column, or sum(numerator) / sum(denominator)."""
    if "numerator" in config:
        _require([str(config["numerator"]), str(config.get("denominator"))], columns)
        numerator = sum(number(r.get(config["numerator"])) or 0.0 for r in rows)
        denominator = sum(number(r.get(config["denominator"])) or 0.0 for r in rows)
        return numerator / denominator if denominator else None
    column = config.get("column")
    aggregate = str(config.get("aggregate", "sum"))
    if aggregate not in _AGGREGATES and aggregate != "count":
        raise WidgetConfigError(f"Unknown aggregate {aggregate!r}.")
    if aggregate == "count":
        if not column:
            return float(len(rows))
        _require([str(column)], columns)
        return float(sum(1 for r in rows if r.get(column) is not None))
    _require([str(column)], columns)
    values = [v for v in (number(r.get(column)) for r in rows) if v is not None]
    return _AGGREGATES[aggregate](values) if values else None


def _axis_value(value: Any) -> Any:
    return value if isinstance(value, datetime | date | int | float | Decimal) else str(value)


def default_aggregate(column: str) -> str:
    name = column.lower()
    return "avg" if any(word in name for word in RATE_WORDS) else "sum"


def series_totals(
    rows: Sequence[dict[str, Any]],
    x: str,
    y: str,
    series: str | None,
    aggregate: str | None = None,
) -> dict[str, dict[Any, float]]:
    """{series name: {x value: aggregate of y}}: rows of all windows combine per x (summed,
    or averaged for rates)."""
    how = aggregate or default_aggregate(y)
    if how not in _AGGREGATES:
        raise WidgetConfigError(f"Unknown aggregate {how!r}.")
    values: dict[str, dict[Any, list[float]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        value = number(row.get(y))
        if value is None or row.get(x) is None:
            continue
        name = str(row.get(series)) if series else y
        values[name][_axis_value(row.get(x))].append(value)
    return {
        name: {key: _AGGREGATES[how](found) or 0.0 for key, found in points.items()}
        for name, points in values.items()
    }


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, datetime):
        return (0, value.timestamp())
    if isinstance(value, date):
        return (0, datetime(value.year, value.month, value.day).timestamp())
    if isinstance(value, int | float | Decimal):
        return (0, float(value))
    return (1, str(value))


def create_xy_figure(
    kind: str, config: dict[str, Any], rows: Sequence[dict[str, Any]], columns: Sequence[str]
) -> go.Figure:
    x = str(config.get("x", ""))
    ys = [str(y) for y in config.get("y") or []]
    series = config.get("series")
    _require([x, *ys, *([series] if series else [])], columns)
    figure = go.Figure()
    traces: list[tuple[str, dict[Any, float]]] = []
    for y in ys:
        totals = series_totals(rows, x, y, series, config.get("aggregate"))
        for name, points in sorted(totals.items()):
            label = f"{name} · {y}" if series and len(ys) > 1 else name
            traces.append((label, points))
    if kind == "bar":
        categories = _top_categories(traces)
        named = any(isinstance(c, str) for c in categories)
        for index, (label, points) in enumerate(traces):
            values = [points.get(c, 0.0) for c in categories]
            figure.add_bar(
                x=values if named else categories,
                y=categories if named else values,
                orientation="h" if named else "v",
                name=label,
                marker_color=PALETTE[index % len(PALETTE)],
            )
        figure.update_layout(barmode="group")
        if named:  # long names read best down the side, largest on top
            _style(figure, show_legend=len(traces) > 1)
            figure.update_layout(
                height=max(
                    CHART_HEIGHT,
                    int(len(categories) * BAR_ROW_PX * (1 + 0.5 * (len(traces) - 1))) + 80,
                ),
                hovermode="y unified",
            )
            figure.update_yaxes(autorange="reversed", automargin=True)
            figure.update_xaxes(title_text=_title(ys[0]) if len(ys) == 1 else None)
            return figure
    else:
        for index, (label, points) in enumerate(traces):
            xs = sorted(points, key=_sort_key)
            color = PALETTE[index % len(PALETTE)]
            figure.add_scatter(
                x=xs,
                y=[points[v] for v in xs],
                name=label,
                mode="lines+markers" if len(xs) < 40 else "lines",
                line={"color": color, "width": 2},
                stackgroup="one" if kind == "area" else None,
            )
    _style(figure, show_legend=len(traces) > 1)
    figure.update_xaxes(title_text=_title(x))
    figure.update_yaxes(title_text=_title(ys[0]) if len(ys) == 1 else None)
    return figure


def _top_categories(traces: list[tuple[str, dict[Any, float]]]) -> list[Any]:
    """Categories by their total in the first trace, largest first, at most MAX_BAR_CATEGORIES."""
    if not traces:
        return []
    totals: dict[Any, float] = defaultdict(float)
    for category, value in traces[0][1].items():
        totals[category] += value
    if all(isinstance(c, datetime | date | int | float) for c in totals):
        return sorted(totals, key=_sort_key)[-MAX_BAR_POINTS:]  # an axis reads in order
    return sorted(totals, key=lambda c: -totals[c])[:MAX_BAR_CATEGORIES]


def create_pie_figure(
    config: dict[str, Any], rows: Sequence[dict[str, Any]], columns: Sequence[str]
) -> go.Figure:
    names, values = str(config.get("names", "")), str(config.get("values", ""))
    _require([names, values], columns)
    totals = series_totals(rows, names, values, None, config.get("aggregate", "sum")).get(
        values, {}
    )
    ordered = sorted(totals.items(), key=lambda item: -item[1])
    if len(ordered) > MAX_PIE_SLICES:
        rest = sum(v for _, v in ordered[MAX_PIE_SLICES - 1 :])
        ordered = [*ordered[: MAX_PIE_SLICES - 1], ("Other", rest)]
    figure = go.Figure(
        go.Pie(
            labels=[str(k) for k, _ in ordered],
            values=[v for _, v in ordered],
            hole=0.45,
            marker={"colors": list(PALETTE)},
            sort=False,
        )
    )
    _style(figure, show_legend=True)
    return figure


def _style(figure: go.Figure, *, show_legend: bool) -> None:
    figure.update_layout(
        template="plotly_white",
        height=CHART_HEIGHT,
        margin={"l": 48, "r": 16, "t": 32 if show_legend else 8, "b": 40},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
        showlegend=show_legend,
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        hovermode="x unified",
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        # Quiet toolbar icons rather than a grey box over the chart's corner.
        modebar={"bgcolor": "rgba(255,255,255,0.85)", "color": "#adb5bd", "activecolor": "#0d6efd"},
    )


def _title(column: str) -> str:
    return column.replace("_", " ").capitalize()


# --- cards ------------------------------------------------------------------------------


def create_widget(
    widget_type: str,
    title: str,
    config: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    index: int,
) -> dbc.Card:
    """One widget as a card; a config that does not fit the data says so in the card."""
    widget_id = {"type": WIDGET_TYPE, "index": index}
    try:
        body = _widget_body(widget_type, config, rows, columns, index=index)
    except WidgetConfigError as error:
        body = html.P([f"This widget cannot be drawn: {error}"], className="small text-danger mb-0")
    if widget_type == "kpi":
        return dbc.Card(
            dbc.CardBody([html.Div(title, className="kpi-title small text-body-secondary"), body]),
            id=widget_id,
            class_name="widget widget-kpi shadow-sm h-100",
        )
    return dbc.Card(
        [
            dbc.CardHeader(
                html.H2(title or _title(widget_type), className="h6 mb-0"), class_name="bg-body"
            ),
            dbc.CardBody(body, class_name="p-2" if widget_type != "table" else "p-0"),
        ],
        id=widget_id,
        class_name=f"widget widget-{widget_type} shadow-sm h-100",
    )


def _widget_body(
    widget_type: str,
    config: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    index: int,
) -> Component:
    if widget_type == "kpi":
        value = kpi_value(config, rows, columns)
        return html.Div(
            format_value(value, str(config.get("format", "number"))), className="kpi-value"
        )
    if widget_type == "table":
        wanted = [str(c) for c in config.get("columns") or columns]
        shown = [c for c in wanted if c in columns] or list(columns)
        return create_data_table(
            shown,
            list(rows[:TABLE_ROWS]),
            id=f"dashboard-table-{index}",
            empty_message="No rows.",
        )
    if widget_type in {"line", "bar", "area"}:
        figure = create_xy_figure(widget_type, config, rows, columns)
    elif widget_type == "pie":
        figure = create_pie_figure(config, rows, columns)
    else:
        raise WidgetConfigError(f"Unknown widget type {widget_type!r}.")
    return dcc.Graph(
        figure=figure,
        config=GRAPH_CONFIG,
        className="widget-graph",
        id=f"dashboard-graph-{index}",
    )


def create_widget_grid(
    widgets: Sequence[Any], rows: Sequence[dict[str, Any]], columns: Sequence[str]
) -> html.Div:
    """KPIs in a row of small cards first, then charts two by two, tables full width."""
    ordered = sorted(widgets, key=lambda w: w.position)
    kpis = [w for w in ordered if w.type == "kpi"]
    others = [w for w in ordered if w.type != "kpi"]

    def card(widget: Any) -> dbc.Card:
        return create_widget(
            widget.type, widget.title, widget.config, rows, columns, index=widget.position
        )

    children: list[Component] = []
    if kpis:
        children.append(
            dbc.Row(
                [dbc.Col(card(w), xs=6, md=4, xl=max(2, 12 // max(len(kpis), 1))) for w in kpis],
                class_name="g-3 mb-3",
            )
        )
    if others:
        children.append(
            dbc.Row(
                [
                    dbc.Col(card(w), xs=12, lg=width)
                    for w, width in zip(others, _widths(others), strict=True)
                ],
                class_name="g-3",
            )
        )
    return html.Div(children, id="dashboard-widgets")


def _widths(widgets: Sequence[Any]) -> list[int]:
    """Columns (of 12) per widget on wide screens: tables full width, charts two by two,
    and a chart left alone on its row takes the whole row."""
    widths: list[int] = []
    pending: list[int] = []  # indexes of charts in the current run of charts
    for widget in widgets:
        if widget.type == "table":
            if len(pending) % 2:
                widths[pending[-1]] = 12
            pending = []
            widths.append(12)
        else:
            pending.append(len(widths))
            widths.append(6)
    if len(pending) % 2:
        widths[pending[-1]] = 12
    return widths

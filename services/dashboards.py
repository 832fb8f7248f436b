"""Dashboards: generated for each report from its template's report_config, listed with the
caller's favorites first, and filled with the report's completed results.

A dashboard is as visible as its report (services.access). Its data combines every
completed run of the report, the newest one per time window: a re-run replaces its window,
and a backfill's segments stack up, each row tagged with `window_start` / `window_end`.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import (
    WIDGET_TYPES,
    Dashboard,
    DashboardFavorite,
    DashboardWidget,
    Instance,
    QueryTemplate,
    ReportDefinition,
    ReportExecution,
)
from services.access import visible_reports
from services.errors import DashboardNotFound, ParameterError, TemplateDefinitionError
from services.results import ResultsStore
from services.users import Actor

log = logging.getLogger(__name__)

#: Rows a dashboard reads unless told otherwise: enough for charts, small enough for a page.
DEFAULT_MAX_ROWS = 50_000
#: Rows an export holds at most: an Excel sheet's limit (1,048,576) less its header row.
EXPORT_MAX_ROWS = 1_048_575
#: The columns every data row gets: the run's half-open window [window_start, window_end).
WINDOW_COLUMNS = ("window_start", "window_end")
#: Export formats and their MIME types.
EXPORT_FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_WINDOW_TYPE = pa.timestamp("us", tz="UTC")


def check_report_config(config: Any) -> list[dict[str, Any]]:
    """The widgets of a template's report_config; TemplateDefinitionError if malformed."""
    if not isinstance(config, dict):
        raise TemplateDefinitionError("report_config is a mapping with a widgets list")
    widgets = config.get("widgets", [])
    if not isinstance(widgets, list):
        raise TemplateDefinitionError("report_config.widgets is a list")
    for index, widget in enumerate(widgets):
        if not isinstance(widget, dict) or widget.get("type") not in WIDGET_TYPES:
            raise TemplateDefinitionError(
                f"widget {index + 1}: type must be one of {', '.join(WIDGET_TYPES)}"
            )
        if not isinstance(widget.get("config", {}), dict):
            raise TemplateDefinitionError(f"widget {index + 1}: config is a mapping")
    return widgets


def create_dashboard_for_report(
    *, session: Session, template: QueryTemplate, name: str, owner_uuid: Any
) -> Dashboard:
    dashboard = Dashboard(
        name=name,
        description=f"Generated from the template {template.name}.",
        owner_uuid=owner_uuid,
    )
    for position, widget in enumerate(check_report_config(template.report_config)):
        dashboard.widgets.append(
            DashboardWidget(
                widget_type=widget["type"],
                title=str(widget.get("title", "")),
                config=dict(widget.get("config", {})),
                position=position,
            )
        )
    session.add(dashboard)
    session.flush()
    return dashboard


# --- listing and reading ------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardSummary:
    """One dashboard as a list shows it."""

    dashboard_id: str
    uuid: uuid.UUID
    name: str
    report_id: str
    report_name: str
    template_name: str
    instance_id: str
    is_favorite: bool
    favorited_at: datetime | None
    widget_count: int
    last_run_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class WidgetInfo:
    type: str
    title: str
    config: dict[str, Any]
    position: int


@dataclass(frozen=True)
class DashboardData:
    """The report's combined results: rows as Python values, oldest window first."""

    columns: list[str]
    rows: list[dict[str, Any]]
    #: Rows returned; equal to the rows available unless `truncated`.
    total_rows: int
    #: True when `max_rows` cut the data; the newest windows are the ones kept.
    truncated: bool
    #: Runs (one per time window) the rows come from.
    run_count: int


@dataclass(frozen=True)
class DashboardDetail:
    dashboard_id: str
    uuid: uuid.UUID
    name: str
    description: str
    report_id: str
    report_name: str
    template_name: str
    instance_id: str
    is_favorite: bool
    widgets: list[WidgetInfo]
    data: DashboardData


@dataclass(frozen=True)
class DashboardExport:
    content: bytes
    mimetype: str
    filename: str


def _star(actor: Actor) -> Any:
    return (
        select(DashboardFavorite.created_at)
        .where(
            DashboardFavorite.dashboard_uuid == Dashboard.id,
            DashboardFavorite.user_uuid == actor.id,
        )
        .scalar_subquery()
    )


def _dashboards(actor: Actor) -> Select[Any]:
    """Dashboards with their report, template and instance, restricted to what `actor` sees."""
    widget_count = (
        select(func.count(DashboardWidget.id))
        .where(DashboardWidget.dashboard_uuid == Dashboard.id)
        .scalar_subquery()
    )
    last_run = (
        select(func.max(ReportExecution.completed_at))
        .where(
            ReportExecution.report_uuid == ReportDefinition.id,
            ReportExecution.status == "completed",
        )
        .scalar_subquery()
    )
    statement = (
        select(
            Dashboard,
            ReportDefinition.report_id,
            ReportDefinition.name.label("report_name"),
            ReportDefinition.id.label("report_uuid"),
            QueryTemplate.name.label("template_name"),
            Instance.instance_id,
            _star(actor).label("favorited_at"),
            widget_count.label("widget_count"),
            last_run.label("last_run_at"),
        )
        .join(ReportDefinition, ReportDefinition.dashboard_uuid == Dashboard.id)
        .join(QueryTemplate, QueryTemplate.id == ReportDefinition.template_uuid)
        .join(Instance, Instance.id == ReportDefinition.instance_uuid)
    )
    return visible_reports(statement, actor)


def _key_filter(dashboard_id: str) -> Any:
    try:
        return Dashboard.id == uuid.UUID(dashboard_id)
    except ValueError:
        return Dashboard.dashboard_id == dashboard_id


def _summary(row: Any) -> DashboardSummary:
    dashboard: Dashboard = row[0]
    return DashboardSummary(
        dashboard_id=dashboard.dashboard_id,
        uuid=dashboard.id,
        name=dashboard.name,
        report_id=row.report_id,
        report_name=row.report_name,
        template_name=row.template_name,
        instance_id=row.instance_id,
        is_favorite=row.favorited_at is not None,
        favorited_at=row.favorited_at,
        widget_count=int(row.widget_count or 0),
        last_run_at=row.last_run_at,
        updated_at=dashboard.updated_at,
    )


def list_dashboards(
    *,
    session: Session,
    actor: Actor,
    report_id: str | None = None,
    favorites_only: bool = False,
) -> list[DashboardSummary]:
    """Dashboards `actor` may see: favorites first (newest star first), then by name."""
    statement = _dashboards(actor)
    if report_id:
        try:
            statement = statement.where(ReportDefinition.id == uuid.UUID(report_id))
        except ValueError:
            statement = statement.where(ReportDefinition.report_id == report_id)
    star = _star(actor)
    if favorites_only:
        statement = statement.where(star.is_not(None))
    statement = statement.order_by(
        star.is_(None), star.desc(), Dashboard.name, Dashboard.dashboard_id
    )
    return [_summary(row) for row in session.execute(statement)]


def _dashboard_row(session: Session, actor: Actor, dashboard_id: str) -> Any:
    row = session.execute(_dashboards(actor).where(_key_filter(dashboard_id))).first()
    if row is None:
        raise DashboardNotFound(dashboard_id)
    return row


def get_dashboard(
    *,
    session: Session,
    actor: Actor,
    store: ResultsStore,
    dashboard_id: str,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> DashboardDetail:
    """The dashboard's widgets and its report's combined results (see `dashboard_table`)."""
    if max_rows < 1:
        raise ParameterError("max_rows", "Ask for at least one row.")
    row = _dashboard_row(session, actor, dashboard_id)
    dashboard: Dashboard = row[0]
    table, truncated, run_count = _combined_table(session, store, row.report_uuid, max_rows)
    data = DashboardData(
        columns=list(table.column_names),
        rows=table.to_pylist(),
        total_rows=table.num_rows,
        truncated=truncated,
        run_count=run_count,
    )
    return DashboardDetail(
        dashboard_id=dashboard.dashboard_id,
        uuid=dashboard.id,
        name=dashboard.name,
        description=dashboard.description,
        report_id=row.report_id,
        report_name=row.report_name,
        template_name=row.template_name,
        instance_id=row.instance_id,
        is_favorite=row.favorited_at is not None,
        widgets=[
            WidgetInfo(
                type=w.widget_type, title=w.title, config=dict(w.config), position=w.position
            )
            for w in dashboard.widgets
        ],
        data=data,
    )


def dashboard_table(
    *,
    session: Session,
    actor: Actor,
    store: ResultsStore,
    dashboard_id: str,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> pa.Table:
    """The combined results as an Arrow table (for charts that want a DataFrame)."""
    row = _dashboard_row(session, actor, dashboard_id)
    return _combined_table(session, store, row.report_uuid, max_rows)[0]


def _newest_per_window(session: Session, report_uuid: uuid.UUID) -> list[ReportExecution]:
    """Completed runs whose windows do not overlap, the newest run winning each clash;
    newest window first.

    A re-run replaces its window and a backfill's segments stack up; a run whose window
    overlaps a newer run's (a 30-day ad-hoc run across weekly segments) is left out, so
    no day is counted twice.
    """
    runs = session.scalars(
        select(ReportExecution)
        .where(
            ReportExecution.report_uuid == report_uuid,
            ReportExecution.status == "completed",
            ReportExecution.output_location.is_not(None),
        )
        .order_by(ReportExecution.completed_at.desc(), ReportExecution.created_at.desc())
    ).all()
    kept: list[ReportExecution] = []
    for run in runs:  # newest first
        if not any(_overlap(run, newer) for newer in kept):
            kept.append(run)
    return sorted(kept, key=_window_key, reverse=True)


def _overlap(one: ReportExecution, other: ReportExecution) -> bool:
    if None in (one.time_window_start, one.time_window_end):
        return (one.time_window_start, one.time_window_end) == (
            other.time_window_start,
            other.time_window_end,
        )
    if None in (other.time_window_start, other.time_window_end):
        return False
    assert one.time_window_start and one.time_window_end
    assert other.time_window_start and other.time_window_end
    return (
        one.time_window_start < other.time_window_end
        and other.time_window_start < one.time_window_end
    )


def _window_key(run: ReportExecution) -> tuple[datetime, datetime]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return (run.time_window_start or oldest, run.time_window_end or oldest)


def _combined_table(
    session: Session, store: ResultsStore, report_uuid: uuid.UUID, max_rows: int
) -> tuple[pa.Table, bool, int]:
    """(table, truncated, runs used): the newest windows are read first, so a cut keeps
    the most recent data; the table itself is ordered by window_start."""
    pieces: list[pa.Table] = []
    remaining = max_rows
    truncated = False
    for run in _newest_per_window(session, report_uuid):
        if remaining <= 0:
            truncated = True
            break
        assert run.output_location is not None
        try:
            table = store.read_table(run.output_location, limit=remaining)
        except FileNotFoundError:
            log.warning("result file missing", extra={"execution_id": run.execution_id})
            continue
        if run.row_count is not None and table.num_rows < run.row_count:
            truncated = True
        remaining -= table.num_rows
        pieces.append(_with_window(table, run))
    pieces.reverse()
    if not pieces:
        empty = pa.table({name: pa.array([], type=_WINDOW_TYPE) for name in WINDOW_COLUMNS})
        return empty, truncated, 0
    combined = pa.concat_tables(pieces, promote_options="permissive")
    return combined, truncated, len(pieces)


def _with_window(table: pa.Table, run: ReportExecution) -> pa.Table:
    for name in WINDOW_COLUMNS:
        if name in table.column_names:  # the run's own window wins over a same-named column
            table = table.drop_columns([name])
    for name, value in zip(
        WINDOW_COLUMNS, (run.time_window_start, run.time_window_end), strict=True
    ):
        table = table.append_column(
            pa.field(name, _WINDOW_TYPE), pa.array([value] * table.num_rows, type=_WINDOW_TYPE)
        )
    return table


# --- favorites ----------------------------------------------------------------------------


def favorite_dashboard(*, session: Session, actor: Actor, dashboard_id: str) -> None:
    """Star the dashboard for `actor`; starring it again changes nothing."""
    dashboard: Dashboard = _dashboard_row(session, actor, dashboard_id)[0]
    if _favorite(session, actor, dashboard.id) is not None:
        return
    session.add(DashboardFavorite(dashboard_uuid=dashboard.id, user_uuid=actor.id))
    try:
        session.commit()
    except IntegrityError:  # a second request starred it meanwhile: the star is there
        session.rollback()


def unfavorite_dashboard(*, session: Session, actor: Actor, dashboard_id: str) -> None:
    """Remove `actor`'s star; removing a star that is not there changes nothing."""
    dashboard: Dashboard = _dashboard_row(session, actor, dashboard_id)[0]
    favorite = _favorite(session, actor, dashboard.id)
    if favorite is not None:
        session.delete(favorite)
        session.commit()


def _favorite(
    session: Session, actor: Actor, dashboard_uuid: uuid.UUID
) -> DashboardFavorite | None:
    favorite: DashboardFavorite | None = session.scalar(
        select(DashboardFavorite).where(
            DashboardFavorite.dashboard_uuid == dashboard_uuid,
            DashboardFavorite.user_uuid == actor.id,
        )
    )
    return favorite


# --- export -------------------------------------------------------------------------------


def export_dashboard(
    *,
    session: Session,
    actor: Actor,
    store: ResultsStore,
    dashboard_id: str,
    format: str = "csv",
    max_rows: int = EXPORT_MAX_ROWS,
) -> DashboardExport:
    """The dashboard's data as a CSV or Excel file (at most `max_rows` rows, newest kept)."""
    if format not in EXPORT_FORMATS:
        raise ParameterError("format", f"Choose one of: {', '.join(EXPORT_FORMATS)}.")
    row = _dashboard_row(session, actor, dashboard_id)
    dashboard: Dashboard = row[0]
    table = _combined_table(session, store, row.report_uuid, max_rows)[0]
    rows = (tuple(r.values()) for r in table.to_pylist())
    if format == "csv":
        content = _csv_bytes(table.column_names, rows)
    else:
        content = _xlsx_bytes(dashboard.name, table.column_names, rows)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return DashboardExport(
        content=content,
        mimetype=EXPORT_FORMATS[format],
        filename=f"{dashboard.dashboard_id}_{stamp}.{format}",
    )


def _csv_bytes(columns: list[str], rows: Iterable[tuple[Any, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text_value(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def _text_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _xlsx_bytes(title: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> bytes:
    from openpyxl import Workbook  # only exports need it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    sheet.append(columns)
    for row in rows:
        sheet.append([_cell_value(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(name: str) -> str:
    """Excel refuses []:*?/\\ in sheet titles and more than 31 characters."""
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in name).strip("' ")
    return (cleaned or "Data")[:31]


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: cells hold UTC wall-clock times.
        return value.astimezone(UTC).replace(tzinfo=None)
    if value is None or isinstance(value, bool | int | float | str | date):
        return value
    return str(value)  # decimals stay exact as text; lists and structs become readable

"""Dashboards: generated for each report from its template's report_config, listed with the
caller's favorites first, starred, and read or exported with the report's combined results.

A dashboard is as visible as its report (services.access). Its data is assembled in
services/dashboard_data.py and written as files in services/exports.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import Row, Select, func, select
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
from services.dashboard_data import combined_table
from services.errors import DashboardNotFound, ParameterError, TemplateDefinitionError
from services.exports import (
    MEDIA_TYPES,
    XLSX_MAX_ROWS,
    Download,
    check_format,
    table_csv,
    table_xlsx,
)
from services.paging import DEFAULT_LIMIT, Page, fetch_page
from services.results import ResultsStore
from services.users import Actor

#: Rows a dashboard reads unless told otherwise: enough for charts, small enough for a page.
DEFAULT_MAX_ROWS = 50_000


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


def _summary(row: Row[Any]) -> DashboardSummary:
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


@overload
def list_dashboards(
    *,
    session: Session,
    actor: Actor,
    report_id: str | None = None,
    favorites_only: bool = False,
    page: None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[DashboardSummary]: ...


@overload
def list_dashboards(
    *,
    session: Session,
    actor: Actor,
    report_id: str | None = None,
    favorites_only: bool = False,
    page: int,
    limit: int = DEFAULT_LIMIT,
) -> Page[DashboardSummary]: ...


def list_dashboards(
    *,
    session: Session,
    actor: Actor,
    report_id: str | None = None,
    favorites_only: bool = False,
    page: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[DashboardSummary] | Page[DashboardSummary]:
    """Dashboards `actor` may see: favorites first (newest star first), then by name; all
    of them, or with `page`, that page of `limit` and the total."""
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
    if page is None:
        return [_summary(row) for row in session.execute(statement)]
    return fetch_page(session, statement, page=page, limit=limit, item=_summary)


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
    """The dashboard's widgets and its report's combined results (services.dashboard_data)."""
    if max_rows < 1:
        raise ParameterError("max_rows", "Ask for at least one row.")
    row = _dashboard_row(session, actor, dashboard_id)
    dashboard: Dashboard = row[0]
    combined = combined_table(session, store, row.report_uuid, max_rows)
    data = DashboardData(
        columns=list(combined.table.column_names),
        rows=combined.table.to_pylist(),
        total_rows=combined.table.num_rows,
        truncated=combined.truncated,
        run_count=combined.run_count,
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
        session.flush()


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
    max_rows: int = XLSX_MAX_ROWS,
) -> Download:
    """The dashboard's data as a CSV or Excel file (at most `max_rows` rows, newest kept)."""
    check_format(format)
    row = _dashboard_row(session, actor, dashboard_id)
    dashboard: Dashboard = row[0]
    table = combined_table(session, store, row.report_uuid, max_rows).table
    content = table_csv(table) if format == "csv" else table_xlsx(dashboard.name, table)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Download(
        content=content,
        mimetype=MEDIA_TYPES[format],
        filename=f"{dashboard.dashboard_id}_{stamp}.{format}",
    )

"""Dashboards (under /api): list with favorites first, widgets with data, stars, exports."""

from __future__ import annotations

from flask import Response

from api import inputs, schemas
from api.responses import file_response
from api.routing import Call, Router
from services.dashboards import (
    export_dashboard,
    favorite_dashboard,
    get_dashboard,
    list_dashboards,
    unfavorite_dashboard,
)
from services.exports import MEDIA_TYPES, jsonable

router = Router("", "dashboards")


@router.route(
    "GET",
    "/dashboards",
    "List dashboards",
    query=inputs.DashboardsQuery,
    response=schemas.DashboardPage,
)
def list_dashboards_view(call: Call) -> schemas.DashboardPage:
    """Dashboards of the reports the caller may see: favorites first, newest star first."""
    query = call.query_as(inputs.DashboardsQuery)
    page = list_dashboards(
        session=call.session,
        actor=call.actor,
        report_id=query.report_id,
        favorites_only=query.favorites_only,
        page=query.page,
        limit=query.limit,
    )
    return schemas.DashboardPage(
        items=[schemas.DashboardSummary.model_validate(d) for d in page.items],
        total=page.total,
        page=page.page,
        limit=page.limit,
    )


@router.route(
    "GET",
    "/dashboards/{dashboard_id}",
    "Get a dashboard with its data",
    query=inputs.DashboardQuery,
    response=schemas.Dashboard,
)
def get_dashboard_view(call: Call) -> schemas.Dashboard:
    """Widgets and the report's completed results: the newest run per time window, each
    row with window_start / window_end, oldest window first (the newest kept if cut)."""
    detail = get_dashboard(
        session=call.session,
        actor=call.actor,
        store=call.store,
        dashboard_id=call.path["dashboard_id"],
        max_rows=call.query_as(inputs.DashboardQuery).max_rows,
    )
    data = detail.data
    return schemas.Dashboard(
        dashboard_id=detail.dashboard_id,
        uuid=detail.uuid,
        name=detail.name,
        description=detail.description,
        report_id=detail.report_id,
        report_name=detail.report_name,
        template_name=detail.template_name,
        instance_id=detail.instance_id,
        is_favorite=detail.is_favorite,
        widgets=[schemas.Widget.model_validate(w) for w in detail.widgets],
        data=schemas.DashboardData(
            columns=data.columns,
            rows=[jsonable(row) for row in data.rows],
            total_rows=data.total_rows,
            truncated=data.truncated,
            run_count=data.run_count,
        ),
    )


@router.route(
    "POST",
    "/dashboards/{dashboard_id}/favorite",
    "Star a dashboard",
    response=schemas.FavoriteState,
)
def favorite_dashboard_view(call: Call) -> schemas.FavoriteState:
    """Star the dashboard for the caller; starring twice is harmless."""
    dashboard_id = call.path["dashboard_id"]
    favorite_dashboard(session=call.session, actor=call.actor, dashboard_id=dashboard_id)
    return schemas.FavoriteState(dashboard_id=dashboard_id, is_favorite=True)


@router.route(
    "DELETE",
    "/dashboards/{dashboard_id}/favorite",
    "Remove a star",
    response=schemas.FavoriteState,
)
def unfavorite_dashboard_view(call: Call) -> schemas.FavoriteState:
    """Remove the caller's star; removing a missing star is harmless."""
    dashboard_id = call.path["dashboard_id"]
    unfavorite_dashboard(session=call.session, actor=call.actor, dashboard_id=dashboard_id)
    return schemas.FavoriteState(dashboard_id=dashboard_id, is_favorite=False)


@router.route(
    "GET",
    "/dashboards/{dashboard_id}/export",
    "Export the data",
    query=inputs.ExportQuery,
    files=tuple(MEDIA_TYPES.values()),
)
def export_dashboard_view(call: Call) -> Response:
    """The dashboard's data as a CSV or Excel (xlsx) file."""
    download = export_dashboard(
        session=call.session,
        actor=call.actor,
        store=call.store,
        dashboard_id=call.path["dashboard_id"],
        format=call.query_as(inputs.ExportQuery).format,
    )
    return file_response(download)

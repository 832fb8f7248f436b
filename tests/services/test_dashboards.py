"""Dashboards: lists with favorites first, their data (assembled as
tests/services/test_dashboard_data.py shows), stars, exports; visibility follows the report."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import openpyxl
import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from db.models import ReportDefinition
from services.dashboards import (
    export_dashboard,
    favorite_dashboard,
    get_dashboard,
    list_dashboards,
    unfavorite_dashboard,
)
from services.errors import DashboardNotFound, ParameterError
from services.reports import ReportInfo, create_report, get_report_row
from services.results import ResultsStore
from tests.factories import RUN_DAY_0, World, create_finished_run

T0 = RUN_DAY_0


def _report(
    session: Session, world: World, name: str = "Numbers", owner: str = "owner"
) -> ReportInfo:
    return create_report(
        session=session,
        actor=getattr(world, owner),
        template_id="numbers",
        instance_id="wh",
        name=name,
    )


def _run(session: Session, store: ResultsStore, report: ReportInfo, **fields: Any) -> Any:
    """A run of `report` with a stored result (tests/factories.create_finished_run)."""
    row = session.get_one(ReportDefinition, report.uuid)
    return create_finished_run(session=session, store=store, report=row, **fields)


def _numbers(*values: int) -> pa.Table:
    return pa.table({"x": pa.array(values, type=pa.int64())})


def test_data_combines_the_newest_completed_run_of_each_window(
    session: Session, world: World, store: ResultsStore
) -> None:
    report = _report(session, world)
    _run(session, store, report, start_day=7, table=_numbers(1, 2, 3), finished_minutes=1)
    _run(session, store, report, start_day=7, table=_numbers(10, 20), finished_minutes=5)
    _run(session, store, report, start_day=0, table=_numbers(0), finished_minutes=2)
    _run(session, store, report, start_day=14, table=None, status="failed")
    _run(session, store, report, start_day=0, table=None, status="running", finished_minutes=9)
    assert report.dashboard_id is not None

    dashboard = get_dashboard(
        session=session, actor=world.owner, store=store, dashboard_id=report.dashboard_id
    )

    data = dashboard.data
    assert data.columns == ["x", "window_start", "window_end"]
    assert [row["x"] for row in data.rows] == [0, 10, 20]
    week_two = T0 + timedelta(days=7)
    assert [row["window_start"] for row in data.rows] == [T0, week_two, week_two]
    assert data.rows[0]["window_end"] == T0 + timedelta(days=7)
    assert (data.total_rows, data.run_count, data.truncated) == (3, 2, False)
    assert [(w.type, w.title, w.position) for w in dashboard.widgets] == [("table", "Rows", 0)]
    assert (dashboard.report_id, dashboard.instance_id) == (report.report_id, "wh")


def test_a_row_cap_keeps_the_newest_windows_and_says_the_data_is_cut(
    session: Session, world: World, store: ResultsStore
) -> None:
    report = _report(session, world)
    for week in range(3):
        _run(session, store, report, start_day=7 * week, table=_numbers(week, week))
    assert report.dashboard_id is not None

    data = get_dashboard(
        session=session,
        actor=world.owner,
        store=store,
        dashboard_id=report.dashboard_id,
        max_rows=3,
    ).data

    assert [row["x"] for row in data.rows] == [1, 2, 2]
    assert data.truncated and data.total_rows == 3
    with pytest.raises(ParameterError):
        get_dashboard(
            session=session,
            actor=world.owner,
            store=store,
            dashboard_id=report.dashboard_id,
            max_rows=0,
        )


def test_favorites_come_first_newest_star_first_and_stars_are_idempotent(
    session: Session, world: World
) -> None:
    a, b, c = (_report(session, world, name) for name in ("A", "B", "C"))
    assert a.dashboard_id and b.dashboard_id and c.dashboard_id

    favorite_dashboard(session=session, actor=world.owner, dashboard_id=a.dashboard_id)
    favorite_dashboard(session=session, actor=world.owner, dashboard_id=c.dashboard_id)
    favorite_dashboard(session=session, actor=world.owner, dashboard_id=c.dashboard_id)
    listed = list_dashboards(session=session, actor=world.owner)
    starred = list_dashboards(session=session, actor=world.owner, favorites_only=True)

    assert [d.name for d in listed] == ["C", "A", "B"]
    assert [d.is_favorite for d in listed] == [True, True, False]
    assert listed[0].favorited_at is not None and listed[2].favorited_at is None
    assert [d.name for d in starred] == ["C", "A"]
    unfavorite_dashboard(session=session, actor=world.owner, dashboard_id=c.dashboard_id)
    unfavorite_dashboard(session=session, actor=world.owner, dashboard_id=c.dashboard_id)
    assert [d.name for d in list_dashboards(session=session, actor=world.owner)] == ["A", "B", "C"]
    assert list_dashboards(session=session, actor=world.viewer, favorites_only=True) == []


def test_summaries_name_the_report_template_widgets_and_last_run(
    session: Session, world: World, store: ResultsStore
) -> None:
    report = _report(session, world, "Weekly")
    _run(session, store, report, start_day=0, table=_numbers(1), finished_minutes=3)
    _run(session, store, report, start_day=7, table=_numbers(1), finished_minutes=8)

    [summary] = list_dashboards(session=session, actor=world.owner, report_id=report.report_id)

    assert summary.dashboard_id == report.dashboard_id
    assert (summary.report_name, summary.template_name, summary.instance_id) == (
        "Weekly",
        "Numbers",
        "wh",
    )
    assert summary.widget_count == 1
    assert summary.last_run_at == T0 + timedelta(days=60, minutes=8)
    assert list_dashboards(session=session, actor=world.owner, report_id=str(report.uuid))


def test_dashboards_are_as_visible_as_their_reports(
    session: Session, world: World, store: ResultsStore
) -> None:
    report = _report(session, world)
    dashboard_id = report.dashboard_id
    assert dashboard_id is not None

    for actor in (world.owner, world.viewer, world.admin):
        get_dashboard(session=session, actor=actor, store=store, dashboard_id=dashboard_id)
    with pytest.raises(DashboardNotFound):
        get_dashboard(session=session, actor=world.other, store=store, dashboard_id=dashboard_id)
    with pytest.raises(DashboardNotFound):
        favorite_dashboard(session=session, actor=world.other, dashboard_id=dashboard_id)
    assert list_dashboards(session=session, actor=world.other) == []
    assert len(list_dashboards(session=session, actor=world.admin)) == 1
    row = get_report_row(session=session, actor=world.owner, report_id=report.report_id)
    assert row.dashboard_uuid is not None


def test_exports_hold_the_combined_data_as_csv_or_xlsx(
    session: Session, world: World, store: ResultsStore
) -> None:
    report = _report(session, world, "Export: [weekly]")
    table = pa.table({"x": [1, 2], "label": ["one", None]})
    _run(session, store, report, start_day=0, table=table)
    assert report.dashboard_id is not None

    as_csv = export_dashboard(
        session=session, actor=world.owner, store=store, dashboard_id=report.dashboard_id
    )
    as_xlsx = export_dashboard(
        session=session,
        actor=world.owner,
        store=store,
        dashboard_id=report.dashboard_id,
        format="xlsx",
    )

    assert as_csv.mimetype == "text/csv"
    assert as_csv.filename.startswith(report.dashboard_id) and as_csv.filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode())))
    assert rows == [
        ["x", "label", "window_start", "window_end"],
        ["1", "one", "2024-03-04T00:00:00+00:00", "2024-03-11T00:00:00+00:00"],
        ["2", "", "2024-03-04T00:00:00+00:00", "2024-03-11T00:00:00+00:00"],
    ]
    assert as_xlsx.filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))
    sheet = workbook.active
    assert sheet is not None and sheet.title == "Export_ _weekly_"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["x", "label", "window_start", "window_end"]
    assert values[1] == [1, "one", datetime(2024, 3, 4), datetime(2024, 3, 11)]
    assert values[2][:2] == [2, None]
    with pytest.raises(ParameterError):
        export_dashboard(
            session=session,
            actor=world.owner,
            store=store,
            dashboard_id=report.dashboard_id,
            format="pdf",
        )

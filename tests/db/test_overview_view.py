"""report_runs_overview: one right row per report, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import DashboardFavorite, ReportDefinition
from db.views import report_runs_overview as overview
from tests.factories import (
    at,
    create_dashboard,
    create_execution,
    create_report,
    create_schedule,
    create_user,
)


def row_of(session: Session, report: ReportDefinition) -> Any:
    rows = session.execute(select(overview).where(overview.c.report_id == report.report_id)).all()
    assert len(rows) == 1
    return rows[0]


def test_a_report_without_runs_schedules_or_stars(session: Session) -> None:
    report = create_report(session=session, frequency="weekly")
    session.commit()
    row = row_of(session, report)
    assert row.state == "active"
    assert row.frequency == "weekly"
    assert row.owner_email == report.owner.email
    assert row.template_id == report.template.template_id
    assert row.instance_id == report.instance.instance_id
    assert row.last_status is None and row.last_run_at is None
    assert row.next_run_at is None and row.schedule_id is None
    assert row.execution_count == 0
    assert (row.favorite_count, row.is_favorite) == (0, 0)


def test_the_latest_execution_is_the_one_the_report_points_at(session: Session) -> None:
    report = create_report(session=session)
    create_execution(session=session, report=report, status="completed", started_at=at(1))
    latest = create_execution(session=session, report=report, status="failed", started_at=at(3))
    report.last_execution_uuid = latest.id
    report.execution_count = 2
    session.commit()
    row = row_of(session, report)
    assert row.last_execution_id == latest.execution_id
    assert row.last_status == "failed"
    assert row.last_run_at == at(3)
    assert row.execution_count == 2


def test_an_active_schedule_gives_the_next_run(session: Session) -> None:
    report = create_report(session=session)
    schedule = create_schedule(session=session, report=report, next_run_at=at(9, 6))
    create_schedule(
        session=session, report=report, is_active=False, next_run_at=at(2)
    )  # old, ignored
    session.commit()
    row = row_of(session, report)
    assert row.state == "active"
    assert row.schedule_id == schedule.schedule_id
    assert row.next_run_at == at(9, 6)


def test_a_paused_schedule_makes_the_report_paused_with_no_next_run(session: Session) -> None:
    report = create_report(session=session)
    create_schedule(session=session, report=report, is_paused=True, next_run_at=at(9, 6))
    session.commit()
    row = row_of(session, report)
    assert row.state == "paused"
    assert row.next_run_at is None


def test_an_inactive_report_is_inactive_whatever_its_schedule(session: Session) -> None:
    report = create_report(session=session, is_active=False)
    create_schedule(session=session, report=report, next_run_at=at(9, 6))
    session.commit()
    row = row_of(session, report)
    assert row.state == "inactive"
    assert row.next_run_at is None


def test_favorites_count_and_the_owner_star(session: Session) -> None:
    owner = create_user(session=session)
    other = create_user(session=session)
    dashboard = create_dashboard(session=session, owner=owner)
    starred = create_report(session=session, owner=owner, dashboard_uuid=dashboard.id)
    plain = create_report(
        session=session,
        owner=owner,
        dashboard_uuid=create_dashboard(session=session, owner=owner).id,
    )
    session.add(DashboardFavorite(dashboard_uuid=dashboard.id, user_uuid=other.id))
    session.commit()
    assert (row_of(session, starred).favorite_count, row_of(session, starred).is_favorite) == (
        1,
        0,
    )
    session.add(DashboardFavorite(dashboard_uuid=dashboard.id, user_uuid=owner.id))
    session.commit()
    row = row_of(session, starred)
    assert (row.favorite_count, row.is_favorite) == (2, 1)
    assert row.dashboard_id == dashboard.dashboard_id
    assert (row_of(session, plain).favorite_count, row_of(session, plain).is_favorite) == (0, 0)


def test_one_row_per_report(session: Session) -> None:
    reports = [create_report(session=session) for _ in range(3)]
    for report in reports:
        create_execution(session=session, report=report)
        create_schedule(session=session, report=report)
    session.commit()
    assert len(session.execute(select(overview)).all()) == 3

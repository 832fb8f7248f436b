"""CHECK constraints, unique keys, cascades and updated_at, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Uuid, bindparam, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import (
    DashboardFavorite,
    DashboardWidget,
    ReportDataCollection,
    ReportExecution,
    ReportSchedule,
)
from tests.factories import (
    at,
    create_collection,
    create_dashboard,
    create_execution,
    create_instance,
    create_report,
    create_schedule,
    create_user,
)


def _widget(session: Session) -> DashboardWidget:
    widget = DashboardWidget(dashboard_uuid=create_dashboard(session=session).id, widget_type="kpi")
    session.add(widget)
    session.flush()
    return widget


#: (what makes a valid row, the column to spoil, a value its CHECK must reject)
CHECK_CASES: list[tuple[str, Callable[..., Any], str, Any]] = [
    ("users.role", create_user, "role", "superuser"),
    ("instances.engine", create_instance, "engine", "oracle"),
    ("instances.max_lookback_days", create_instance, "max_lookback_days", 366),
    ("instances.max_concurrency", create_instance, "max_concurrency", 0),
    ("instances.data_lag_days", create_instance, "data_lag_days", -1),
    ("report_definitions.frequency", create_report, "frequency", "hourly"),
    (
        "report_executions.status",
        lambda session: create_execution(session=session, report=create_report(session=session)),
        "status",
        "done",
    ),
    (
        "report_executions.triggered_by",
        lambda session: create_execution(session=session, report=create_report(session=session)),
        "triggered_by",
        "cron",
    ),
    (
        "report_executions.attempt",
        lambda session: create_execution(session=session, report=create_report(session=session)),
        "attempt",
        0,
    ),
    (
        "report_schedules.schedule_type",
        lambda session: create_schedule(session=session, report=create_report(session=session)),
        "schedule_type",
        "hourly",
    ),
    (
        "report_schedules.last_run_status",
        lambda session: create_schedule(session=session, report=create_report(session=session)),
        "last_run_status",
        "ok",
    ),
    (
        "report_data_collections.segment_type",
        lambda session: create_collection(session=session, report=create_report(session=session)),
        "segment_type",
        "yearly",
    ),
    (
        "report_data_collections.status",
        lambda session: create_collection(session=session, report=create_report(session=session)),
        "status",
        "done",
    ),
    (
        "report_data_collections.max_lookback_days",
        lambda session: create_collection(session=session, report=create_report(session=session)),
        "max_lookback_days",
        366,
    ),
    ("dashboard_widgets.widget_type", _widget, "widget_type", "gauge"),
]


@pytest.mark.parametrize(
    ("make", "column", "bad"),
    [case[1:] for case in CHECK_CASES],
    ids=[case[0] for case in CHECK_CASES],
)
def test_check_constraint_rejects_a_value_outside_its_list(
    session: Session, make: Callable[..., Any], column: str, bad: Any
) -> None:
    row = make(session=session)
    session.commit()
    setattr(row, column, bad)
    with pytest.raises(IntegrityError):
        session.flush()


def test_second_active_schedule_of_a_report_is_rejected(session: Session) -> None:
    report = create_report(session=session)
    create_schedule(session=session, report=report)
    create_schedule(session=session, report=report, is_active=False)  # inactive ones may pile up
    session.commit()
    with pytest.raises(IntegrityError):
        create_schedule(session=session, report=report)


def test_favoriting_a_dashboard_twice_is_rejected(session: Session) -> None:
    user = create_user(session=session)
    dashboard = create_dashboard(session=session, owner=user)
    session.add(DashboardFavorite(dashboard_uuid=dashboard.id, user_uuid=user.id))
    session.commit()
    session.add(DashboardFavorite(dashboard_uuid=dashboard.id, user_uuid=user.id))
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_schedule_slot_has_one_execution(session: Session) -> None:
    report = create_report(session=session)
    schedule = create_schedule(session=session, report=report)
    create_execution(
        session=session, report=report, schedule_uuid=schedule.id, scheduled_for=at(5, 6)
    )
    create_execution(
        session=session, report=report, schedule_uuid=schedule.id, scheduled_for=at(6, 6)
    )
    session.commit()
    with pytest.raises(IntegrityError):
        create_execution(
            session=session, report=report, schedule_uuid=schedule.id, scheduled_for=at(5, 6)
        )


def test_a_backfill_segment_has_one_execution_per_attempt(session: Session) -> None:
    report = create_report(session=session)
    collection = create_collection(session=session, report=report)
    window = {"time_window_start": at(5), "time_window_end": at(12)}
    create_execution(session=session, report=report, collection_uuid=collection.id, **window)
    create_execution(
        session=session, report=report, collection_uuid=collection.id, attempt=2, **window
    )
    session.commit()
    with pytest.raises(IntegrityError):
        create_execution(
            session=session, report=report, collection_uuid=collection.id, attempt=2, **window
        )


def test_an_execution_window_must_end_after_it_starts(session: Session) -> None:
    report = create_report(session=session)
    with pytest.raises(IntegrityError):
        create_execution(
            session=session, report=report, time_window_start=at(5), time_window_end=at(5)
        )


@pytest.mark.parametrize(
    ("make", "column"),
    [
        (lambda session: create_user(session=session, email="same@example.com"), "email"),
        (lambda session: create_instance(session=session, instance_id="same"), "instance_id"),
        (lambda session: create_report(session=session, report_id="rpt_same0000"), "report_id"),
    ],
    ids=["users.email", "instances.instance_id", "report_definitions.report_id"],
)
def test_slugs_and_emails_are_unique(
    session: Session, make: Callable[..., Any], column: str
) -> None:
    make(session=session)
    session.commit()
    with pytest.raises(IntegrityError):
        make(session=session)


def test_deleting_a_report_removes_its_executions_schedules_and_backfills(
    session: Session,
) -> None:
    report = create_report(session=session)
    kept = create_report(session=session)
    schedule = create_schedule(session=session, report=report)
    collection = create_collection(session=session, report=report)
    last = create_execution(
        session=session, report=report, schedule_uuid=schedule.id, scheduled_for=at(2)
    )
    create_execution(
        session=session, report=report, collection_uuid=collection.id, time_window_start=at(1)
    )
    create_execution(session=session, report=kept)
    report.last_execution_uuid = last.id
    session.commit()

    # Plain SQL: the database itself cascades, not only the ORM.
    session.execute(
        text("DELETE FROM report_definitions WHERE report_id = :r"), {"r": report.report_id}
    )
    session.commit()

    def count(model: type[Any]) -> int:
        return session.scalar(select(func.count()).select_from(model)) or 0

    assert count(ReportExecution) == 1
    assert count(ReportSchedule) == 0
    assert count(ReportDataCollection) == 0


def test_deleting_a_report_through_the_orm_cascades_too(session: Session) -> None:
    report = create_report(session=session)
    create_schedule(session=session, report=report)
    create_execution(session=session, report=report)
    session.commit()
    session.delete(report)
    session.commit()
    assert session.scalar(select(func.count()).select_from(ReportExecution)) == 0
    assert session.scalar(select(func.count()).select_from(ReportSchedule)) == 0


def test_deleting_a_template_that_a_report_uses_is_refused(session: Session) -> None:
    report = create_report(session=session)
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(
            text("DELETE FROM query_templates WHERE id = :t").bindparams(
                bindparam("t", type_=Uuid)
            ),
            {"t": report.template_uuid},
        )


def test_updated_at_follows_an_update_made_in_plain_sql(session: Session) -> None:
    report = create_report(session=session)
    session.commit()
    before = report.updated_at
    time.sleep(0.02)
    session.execute(
        text("UPDATE report_definitions SET name = 'Renamed' WHERE report_id = :r"),
        {"r": report.report_id},
    )
    session.commit()
    session.refresh(report)
    assert report.name == "Renamed"
    assert report.updated_at > before

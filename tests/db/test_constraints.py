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
from tests.db.rows import (
    at,
    make_collection,
    make_dashboard,
    make_execution,
    make_instance,
    make_report,
    make_schedule,
    make_user,
)


def _widget(session: Session) -> DashboardWidget:
    widget = DashboardWidget(dashboard_uuid=make_dashboard(session).id, widget_type="kpi")
    session.add(widget)
    session.flush()
    return widget


#: (what makes a valid row, the column to spoil, a value its CHECK must reject)
CHECK_CASES: list[tuple[str, Callable[[Session], Any], str, Any]] = [
    ("users.role", make_user, "role", "superuser"),
    ("instances.engine", make_instance, "engine", "oracle"),
    ("instances.max_lookback_days", make_instance, "max_lookback_days", 366),
    ("instances.max_concurrency", make_instance, "max_concurrency", 0),
    ("instances.data_lag_days", make_instance, "data_lag_days", -1),
    ("report_definitions.frequency", make_report, "frequency", "hourly"),
    (
        "report_executions.status",
        lambda s: make_execution(s, make_report(s)),
        "status",
        "done",
    ),
    (
        "report_executions.triggered_by",
        lambda s: make_execution(s, make_report(s)),
        "triggered_by",
        "cron",
    ),
    ("report_executions.attempt", lambda s: make_execution(s, make_report(s)), "attempt", 0),
    (
        "report_schedules.schedule_type",
        lambda s: make_schedule(s, make_report(s)),
        "schedule_type",
        "hourly",
    ),
    (
        "report_schedules.last_run_status",
        lambda s: make_schedule(s, make_report(s)),
        "last_run_status",
        "ok",
    ),
    (
        "report_data_collections.segment_type",
        lambda s: make_collection(s, make_report(s)),
        "segment_type",
        "yearly",
    ),
    (
        "report_data_collections.status",
        lambda s: make_collection(s, make_report(s)),
        "status",
        "done",
    ),
    (
        "report_data_collections.max_lookback_days",
        lambda s: make_collection(s, make_report(s)),
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
    session: Session, make: Callable[[Session], Any], column: str, bad: Any
) -> None:
    row = make(session)
    session.commit()
    setattr(row, column, bad)
    with pytest.raises(IntegrityError):
        session.flush()


def test_second_active_schedule_of_a_report_is_rejected(session: Session) -> None:
    report = make_report(session)
    make_schedule(session, report)
    make_schedule(session, report, is_active=False)  # inactive ones may pile up
    session.commit()
    with pytest.raises(IntegrityError):
        make_schedule(session, report)


def test_favoriting_a_dashboard_twice_is_rejected(session: Session) -> None:
    user = make_user(session)
    dashboard = make_dashboard(session, user)
    session.add(DashboardFavorite(dashboard_uuid=dashboard.id, user_uuid=user.id))
    session.commit()
    session.add(DashboardFavorite(dashboard_uuid=dashboard.id, user_uuid=user.id))
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_schedule_slot_has_one_execution(session: Session) -> None:
    report = make_report(session)
    schedule = make_schedule(session, report)
    make_execution(session, report, schedule_uuid=schedule.id, scheduled_for=at(5, 6))
    make_execution(session, report, schedule_uuid=schedule.id, scheduled_for=at(6, 6))
    session.commit()
    with pytest.raises(IntegrityError):
        make_execution(session, report, schedule_uuid=schedule.id, scheduled_for=at(5, 6))


def test_a_backfill_segment_has_one_execution_per_attempt(session: Session) -> None:
    report = make_report(session)
    collection = make_collection(session, report)
    window = {"time_window_start": at(5), "time_window_end": at(12)}
    make_execution(session, report, collection_uuid=collection.id, **window)
    make_execution(session, report, collection_uuid=collection.id, attempt=2, **window)
    session.commit()
    with pytest.raises(IntegrityError):
        make_execution(session, report, collection_uuid=collection.id, attempt=2, **window)


def test_an_execution_window_must_end_after_it_starts(session: Session) -> None:
    report = make_report(session)
    with pytest.raises(IntegrityError):
        make_execution(session, report, time_window_start=at(5), time_window_end=at(5))


@pytest.mark.parametrize(
    ("make", "column"),
    [
        (lambda s: make_user(s, email="same@example.com"), "email"),
        (lambda s: make_instance(s, instance_id="same"), "instance_id"),
        (lambda s: make_report(s, report_id="rpt_same0000"), "report_id"),
    ],
    ids=["users.email", "instances.instance_id", "report_definitions.report_id"],
)
def test_slugs_and_emails_are_unique(
    session: Session, make: Callable[[Session], Any], column: str
) -> None:
    make(session)
    session.commit()
    with pytest.raises(IntegrityError):
        make(session)


def test_deleting_a_report_removes_its_executions_schedules_and_backfills(
    session: Session,
) -> None:
    report = make_report(session)
    kept = make_report(session)
    schedule = make_schedule(session, report)
    collection = make_collection(session, report)
    last = make_execution(session, report, schedule_uuid=schedule.id, scheduled_for=at(2))
    make_execution(session, report, collection_uuid=collection.id, time_window_start=at(1))
    make_execution(session, kept)
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
    report = make_report(session)
    make_schedule(session, report)
    make_execution(session, report)
    session.commit()
    session.delete(report)
    session.commit()
    assert session.scalar(select(func.count()).select_from(ReportExecution)) == 0
    assert session.scalar(select(func.count()).select_from(ReportSchedule)) == 0


def test_deleting_a_template_that_a_report_uses_is_refused(session: Session) -> None:
    report = make_report(session)
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(
            text("DELETE FROM query_templates WHERE id = :t").bindparams(
                bindparam("t", type_=Uuid)
            ),
            {"t": report.template_uuid},
        )


def test_updated_at_follows_an_update_made_in_plain_sql(session: Session) -> None:
    report = make_report(session)
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

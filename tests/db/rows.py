"""Small helpers that insert valid rows for database tests."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from db.models import (
    Dashboard,
    Instance,
    QueryTemplate,
    ReportDataCollection,
    ReportDefinition,
    ReportExecution,
    ReportSchedule,
    User,
)

_counter = itertools.count(1)


def make_user(session: Session, *, role: str = "analyst", **fields: Any) -> User:
    n = next(_counter)
    values: dict[str, Any] = {"email": f"user{n}@example.com", "name": f"User {n}", "role": role}
    user = User(**(values | fields))
    session.add(user)
    session.flush()
    return user


def make_instance(session: Session, **fields: Any) -> Instance:
    n = next(_counter)
    values: dict[str, Any] = {
        "instance_id": f"inst{n}",
        "name": f"Instance {n}",
        "engine": "duckdb",
        "connection_url_encrypted": "not-a-real-token",
    }
    instance = Instance(**(values | fields))
    session.add(instance)
    session.flush()
    return instance


def make_template(session: Session, **fields: Any) -> QueryTemplate:
    n = next(_counter)
    values: dict[str, Any] = {
        "template_id": f"template_{n}",
        "name": f"Template {n}",
        "sql_template": "SELECT 1 AS one",
    }
    template = QueryTemplate(**(values | fields))
    session.add(template)
    session.flush()
    return template


def make_dashboard(session: Session, owner: User | None = None, **fields: Any) -> Dashboard:
    dashboard = Dashboard(name="Dashboard", owner_uuid=owner.id if owner else None, **fields)
    session.add(dashboard)
    session.flush()
    return dashboard


def make_report(session: Session, *, owner: User | None = None, **fields: Any) -> ReportDefinition:
    owner = owner or make_user(session)
    values: dict[str, Any] = {
        "name": "Weekly campaigns",
        "owner_uuid": owner.id,
        "template_uuid": fields.pop("template_uuid", None) or make_template(session).id,
        "instance_uuid": fields.pop("instance_uuid", None) or make_instance(session).id,
    }
    report = ReportDefinition(**(values | fields))
    session.add(report)
    session.flush()
    return report


def make_execution(session: Session, report: ReportDefinition, **fields: Any) -> ReportExecution:
    values: dict[str, Any] = {
        "report_uuid": report.id,
        "template_uuid": report.template_uuid,
        "instance_uuid": report.instance_uuid,
    }
    execution = ReportExecution(**(values | fields))
    session.add(execution)
    session.flush()
    return execution


def make_schedule(session: Session, report: ReportDefinition, **fields: Any) -> ReportSchedule:
    values: dict[str, Any] = {
        "report_uuid": report.id,
        "schedule_type": "daily",
        "cron_expression": "0 6 * * *",
    }
    schedule = ReportSchedule(**(values | fields))
    session.add(schedule)
    session.flush()
    return schedule


def make_collection(
    session: Session, report: ReportDefinition, **fields: Any
) -> ReportDataCollection:
    values: dict[str, Any] = {
        "report_uuid": report.id,
        "instance_uuid": report.instance_uuid,
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 3, 31),
        "segment_type": "weekly",
        "max_lookback_days": 90,
    }
    collection = ReportDataCollection(**(values | fields))
    session.add(collection)
    session.flush()
    return collection


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)

"""ReportService: create (with a dashboard), get, list with filters, update, delete."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Dashboard, DashboardWidget, ReportSchedule
from services.backfills import start_backfill
from services.errors import ParameterError, ReportNotFound, ValidationFailed
from services.reports import create_report, delete_report, get_report, list_reports, update_report
from services.schedules import create_schedule, delete_schedule
from tests.factories import World


def test_creating_a_report_generates_its_dashboard_from_the_template(
    session: Session, world: World
) -> None:
    report = create_report(
        session=session,
        actor=world.owner,
        template_id="numbers",
        instance_id="wh",
        name="  Weekly numbers ",
        parameters={"below": "20"},
        frequency="weekly",
        timezone="Europe/Berlin",
        notification_emails=["Ops@Example.com", "ops@example.com"],
    )
    assert report.report_id.startswith("rpt_")
    assert (report.name, report.frequency, report.timezone) == (
        "Weekly numbers",
        "weekly",
        "Europe/Berlin",
    )
    assert report.owner_email == "owner@example.com"
    assert report.state == "active" and report.execution_count == 0
    assert report.parameters == {"below": "20"}
    assert report.notification_emails == ("ops@example.com",)
    dashboard = session.scalars(select(Dashboard)).one()
    assert report.dashboard_id == dashboard.dashboard_id
    widgets = session.scalars(select(DashboardWidget)).all()
    assert [(w.widget_type, w.title) for w in widgets] == [("table", "Rows")]
    # by UUID as well as by slug
    assert get_report(session=session, actor=world.owner, report_id=str(report.uuid)) == report


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"frequency": "hourly"}, "frequency"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"notification_emails": ["not-an-address"]}, "notification_emails"),
    ],
)
def test_invalid_report_fields_are_field_errors(
    session: Session, world: World, fields: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {"name": "R", **fields}
    with pytest.raises(ParameterError) as refused:
        create_report(
            session=session,
            actor=world.owner,
            template_id="numbers",
            instance_id="wh",
            **values,  # type: ignore[arg-type]
        )
    assert refused.value.field == field


def test_invalid_parameters_are_reported_per_field(session: Session, world: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        create_report(
            session=session,
            actor=world.owner,
            template_id="numbers",
            instance_id="wh",
            name="R",
            parameters={"below": "many"},
        )
    assert refused.value.errors == {"parameters.below": "Enter a whole number."}


def test_listing_filters_sorts_and_pages(session: Session, world: World) -> None:
    names = ["Alpha", "Beta", "Gamma"]
    for index, name in enumerate(names):
        create_report(
            session=session,
            actor=world.owner,
            template_id="numbers",
            instance_id="wh",
            name=name,
            frequency="daily" if index else "once",
        )
    create_report(
        session=session, actor=world.other, template_id="numbers", instance_id="wh", name="Other"
    )
    mine = list_reports(session=session, actor=world.owner, sort="name", descending=False)
    assert [r.name for r in mine.items] == names and mine.total == 3
    assert [r.name for r in list_reports(session=session, actor=world.admin).items] == [
        "Other",
        "Gamma",
        "Beta",
        "Alpha",
    ]
    daily = list_reports(session=session, actor=world.owner, frequency="daily")
    assert {r.name for r in daily.items} == {"Beta", "Gamma"}
    assert [
        r.name for r in list_reports(session=session, actor=world.owner, search="amm").items
    ] == ["Gamma"]
    by_owner = list_reports(session=session, actor=world.admin, owner_id="other@example.com")
    assert [r.name for r in by_owner.items] == ["Other"]
    assert list_reports(session=session, actor=world.owner, instance_id="nope").total == 0
    page = list_reports(
        session=session, actor=world.owner, sort="name", descending=False, page=2, limit=2
    )
    assert (page.total, [r.name for r in page.items]) == (3, ["Gamma"])
    with pytest.raises(ParameterError):
        list_reports(session=session, actor=world.owner, sort="password_hash")


def test_state_follows_activity_and_the_schedule(session: Session, world: World) -> None:
    report = create_report(
        session=session, actor=world.owner, template_id="numbers", instance_id="wh", name="R"
    )
    session.add(
        ReportSchedule(
            report_uuid=report.uuid,
            schedule_type="daily",
            cron_expression="0 6 * * *",
            is_paused=True,
        )
    )
    session.commit()
    assert (
        get_report(session=session, actor=world.owner, report_id=report.report_id).state == "paused"
    )
    assert [
        r.report_id for r in list_reports(session=session, actor=world.owner, state="paused").items
    ] == [report.report_id]
    update_report(
        session=session, actor=world.owner, report_id=report.report_id, changes={"is_active": False}
    )
    assert list_reports(session=session, actor=world.owner, state="inactive").total == 1


def test_update_changes_only_known_fields_and_validates_them(
    session: Session, world: World
) -> None:
    report = create_report(
        session=session, actor=world.owner, template_id="numbers", instance_id="wh", name="R"
    )
    session.commit()  # two requests: PostgreSQL stamps updated_at with the transaction's start
    updated = update_report(
        session=session,
        actor=world.owner,
        report_id=report.report_id,
        changes={"name": "Renamed", "parameters": {"below": 3}, "description": "d"},
    )
    assert (updated.name, updated.parameters, updated.updated_at >= report.updated_at) == (
        "Renamed",
        {"below": 3},
        True,
    )
    with pytest.raises(ValidationFailed) as refused:
        update_report(
            session=session,
            actor=world.owner,
            report_id=report.report_id,
            changes={"owner_uuid": str(world.other.id)},
        )
    assert refused.value.errors == {"owner_uuid": "This field cannot be changed."}
    with pytest.raises(ValidationFailed):
        update_report(
            session=session,
            actor=world.owner,
            report_id=report.report_id,
            changes={"parameters": {"below": -5}},
        )


def test_delete_removes_the_report_and_its_dashboard(session: Session, world: World) -> None:
    report = create_report(
        session=session, actor=world.owner, template_id="numbers", instance_id="wh", name="R"
    )
    delete_report(session=session, actor=world.owner, report_id=report.report_id)
    with pytest.raises(ReportNotFound):
        get_report(session=session, actor=world.owner, report_id=report.report_id)
    assert session.scalar(select(func.count()).select_from(Dashboard)) == 0
    assert session.scalar(select(func.count()).select_from(DashboardWidget)) == 0


def test_search_treats_like_wildcards_as_text(session: Session, world: World) -> None:
    for name in ("100% done", "plain"):
        create_report(
            session=session, actor=world.owner, template_id="numbers", instance_id="wh", name=name
        )
    assert [r.name for r in list_reports(session=session, actor=world.owner, search="%").items] == [
        "100% done"
    ]
    assert list_reports(session=session, actor=world.owner, search="_").total == 0


# --- how a report runs (run_kind) ---------------------------------------------------------


def _numbers_report(session: Session, world: World, name: str) -> str:
    return create_report(
        session=session, actor=world.owner, template_id="numbers", instance_id="wh", name=name
    ).report_id


def _run_kinds(session: Session, world: World) -> dict[str, str]:
    """run_kind by report name, from the list and from get_report, which must agree."""
    listed = {r.name: r.run_kind for r in list_reports(session=session, actor=world.owner).items}
    for report in list_reports(session=session, actor=world.owner).items:
        got = get_report(session=session, actor=world.owner, report_id=report.report_id)
        assert got.run_kind == listed[report.name]
    return listed


def test_run_kind_says_custom_schedule_once_and_backfill_where_frequency_says_once(
    session: Session, world: World
) -> None:
    _numbers_report(session, world, "once")
    custom = _numbers_report(session, world, "custom")
    create_schedule(
        session=session,
        actor=world.owner,
        report_id=custom,
        schedule_type="custom",
        cron_expression="*/15 9-17 * * 1-5",
    )
    backfill = _numbers_report(session, world, "backfill")
    start_backfill(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=backfill,
        segment_type="weekly",
        lookback_days=14,
    )
    daily = _numbers_report(session, world, "daily")
    create_schedule(session=session, actor=world.owner, report_id=daily, schedule_type="daily")

    kinds = _run_kinds(session, world)

    assert kinds == {"once": "once", "custom": "custom", "backfill": "backfill", "daily": "daily"}
    frequencies = {
        r.name: r.frequency for r in list_reports(session=session, actor=world.owner).items
    }
    assert frequencies["custom"] == frequencies["backfill"] == "once"  # what the badge said


def test_a_scheduled_report_that_was_also_backfilled_runs_on_its_schedule(
    session: Session, world: World
) -> None:
    report_id = _numbers_report(session, world, "both")
    start_backfill(
        session=session,
        redis=None,
        actor=world.owner,
        report_id=report_id,
        segment_type="weekly",
        lookback_days=14,
    )
    schedule = create_schedule(
        session=session, actor=world.owner, report_id=report_id, schedule_type="weekly"
    )
    assert _run_kinds(session, world) == {"both": "weekly"}

    delete_schedule(session=session, actor=world.owner, schedule_id=schedule.schedule_id)

    assert _run_kinds(session, world) == {"both": "backfill"}


# --- parameters reach the same validation, whatever the face ------------------------------


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("abc", "Enter a whole number."),
        ("nan", "Enter a whole number."),
        ("1e400", "Enter a whole number."),
        ("2.5", "Enter a whole number."),
        (2.5, "Enter a whole number."),
    ],
)
def test_a_report_refuses_parameters_that_are_not_what_the_field_takes(
    session: Session, world: World, given: object, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        create_report(
            session=session,
            actor=world.owner,
            template_id="numbers",
            instance_id="wh",
            name="R",
            parameters={"below": given},
        )
    assert refused.value.errors == {"parameters.below": message}

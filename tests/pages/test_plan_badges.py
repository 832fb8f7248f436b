"""Where a report's plan is drawn (its page's header, the Reports tab, the home page's
upcoming runs), it says how the report runs, not its frequency: a custom cron is not
"Once", and neither is a backfill."""

from __future__ import annotations

import importlib
from typing import Any

from components import reports_grid
from db.session import session_scope
from services.backfills import start_backfill
from services.reports import ReportInfo, get_report
from services.schedules import create_schedule, report_schedule
from tests.factories import UiWorld
from tests.trees import text_of


def _shown(ui: UiWorld, as_user: Any, report: ReportInfo) -> dict[str, str]:
    """The plan as the report page's header, a Reports tab row and the home page show it."""
    report_page = importlib.import_module("pages.report")
    home = importlib.import_module("pages.home")
    with session_scope(ui.session_factory) as session:
        schedule = report_schedule(session=session, actor=ui.owner, report_id=report.report_id)
    with as_user(ui.owner):
        header = report_page.create_report_header(report, schedule, actor=ui.owner, editable=True)
    return {
        "header": text_of(header),
        "row": reports_grid.report_row(report, can_change=True)["frequency"],
        "upcoming": text_of(home.create_upcoming_list([report])),
    }


def test_a_custom_cron_report_is_badged_custom_schedule(ui: UiWorld, as_user: Any) -> None:
    with session_scope(ui.session_factory) as session:
        create_schedule(
            session=session,
            actor=ui.owner,
            report_id=ui.report.report_id,
            schedule_type="custom",
            cron_expression="*/15 9-17 * * 1-5",
        )
        report = get_report(session=session, actor=ui.owner, report_id=ui.report.report_id)
    assert report.frequency == "once"  # what the badge used to show

    shown = _shown(ui, as_user, report)

    assert "Custom schedule" in shown["header"] and "Once" not in shown["header"]
    assert shown["row"] == "Custom schedule"
    assert "Custom schedule" in shown["upcoming"] and "Once" not in shown["upcoming"]


def test_a_backfill_only_report_is_badged_backfill(ui: UiWorld, as_user: Any) -> None:
    with session_scope(ui.session_factory) as session:
        start_backfill(
            session=session,
            redis=None,
            actor=ui.owner,
            report_id=ui.report.report_id,
            segment_type="weekly",
            lookback_days=14,
        )
        report = get_report(session=session, actor=ui.owner, report_id=ui.report.report_id)

    shown = _shown(ui, as_user, report)

    assert "Backfill" in shown["header"] and "Once" not in shown["header"]
    assert shown["row"] == "Backfill"


def test_a_report_run_by_hand_is_badged_once(ui: UiWorld, as_user: Any) -> None:
    shown = _shown(ui, as_user, ui.report)

    assert "Once" in shown["header"]
    assert shown["row"] == "Once"

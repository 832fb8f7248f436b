"""The report page's "Start a backfill" modal and its backfill section, called as plain
functions inside a request of the real app."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from types import ModuleType
from typing import Any

import pytest
from dash import no_update

from app import create_app
from db.session import session_scope
from services.backfill_plans import plan_backfill
from services.backfills import report_backfills, start_backfill
from services.cancels import cancel_execution
from services.executions import list_executions
from tests.factories import UiWorld
from tests.trees import find_ids, text_of
from webcontext import SETTINGS_KEY

#: What the modal's fields hold when it opens, less the lookback (28 days: 4-5 weeks).
FIELDS: dict[str, Any] = {
    "mode": "lookback",
    "lookback": 28,
    "start": None,
    "end": None,
    "segment": "weekly",
    "reprocess": "missing",
}


@pytest.fixture
def modal(ui: UiWorld) -> ModuleType:
    """The modal's module, imported by the app with the report page."""
    return importlib.import_module("pages._report_backfill")


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    return importlib.import_module("pages.report")


def _find(component: Any, wanted: Any) -> Any:
    """The component with id `wanted` in a tree, or None."""
    if isinstance(component, list | tuple):
        for child in component:
            found = _find(child, wanted)
            if found is not None:
                return found
        return None
    if not hasattr(component, "to_plotly_json"):
        return None
    if getattr(component, "id", None) == wanted:
        return component
    return _find(getattr(component, "children", None), wanted)


def _check(ui: UiWorld, as_user: Any, modal: ModuleType, *, preview: bool, **fields: Any) -> Any:
    """The fields read again after a change (or, with `preview`, the dry run)."""
    trigger = (
        ("report-backfill-preview", "n_clicks")
        if preview
        else ("report-backfill-lookback", "value")
    )
    with as_user(ui.owner, triggered=trigger):
        return modal.check_plan(
            preview=1 if preview else None, report_id=ui.report.report_id, **{**FIELDS, **fields}
        )


def _start(ui: UiWorld, as_user: Any, modal: ModuleType, actor: Any = None, **fields: Any) -> Any:
    with as_user(actor or ui.owner, triggered=("report-backfill-submit", "n_clicks")):
        return modal.start_backfill(
            n_clicks=1, report_id=ui.report.report_id, refresh=2, **{**FIELDS, **fields}
        )


def _runs(ui: UiWorld) -> int:
    with session_scope(ui.session_factory) as session:
        return list_executions(session=session, actor=ui.owner).total


def _backfill(ui: UiWorld, lookback_days: int = 28) -> Any:
    with session_scope(ui.session_factory) as session:
        return start_backfill(
            session=session,
            redis=None,
            actor=ui.owner,
            report_id=ui.report.report_id,
            segment_type="weekly",
            lookback_days=lookback_days,
        )


def _section(ui: UiWorld, as_user: Any, page: ModuleType) -> Any:
    with as_user(ui.owner):
        return page.refresh_backfills("changed", ui.report.report_id)


def test_every_app_built_answers_the_modal_and_retry_callbacks(ui: UiWorld) -> None:
    # Dash runs page modules again for each app it builds, but not the modules they import.
    second = create_app(ui.app.server.config[SETTINGS_KEY], session_factory=ui.session_factory)
    served = second.server.test_client().get("/_dash-dependencies").get_data(as_text=True)

    for output in ("report-backfill-plan.children", "report-backfill-modal.is_open"):
        assert output in served
    assert "report-backfill-retry-one" in served


def test_only_people_who_may_change_the_report_get_the_backfill_button_and_modal(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.owner):
        owner_ids = find_ids(page.layout(report_id=ui.report.report_id))
    with as_user(ui.viewer):
        viewer_ids = find_ids(page.layout(report_id=ui.report.report_id))

    assert "report-backfill-open" in owner_ids
    assert "report-backfill-modal" in owner_ids
    assert "report-backfill-open" not in viewer_ids
    assert "report-backfill-modal" not in viewer_ids


def test_open_backfill_in_the_address_opens_the_modal_at_once(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.owner):
        opened = page.layout(report_id=ui.report.report_id, open="backfill")
        closed = page.layout(report_id=ui.report.report_id)

    assert _find(opened, "report-backfill-modal").is_open is True
    assert _find(closed, "report-backfill-modal").is_open is False


def test_the_dry_run_lists_every_segment_with_a_count_and_creates_nothing(
    ui: UiWorld, as_user: Any, modal: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        expected = plan_backfill(
            session=session,
            actor=ui.owner,
            report_id=ui.report.report_id,
            segment_type="weekly",
            lookback_days=28,
        )

    result = _check(ui, as_user, modal, preview=True)

    items = _find(result["plan"], "report-backfill-plan-list").children
    assert len(items) == len(expected.segments) >= 4
    assert text_of(_find(result["plan"], "report-backfill-plan-count")) == (
        f"{len(expected.segments)} to run"
    )
    # 28 days rarely start on a Monday: the clipped ends say "partial".
    partial = [item for item, s in zip(items, expected.segments, strict=True) if s.partial]
    assert all("partial" in text_of(item) for item in partial)
    assert all("Will run" in text_of(item) for item in items)
    assert result["lookback_days_invalid"] is False
    assert _runs(ui) == 0


def test_a_preview_click_that_also_ends_typing_in_a_field_still_previews(
    ui: UiWorld, as_user: Any, modal: ModuleType
) -> None:
    # Clicking the button blurs the field: its value and the click arrive together.
    with as_user(ui.owner, triggered=("report-backfill-lookback", "value")) as context:
        context.triggered_inputs.append({"prop_id": "report-backfill-preview.n_clicks", "value": 1})
        result = modal.check_plan(preview=1, report_id=ui.report.report_id, **FIELDS)

    assert "to run" in text_of(_find(result["plan"], "report-backfill-plan-count"))


def test_the_dry_run_says_which_segments_already_completed_and_are_skipped(
    ui: UiWorld, as_user: Any, modal: ModuleType
) -> None:
    backfill = _backfill(ui)
    for segment in backfill.segments:
        ui.run(segment.execution_id)
    total = backfill.total_segments

    missing = _check(ui, as_user, modal, preview=True)
    again = _check(ui, as_user, modal, preview=True, reprocess="all")

    assert text_of(_find(missing["plan"], "report-backfill-plan-count")) == (
        f"0 to run, {total} already completed"
    )
    assert "Skipped: already completed" in text_of(missing["plan"])
    assert text_of(_find(again["plan"], "report-backfill-plan-count")) == f"{total} to run"


@pytest.mark.parametrize("lookback", ["nan", "abc", "0", "1e400", "2.5", "-3"])
def test_a_lookback_that_is_not_a_whole_number_of_days_shows_next_to_the_field(
    ui: UiWorld, as_user: Any, modal: ModuleType, lookback: str
) -> None:
    wrong = _check(ui, as_user, modal, preview=False, lookback=lookback)
    previewed = _check(ui, as_user, modal, preview=True, lookback=lookback)
    fixed = _check(ui, as_user, modal, preview=False, lookback="84")

    assert wrong["lookback_days_invalid"] is True
    assert "whole number of days" in wrong["lookback_days_error"]
    assert previewed["lookback_days_invalid"] is True
    assert previewed["plan"] is no_update  # no dry run of what cannot be read
    assert fixed["lookback_days_invalid"] is False
    assert fixed["lookback_days_error"] == ""


def test_a_start_date_after_the_end_date_shows_next_to_the_start_date(
    ui: UiWorld, as_user: Any, modal: ModuleType
) -> None:
    end = date.today() - timedelta(days=30)
    dates = {
        "mode": "dates",
        "start": (end + timedelta(days=5)).isoformat(),
        "end": end.isoformat(),
    }

    result = _check(ui, as_user, modal, preview=True, **dates)
    started = _start(ui, as_user, modal, **dates)

    assert result["start_date_invalid"] is True
    assert "before the start date" in result["start_date_error"]
    assert started["start_date_invalid"] is True
    assert started["is_open"] is no_update  # the modal stays open to fix it
    assert _runs(ui) == 0


def test_an_unreadable_date_shows_next_to_its_field_and_clears_once_it_is_a_date(
    ui: UiWorld, as_user: Any, modal: ModuleType
) -> None:
    wrong = _check(ui, as_user, modal, preview=False, mode="dates", start="2025-02-30")
    fixed = _check(ui, as_user, modal, preview=False, mode="dates", start="2025-02-28")

    assert wrong["start_date_invalid"] is True
    assert "YYYY-MM-DD" in wrong["start_date_error"]
    assert fixed["start_date_invalid"] is False


def test_start_makes_the_backfill_closes_the_modal_and_redraws_the_page(
    ui: UiWorld, as_user: Any, modal: ModuleType
) -> None:
    end = date.today() - timedelta(days=10)
    start = end - timedelta(days=20)

    result = _start(ui, as_user, modal, mode="dates", start=start.isoformat(), end=end.isoformat())

    assert result["is_open"] is False
    assert result["refresh"] == 3
    assert "started" in text_of(result["feedback"])
    with session_scope(ui.session_factory) as session:
        (backfill,) = report_backfills(
            session=session, actor=ui.owner, report_id=ui.report.report_id
        )
    assert (backfill.start_date, backfill.end_date) == (start, end)
    assert backfill.collection_id in text_of(result["feedback"])


def test_a_viewer_cannot_start_a_backfill_by_calling_the_callback(
    ui: UiWorld, as_user: Any, modal: ModuleType
) -> None:
    result = _start(ui, as_user, modal, actor=ui.viewer)

    assert result["is_open"] is no_update
    assert result["alert"] is not None
    assert _runs(ui) == 0


def test_the_section_counts_each_state_marks_partial_segments_and_links_each_run(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    backfill = _backfill(ui, lookback_days=31)
    cancelled, *rest = backfill.segments
    with session_scope(ui.session_factory) as session:
        cancel_execution(
            session=session, redis=None, actor=ui.owner, execution_id=cancelled.execution_id
        )
    for segment in rest:
        ui.run(segment.execution_id)

    section = _section(ui, as_user, page)

    text = text_of(section)
    assert f"{len(rest)} completed, 1 cancelled of {len(backfill.segments)} segments" in text
    assert "finished" not in text
    assert text_of(_find(section, "report-backfill-status")) == "Partial"
    grid = _find(section, "report-backfill-segments").children
    assert [cell.href for cell in grid] == [f"/runs/{s.execution_id}" for s in backfill.segments]
    clipped = [cell for cell in grid if "segment-cell-partial" in cell.children.className]
    assert clipped and all("partial" in cell.title for cell in clipped)
    assert "Retry failed and cancelled" in text
    retry = {"type": "report-backfill-retry-one", "index": cancelled.execution_id}
    assert retry in find_ids(section)


def test_retrying_one_segment_runs_that_segment_alone_again(
    ui: UiWorld, as_user: Any, page: ModuleType, modal: ModuleType
) -> None:
    backfill = _backfill(ui)
    first, second, *rest = backfill.segments
    with session_scope(ui.session_factory) as session:
        for segment in (first, second):
            cancel_execution(
                session=session, redis=None, actor=ui.owner, execution_id=segment.execution_id
            )
    for segment in rest:
        ui.run(segment.execution_id)
    button = {"type": "report-backfill-retry-one", "index": second.execution_id}

    with as_user(ui.owner, triggered=(button, "n_clicks")):
        feedback, refresh = modal.retry_segment([None, 1], backfill.collection_id, 4)

    assert refresh == 5
    assert second.execution_id in text_of(feedback)
    with session_scope(ui.session_factory) as session:
        (now,) = report_backfills(session=session, actor=ui.owner, report_id=ui.report.report_id)
    by_window = {s.time_window_start: s for s in now.segments}
    assert by_window[first.time_window_start].status == "cancelled"
    retried = by_window[second.time_window_start]
    assert (retried.status, retried.attempt) == ("pending", 2)
    assert now.status == "running"


def test_redrawn_retry_buttons_retry_nothing(ui: UiWorld, as_user: Any, modal: ModuleType) -> None:
    backfill = _backfill(ui)
    button = {"type": "report-backfill-retry-one", "index": backfill.segments[0].execution_id}

    with as_user(ui.owner, triggered=(button, "n_clicks"), value=None):
        assert modal.retry_segment([None], backfill.collection_id, 0) == (no_update, no_update)


def test_with_no_backfill_yet_the_section_points_at_the_start_button(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    text = text_of(_section(ui, as_user, page))

    assert "No backfill yet" in text
    assert "Start a backfill" in text
    assert "Report Builder" not in text

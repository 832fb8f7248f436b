"""The report page's layout and callbacks, called as plain functions inside a request."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import dash
import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from db.session import session_scope
from services.backfills import report_backfills, start_backfill
from services.executions import list_executions, run_report
from services.reports import set_active
from services.schedules import create_schedule
from tests.factories import UiWorld
from tests.trees import find_ids, text_of


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    """The page module, imported by the app (Dash registers pages only once an app exists)."""
    return importlib.import_module("pages.report")


@pytest.fixture
def actions(ui: UiWorld) -> ModuleType:
    """The page's action callbacks, registered by the page for every app."""
    return importlib.import_module("pages._report_actions")


def _layout(
    ui: UiWorld, as_user: Any, actor: Any, page: ModuleType, report_id: str | None = None
) -> Any:
    with as_user(actor):
        return page.layout(report_id=report_id or ui.report.report_id)


def _queue_run(ui: UiWorld) -> str:
    with session_scope(ui.session_factory) as session:
        return run_report(
            session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id
        ).execution_id


def test_the_page_sends_someone_not_signed_in_to_login_and_back(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    redirect = _layout(ui, as_user, None, page)

    assert isinstance(redirect, dash.dcc.Location)
    assert redirect.href == f"/login?next=/reports/{ui.report.report_id}"
    assert redirect.refresh is True


def test_the_owner_sees_parameters_schedule_state_and_every_action(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    tree = _layout(ui, as_user, ui.owner, page)
    ids = find_ids(tree)
    text = text_of(tree)

    assert "Numbers report" in text
    assert "100" in text  # the saved parameter
    assert "Not scheduled" in text
    for action in ("report-run-now", "report-delete", "report-dashboard-link"):
        assert action in ids
    assert "report-pause" not in ids  # nothing to pause without a schedule


def test_someone_elses_report_is_not_found_rather_than_forbidden(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    tree = _layout(ui, as_user, ui.other, page)

    assert "Report not found" in text_of(tree)
    assert "report-run-now" not in find_ids(tree)


def test_a_viewer_reads_the_report_but_gets_no_run_or_delete_button(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    ids = find_ids(_layout(ui, as_user, ui.viewer, page))

    assert "report-run-now" not in ids
    assert "report-delete" not in ids
    assert "report-history-section" in ids


def _check(ui: UiWorld, as_user: Any, page: ModuleType, signature: str | None) -> Any:
    with as_user(ui.owner):
        return page.check_for_changes(1, 0, False, ui.report.report_id, signature)


def test_run_now_queues_a_run_and_the_history_polls_until_it_ends(
    ui: UiWorld, as_user: Any, page: ModuleType, actions: ModuleType
) -> None:
    idle, plan = _check(ui, as_user, page, None)
    assert plan["active"] is False and plan["wake_at"] is None
    with as_user(ui.owner, triggered=("report-run-now", "n_clicks")):
        feedback, refresh = actions.run_now(1, ui.report.report_id, 0)
    assert refresh == 1
    assert "is queued" in text_of(feedback)

    queued, plan = _check(ui, as_user, page, idle)
    assert queued not in (idle, no_update)
    assert plan["active"] is True
    with as_user(ui.owner):
        body, latest = page.refresh_history(queued, ui.report.report_id, None)
    assert "Pending" in text_of(body)
    assert latest is no_update

    with session_scope(ui.session_factory) as session:
        execution_id = list_executions(session=session, actor=ui.owner).items[0].execution_id
    ui.run(execution_id)
    ended, plan = _check(ui, as_user, page, queued)
    assert ended not in (queued, no_update)
    assert plan["active"] is False
    with as_user(ui.owner):
        body, latest = page.refresh_history(ended, ui.report.report_id, None)
    assert "Completed" in text_of(body)
    assert latest == execution_id


def test_a_tick_with_nothing_changed_redraws_nothing(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    signature, _ = _check(ui, as_user, page, None)

    assert _check(ui, as_user, page, signature)[0] is no_update


def test_the_poll_wakes_for_the_next_slot_and_the_card_lists_only_slots_ahead(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        schedule = create_schedule(
            session=session, actor=ui.owner, report_id=ui.report.report_id, schedule_type="daily"
        )
    assert schedule.next_run_at is not None

    signature, plan = _check(ui, as_user, page, None)
    with as_user(ui.owner):
        card = page.refresh_schedule(signature, ui.report.report_id)

    assert plan["active"] is False
    assert plan["wake_at"] == schedule.next_run_at.timestamp() * 1000
    assert plan["checked_at"] < plan["wake_at"]
    assert "Next runs" in text_of(card)


def test_the_latest_result_shows_its_rows_and_both_downloads(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    execution_id = _queue_run(ui)
    ui.run(execution_id)

    with as_user(ui.owner):
        preview = page.show_latest_result(execution_id)
    ids = find_ids(preview)
    text = text_of(preview)

    assert "report-download-csv" in ids
    assert "report-download-xlsx" in ids
    assert execution_id in text
    assert "rows" in text


def test_a_viewer_pressing_run_now_gets_the_reason_not_a_run(
    ui: UiWorld, as_user: Any, actions: ModuleType
) -> None:
    with as_user(ui.viewer, triggered=("report-run-now", "n_clicks")):
        feedback, refresh = actions.run_now(1, ui.report.report_id, 0)

    assert refresh is no_update
    assert "Viewers can read reports" in text_of(feedback)


def test_cancel_stops_a_queued_run(
    ui: UiWorld, as_user: Any, page: ModuleType, actions: ModuleType
) -> None:
    execution_id = _queue_run(ui)
    button = {"type": "report-cancel", "index": execution_id}

    with as_user(ui.owner, triggered=(button, "n_clicks")):
        feedback, refresh = actions.cancel_run([1], 3)

    assert refresh == 4
    assert f"Run {execution_id} cancelled" in text_of(feedback)
    signature, plan = _check(ui, as_user, page, None)
    with as_user(ui.owner):
        body, _ = page.refresh_history(signature, ui.report.report_id, None)
    assert "Cancelled" in text_of(body)
    assert plan["active"] is False


def test_redrawn_cancel_buttons_do_not_cancel_anything(
    ui: UiWorld, as_user: Any, actions: ModuleType
) -> None:
    execution_id = _queue_run(ui)
    button = {"type": "report-cancel", "index": execution_id}

    with as_user(ui.owner, triggered=(button, "n_clicks"), value=None):
        assert actions.cancel_run([None], 0) == (no_update, no_update)


def test_a_callback_whose_session_ended_sends_the_browser_to_login(
    ui: UiWorld, as_user: Any, actions: ModuleType
) -> None:
    referrer = f"http://localhost/reports/{ui.report.report_id}"
    with as_user(None, triggered=("report-run-now", "n_clicks"), referrer=referrer) as context:
        result = actions.run_now(1, ui.report.report_id, 0)

    assert result == (no_update, no_update)
    assert context.updated_props["app-location"] == {
        "href": f"/login?next=/reports/{ui.report.report_id}"
    }


def test_pause_and_resume_change_the_schedule_card(
    ui: UiWorld, as_user: Any, page: ModuleType, actions: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        schedule = create_schedule(
            session=session, actor=ui.owner, report_id=ui.report.report_id, schedule_type="weekly"
        )
    assert "report-pause" in find_ids(_layout(ui, as_user, ui.owner, page))

    with as_user(ui.owner, triggered=("report-pause", "n_clicks")):
        paused = actions.toggle_pause(1, schedule.schedule_id, False)
        resumed = actions.toggle_pause(2, schedule.schedule_id, True)

    assert text_of(paused["state"]) == "Paused" and paused["paused"] is True
    assert "Resume schedule" in text_of(paused["label"])
    assert text_of(resumed["state"]) == "Active" and resumed["paused"] is False
    assert "Next runs" in text_of(resumed["schedule"])


def test_backfill_progress_reaches_100_percent_and_polling_stops(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        backfill = start_backfill(
            session=session,
            redis=None,
            actor=ui.owner,
            report_id=ui.report.report_id,
            segment_type="weekly",
            lookback_days=28,
        )
    signature, plan = _check(ui, as_user, page, None)
    with as_user(ui.owner):
        section = page.refresh_backfills(signature, ui.report.report_id)
    assert plan["active"] is True
    total = backfill.total_segments
    assert f"{total} pending of {total} segments" in text_of(section)
    assert "report-backfill-segments" in find_ids(section)

    for segment in backfill.segments:
        ui.run(segment.execution_id)
    finished, plan = _check(ui, as_user, page, signature)
    with as_user(ui.owner):
        section = page.refresh_backfills(finished, ui.report.report_id)
    assert finished != signature
    assert plan["active"] is False
    assert f"{total} completed of {total} segments" in text_of(section)


def test_a_report_deleted_while_open_stops_the_poll_and_redraws_to_say_so(
    ui: UiWorld, as_user: Any, page: ModuleType, actions: ModuleType
) -> None:
    signature, _ = _check(ui, as_user, page, None)
    with as_user(ui.owner, triggered=("report-delete-confirm", "n_clicks")):
        actions.confirm_delete(1, ui.report.report_id)

    gone, plan = _check(ui, as_user, page, signature)
    with as_user(ui.owner):
        body, _ = page.refresh_history(gone, ui.report.report_id, None)

    assert gone == page.UNAVAILABLE
    assert plan == {"active": False, "wake_at": None}
    assert "not found" in text_of(body)


def test_deleting_the_report_goes_to_the_report_builder(
    ui: UiWorld, as_user: Any, page: ModuleType, actions: ModuleType
) -> None:
    with as_user(ui.owner, triggered=("report-delete-confirm", "n_clicks")):
        _, href, is_open = actions.confirm_delete(1, ui.report.report_id)

    assert (href, is_open) == ("/report-builder", False)
    assert "Report not found" in text_of(_layout(ui, as_user, ui.owner, page))


def _started_backfill(ui: UiWorld) -> Any:
    with session_scope(ui.session_factory) as session:
        return start_backfill(
            session=session,
            redis=None,
            actor=ui.owner,
            report_id=ui.report.report_id,
            segment_type="weekly",
            lookback_days=28,
        )


def _backfill_status(ui: UiWorld) -> Any:
    with session_scope(ui.session_factory) as session:
        (backfill,) = report_backfills(
            session=session, actor=ui.owner, report_id=ui.report.report_id
        )
    return backfill


def test_cancel_backfill_stops_its_segments_and_a_second_cancel_says_why_and_redraws(
    ui: UiWorld, as_user: Any, actions: ModuleType
) -> None:
    collection_id = _started_backfill(ui).collection_id
    button = {"type": "report-backfill-cancel", "index": collection_id}

    with as_user(ui.owner, triggered=(button, "n_clicks")):
        feedback, refresh = actions.cancel_running_backfill([1], 2)
        again, refreshed = actions.cancel_running_backfill([2], refresh)

    assert refresh == 3
    assert f"Backfill {collection_id} cancelled." in text_of(feedback)
    assert _backfill_status(ui).status == "cancelled"
    assert "already ended" in text_of(again)
    assert refreshed == 4  # a refusal may mean the page is stale: it is drawn again


def test_retry_runs_the_cancelled_segments_of_a_backfill_again(
    ui: UiWorld, as_user: Any, actions: ModuleType
) -> None:
    backfill = _started_backfill(ui)
    cancel = {"type": "report-backfill-cancel", "index": backfill.collection_id}
    retry = {"type": "report-backfill-retry", "index": backfill.collection_id}
    with as_user(ui.owner, triggered=(cancel, "n_clicks")):
        actions.cancel_running_backfill([1], 0)

    with as_user(ui.owner, triggered=(retry, "n_clicks")):
        feedback, refresh = actions.retry_failed_segments([1], 1)

    assert refresh == 2
    assert "Retrying the failed and cancelled segments" in text_of(feedback)
    segments = _backfill_status(ui).segments
    assert len(segments) == backfill.total_segments
    assert {(s.status, s.attempt) for s in segments} == {("pending", 2)}


def test_activating_an_inactive_report_enables_run_now_and_hides_the_button(
    ui: UiWorld, as_user: Any, page: ModuleType, actions: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        set_active(session=session, actor=ui.owner, report_id=ui.report.report_id, active=False)
    ids = find_ids(_layout(ui, as_user, ui.owner, page))
    assert "report-activate" in ids

    with as_user(ui.owner, triggered=("report-activate", "n_clicks")):
        result = actions.activate(1, ui.report.report_id)
    with as_user(ui.viewer, triggered=("report-activate", "n_clicks")):
        refused = actions.activate(1, ui.report.report_id)

    assert "Report activated" in text_of(result["feedback"])
    assert result["button_style"] == {"display": "none"}
    assert result["run_disabled"] is False
    assert (result["state"], result["color"]) == ("Active", "success")
    assert refused["button_style"] is no_update and refused["feedback"] is not no_update


def test_the_delete_dialog_opens_and_keep_it_closes_it_but_a_redraw_changes_nothing(
    ui: UiWorld, as_user: Any, actions: ModuleType
) -> None:
    with as_user(ui.owner, triggered=("report-delete", "n_clicks")):
        opened = actions.toggle_delete_dialog(1, None)
    with as_user(ui.owner, triggered=("report-delete-dismiss", "n_clicks")):
        kept = actions.toggle_delete_dialog(1, 1)

    assert (opened, kept) == (True, False)
    with (
        as_user(ui.owner, triggered=("report-delete", "n_clicks"), value=None),
        pytest.raises(PreventUpdate),
    ):
        actions.toggle_delete_dialog(None, None)

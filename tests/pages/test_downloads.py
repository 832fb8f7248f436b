"""Result downloads (CSV, XLSX) and dashboard exports: signed-in users, their own runs only."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from db.session import session_scope
from services.executions import get_execution, run_report
from services.users import Actor
from tests.factories import UiWorld
from webauth import session_values


def _client(ui: UiWorld, actor: Actor) -> FlaskClient:
    client = ui.app.server.test_client()
    with ui.app.server.app_context():
        values = session_values(actor.id)
    with client.session_transaction() as session:
        session.update(values)
    return client


@pytest.fixture
def completed(ui: UiWorld) -> Iterator[str]:
    with session_scope(ui.session_factory) as session:
        execution = run_report(
            session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id
        )
    ui.run(execution.execution_id)
    yield execution.execution_id


def test_the_owner_downloads_the_whole_result_as_csv(ui: UiWorld, completed: str) -> None:
    response = _client(ui, ui.owner).get(f"/download/executions/{completed}.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f'filename="{completed}.csv"' in response.headers["Content-Disposition"]
    lines = response.text.strip().splitlines()
    assert lines[0] == "x,label"
    assert len(lines) > 1


def test_the_xlsx_download_keeps_numbers_as_numbers(ui: UiWorld, completed: str) -> None:
    from openpyxl import load_workbook

    response = _client(ui, ui.owner).get(f"/download/executions/{completed}.xlsx")

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("x", "label")
    assert isinstance(rows[1][0], int)
    assert isinstance(rows[1][1], str)


def test_someone_else_gets_404_not_the_data(ui: UiWorld, completed: str) -> None:
    response = _client(ui, ui.other).get(f"/download/executions/{completed}.csv")

    assert response.status_code == 404


def test_a_run_without_a_result_is_a_conflict(ui: UiWorld) -> None:
    with session_scope(ui.session_factory) as session:
        pending = run_report(
            session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id
        )

    response = _client(ui, ui.owner).get(f"/download/executions/{pending.execution_id}.csv")

    assert response.status_code == 409
    assert "pending" in response.text


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_dashboard_exports_its_combined_data(ui: UiWorld, completed: str, fmt: str) -> None:
    response = _client(ui, ui.owner).get(f"/download/dashboards/{ui.report.dashboard_id}.{fmt}")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f'.{fmt}"')
    assert (
        _client(ui, ui.other)
        .get(f"/download/dashboards/{ui.report.dashboard_id}.{fmt}")
        .status_code
        == 404
    )


def test_an_expired_result_answers_409_alike_from_the_browser_route_and_the_api(
    ui: UiWorld, completed: str
) -> None:
    with session_scope(ui.session_factory) as session:
        execution = get_execution(session=session, actor=ui.owner, execution_id=completed)
    assert execution.output_location is not None
    assert ui.store.delete(execution.output_location)
    client = _client(ui, ui.owner)

    browser = [client.get(f"/download/executions/{completed}.{fmt}") for fmt in ("csv", "xlsx")]
    api = [
        client.get(f"/api/report-builder/executions/{completed}/{what}")
        for what in ("download", "results")
    ]

    assert [r.status_code for r in browser + api] == [409] * 4
    said = [r.text for r in browser] + [r.get_json()["error"]["message"] for r in api]
    assert said == ["The run's result file is no longer available."] * 4


def test_a_run_without_a_result_answers_alike_from_the_browser_route_and_the_api(
    ui: UiWorld,
) -> None:
    with session_scope(ui.session_factory) as session:
        pending = run_report(
            session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id
        )
    client = _client(ui, ui.owner)

    browser = client.get(f"/download/executions/{pending.execution_id}.xlsx")
    api = client.get(f"/api/report-builder/executions/{pending.execution_id}/download")

    assert (browser.status_code, api.status_code) == (409, 409)
    assert browser.text == api.get_json()["error"]["message"]
    assert browser.text == "The run has no result: it is pending."

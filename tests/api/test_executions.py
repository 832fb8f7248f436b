"""Executions over HTTP: list with filters, read, cancel, results and downloads; results
come from a real worker process."""

from __future__ import annotations

import csv
import io

from tests.api.helpers import ApiClient, assert_error, create_report
from tests.factories import run_worker_burst


def test_executions_are_listed_newest_first_with_filters(client: ApiClient) -> None:
    first = create_report(client, run={"type": "once"})
    second = create_report(client, run={"type": "once"}, as_="other")
    adhoc = client.post("/templates/numbers/execute", json={"instance_id": "wh"}).json
    assert adhoc is not None

    def ids(as_: str = "owner", **query: object) -> list[str]:
        page = client.get("/executions", as_=as_, query_string=query).json
        assert page is not None
        return [e["execution_id"] for e in page["items"]]

    assert ids() == [adhoc["execution_id"], first["execution_id"]]
    assert ids(report_id=first["report_id"]) == [first["execution_id"]]
    assert set(ids("admin")) == {
        adhoc["execution_id"],
        first["execution_id"],
        second["execution_id"],
    }
    assert ids(status="completed") == []
    assert ids(status="pending,running", limit=1) == [adhoc["execution_id"]]
    assert ids(triggered_by="schedule") == []
    assert ids(start_date="2000-01-01", end_date="2000-01-02") == []
    assert_error(client.get("/executions", query_string={"status": "lost"}), 422)
    assert_error(client.get("/executions", query_string={"triggered_by": "cron"}), 422)
    assert_error(client.get("/executions", query_string={"start_date": "01/02/2024"}), 422)
    assert_error(client.get("/executions", query_string={"report_id": "rpt_none0000"}), 404)


def test_an_execution_is_cancelled_once(client: ApiClient) -> None:
    execution_id = create_report(client, run={"type": "once"})["execution_id"]

    assert_error(client.post(f"/executions/{execution_id}/cancel", as_="viewer"), 403)
    assert_error(client.post(f"/executions/{execution_id}/cancel", as_="other"), 404)
    cancelled = client.post(f"/executions/{execution_id}/cancel").json
    again = client.post(f"/executions/{execution_id}/cancel")

    assert cancelled is not None and cancelled["status"] == "cancelled"
    assert cancelled["error_message"] == "Cancelled by owner@example.com"
    assert_error(again, 409, "conflict")


def test_results_exist_only_once_a_run_completes(client: ApiClient) -> None:
    execution_id = create_report(client, run={"type": "once"})["execution_id"]

    assert_error(client.get(f"/executions/{execution_id}/results"), 409)
    assert_error(client.get(f"/executions/{execution_id}/download"), 409)
    assert_error(client.get("/executions/exe_00000000/results"), 404)


def test_results_are_read_as_rows_and_downloaded_as_csv(
    client: ApiClient, worker_env: dict[str, str]
) -> None:
    created = create_report(
        client,
        parameters={"below": 4},
        run={"type": "once"},
    )
    execution_id = created["execution_id"]
    run_worker_burst(worker_env)

    execution = client.get(f"/executions/{execution_id}").json
    assert execution is not None and execution["status"] == "completed", execution
    rows = client.get(f"/executions/{execution_id}/results", query_string={"limit": 2}).json
    download = client.get(f"/executions/{execution_id}/download")
    someone_else = client.get(f"/executions/{execution_id}/results", as_="other")

    assert rows is not None
    assert rows["columns"] == ["x", "label"]
    assert rows["rows"] == [{"x": 0, "label": "n0"}, {"x": 1, "label": "n1"}]
    assert rows["total_rows"] == execution["row_count"] == 4
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{execution_id}.csv"'
    table = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert table == [["x", "label"], ["0", "n0"], ["1", "n1"], ["2", "n2"], ["3", "n3"]]
    assert_error(someone_else, 404)
    viewer = client.get(f"/executions/{execution_id}/results", as_="viewer")
    assert viewer.status_code == 200

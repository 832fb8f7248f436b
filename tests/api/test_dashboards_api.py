"""Dashboards over HTTP (under /api): list, stars, widgets with data, exports."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import openpyxl

from tests.api.helpers import ApiClient, assert_error, create_report
from tests.factories import run_worker_burst


def _dashboard_ids(client: ApiClient, as_: str = "owner", **query: object) -> list[str]:
    page = client.get("/api/dashboards", as_=as_, query_string=query).json
    assert page is not None
    return [d["dashboard_id"] for d in page["items"]]


def test_dashboards_are_listed_with_favorites_first(client: ApiClient) -> None:
    first = create_report(client, name="A first")
    second = create_report(client, name="B second")
    create_report(client, name="C theirs", as_="other")

    assert _dashboard_ids(client) == [first["dashboard_id"], second["dashboard_id"]]
    starred = client.post(f"/api/dashboards/{second['dashboard_id']}/favorite")
    assert starred.status_code == 200
    assert starred.json == {"dashboard_id": second["dashboard_id"], "is_favorite": True}
    assert _dashboard_ids(client) == [second["dashboard_id"], first["dashboard_id"]]
    assert _dashboard_ids(client, favorites_only="true") == [second["dashboard_id"]]
    assert _dashboard_ids(client, report_id=first["report_id"]) == [first["dashboard_id"]]
    assert len(_dashboard_ids(client, as_="admin")) == 3
    page = client.get("/api/dashboards", query_string={"limit": 1, "page": 2}).json
    assert page is not None and page["total"] == 2
    assert [d["dashboard_id"] for d in page["items"]] == [first["dashboard_id"]]


def test_starring_twice_or_unstarring_twice_is_harmless(client: ApiClient) -> None:
    dashboard_id = create_report(client)["dashboard_id"]
    path = f"/api/dashboards/{dashboard_id}/favorite"

    assert client.post(path).status_code == 200
    assert client.post(path).status_code == 200
    assert _dashboard_ids(client, favorites_only="true") == [dashboard_id]
    assert client.delete(path).json == {"dashboard_id": dashboard_id, "is_favorite": False}
    assert client.delete(path).status_code == 200
    assert _dashboard_ids(client, favorites_only="true") == []


def test_stars_are_per_user_and_viewers_may_star(client: ApiClient) -> None:
    dashboard_id = create_report(client)["dashboard_id"]

    assert client.post(f"/api/dashboards/{dashboard_id}/favorite", as_="viewer").status_code == 200

    assert _dashboard_ids(client, as_="viewer", favorites_only="1") == [dashboard_id]
    assert _dashboard_ids(client, favorites_only="1") == []


def test_other_peoples_dashboards_are_not_found(client: ApiClient) -> None:
    dashboard_id = create_report(client)["dashboard_id"]

    assert_error(client.get(f"/api/dashboards/{dashboard_id}", as_="other"), 404)
    assert_error(client.post(f"/api/dashboards/{dashboard_id}/favorite", as_="other"), 404)
    assert_error(client.get(f"/api/dashboards/{dashboard_id}/export", as_="other"), 404)
    assert client.get(f"/api/dashboards/{dashboard_id}", as_="admin").status_code == 200


def test_a_dashboard_shows_widgets_and_the_newest_run_of_each_window(
    client: ApiClient, worker_env: dict[str, str]
) -> None:
    # The warehouse has one row per day, x = today - 3 - day: x 31..37 in this window.
    today = date.today()
    week = {"start": str(today - timedelta(days=40)), "end": str(today - timedelta(days=34))}
    later = {"start": str(today - timedelta(days=20)), "end": str(today - timedelta(days=11))}
    created = create_report(client)
    report_id, dashboard_id = created["report_id"], created["dashboard_id"]
    empty = client.get(f"/api/dashboards/{dashboard_id}").json
    for below in (1000, 35):  # the same window twice: the newer run (x < 35) replaces it
        run = {"parameters": {"below": below}, "time_window": week}
        assert client.post(f"/reports/{report_id}/run", json=run).status_code == 202
    assert client.post(f"/reports/{report_id}/run", json={"time_window": later}).status_code == 202
    run_worker_burst(worker_env)

    runs = client.get("/executions", query_string={"report_id": report_id}).json
    assert runs is not None
    assert {e["status"] for e in runs["items"]} == {"completed"}, runs["items"]
    dashboard = client.get(f"/api/dashboards/{dashboard_id}").json
    cut = client.get(f"/api/dashboards/{dashboard_id}", query_string={"max_rows": 3}).json

    assert empty is not None and empty["data"]["rows"] == [] and empty["data"]["run_count"] == 0
    assert dashboard is not None and cut is not None
    assert dashboard["widgets"] == [{"type": "table", "title": "Rows", "config": {}, "position": 0}]
    data = dashboard["data"]
    assert data["columns"] == ["x", "label", "window_start", "window_end"]
    assert data["run_count"] == 2 and not data["truncated"]
    week_start = f"{week['start']}T00:00:00Z"
    assert [r["x"] for r in data["rows"] if r["window_start"] == week_start] == [31, 32, 33, 34]
    assert len([r for r in data["rows"] if r["window_start"] != week_start]) == 10
    starts = [row["window_start"] for row in data["rows"]]
    assert starts == sorted(starts) and starts[0] == week_start
    # a cut keeps the newest window's rows
    assert cut["data"]["truncated"] is True and cut["data"]["total_rows"] == 3
    assert {r["window_start"] for r in cut["data"]["rows"]} == {f"{later['start']}T00:00:00Z"}
    assert_error(client.get(f"/api/dashboards/{dashboard_id}", query_string={"max_rows": 0}), 422)


def test_a_dashboard_is_exported_as_csv_or_xlsx(
    client: ApiClient, worker_env: dict[str, str]
) -> None:
    created = create_report(client, parameters={"below": 3}, run={"type": "once"})
    run_worker_burst(worker_env)
    path = f"/api/dashboards/{created['dashboard_id']}/export"

    as_csv = client.get(path)
    as_xlsx = client.get(path, query_string={"format": "xlsx"})

    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    assert as_csv.headers["Content-Disposition"].startswith(
        f'attachment; filename="{created["dashboard_id"]}_'
    )
    rows = list(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows[0] == ["x", "label", "window_start", "window_end"]
    assert len(rows) == 4
    assert as_xlsx.status_code == 200
    assert str(as_xlsx.mimetype).endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.data)).active
    assert sheet is not None
    assert [cell.value for cell in sheet[1]] == rows[0]
    assert sheet.max_row == 4
    assert_error(client.get(path, query_string={"format": "pdf"}), 422)

"""Reports over HTTP: create (with run / schedule / backfill), list, read, change, delete,
run, backfill; and who may do what."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import schemas
from db.models import ReportDefinition
from services.reports import RUN_KINDS
from tests.api.conftest import ApiClient, assert_error, create_report
from tests.services.conftest import World


def test_creating_a_report_answers_its_ids_and_dashboard(client: ApiClient) -> None:
    created = create_report(client, parameters={"below": 5}, description="Small numbers")

    assert created["report_id"].startswith("rpt_")
    assert created["dashboard_id"].startswith("dsh_")
    assert created["execution_id"] is None
    assert created["schedule_id"] is None and created["collection_id"] is None
    report = created["report"]
    assert report["uuid"] == created["uuid"]
    assert (report["name"], report["frequency"], report["state"]) == ("Numbers", "once", "active")
    assert report["parameters"] == {"below": 5}


def test_a_once_report_runs_at_once(client: ApiClient) -> None:
    created = create_report(client, run={"type": "once"})

    execution = client.get(f"/executions/{created['execution_id']}").json
    assert execution is not None
    assert execution["report_id"] == created["report_id"]
    assert execution["triggered_by"] == "api" and execution["status"] == "pending"


def test_a_recurring_report_gets_its_schedule(client: ApiClient) -> None:
    created = create_report(
        client,
        run={"type": "recurring", "frequency": "weekly", "timezone": "Europe/Berlin"},
    )

    schedule = client.get(f"/schedules/{created['schedule_id']}").json
    assert schedule is not None
    assert schedule["schedule_type"] == "weekly" and schedule["timezone"] == "Europe/Berlin"
    assert schedule["cron_expression"] == "0 6 * * 1"
    assert created["execution_id"] is None
    assert created["report"]["frequency"] == "weekly"
    assert created["report"]["schedule_id"] == created["schedule_id"]


def test_a_recurring_report_may_name_a_cron(client: ApiClient) -> None:
    created = create_report(
        client, run={"type": "recurring", "cron_expression": "30 7 * * 1-5", "execute_now": True}
    )

    schedule = client.get(f"/schedules/{created['schedule_id']}").json
    assert schedule is not None
    assert (schedule["schedule_type"], schedule["cron_expression"]) == ("custom", "30 7 * * 1-5")
    assert created["execution_id"] is not None


def test_a_backfill_report_starts_its_backfill(client: ApiClient) -> None:
    created = create_report(
        client, run={"type": "backfill", "backfill": {"segment": "monthly", "lookback_days": 60}}
    )

    backfill = client.get(f"/backfills/{created['collection_id']}").json
    assert backfill is not None
    assert backfill["segment_type"] == "monthly" and backfill["status"] == "running"
    assert backfill["total_segments"] == len(backfill["segments"]) in (2, 3)
    assert created["execution_id"] is None


@pytest.mark.parametrize(
    ("run", "field"),
    [
        ({"type": "recurring"}, "run.frequency"),
        ({"type": "recurring", "cron_expression": "every day"}, "run.cron_expression"),
        ({"type": "recurring", "frequency": "daily", "time_of_day": "25:00"}, "run.time_of_day"),
        ({"type": "recurring", "frequency": "daily", "timezone": "Mars/Base"}, "timezone"),
        ({"type": "backfill"}, "run.backfill"),
        ({"type": "backfill", "backfill": {"lookback_days": 400}}, "run.backfill.lookback_days"),
        ({"type": "sometimes"}, "run.type"),
    ],
)
def test_a_report_whose_run_is_invalid_is_not_created(
    client: ApiClient, session: Session, run: dict[str, Any], field: str
) -> None:
    body = {"template_id": "numbers", "instance_id": "wh", "name": "Bad run", "run": run}
    response = client.post("/reports", json=body)

    assert field in assert_error(response, 422, "validation_failed")["details"]["fields"]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ReportDefinition)) == 0


def test_report_parameters_are_checked_field_by_field(client: ApiClient) -> None:
    body = {"template_id": "numbers", "instance_id": "wh", "name": "R", "parameters": {"below": -1}}

    error = assert_error(client.post("/reports", json=body), 422)
    assert set(error["details"]["fields"]) == {"parameters.below"}


def test_who_may_create_reports(client: ApiClient, world: World) -> None:
    body = {"template_id": "numbers", "instance_id": "wh", "name": "R"}

    assert_error(client.post("/reports", json=body, as_="viewer"), 403, "forbidden")
    assert_error(client.post("/reports", json={**body, "template_id": "nope"}), 404)
    assert_error(client.post("/reports", json={**body, "instance_id": "nope"}), 404)
    assert client.post("/reports", json=body, as_="admin").status_code == 201


def test_report_creation_is_limited_to_twenty_an_hour(client: ApiClient) -> None:
    for _ in range(20):
        create_report(client)

    refused = client.post(
        "/reports", json={"template_id": "numbers", "instance_id": "wh", "name": "21"}
    )

    assert assert_error(refused, 429, "rate_limited")["details"]["period_seconds"] == 3600
    assert refused.headers["X-RateLimit-Limit"] == "20"


def test_reports_are_listed_to_whoever_may_see_them(client: ApiClient) -> None:
    mine = create_report(client, name="Mine")["report_id"]
    theirs = create_report(client, name="Theirs", as_="other")["report_id"]

    def listed(as_: str, **query: Any) -> list[str]:
        page = client.get("/reports", as_=as_, query_string=query).json
        assert page is not None
        return sorted(r["report_id"] for r in page["items"])

    assert listed("owner") == [mine]
    assert listed("other") == [theirs]
    assert listed("viewer") == sorted([mine, theirs])
    assert listed("admin") == sorted([mine, theirs])
    assert listed("admin", owner_id="other@example.com") == [theirs]
    assert listed("admin", search="min") == [mine]
    assert listed("admin", state="paused") == []


def test_report_lists_are_paginated_with_a_total(client: ApiClient) -> None:
    for index in range(5):
        create_report(client, name=f"Report {index}")

    first = client.get("/reports", query_string={"limit": 2, "sort": "name", "order": "asc"}).json
    last = client.get(
        "/reports", query_string={"limit": 2, "page": 3, "sort": "name", "order": "asc"}
    ).json

    assert first is not None and last is not None
    assert (first["total"], first["page"], first["limit"]) == (5, 1, 2)
    assert [r["name"] for r in first["items"]] == ["Report 0", "Report 1"]
    assert [r["name"] for r in last["items"]] == ["Report 4"]


def test_a_report_is_read_with_its_runs_schedule_and_backfills(client: ApiClient) -> None:
    created = create_report(client, run={"type": "recurring", "frequency": "daily"})
    report_id = created["report_id"]
    run = client.post(f"/reports/{report_id}/run").json
    client.post(f"/reports/{report_id}/backfill", json={"segment": "weekly", "lookback_days": 14})

    detail = client.get(f"/reports/{created['uuid']}").json

    assert detail is not None and run is not None
    assert detail["report_id"] == report_id
    assert run["execution_id"] in [e["execution_id"] for e in detail["recent_executions"]]
    assert detail["schedule"]["schedule_id"] == created["schedule_id"]
    [backfill] = detail["backfills"]
    assert backfill["segment_type"] == "weekly" and "segments" not in backfill


def test_other_peoples_reports_are_not_found_and_admins_see_all(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]

    assert_error(client.get(f"/reports/{report_id}", as_="other"), 404)
    assert_error(client.patch(f"/reports/{report_id}", json={"name": "x"}, as_="other"), 404)
    assert_error(client.delete(f"/reports/{report_id}", as_="other"), 404)
    assert_error(client.post(f"/reports/{report_id}/run", as_="other"), 404)
    assert client.get(f"/reports/{report_id}", as_="admin").status_code == 200
    assert client.get(f"/reports/{report_id}", as_="viewer").status_code == 200


def test_viewers_read_reports_but_change_nothing(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]

    assert_error(client.patch(f"/reports/{report_id}", json={"name": "x"}, as_="viewer"), 403)
    assert_error(client.delete(f"/reports/{report_id}", as_="viewer"), 403)
    assert_error(client.post(f"/reports/{report_id}/run", as_="viewer"), 403)
    backfill = {"segment": "daily", "lookback_days": 3}
    assert_error(client.post(f"/reports/{report_id}/backfill", json=backfill, as_="viewer"), 403)


def test_a_report_is_changed_field_by_field(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]

    changed = client.patch(
        f"/reports/{report_id}",
        json={"name": "Renamed", "parameters": {"below": 3}, "is_active": False},
    ).json
    refused = client.patch(f"/reports/{report_id}", json={"timezone": "Nowhere/City"})
    null = client.patch(f"/reports/{report_id}", json={"is_active": None})
    unknown = client.patch(f"/reports/{report_id}", json={"owner": "me"})

    assert changed is not None
    assert (changed["name"], changed["parameters"], changed["state"]) == (
        "Renamed",
        {"below": 3},
        "inactive",
    )
    assert set(assert_error(refused, 422)["details"]["fields"]) == {"timezone"}
    assert set(assert_error(null, 422)["details"]["fields"]) == {"is_active"}
    assert set(assert_error(unknown, 422)["details"]["fields"]) == {"owner"}


def test_a_deleted_report_is_gone(client: ApiClient) -> None:
    created = create_report(client)

    response = client.delete(f"/reports/{created['report_id']}")

    assert response.status_code == 204 and response.data == b""
    assert_error(client.get(f"/reports/{created['report_id']}"), 404)
    assert_error(client.get(f"/api/dashboards/{created['dashboard_id']}"), 404)


def test_running_a_report_queues_a_run_with_overrides(client: ApiClient) -> None:
    report_id = create_report(client, parameters={"below": 5})["report_id"]

    response = client.post(
        f"/reports/{report_id}/run",
        json={"parameters": {"below": 2}, "time_window": {"start": "2024-05-01"}},
    )

    assert response.status_code == 202
    execution = response.json
    assert execution is not None
    assert execution["parameters"] == {"below": 2} and execution["triggered_by"] == "api"
    assert execution["time_window_start"] == "2024-05-01T00:00:00Z"
    assert response.headers["X-RateLimit-Remaining"] == "9"


def test_an_inactive_report_does_not_run(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]
    client.patch(f"/reports/{report_id}", json={"is_active": False})

    assert_error(client.post(f"/reports/{report_id}/run"), 409, "conflict")


def test_runs_are_limited_to_ten_a_minute(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]

    statuses = [client.post(f"/reports/{report_id}/run").status_code for _ in range(11)]

    assert statuses == [202] * 10 + [429]


def test_a_backfill_is_started_read_and_cancelled(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]

    started = client.post(
        f"/reports/{report_id}/backfill",
        json={"segment": "weekly", "lookback_days": 28, "end_date": "2024-03-31"},
    )
    assert started.status_code == 202
    backfill = started.json
    assert backfill is not None
    assert backfill["start_date"] == "2024-03-04" and backfill["end_date"] == "2024-03-31"
    assert backfill["total_segments"] == 4 and backfill["status"] == "running"
    starts = [s["time_window_start"] for s in backfill["segments"]]
    assert starts == sorted(starts)
    again = client.post(f"/reports/{report_id}/backfill", json={"lookback_days": 7})
    assert_error(again, 409, "conflict")

    cancelled = client.post(f"/backfills/{backfill['collection_id']}/cancel").json
    assert cancelled is not None and cancelled["status"] == "cancelled"
    assert {s["status"] for s in cancelled["segments"]} == {"cancelled"}
    assert_error(client.post(f"/backfills/{backfill['collection_id']}/cancel"), 409)
    nothing_failed = client.post(f"/backfills/{backfill['collection_id']}/retry")
    assert_error(nothing_failed, 409)


def test_backfill_fields_are_checked(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]

    for body, field in [
        ({"lookback_days": 0}, "lookback_days"),
        ({"lookback_days": 7, "segment": "hourly"}, "segment"),
        ({"segment": "daily"}, "lookback_days"),
        ({"lookback_days": 7, "end_date": "yesterday"}, "end_date"),
    ]:
        response = client.post(f"/reports/{report_id}/backfill", json=body)
        assert field in assert_error(response, 422)["details"]["fields"]


def test_backfills_are_limited_to_five_a_day_per_instance(client: ApiClient) -> None:
    statuses = []
    for _ in range(6):
        report_id = create_report(client)["report_id"]
        body = {"segment": "daily", "lookback_days": 2}
        statuses.append(client.post(f"/reports/{report_id}/backfill", json=body).status_code)

    assert statuses == [202] * 5 + [429]


def test_retrying_names_only_failed_segments(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]
    backfill = client.post(
        f"/reports/{report_id}/backfill", json={"segment": "daily", "lookback_days": 2}
    ).json
    assert backfill is not None

    response = client.post(
        f"/backfills/{backfill['collection_id']}/retry",
        json={"segment_ids": [backfill["segments"][0]["execution_id"]]},
    )

    assert set(assert_error(response, 422)["details"]["fields"]) == {"segment_ids"}


def test_other_peoples_backfills_are_not_found(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]
    backfill = client.post(
        f"/reports/{report_id}/backfill", json={"segment": "daily", "lookback_days": 2}
    ).json
    assert backfill is not None
    collection_id = backfill["collection_id"]

    assert_error(client.get(f"/backfills/{collection_id}", as_="other"), 404)
    assert_error(client.post(f"/backfills/{collection_id}/cancel", as_="other"), 404)
    assert_error(client.post(f"/backfills/{collection_id}/cancel", as_="viewer"), 403)
    assert client.get(f"/backfills/{collection_id}", as_="admin").status_code == 200


@pytest.mark.parametrize(
    ("run", "run_kind"),
    [
        ({"type": "once"}, "once"),
        ({"type": "recurring", "frequency": "weekly"}, "weekly"),
        ({"type": "recurring", "cron_expression": "30 7 * * 1-5"}, "custom"),
        ({"type": "backfill", "backfill": {"segment": "monthly", "lookback_days": 60}}, "backfill"),
    ],
)
def test_a_report_says_how_it_runs_where_frequency_says_once(
    client: ApiClient, run: dict[str, Any], run_kind: str
) -> None:
    report_id = create_report(client, run=run)["report_id"]

    report = client.get(f"/reports/{report_id}").json
    listed = client.get("/reports").json

    assert report is not None and listed is not None
    assert report["run_kind"] == run_kind
    assert [r["run_kind"] for r in listed["items"]] == [run_kind]


def test_the_documented_run_kinds_are_the_services() -> None:
    assert get_args(schemas.RunKind) == RUN_KINDS

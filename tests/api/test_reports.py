"""Reports over HTTP: create (with run / schedule / backfill), list, read, change, delete,
run, backfill; and who may do what."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, get_args

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api import schemas
from db.models import Instance, ReportDefinition, ReportExecution
from services.reports import RUN_KINDS
from services.run_lifecycle import end_run
from services.run_worker import claim
from services.windows import freshest_day
from tests.api.helpers import RB, ApiClient, assert_error, create_report
from tests.factories import World


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
        ({"type": "recurring", "frequency": "daily", "timezone": "Mars/Base"}, "run.timezone"),
        ({"type": "recurring", "frequency": "monthly", "day_of_month": 29}, "run.day_of_month"),
        ({"type": "backfill"}, "run.backfill.lookback_days"),
        ({"type": "backfill", "backfill": {"lookback_days": 400}}, "run.backfill.lookback_days"),
        ({"type": "backfill", "backfill": {"start_date": "2025-02-30"}}, "run.backfill.start_date"),
        (
            {"type": "backfill", "backfill": {"lookback_days": 7, "dry_run": True}},
            "run.backfill.dry_run",
        ),
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

    start = freshest() - timedelta(days=40)
    response = client.post(
        f"/reports/{report_id}/run",
        json={"parameters": {"below": 2}, "time_window": {"start": start.isoformat()}},
    )

    assert response.status_code == 202
    execution = response.json
    assert execution is not None
    assert execution["parameters"] == {"below": 2} and execution["triggered_by"] == "api"
    assert execution["time_window_start"] == f"{start.isoformat()}T00:00:00Z"
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
    sunday = freshest() - timedelta(days=freshest().weekday() + 8)

    started = client.post(
        f"/reports/{report_id}/backfill",
        json={"segment": "weekly", "lookback_days": 28, "end_date": sunday.isoformat()},
    )
    assert started.status_code == 202
    backfill = started.json
    assert backfill is not None
    assert backfill["start_date"] == (sunday - timedelta(days=27)).isoformat()
    assert backfill["end_date"] == sunday.isoformat()
    assert backfill["total_segments"] == 4 and backfill["status"] == "running"
    starts = [s["time_window_start"] for s in backfill["segments"]]
    assert starts == sorted(starts)
    again = client.post(f"/reports/{report_id}/backfill", json={"lookback_days": 7})
    assert_error(again, 409, "conflict")

    cancelled = client.post(f"/backfills/{backfill['collection_id']}/cancel").json
    assert cancelled is not None and cancelled["status"] == "cancelled"
    assert {s["status"] for s in cancelled["segments"]} == {"cancelled"}
    assert_error(client.post(f"/backfills/{backfill['collection_id']}/cancel"), 409)
    retried = client.post(f"/backfills/{backfill['collection_id']}/retry")  # cancelled ones
    assert retried.status_code == 202 and retried.json is not None
    assert retried.json["status"] == "running"
    assert {(s["attempt"], s["status"]) for s in retried.json["segments"]} == {(2, "pending")}


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


# --- report plans: ranges, reprocessing, dry runs, presets --------------------------------


def freshest() -> date:
    """The world's last complete day (its instance lags 2 days, in UTC)."""
    return freshest_day(timezone="UTC", data_lag_days=2, min_data_age_days=0)


def executions_in(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(ReportExecution)) or 0


def end_runs(session: Session, statuses: dict[str, str]) -> None:
    """End runs (execution id → status) as a worker would: claimed, then ended."""
    for execution_id, status in statuses.items():
        execution = claim(session=session, execution_id=execution_id)
        assert execution is not None, f"{execution_id} is not pending"
        end_run(session=session, execution_uuid=execution.id, status=status)
    session.commit()


def test_a_backfill_covers_the_days_from_start_date_to_end_date(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]
    monday = freshest() - timedelta(days=freshest().weekday() + 56)
    first, last = monday + timedelta(days=2), monday + timedelta(days=24)  # Wed .. Thu

    response = client.post(
        f"/reports/{report_id}/backfill",
        json={"start_date": first.isoformat(), "end_date": last.isoformat()},
    )

    assert response.status_code == 202
    backfill = response.json
    assert backfill is not None
    assert (backfill["start_date"], backfill["end_date"]) == (first.isoformat(), last.isoformat())
    assert backfill["segment_type"] == "weekly" and backfill["total_segments"] == 4
    starts = [s["time_window_start"][:10] for s in backfill["segments"]]
    assert starts == [(monday + timedelta(days=d)).isoformat() for d in (2, 7, 14, 21)]
    ends = [backfill["segments"][i]["execution_id"] for i in (0, -1)]
    assert sorted(backfill["partial_segments"]) == sorted(ends)


def test_a_dry_run_answers_the_segments_and_creates_nothing(
    client: ApiClient, session: Session
) -> None:
    report_id = create_report(client)["report_id"]
    before = executions_in(session)

    response = client.post(
        f"/reports/{report_id}/backfill",
        json={"segment": "monthly", "lookback_days": 90, "dry_run": True},
    )

    assert response.status_code == 200
    planned = response.json
    assert planned is not None and planned["dry_run"] is True
    assert (planned["start_date"], planned["end_date"]) == (
        (freshest() - timedelta(days=89)).isoformat(),
        freshest().isoformat(),
    )
    assert planned["reprocess"] == "missing" and planned["segment_type"] == "monthly"
    assert 3 <= len(planned["segments"]) <= 4
    assert set(planned["segments"][0]) == {
        "window_start",
        "window_end",
        "action",
        "partial",
        "reason",
    }
    assert {s["action"] for s in planned["segments"]} == {"create"}
    assert planned["segments"][0]["partial"] is ((freshest() - timedelta(days=89)).day != 1)
    assert planned["segments"][0]["window_start"] == planned["start_date"]
    assert executions_in(session) == before
    detail = client.get(f"/reports/{report_id}").json
    assert detail is not None and detail["backfills"] == []


@pytest.mark.parametrize(
    ("reprocess", "actions"),
    [
        # four days ran (completed, failed, cancelled, completed); two never ran
        ("missing", ["skip", "create", "create", "skip", "create", "create"]),
        ("failed", ["skip", "create", "create", "skip", "skip", "skip"]),
        ("all", ["create"] * 6),
    ],
)
def test_reprocess_picks_the_segments_to_run_again(
    client: ApiClient, session: Session, reprocess: str, actions: list[str]
) -> None:
    report_id = create_report(client)["report_id"]
    first = freshest() - timedelta(days=9)
    ran = client.post(
        f"/reports/{report_id}/backfill",
        json={
            "segment": "daily",
            "start_date": first.isoformat(),
            "end_date": (first + timedelta(days=3)).isoformat(),
        },
    ).json
    assert ran is not None
    runs = [s["execution_id"] for s in ran["segments"]]
    statuses = ["completed", "failed", "cancelled", "completed"]
    end_runs(session, dict(zip(runs, statuses, strict=True)))
    body = {
        "segment": "daily",
        "start_date": first.isoformat(),
        "end_date": (first + timedelta(days=5)).isoformat(),
        "reprocess": reprocess,
    }

    planned = client.post(f"/reports/{report_id}/backfill", json={**body, "dry_run": True}).json
    started = client.post(f"/reports/{report_id}/backfill", json=body)

    assert planned is not None and [s["action"] for s in planned["segments"]] == actions
    assert started.status_code == 202
    made = [(first + timedelta(days=i)).isoformat() for i, a in enumerate(actions) if a == "create"]
    assert [s["time_window_start"][:10] for s in started.json["segments"]] == made  # type: ignore[index]


def test_a_lookback_and_a_start_date_together_are_refused(
    client: ApiClient, session: Session
) -> None:
    report_id = create_report(client)["report_id"]
    body = {"lookback_days": 7, "start_date": (freshest() - timedelta(days=3)).isoformat()}

    for dry_run in (False, True):
        response = client.post(f"/reports/{report_id}/backfill", json={**body, "dry_run": dry_run})
        assert "lookback_days" in assert_error(response, 422)["details"]["fields"]
    assert executions_in(session) == 0


def test_a_backfill_starting_before_the_instance_history_is_refused(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]

    for body, field in [
        ({"start_date": "0001-01-01", "end_date": "9999-12-31"}, "start_date"),
        ({"start_date": "2025-02-30"}, "start_date"),
        ({"lookback_days": 7, "reprocess": "some"}, "reprocess"),
    ]:
        response = client.post(f"/reports/{report_id}/backfill", json=body)
        assert field in assert_error(response, 422)["details"]["fields"], body


def test_an_ad_hoc_run_over_all_of_time_is_refused(client: ApiClient, session: Session) -> None:
    report_id = create_report(client)["report_id"]

    response = client.post(
        f"/reports/{report_id}/run",
        json={"time_window": {"start": "0001-01-01", "end": "9999-12-31"}},
    )

    error = assert_error(response, 422, "validation_failed")
    assert "history" in error["details"]["fields"]["time_window"]
    assert executions_in(session) == 0


@pytest.mark.parametrize(("preset", "days"), [("last_7_days", 7), ("last_90_days", 90)])
def test_a_preset_run_ends_with_the_latest_complete_day(
    client: ApiClient, preset: str, days: int
) -> None:
    report_id = create_report(client)["report_id"]

    response = client.post(f"/reports/{report_id}/run", json={"preset": preset})

    assert response.status_code == 202
    execution = response.json
    assert execution is not None
    first = freshest() - timedelta(days=days - 1)
    assert execution["time_window_start"] == f"{first.isoformat()}T00:00:00Z"
    end = freshest() + timedelta(days=1)
    assert execution["time_window_end"] == f"{end.isoformat()}T00:00:00Z"


def test_a_preset_and_a_window_together_or_an_unknown_preset_are_refused(
    client: ApiClient,
) -> None:
    report_id = create_report(client)["report_id"]
    window = {"start": (freshest() - timedelta(days=3)).isoformat()}

    both = client.post(
        f"/reports/{report_id}/run", json={"preset": "last_7_days", "time_window": window}
    )
    unknown = client.post(f"/reports/{report_id}/run", json={"preset": "last_decade"})

    assert "preset" in assert_error(both, 422)["details"]["fields"]
    assert "preset" in assert_error(unknown, 422)["details"]["fields"]


def test_a_report_with_a_refused_backfill_part_is_not_created(
    client: ApiClient, session: Session
) -> None:
    session.execute(update(Instance).values(max_lookback_days=30))
    session.commit()
    listed_before = client.get("/reports").json
    run = {
        "type": "recurring",
        "frequency": "weekly",
        "weekday": 2,
        "execute_now": True,
        "backfill": {"segment": "weekly", "lookback_days": 60},
    }

    response = client.post(
        "/reports", json={"template_id": "numbers", "instance_id": "wh", "name": "R", "run": run}
    )

    fields = assert_error(response, 422, "validation_failed")["details"]["fields"]
    assert (
        "run.backfill.lookback_days" in fields and "30 days" in fields["run.backfill.lookback_days"]
    )
    listed_after = client.get("/reports").json
    assert listed_before is not None and listed_after is not None
    assert listed_before["total"] == listed_after["total"] == 0
    assert executions_in(session) == 0


def test_a_weekly_report_may_run_now_and_backfill_in_the_same_request(
    client: ApiClient,
) -> None:
    run = {
        "type": "recurring",
        "frequency": "weekly",
        "weekday": 2,
        "time_of_day": "07:15",
        "execute_now": True,
        "backfill": {"segment": "weekly", "lookback_days": 28},
    }

    created = create_report(client, run=run)

    schedule = client.get(f"/schedules/{created['schedule_id']}").json
    assert schedule is not None
    assert schedule["cron_expression"] == "15 7 * * 3" and schedule["weekday"] == 2
    assert schedule["description"] == "At 07:15, only on Wednesday"
    assert created["execution_id"] is not None
    assert created["collection_id"] is not None
    backfill = client.get(f"/backfills/{created['collection_id']}").json
    assert backfill is not None and backfill["status"] == "running"


def test_the_openapi_document_lists_the_dry_run_answer(client: ApiClient) -> None:
    document = client.get("/api/openapi.json", as_=None).json
    assert document is not None

    responses = document["paths"][f"{RB}/reports/{{report_id}}/backfill"]["post"]["responses"]

    assert responses["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BackfillDryRun"
    }
    assert responses["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Backfill"
    }
    dry_run = document["components"]["schemas"]["BackfillDryRun"]
    assert {"dry_run", "segments", "start_date", "end_date"} <= set(dry_run["properties"])

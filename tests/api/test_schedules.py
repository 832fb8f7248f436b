"""Schedules over HTTP: create, read, pause and resume, change, preview, delete."""

from __future__ import annotations

from datetime import datetime

from tests.api.helpers import ApiClient, assert_error, create_report


def test_a_schedule_is_created_once_per_report(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]

    response = client.post(
        f"/reports/{report_id}/schedules",
        json={"schedule_type": "daily", "time_of_day": "07:30", "timezone": "America/New_York"},
    )
    duplicate = client.post(f"/reports/{report_id}/schedules", json={"schedule_type": "weekly"})

    assert response.status_code == 201
    schedule = response.json
    assert schedule is not None
    assert schedule["report_id"] == report_id
    assert (schedule["cron_expression"], schedule["timezone"]) == ("30 7 * * *", "America/New_York")
    assert schedule["is_active"] and not schedule["is_paused"]
    assert datetime.fromisoformat(schedule["next_run_at"]).utcoffset() is not None
    assert_error(duplicate, 409, "conflict")


def test_schedule_fields_are_checked(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]
    path = f"/reports/{report_id}/schedules"

    for body, field in [
        ({"schedule_type": "hourly"}, "schedule_type"),
        ({"schedule_type": "custom"}, "cron_expression"),
        ({"schedule_type": "custom", "cron_expression": "* * *"}, "cron_expression"),
        ({"schedule_type": "daily", "timezone": "Atlantis/Capital"}, "timezone"),
        (
            {"schedule_type": "daily", "default_parameters": {"below": "x"}},
            "default_parameters.below",
        ),
    ]:
        assert field in assert_error(client.post(path, json=body), 422)["details"]["fields"]


def test_a_schedule_is_paused_resumed_and_changed(client: ApiClient) -> None:
    created = create_report(client, run={"type": "recurring", "frequency": "daily"})
    path = f"/schedules/{created['schedule_id']}"

    paused = client.patch(path, json={"is_paused": True}).json
    resumed = client.patch(path, json={"is_paused": False}).json
    changed = client.patch(
        path,
        json={"schedule_type": "custom", "cron_expression": "15 3 * * *", "timezone": "Asia/Tokyo"},
    ).json
    report = client.get(f"/reports/{created['report_id']}").json

    assert paused is not None and paused["is_paused"] is True
    assert resumed is not None and resumed["is_paused"] is False
    assert changed is not None
    assert (changed["cron_expression"], changed["timezone"]) == ("15 3 * * *", "Asia/Tokyo")
    assert report is not None and report["schedule"]["schedule_type"] == "custom"
    assert_error(client.patch(path, json={"cron_expression": "nonsense"}), 422)
    assert_error(client.patch(path, json={"is_active": False}), 422)


def test_the_preview_lists_the_next_runs_in_local_time_and_utc(client: ApiClient) -> None:
    report_id = create_report(client)["report_id"]
    schedule = client.post(
        f"/reports/{report_id}/schedules",
        json={"schedule_type": "daily", "time_of_day": "06:00", "timezone": "Europe/Paris"},
    ).json
    assert schedule is not None

    preview = client.get(
        f"/schedules/{schedule['schedule_id']}/preview", query_string={"n": 3}
    ).json
    default = client.get(f"/schedules/{schedule['schedule_id']}/preview").json

    assert preview is not None and default is not None
    assert preview["timezone"] == "Europe/Paris" and len(preview["runs"]) == 3
    assert len(default["runs"]) == 5
    for run in preview["runs"]:
        local, utc = datetime.fromisoformat(run["local"]), run["utc"]
        assert local.hour == 6 and local.utcoffset() is not None
        assert utc.endswith("Z")
        assert datetime.fromisoformat(utc.replace("Z", "+00:00")) == local
    assert_error(
        client.get(f"/schedules/{schedule['schedule_id']}/preview", query_string={"n": 51}), 422
    )


def test_a_deleted_schedule_is_gone(client: ApiClient) -> None:
    created = create_report(client, run={"type": "recurring", "frequency": "monthly"})
    path = f"/schedules/{created['schedule_id']}"

    assert client.delete(path).status_code == 204
    assert_error(client.get(path), 404)
    assert_error(client.delete(path), 404)


def test_schedules_follow_their_reports_visibility(client: ApiClient) -> None:
    created = create_report(client, run={"type": "recurring", "frequency": "daily"})
    path = f"/schedules/{created['schedule_id']}"

    assert_error(client.get(path, as_="other"), 404)
    assert_error(client.patch(path, json={"is_paused": True}, as_="other"), 404)
    assert_error(client.get(f"{path}/preview", as_="other"), 404)
    assert client.get(path, as_="viewer").status_code == 200
    assert_error(client.patch(path, json={"is_paused": True}, as_="viewer"), 403)
    assert_error(client.delete(path, as_="viewer"), 403)
    report_id = created["report_id"]
    body = {"schedule_type": "daily"}
    assert_error(client.post(f"/reports/{report_id}/schedules", json=body, as_="viewer"), 403)
    assert client.patch(path, json={"is_paused": True}, as_="admin").status_code == 200

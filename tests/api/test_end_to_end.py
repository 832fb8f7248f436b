"""End to end over real Redis and a real worker process: a report with a weekly backfill
over 90 days, created through the API and polled until done."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta

from tests.api.helpers import ApiClient, create_report
from tests.factories import wait_for

#: Seconds the whole backfill may take with one worker.
DONE_WITHIN_S = 120


def test_a_weekly_backfill_over_90_days_runs_to_the_end_through_the_api(
    client: ApiClient,
    background_worker: subprocess.Popen[str],
) -> None:
    created = create_report(
        client,
        name="Ninety days",
        run={"type": "backfill", "backfill": {"segment": "weekly", "lookback_days": 90}},
    )
    path = f"/backfills/{created['collection_id']}"

    def ended() -> bool:
        assert background_worker.poll() is None, "the worker died"
        shown = client.get(path).json
        return shown is None or shown["status"] != "running"

    wait_for(ended, timeout=DONE_WITHIN_S, interval=0.25)
    backfill = client.get(path).json
    assert backfill is not None and backfill["status"] == "completed", backfill
    segments = backfill["segments"]
    # 90 days cut at ISO week boundaries: 12 whole weeks and two clipped ends, or one less.
    assert 13 <= len(segments) <= 14
    assert backfill["total_segments"] == backfill["completed_segments"] == len(segments)
    assert backfill["progress"] == 1.0
    assert all(s["status"] == "completed" and s["triggered_by"] == "backfill" for s in segments)
    starts = [s["time_window_start"] for s in segments]
    ends = [s["time_window_end"] for s in segments]
    assert starts[1:] == ends[:-1], "segments are contiguous and never overlap"
    first, last = date.fromisoformat(starts[0][:10]), date.fromisoformat(ends[-1][:10])
    assert (last - first).days == 90
    assert all(date.fromisoformat(s[:10]).weekday() == 0 for s in starts[1:]), "ISO weeks"
    assert all(
        date.fromisoformat(e[:10]) - date.fromisoformat(s[:10]) <= timedelta(days=7)
        for s, e in zip(starts, ends, strict=True)
    )

    # The warehouse has one row per day up to three days ago; the window ends two days ago.
    rows = sum(s["row_count"] for s in segments)
    assert 88 <= rows <= 90
    dashboard = client.get(f"/api/dashboards/{created['dashboard_id']}").json
    assert dashboard is not None
    assert dashboard["data"]["total_rows"] == rows
    assert dashboard["data"]["run_count"] == len(segments)
    report = client.get(f"/reports/{created['report_id']}").json
    assert report is not None and report["execution_count"] == len(segments)

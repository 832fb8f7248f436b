from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from components.data_table import column_title, format_cell
from components.execution_table import create_execution_table
from components.report_cards import create_parameter_list, format_local_run
from services.executions import ExecutionInfo
from tests.trees import find_ids, text_of


def _execution(status: str, **fields: object) -> ExecutionInfo:
    values: dict[str, object] = {
        "execution_id": f"exe_{status}",
        "uuid": uuid.uuid4(),
        "report_id": "rpt_1",
        "template_id": "t",
        "instance_id": "i",
        "triggered_by": "manual",
        "status": status,
        "scheduled_for": None,
        "time_window_start": datetime(2026, 1, 1, tzinfo=UTC),
        "time_window_end": datetime(2026, 1, 8, tzinfo=UTC),
        "row_count": 1234,
        "size_bytes": None,
        "error_message": None,
        "created_at": datetime(2026, 1, 9, tzinfo=UTC),
        "started_at": datetime(2026, 1, 9, tzinfo=UTC),
        "completed_at": datetime(2026, 1, 9, 0, 0, 5, tzinfo=UTC),
        "attempt": 1,
        "parameters": {},
        "output_location": None,
    }
    values.update(fields)
    return ExecutionInfo(**values)  # type: ignore[arg-type]


def test_only_runs_in_flight_get_a_cancel_button() -> None:
    table = create_execution_table(
        [_execution("running"), _execution("completed")], id="t", cancel_type="x-cancel"
    )
    buttons = [i for i in find_ids(table) if isinstance(i, dict)]

    assert buttons == [{"type": "x-cancel", "index": "exe_running"}]


def test_the_table_shows_names_windows_rows_and_errors() -> None:
    failed = _execution("failed", error_message="Binder Error: " + "x" * 300, row_count=None)
    text = text_of(
        create_execution_table(
            [failed, _execution("completed")], id="t", report_names={"rpt_1": "My report"}
        )
    )

    assert "My report" in text
    assert "Jan 1 – Jan 7, 2026" in text
    assert "1,234" in text
    assert "Binder Error" in text and "…" in text


def test_parameters_show_form_labels_option_labels_and_defaults() -> None:
    definitions = [
        {"name": "channel", "label": "Channel", "options": [{"value": "sp", "label": "SP"}]},
        {"name": "grain", "label": "Per", "default": "day"},
        {"name": "ids", "label": "Campaigns"},
    ]
    text = text_of(create_parameter_list({"channel": "sp", "ids": []}, definitions))

    assert "Channel SP" in text
    assert "Per day  (default)" in text
    assert "Campaigns All" in text


def test_cells_read_like_numbers_and_ids_stay_ids() -> None:
    assert format_cell("spend", 1234.5) == "1,234.50"
    assert format_cell("ctr", 0.012345) == "0.01235"
    assert format_cell("sales", Decimal("10")) == "10.00"
    assert format_cell("campaign_id", 123456) == "123456"
    assert format_cell("day", datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02"
    assert column_title("cost_per_purchase") == "Cost per purchase"
    assert column_title("roas") == "ROAS"
    assert column_title("campaign_id") == "Campaign ID"


def test_next_runs_read_in_the_schedules_zone() -> None:
    assert format_local_run("2026-11-30T06:00:00+01:00") == "Mon, Nov 30, 2026 · 06:00 (UTC+01:00)"
    assert format_local_run("2026-11-30T06:00:00+00:00") == "Mon, Nov 30, 2026 · 06:00 (UTC)"

"""Exports: CSV text, XLSX workbooks and JSON-safe values, the same wherever a result is
exported; no cell becomes a formula (CSV or XLSX)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import openpyxl
import pyarrow as pa
import pytest

from services import exports
from services.errors import ParameterError
from services.exports import (
    batches_xlsx,
    check_format,
    csv_chunks,
    jsonable,
    sheet_title,
    table_csv,
    table_xlsx,
    text_cell,
    xlsx_bytes,
)


def _sheet(content: bytes) -> list[tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def _cells(content: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12"), 12),
        (Decimal("1.25"), 1.25),
        (Decimal("NaN"), None),
        (float("nan"), None),
        (float("inf"), None),
        (float("-inf"), None),
        (datetime(2024, 3, 4, 5, 6, tzinfo=UTC), "2024-03-04T05:06:00Z"),
        (
            datetime(2024, 3, 4, tzinfo=timezone(timedelta(hours=2))),
            "2024-03-04T00:00:00+02:00",
        ),
        (datetime(2024, 3, 4, 5, 6), "2024-03-04T05:06:00"),
        (date(2024, 3, 4), "2024-03-04"),
        (time(5, 6, 7), "05:06:07"),
        (b"\x00\xff", "00ff"),
        ({"a": [Decimal("2"), float("nan")], 3: b"\x01"}, {"a": [2, None], "3": "01"}),
        ((1, "x", None, True), [1, "x", None, True]),
        (timedelta(hours=1), "1:00:00"),
    ],
)
def test_values_become_what_json_can_carry(value: Any, expected: Any) -> None:
    assert jsonable(value) == expected


def test_csv_streams_one_chunk_per_batch_with_the_header_once() -> None:
    batches = [
        pa.record_batch({"x": [1, 2], "day": [date(2024, 3, 4), None]}),
        pa.record_batch({"x": [3], "day": [date(2024, 3, 5)]}),
    ]

    chunks = list(csv_chunks(batches))

    assert len(chunks) == 2
    assert list(csv.reader(io.StringIO("".join(chunks)))) == [
        ["x", "day"],
        ["1", "2024-03-04"],
        ["2", ""],
        ["3", "2024-03-05"],
    ]


def test_a_result_without_batches_is_an_empty_csv_and_an_empty_sheet() -> None:
    assert list(csv_chunks([])) == []
    assert _sheet(batches_xlsx("Result", [])) == []


def test_a_table_without_rows_keeps_its_header() -> None:
    table = pa.table({"x": pa.array([], pa.int64()), "label": pa.array([], pa.string())})

    assert table_csv(table).decode() == "x,label\r\n"
    assert _sheet(table_xlsx("Data", table)) == [("x", "label")]


@pytest.mark.parametrize(
    ("text", "cell"),
    [("42", 42), ("-7", -7), ("0", 0), ("1.5", 1.5), ("00123", "00123"), ("1e5", "1e5"), ("", "")],
)
def test_text_cells_turn_numbers_into_numbers_and_keep_ids_as_text(text: str, cell: Any) -> None:
    assert text_cell(text) == cell
    assert type(text_cell(text)) is type(cell)


def test_formulas_and_error_codes_stay_text_in_a_workbook() -> None:
    hostile = ['=HYPERLINK("http://x","y")', "=1+2", "#N/A", "+1", "@SUM(1)", "="]
    columns = ["=cmd", "plain"]

    typed = _cells(table_xlsx("T", pa.table({"=cmd": hostile, "plain": ["a"] * len(hostile)})))
    from_batches = _cells(
        batches_xlsx("R", [pa.record_batch({"=cmd": hostile, "plain": ["a"] * len(hostile)})])
    )

    for cells in (typed, from_batches):
        assert [value for value, _ in cells[0]] == columns
        assert [row[0][0] for row in cells[1:]] == hostile
        assert {data_type for row in cells for _, data_type in row} == {"s"}


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tlead", "'\tlead"),
        ("\rlead", "'\rlead"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_csv_text_that_a_spreadsheet_would_run_is_written_as_text(text: str, cell: str) -> None:
    batch = pa.record_batch({"=cmd": [text], "n": [-5]})
    for exported in (
        "".join(csv_chunks([batch])),
        table_csv(pa.Table.from_batches([batch])).decode(),
    ):
        header, row = list(csv.reader(io.StringIO(exported, newline="")))
        assert header == ["'=cmd", "n"]
        assert row == [cell, "-5"]  # numbers stay numbers


def test_a_workbook_shows_hostile_text_without_the_csv_quote() -> None:
    batch = pa.record_batch({"label": ["-2+3", "@SUM(1)"]})
    assert _cells(batches_xlsx("R", [batch]))[1:] == [[("-2+3", "s")], [("@SUM(1)", "s")]]


def test_a_workbook_holds_at_most_the_row_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 2)

    rows = _sheet(xlsx_bytes("T", ["x"], ([i] for i in range(5)), text_cell))

    assert rows == [("x",), (0,), (1,)]


def test_typed_cells_keep_numbers_and_show_instants_in_utc() -> None:
    table = pa.table(
        {
            "n": [1],
            "f": [2.5],
            "at": pa.array([datetime(2024, 3, 4, 1, tzinfo=UTC)], pa.timestamp("us", tz="UTC")),
            "d": [Decimal("1.10")],
        }
    )

    assert _sheet(table_xlsx("T", table))[1] == (1, 2.5, datetime(2024, 3, 4, 1), "1.10")


@pytest.mark.parametrize(
    ("name", "title"),
    [("Export: [weekly]", "Export_ _weekly_"), ("'  '", "Data"), ("x" * 40, "x" * 31)],
)
def test_sheet_titles_follow_excel_rules(name: str, title: str) -> None:
    assert sheet_title(name) == title


def test_only_csv_and_xlsx_are_export_formats() -> None:
    assert check_format("xlsx") == "xlsx"
    with pytest.raises(ParameterError) as refused:
        check_format("pdf")
    assert refused.value.field == "format"

"""Results as files and JSON: CSV text, XLSX workbooks and JSON-safe values, from Arrow.

Every download and every JSON answer of result rows converts its values here, so a value
reads the same wherever it is exported. No cell becomes a formula: in CSV, text that starts
with = + - @ tab or CR gets a leading "'"; in XLSX, text is stored as text (a string cell,
never a formula or an error value).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from itertools import chain
from typing import Any

import pyarrow as pa

from services.errors import ParameterError

#: Export formats and their media types.
MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Rows an XLSX sheet holds at most: Excel's limit (1,048,576) less the header row.
XLSX_MAX_ROWS = 1_048_575
#: Characters Excel refuses in a sheet title, and the longest title it takes.
_SHEET_TITLE_REFUSED = "[]:*?/\\"
_SHEET_TITLE_MAX = 31
#: Excel's error values: text equal to one would be stored as an error cell.
_EXCEL_ERRORS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
#: First characters that make a spreadsheet read a CSV cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_INTEGER = re.compile(r"-?(0|[1-9][0-9]{0,14})")
_DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?")

Cell = Callable[[Any], Any]


@dataclass(frozen=True)
class Download:
    """A file to send: bytes, or text chunks to stream as they are made."""

    content: bytes | Iterator[str]
    mimetype: str
    filename: str


def check_format(format: str) -> str:
    """`format` when it is an export format; ParameterError otherwise."""
    if format not in MEDIA_TYPES:
        raise ParameterError("format", f"Choose one of: {', '.join(MEDIA_TYPES)}.")
    return format


# --- JSON ---------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """A result value as JSON carries it: exact numbers stay numbers, NaN and infinities
    become null, instants ISO 8601 (UTC as Z, as the API writes every other time)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


# --- CSV ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as text shows it: empty for null, ISO 8601 for days and instants."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def formula_safe(text: str) -> str:
    """Text a spreadsheet opening the CSV reads as text, never as a formula (OWASP's CSV
    injection advice): a leading = + - @ tab or carriage return gets a "'" before it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_value(value: Any) -> Any:
    """A value as a CSV cell: `_plain`, and text made `formula_safe` (numbers stay numbers)."""
    plain = _plain(value)
    return formula_safe(plain) if isinstance(plain, str) else plain


def csv_chunks(batches: Iterable[pa.RecordBatch]) -> Iterator[str]:
    """CSV text, one chunk per record batch (each ends at a row boundary); the header comes
    with the first batch, so no batch at all is an empty file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header_written = False
    for batch in batches:
        if not header_written:
            writer.writerow([formula_safe(name) for name in batch.schema.names])
            header_written = True
        for row in batch.to_pylist():
            writer.writerow([csv_value(v) for v in row.values()])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def table_csv(table: pa.Table) -> bytes:
    """A whole table as CSV (UTF-8), its header even when it has no rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([formula_safe(name) for name in table.column_names])
    for row in table.to_pylist():
        writer.writerow([csv_value(v) for v in row.values()])
    return buffer.getvalue().encode("utf-8")


# --- XLSX ---------------------------------------------------------------------------------


def sheet_title(name: str) -> str:
    """Excel refuses []:*?/\\ in sheet titles and more than 31 characters."""
    cleaned = "".join("_" if c in _SHEET_TITLE_REFUSED else c for c in name).strip("' ")
    return (cleaned or "Data")[:_SHEET_TITLE_MAX]


def typed_cell(value: Any) -> Any:
    """A typed value as a cell: numbers, days and times as themselves."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: cells hold UTC wall-clock times.
        return value.astimezone(UTC).replace(tzinfo=None)
    if value is None or isinstance(value, bool | int | float | str | date):
        return value
    return str(value)  # decimals stay exact as text; lists and structs become readable


def text_cell(value: Any) -> Any:
    """A value as its CSV text shows it, numbers as numbers so the sheet can sum them;
    ids like 00123 stay text."""
    text = str(_plain(value))
    if _INTEGER.fullmatch(text):
        return int(text)
    if _DECIMAL.fullmatch(text):
        return float(text)
    return text


def xlsx_bytes(
    title: str, columns: list[str] | None, rows: Iterable[Iterable[Any]], cell: Cell
) -> bytes:
    """A workbook of one sheet: the header (None: no header, an empty sheet if no rows),
    then at most XLSX_MAX_ROWS rows, each value made a cell by `cell`."""
    from openpyxl import Workbook  # only XLSX exports need it
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))

    def text_only(value: Any) -> Any:
        # openpyxl writes "=..." as a formula and "#N/A" as an error: force plain text.
        if isinstance(value, str) and (
            (len(value) > 1 and value.startswith("=")) or value in _EXCEL_ERRORS
        ):
            safe = WriteOnlyCell(sheet, value=value)
            safe.data_type = "s"
            return safe
        return value

    if columns is not None:
        sheet.append([text_only(name) for name in columns])
    written = 0
    for row in rows:
        if written >= XLSX_MAX_ROWS:
            break
        sheet.append([text_only(cell(v)) for v in row])
        written += 1
    if columns is None and written == 0:
        sheet.append([])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def batches_xlsx(title: str, batches: Iterable[pa.RecordBatch]) -> bytes:
    """Record batches as a workbook, values as their CSV text shows them (`text_cell`)."""
    stream = iter(batches)
    first = next(stream, None)
    if first is None:
        return xlsx_bytes(title, None, (), text_cell)
    rows = (tuple(row.values()) for batch in chain([first], stream) for row in batch.to_pylist())
    return xlsx_bytes(title, list(first.schema.names), rows, text_cell)


def table_xlsx(title: str, table: pa.Table) -> bytes:
    """A whole table as a workbook with typed cells (`typed_cell`)."""
    rows = (tuple(row.values()) for row in table.to_pylist())
    return xlsx_bytes(title, list(table.column_names), rows, typed_cell)

"""A completed run's result, read back: its first rows, or the whole of it as a file.

A run without a result to read (not completed, or its file expired) raises
ResultUnavailable, whichever route asked, so every route answers it the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy.orm import Session

from services.errors import ResultUnavailable
from services.executions import get_execution_row
from services.exports import (
    MEDIA_TYPES,
    Download,
    batches_xlsx,
    check_format,
    csv_chunks,
    jsonable,
)
from services.results import ResultsStore
from services.users import Actor

#: Most rows a result preview returns.
MAX_PREVIEW_ROWS = 1_000
#: What a run's result is called when its file has gone (retention, a lost volume).
EXPIRED = "The run's result file is no longer available."
#: Title of the one sheet of a result workbook.
SHEET_TITLE = "Result"


@dataclass(frozen=True)
class ResultPreview:
    columns: list[str]
    rows: list[dict[str, Any]]
    total_rows: int


def _result_location(session: Session, actor: Actor, execution_id: str) -> tuple[str, int]:
    """(location, row count) of a completed run's result that `actor` may read."""
    execution = get_execution_row(session=session, actor=actor, execution_id=execution_id)
    if execution.status != "completed" or not execution.output_location:
        raise ResultUnavailable(f"The run has no result: it is {execution.status}.")
    return execution.output_location, int(execution.row_count or 0)


def preview_result(
    *, session: Session, actor: Actor, store: ResultsStore, execution_id: str, limit: int = 100
) -> ResultPreview:
    """The first `limit` rows, as JSON-ready dicts."""
    location, row_count = _result_location(session, actor, execution_id)
    limit = max(1, min(limit, MAX_PREVIEW_ROWS))
    try:
        table = store.read_table(location, limit=limit)
    except FileNotFoundError:
        raise ResultUnavailable(EXPIRED) from None
    return ResultPreview(
        columns=table.column_names,
        rows=[{k: jsonable(v) for k, v in row.items()} for row in table.to_pylist()],
        total_rows=row_count,
    )


def result_download(
    *, session: Session, actor: Actor, store: ResultsStore, execution_id: str, format: str
) -> Download:
    """The whole result as a CSV file (streamed batch by batch) or an XLSX workbook."""
    check_format(format)
    location, _ = _result_location(session, actor, execution_id)
    try:  # open it now, so a missing file is this error rather than a cut stream
        batches: Iterator[pa.RecordBatch] = store.iter_batches(location)
    except FileNotFoundError:
        raise ResultUnavailable(EXPIRED) from None
    content = csv_chunks(batches) if format == "csv" else batches_xlsx(SHEET_TITLE, batches)
    filename = re.sub(r"[^A-Za-z0-9_-]", "", execution_id) or "result"
    return Download(content=content, mimetype=MEDIA_TYPES[format], filename=f"{filename}.{format}")

"""RQ job functions. Jobs receive plain values (ids, paths, SQL text), never ORM objects.

For now this holds the vertical slice: one template's SQL run against a DuckDB file, the
result streamed into the results store. The next issue replaces it with
`run_execution(execution_id)`, which reads everything it needs from the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from services.results import ResultsStore
from services.run_events import after_run_end, record_run_end
from services.run_worker import perform_execution
from workers.context import job_context

#: Rows per Arrow batch pulled from the engine: bounds the memory a run holds at once.
BATCH_ROWS = 65_536

#: A `{{ name }}` placeholder of a template.
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class SliceSQLError(ValueError):
    """The slice's SQL names a placeholder without a value, or returns no rows at all."""


def bind_placeholders(sql: str, parameters: Mapping[str, Any]) -> str:
    """Turn `{{ name }}` placeholders into DuckDB `$name` binds; values stay out of the text."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in parameters:
            raise SliceSQLError(f"no value for the placeholder {{{{ {name} }}}}")
        return f"${name}"

    return _PLACEHOLDER.sub(replace, sql)


def run_sql_to_parquet(
    database_path: str,
    sql: str,
    result_key: str,
    results_dir: str,
    parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Slice job: run `sql` on a DuckDB file read-only and stream the rows into Parquet.

    Returns ``{"location", "row_count", "size_bytes"}``.
    """
    store = ResultsStore(Path(results_dir))
    values = dict(parameters or {})
    statement = bind_placeholders(sql, values)
    used = {name: values[name] for name in _PLACEHOLDER.findall(sql)}
    # No file access from SQL (COPY … TO, read_csv, ATTACH), and the SQL cannot turn it on.
    connection = duckdb.connect(
        database_path,
        read_only=True,
        config={"enable_external_access": False, "lock_configuration": True},
    )
    try:
        relation = connection.sql(statement, params=used or None)
        if relation is None:
            raise SliceSQLError("the SQL returned no result set")
        reader: pa.RecordBatchReader = relation.to_arrow_reader(BATCH_ROWS)
        written = store.write_batches(result_key, reader.schema, reader)
    finally:
        connection.close()
    return {
        "location": written.location,
        "row_count": written.row_count,
        "size_bytes": written.size_bytes,
    }


def run_execution(execution_id: str) -> dict[str, Any]:
    """Run one report execution to its end (DESIGN.md, Runs step 2); returns its outcome."""
    context = job_context()
    outcome = perform_execution(
        session_factory=context.session_factory,
        store=context.store,
        secret_key=context.settings.secret_key,
        execution_id=execution_id,
        after_finish=record_run_end,
    )
    if outcome.execution_uuid is not None:
        after_run_end(
            session_factory=context.session_factory,
            redis=context.redis,
            smtp_url=context.settings.smtp_url,
            execution_uuid=outcome.execution_uuid,
        )
    return {
        "execution_id": outcome.execution_id,
        "status": outcome.status,
        "row_count": outcome.row_count,
    }

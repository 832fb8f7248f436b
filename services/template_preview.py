"""Previews of a template being written: run its SQL with the form's values on a chosen
source, through the run queue like any run, and show the first rows and column types.

The job carries the instance's UUID, the rendered SQL, its binds and the row limit —
never the connection URL, which the worker decrypts itself. Only the person who started a
preview may read it; RQ keeps its result for PREVIEW_TTL_S.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy.orm import Session, sessionmaker

from db.models import Instance
from services.access import require_runner
from services.errors import DomainError, EngineError, PreviewNotFound, ValidationFailed
from services.exports import jsonable
from services.instances import engine_for, get_instance
from services.parameter_validation import validate
from services.parameters import parse_definitions
from services.runtime import EXECUTIONS_QUEUE
from services.sql_templates import render
from services.template_checks import check_content
from services.templates import today_in
from services.users import Actor
from services.windows import default_window, freshest_day

#: The job that runs a preview (workers/jobs.py).
PREVIEW_JOB = "workers.jobs.run_preview"
#: Most rows a preview returns.
MAX_PREVIEW_ROWS = 1_000
#: Rows a preview returns unless asked otherwise.
DEFAULT_PREVIEW_ROWS = 100
#: Seconds RQ keeps a preview's result (and its failure): long enough to read it.
PREVIEW_TTL_S = 600
#: Seconds a preview job may wait beyond the instance's statement timeout before RQ stops it.
_JOB_GRACE_S = 60
#: RQ job states → what a preview says.
_STATES = {
    JobStatus.QUEUED: "queued",
    JobStatus.DEFERRED: "queued",
    JobStatus.SCHEDULED: "queued",
    JobStatus.STARTED: "running",
    JobStatus.FINISHED: "finished",
    JobStatus.FAILED: "failed",
    JobStatus.STOPPED: "failed",
    JobStatus.CANCELED: "failed",
}


@dataclass(frozen=True)
class PreviewColumn:
    name: str
    #: The Arrow type name, e.g. "int64", "string", "timestamp[us]".
    type: str


@dataclass(frozen=True)
class PreviewResult:
    preview_id: str
    #: queued | running | finished | failed
    state: str
    columns: list[PreviewColumn] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: True when the query had more rows than the limit.
    truncated: bool = False
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.state in {"finished", "failed"}


def start_preview(
    *,
    session: Session,
    actor: Actor,
    redis: Redis,
    instance_id: str,
    sql_template: str,
    parameter_definitions: list[dict[str, Any]],
    values: Mapping[str, Any] | None = None,
    row_limit: int = DEFAULT_PREVIEW_ROWS,
    windowed: bool = True,
    min_data_age_days: int = 0,
) -> str:
    """Check the template and the values, render it for the instance's engine over the
    default window, and enqueue it; returns the preview id (the job's id)."""
    require_runner(actor)
    instance = get_instance(session=session, actor=actor, instance_id=instance_id)
    if not 1 <= row_limit <= MAX_PREVIEW_ROWS:
        raise ValidationFailed({"row_limit": f"Preview 1 to {MAX_PREVIEW_ROWS} rows."})
    content = check_content(
        {
            "sql_template": sql_template,
            "parameter_definitions": parameter_definitions,
            "windowed": windowed,
            "min_data_age_days": min_data_age_days,
        },
        dialect=instance.engine,  # type: ignore[arg-type]
    )
    definitions = parse_definitions(content.parameter_definitions)
    checked = validate(definitions, dict(values or {}), today=today_in(instance.timezone))
    if not checked.valid:
        raise ValidationFailed({f"values.{name}": text for name, text in checked.errors.items()})
    window = default_window(
        freshest_day(
            timezone=instance.timezone,
            data_lag_days=instance.data_lag_days,
            min_data_age_days=content.min_data_age_days,
        )
    )
    rendered = render(
        content.sql_template,
        definitions,
        checked.normalized,
        window.as_datetimes(),
        instance.engine,  # type: ignore[arg-type]
    )
    job = Queue(EXECUTIONS_QUEUE, connection=redis).enqueue_call(
        PREVIEW_JOB,
        args=(str(instance.id), rendered.sql, rendered.binds, row_limit),
        timeout=instance.statement_timeout_seconds + _JOB_GRACE_S,
        result_ttl=PREVIEW_TTL_S,
        failure_ttl=PREVIEW_TTL_S,
        meta={"actor": str(actor.id)},
    )
    return str(job.id)


def preview_result(*, redis: Redis, actor: Actor, preview_id: str) -> PreviewResult:
    """Where the preview is, and its rows once finished; PreviewNotFound for anyone but
    the person who started it."""
    try:
        job = Job.fetch(preview_id, connection=redis)
    except (NoSuchJobError, ValueError):
        raise PreviewNotFound(preview_id) from None
    if job.func_name != PREVIEW_JOB or job.meta.get("actor") != str(actor.id):
        raise PreviewNotFound(preview_id)
    state = _STATES.get(job.get_status(refresh=True), "queued")
    if state == "failed":
        return PreviewResult(preview_id, "failed", error="The preview stopped unexpectedly.")
    if state != "finished":
        return PreviewResult(preview_id, state)
    outcome = job.return_value()
    if not isinstance(outcome, dict):
        return PreviewResult(preview_id, "failed", error="The preview returned nothing.")
    if outcome.get("error"):
        return PreviewResult(preview_id, "failed", error=str(outcome["error"]))
    return PreviewResult(
        preview_id,
        "finished",
        columns=[PreviewColumn(**c) for c in outcome.get("columns", [])],
        rows=list(outcome.get("rows", [])),
        truncated=bool(outcome.get("truncated")),
    )


def perform_preview(
    *,
    session_factory: sessionmaker[Session],
    secret_key: str,
    instance_uuid: str,
    sql: str,
    binds: dict[str, Any],
    row_limit: int,
) -> dict[str, Any]:
    """The worker's side: run the SQL on the instance and keep the first `row_limit` rows.
    Returns plain JSON-safe values, or {"error": message} when the engine refused."""
    with session_factory() as session:
        instance = session.get(Instance, uuid.UUID(instance_uuid))
        if instance is None:
            return {"error": "The source was removed."}
        timeout = float(instance.statement_timeout_seconds)
        try:
            engine = engine_for(instance, secret_key=secret_key)
        except (DomainError, EngineError) as error:
            return {"error": str(error)}
    limit = max(1, min(row_limit, MAX_PREVIEW_ROWS))
    rows: list[dict[str, Any]] = []
    columns: list[dict[str, str]] = []
    truncated = False
    batches = engine.execute(sql, binds, timeout)
    try:
        for batch in batches:
            if not columns:
                columns = [{"name": f.name, "type": str(f.type)} for f in batch.schema]
            take = batch.slice(0, limit - len(rows)).to_pylist()
            rows.extend({k: jsonable(v) for k, v in row.items()} for row in take)
            if len(rows) >= limit:
                # Batches hold far more rows than a preview, so the one read tells.
                truncated = batch.num_rows > len(take)
                break
    except EngineError as error:
        return {"error": str(error)}
    finally:
        batches.close()  # type: ignore[attr-defined]  # stop the engine's streaming
    return {"columns": columns, "rows": rows, "truncated": truncated}

"""The worker's pieces of a run: claim the pending row, render its SQL for the instance's
engine, and stream the result into the results store while watching for a cancel.
services/run_lifecycle.py puts them in order."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import Instance, QueryTemplate, ReportDefinition, ReportExecution
from db.session import rowcount
from services.engines import Engine, RunningQuery
from services.errors import EngineError, QueryCancelled
from services.instances import engine_for
from services.parameter_types import ParameterDefinition
from services.parameters import parse_definitions
from services.results import ResultsStore, WrittenResult
from services.sql_templates import render
from services.template_versions import version_row
from services.templates import definitions_of

log = logging.getLogger(__name__)

#: Seconds between two looks at the database for a cancel while a query runs.
CANCEL_POLL_S = 0.5
#: Seconds between two heartbeats of a running run; the reconciler takes a run whose
#: heartbeat is older than services.reconciler.STALE_HEARTBEAT_S for one whose worker died.
HEARTBEAT_S = 5.0


@dataclass(frozen=True)
class Query:
    """What a claimed run sends to its instance's engine."""

    engine: Engine
    sql: str
    binds: dict[str, Any]
    timeout: float


@dataclass(frozen=True)
class QueryEnd:
    """How a run's query ended; `result` is the file written, when it completed."""

    status: str
    error_message: str | None = None
    result: WrittenResult | None = None


def claim(*, session: Session, execution_id: str) -> ReportExecution | None:
    """Mark the pending run `execution_id` running (and its report's latest run); None when
    it is not pending, so a run is claimed once however often its job is delivered."""
    now = datetime.now(UTC)
    claimed = rowcount(
        session.execute(
            update(ReportExecution)
            .where(
                ReportExecution.execution_id == execution_id, ReportExecution.status == "pending"
            )
            .values(status="running", started_at=now, heartbeat_at=now, updated_at=now)
        )
    )
    if not claimed:
        session.commit()
        return None
    execution = session.scalars(
        select(ReportExecution).where(ReportExecution.execution_id == execution_id)
    ).one()
    if execution.report_uuid is not None:
        # The report's latest run is the one that started last.
        session.execute(
            update(ReportDefinition)
            .where(ReportDefinition.id == execution.report_uuid)
            .values(last_execution_uuid=execution.id)
        )
    session.commit()
    return execution


def prepare(*, session: Session, execution: ReportExecution, secret_key: str) -> Query:
    """The engine and rendered SQL of a claimed run; raises a DomainError when it cannot run."""
    template = session.get_one(QueryTemplate, execution.template_uuid)
    instance = session.get_one(Instance, execution.instance_uuid)
    engine = engine_for(instance, secret_key=secret_key)
    assert execution.time_window_start and execution.time_window_end
    sql, definitions = _what_runs(session, template, execution.template_version)
    rendered = render(
        sql,
        definitions,
        execution.parameters_snapshot,
        (execution.time_window_start, execution.time_window_end),
        engine.dialect,
    )
    return Query(engine, rendered.sql, rendered.binds, float(instance.statement_timeout_seconds))


def run_query(
    *,
    session_factory: sessionmaker[Session],
    store: ResultsStore,
    execution_uuid: uuid.UUID,
    execution_id: str,
    query: Query,
) -> QueryEnd:
    """Run the query and write its result to the store, stopping it if the run is cancelled."""
    running = RunningQuery()
    location = store.path_for(execution_id)
    log.info(
        "run %s started on %s",
        execution_id,
        query.engine.dialect,
        extra={"execution_id": execution_id, "engine": query.engine.dialect},
    )
    with _CancelWatch(session_factory, execution_uuid, running):
        try:
            batches = query.engine.execute(query.sql, query.binds, query.timeout, running)
            # Every engine yields at least one batch, empty or not: it carries the schema.
            first = next(batches)
            with store.open_writer(location, first.schema) as sink:
                for batch in _chain(first, batches):
                    sink.write(batch)
            return QueryEnd("completed", result=sink.result)
        except QueryCancelled:
            return QueryEnd("cancelled")
        except EngineError as error:
            return QueryEnd("failed", str(error))
        except Exception as error:  # a bug of ours: fail the run, keep the worker alive
            log.exception("run crashed", extra={"execution_id": execution_id})
            message = f"Internal error ({type(error).__name__}); see the worker log."
            return QueryEnd("failed", message)


def _what_runs(
    session: Session, template: QueryTemplate, version: int | None
) -> tuple[str, tuple[ParameterDefinition, ...]]:
    """The SQL and parameters of the template version the run recorded (the template's
    current ones for a run made before versions were recorded)."""
    row = (
        None
        if version is None
        else version_row(session=session, template_uuid=template.id, version=version)
    )
    if row is None:
        return template.sql_template, definitions_of(template)
    return row.sql_template, parse_definitions(row.parameter_definitions or [])


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest


class _CancelWatch:
    """A thread that interrupts the query once the row is no longer `running` (cancelled),
    and records the engine's id for the query as soon as it has one."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        execution_uuid: uuid.UUID,
        running: RunningQuery,
    ) -> None:
        self._factory = session_factory
        self._uuid = execution_uuid
        self._running = running
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="cancel-watch")
        self._recorded = False

    def __enter__(self) -> _CancelWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        last_beat = time.monotonic()
        while not self._stop.wait(CANCEL_POLL_S):
            try:
                with self._factory() as session:
                    status = session.scalar(
                        select(ReportExecution.status).where(ReportExecution.id == self._uuid)
                    )
                    values: dict[str, object] = {}
                    engine_id = self._running.engine_execution_id
                    if engine_id and not self._recorded:
                        values["engine_execution_id"] = engine_id
                    if time.monotonic() - last_beat >= HEARTBEAT_S:
                        values["heartbeat_at"] = datetime.now(UTC)
                    if values and status == "running":
                        session.execute(
                            update(ReportExecution)
                            .where(ReportExecution.id == self._uuid)
                            .values(**values)
                        )
                        session.commit()
                        self._recorded = self._recorded or "engine_execution_id" in values
                        if "heartbeat_at" in values:
                            last_beat = time.monotonic()
            except Exception:  # a database hiccup must not kill the run
                log.warning("cancel watch could not read the status", exc_info=True)
                continue
            if status != "running":
                self._running.interrupt()
                return

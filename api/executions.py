"""Executions: list, read, cancel, and their results as JSON rows or a CSV download."""

from __future__ import annotations

from flask import Response

from api import inputs, schemas
from api.responses import file_response
from api.routing import Call, Router
from services.cancels import cancel_execution
from services.executions import get_execution, list_executions
from services.run_results import preview_result, result_download

router = Router("/report-builder", "executions")


@router.route(
    "GET",
    "/executions",
    "List executions",
    query=inputs.ExecutionsQuery,
    response=schemas.ExecutionPage,
)
def list_executions_view(call: Call) -> schemas.ExecutionPage:
    """Runs the caller may see, newest first."""
    query = call.query_as(inputs.ExecutionsQuery)
    page = list_executions(
        session=call.session,
        actor=call.actor,
        report_id=query.report_id,
        instance_id=query.instance_id,
        status=query.status,
        triggered_by=query.triggered_by,
        start_date=query.start_date,
        end_date=query.end_date,
        page=query.page,
        limit=query.limit,
    )
    return schemas.ExecutionPage(
        items=[schemas.Execution.model_validate(e) for e in page.items],
        total=page.total,
        page=page.page,
        limit=page.limit,
    )


@router.route("GET", "/executions/{execution_id}", "Get an execution", response=schemas.Execution)
def get_execution_view(call: Call) -> schemas.Execution:
    info = get_execution(
        session=call.session, actor=call.actor, execution_id=call.path["execution_id"]
    )
    return schemas.Execution.model_validate(info)


@router.route(
    "POST",
    "/executions/{execution_id}/cancel",
    "Cancel an execution",
    response=schemas.Execution,
    errors=(409, 503),
)
def cancel_execution_view(call: Call) -> schemas.Execution:
    """Cancel a pending or running run; 409 when it has already ended."""
    info = cancel_execution(
        session=call.session,
        redis=call.redis,
        actor=call.actor,
        execution_id=call.path["execution_id"],
    )
    return schemas.Execution.model_validate(info)


@router.route(
    "GET",
    "/executions/{execution_id}/results",
    "Result rows",
    query=inputs.ResultsQuery,
    response=schemas.ResultRows,
    errors=(409,),
)
def execution_results_view(call: Call) -> schemas.ResultRows:
    """The first `limit` rows of a completed run as JSON objects; 409 before it completes
    or once its file has expired."""
    execution_id = call.path["execution_id"]
    limit = call.query_as(inputs.ResultsQuery).limit
    result = preview_result(
        session=call.session,
        actor=call.actor,
        store=call.store,
        execution_id=execution_id,
        limit=limit,
    )
    return schemas.ResultRows(
        execution_id=execution_id,
        columns=result.columns,
        rows=result.rows,
        total_rows=result.total_rows,
        limit=limit,
    )


@router.route(
    "GET",
    "/executions/{execution_id}/download",
    "Download the result as CSV",
    files=("text/csv",),
    errors=(409,),
)
def download_execution_view(call: Call) -> Response:
    """The whole result as CSV, streamed; 409 before the run completes or once its file
    has expired."""
    download = result_download(
        session=call.session,
        actor=call.actor,
        store=call.store,
        execution_id=call.path["execution_id"],
        format="csv",
    )
    return file_response(download)

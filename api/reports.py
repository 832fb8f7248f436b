"""Reports: create (and run, schedule or backfill at once), list, read, change, delete, run;
and their backfills."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from api import inputs, schemas
from api.errors import field_errors
from api.ratelimit import BACKFILL_LIMIT, CREATE_REPORT_LIMIT, RUN_LIMIT
from api.routing import Call, Router, changes_of
from services.backfills import (
    cancel_backfill,
    get_backfill,
    report_backfills,
    retry_backfill,
    start_backfill,
)
from services.errors import InstanceNotFound, ParameterError, ValidationFailed
from services.executions import list_executions, run_report
from services.instances import InstanceInfo, list_instances
from services.reports import create_report, delete_report, get_report, list_reports, update_report
from services.schedules import create_schedule, report_schedule

router = Router("/report-builder", "reports")

#: Runs shown with a report.
RECENT_EXECUTIONS = 10
#: How the services name fields that the API names differently.
_SCHEDULE_FIELDS = {"schedule_type": "frequency"}
_BACKFILL_FIELDS = {"segment_type": "segment"}


@contextmanager
def fields_as(prefix: str, renamed: dict[str, str] | None = None) -> Iterator[None]:
    """Report the service's field errors under the request's own field names."""
    renamed = renamed or {}
    try:
        yield
    except ParameterError as error:
        name = prefix + renamed.get(error.field, error.field)
        raise field_errors({name: error.message}, f"{name}: {error.message}") from None
    except ValidationFailed as error:
        raise field_errors(
            {prefix + renamed.get(k, k): v for k, v in error.errors.items()}
        ) from None


def _instance(call: Call, instance_id: str) -> InstanceInfo:
    """The instance by slug or UUID among those the caller may use."""
    for instance in list_instances(session=call.session, actor=call.actor):
        if instance_id in (instance.instance_id, str(instance.uuid)):
            return instance
    raise InstanceNotFound(instance_id)


@router.route(
    "POST",
    "/reports",
    "Create a report",
    body=inputs.CreateReportBody,
    status=201,
    response=schemas.ReportCreated,
    rate_limit=CREATE_REPORT_LIMIT,
    errors=(409, 503),
)
def create_report_view(call: Call) -> schemas.ReportCreated:
    """Create a report with its dashboard and, with `run`, run it once now, give it a
    schedule (`recurring`) or start a backfill, in one request. When that second step
    fails, the report is removed again and the error says why."""
    body = call.body_as(inputs.CreateReportBody)
    run = body.run
    execute_now = run is not None and (
        run.execute_now if run.execute_now is not None else run.type == "once"
    )
    if run is not None and run.type == "recurring" and not (run.frequency or run.cron_expression):
        raise field_errors({"run.frequency": "A recurring report needs a frequency or a cron."})
    if run is not None and run.type == "backfill" and run.backfill is None:
        raise field_errors({"run.backfill": "Give segment and lookback_days for the backfill."})
    instance = _instance(call, body.instance_id)
    if execute_now:
        call.limit(RUN_LIMIT)
    if run is not None and run.type == "backfill":
        call.limit(BACKFILL_LIMIT, scope=instance.instance_id)

    timezone = (run.timezone if run else None) or body.timezone or "UTC"
    recurring = run is not None and run.type == "recurring"
    with fields_as(""):
        report = create_report(
            session=call.session,
            actor=call.actor,
            template_id=body.template_id,
            instance_id=instance.instance_id,
            name=body.name,
            description=body.description,
            parameters=body.parameters,
            frequency=(run.frequency if run and recurring and run.frequency else "once"),
            timezone=timezone,
            notification_emails=body.notification_emails,
        )
    created = schemas.ReportCreated(
        report_id=report.report_id,
        uuid=report.uuid,
        dashboard_id=report.dashboard_id,
        report=schemas.Report.model_validate(report),
    )
    try:
        if run is not None and run.type == "recurring":
            with fields_as("run.", _SCHEDULE_FIELDS):
                schedule = create_schedule(
                    session=call.session,
                    actor=call.actor,
                    report_id=report.report_id,
                    schedule_type=run.frequency or "custom",
                    cron_expression=run.cron_expression,
                    time_of_day=run.time_of_day,
                    timezone=timezone,
                )
            created.schedule_id = schedule.schedule_id
        if run is not None and run.type == "backfill":
            assert run.backfill is not None
            with fields_as("run.backfill.", _BACKFILL_FIELDS):
                backfill = start_backfill(
                    session=call.session,
                    redis=call.redis,
                    actor=call.actor,
                    report_id=report.report_id,
                    segment_type=run.backfill.segment,
                    lookback_days=run.backfill.lookback_days,
                    end_date=run.backfill.end_date,
                )
            created.collection_id = backfill.collection_id
        if execute_now:
            with fields_as("parameters."):
                execution = run_report(
                    session=call.session,
                    redis=call.redis,
                    actor=call.actor,
                    report_id=report.report_id,
                    triggered_by="api",
                )
            created.execution_id = execution.execution_id
    except Exception:
        call.session.rollback()
        delete_report(session=call.session, actor=call.actor, report_id=report.report_id)
        raise
    created.report = schemas.Report.model_validate(
        get_report(session=call.session, actor=call.actor, report_id=report.report_id)
    )
    return created


@router.route(
    "GET", "/reports", "List reports", query=inputs.ReportsQuery, response=schemas.ReportPage
)
def list_reports_view(call: Call) -> schemas.ReportPage:
    """Reports the caller may see, from report_runs_overview (admins see all)."""
    query = call.query_as(inputs.ReportsQuery)
    page = list_reports(
        session=call.session,
        actor=call.actor,
        instance_id=query.instance_id,
        owner_id=query.owner_id,
        state=query.state,
        frequency=query.frequency,
        search=query.search,
        sort=query.sort,
        descending=query.order == "desc",
        page=query.page,
        limit=query.limit,
    )
    return schemas.ReportPage(
        items=[schemas.Report.model_validate(r) for r in page.items],
        total=page.total,
        page=page.page,
        limit=page.limit,
    )


@router.route("GET", "/reports/{report_id}", "Get a report", response=schemas.ReportDetail)
def get_report_view(call: Call) -> schemas.ReportDetail:
    """The report with its recent runs, its active schedule and its backfills."""
    report_id = call.path["report_id"]
    report = get_report(session=call.session, actor=call.actor, report_id=report_id)
    recent = list_executions(
        session=call.session, actor=call.actor, report_id=report_id, limit=RECENT_EXECUTIONS
    )
    schedule = report_schedule(session=call.session, actor=call.actor, report_id=report_id)
    backfills = report_backfills(session=call.session, actor=call.actor, report_id=report_id)
    return schemas.ReportDetail.model_validate(
        {
            **schemas.Report.model_validate(report).model_dump(),
            "recent_executions": [schemas.Execution.model_validate(e) for e in recent.items],
            "schedule": schemas.Schedule.model_validate(schedule) if schedule else None,
            "backfills": [schemas.BackfillSummary.model_validate(b) for b in backfills],
        }
    )


@router.route(
    "PATCH",
    "/reports/{report_id}",
    "Change a report",
    body=inputs.UpdateReportBody,
    response=schemas.Report,
)
def update_report_view(call: Call) -> schemas.Report:
    """Change the fields given; the others stay as they are."""
    changes = changes_of(call.body_as(inputs.UpdateReportBody))
    report = update_report(
        session=call.session, actor=call.actor, report_id=call.path["report_id"], changes=changes
    )
    return schemas.Report.model_validate(report)


@router.route("DELETE", "/reports/{report_id}", "Delete a report", status=204)
def delete_report_view(call: Call) -> None:
    """Delete the report with its runs, schedules, backfills and dashboard."""
    delete_report(session=call.session, actor=call.actor, report_id=call.path["report_id"])


@router.route(
    "POST",
    "/reports/{report_id}/run",
    "Run a report now",
    body=inputs.RunReportBody,
    body_required=False,
    status=202,
    response=schemas.Execution,
    rate_limit=RUN_LIMIT,
    errors=(409, 503),
)
def run_report_view(call: Call) -> schemas.Execution:
    """Run with the saved parameters, `parameters` overriding them for this run only."""
    body = call.body_as(inputs.RunReportBody)
    window = body.time_window or inputs.TimeWindow()
    info = run_report(
        session=call.session,
        redis=call.redis,
        actor=call.actor,
        report_id=call.path["report_id"],
        overrides=body.parameters,
        start=window.start,
        end=window.end,
        triggered_by="api",
    )
    return schemas.Execution.model_validate(info)


@router.route(
    "POST",
    "/reports/{report_id}/backfill",
    "Start a backfill",
    body=inputs.BackfillBody,
    status=202,
    response=schemas.Backfill,
    errors=(409, 429, 503),
)
def start_backfill_view(call: Call) -> schemas.Backfill:
    """Cut [end − lookback, end] into calendar segments and run them, a few at a time.
    Limited to 5 backfills per user per instance and day."""
    body = call.body_as(inputs.BackfillBody)
    report = get_report(session=call.session, actor=call.actor, report_id=call.path["report_id"])
    call.limit(BACKFILL_LIMIT, scope=report.instance_id)
    with fields_as("", _BACKFILL_FIELDS):
        info = start_backfill(
            session=call.session,
            redis=call.redis,
            actor=call.actor,
            report_id=report.report_id,
            segment_type=body.segment,
            lookback_days=body.lookback_days,
            end_date=body.end_date,
        )
    return schemas.Backfill.model_validate(info)


@router.route("GET", "/backfills/{collection_id}", "Get a backfill", response=schemas.Backfill)
def get_backfill_view(call: Call) -> schemas.Backfill:
    """Progress and the newest attempt of every segment, in time order."""
    info = get_backfill(
        session=call.session, actor=call.actor, collection_id=call.path["collection_id"]
    )
    return schemas.Backfill.model_validate(info)


@router.route(
    "POST",
    "/backfills/{collection_id}/retry",
    "Retry failed segments",
    body=inputs.RetryBackfillBody,
    body_required=False,
    status=202,
    response=schemas.Backfill,
    errors=(409, 503),
)
def retry_backfill_view(call: Call) -> schemas.Backfill:
    """Run the failed segments again: all of them, or those in `segment_ids`."""
    body = call.body_as(inputs.RetryBackfillBody)
    info = retry_backfill(
        session=call.session,
        redis=call.redis,
        actor=call.actor,
        collection_id=call.path["collection_id"],
        segment_ids=body.segment_ids,
    )
    return schemas.Backfill.model_validate(info)


@router.route(
    "POST",
    "/backfills/{collection_id}/cancel",
    "Cancel a backfill",
    response=schemas.Backfill,
    errors=(409, 503),
)
def cancel_backfill_view(call: Call) -> schemas.Backfill:
    """Cancel every segment not finished yet (409 when the backfill has ended)."""
    info = cancel_backfill(
        session=call.session,
        redis=call.redis,
        actor=call.actor,
        collection_id=call.path["collection_id"],
    )
    return schemas.Backfill.model_validate(info)

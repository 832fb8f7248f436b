"""Reports: create (and run, schedule or backfill at once), list, read, change, delete, run;
and their backfills."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from api import inputs, schemas
from api.errors import field_errors
from api.parsing import changes_of
from api.ratelimit import BACKFILL_LIMIT, CREATE_REPORT_LIMIT, RUN_LIMIT
from api.routing import Call, Router
from services.backfills import (
    cancel_backfill,
    get_backfill,
    report_backfills,
    retry_backfill,
)
from services.errors import InstanceNotFound, ParameterError, ValidationFailed
from services.executions import list_executions, run_report
from services.instances import InstanceInfo, list_instances
from services.report_plans import (
    RunPlan,
    apply_plan,
    create_report_with_plan,
    preview_backfill,
    read_plan,
)
from services.reports import delete_report, get_report, list_reports, update_report
from services.schedules import report_schedule

router = Router("/report-builder", "reports")

#: Runs shown with a report.
RECENT_EXECUTIONS = 10
#: How the services name fields that the API names differently.
_BACKFILL_FIELDS = {
    f"backfill.{name}": name
    for name in ("segment", "lookback_days", "start_date", "end_date", "reprocess")
} | {"backfill.segment_type": "segment", "segment_type": "segment"}


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


#: How the plan's fields are named in a create request's body.
_PLAN_FIELDS = (
    ("run_now.parameters.", "parameters."),
    ("run_now.", "run."),
    ("schedule.schedule_type", "run.frequency"),
    ("schedule.", "run."),
    ("backfill.segment_type", "run.backfill.segment"),
    ("backfill.", "run.backfill."),
)


def _request_field(name: str) -> str:
    for service_name, request_name in _PLAN_FIELDS:
        if name.startswith(service_name):
            return request_name + name[len(service_name) :]
    return name


@contextmanager
def plan_fields() -> Iterator[None]:
    """The plan's field errors under the create request's names ("run.time_of_day" …)."""
    try:
        yield
    except ParameterError as error:
        name = _request_field(error.field)
        raise field_errors({name: error.message}, f"{name}: {error.message}") from None
    except ValidationFailed as error:
        raise field_errors({_request_field(k): v for k, v in error.errors.items()}) from None


def plan_of(run: inputs.RunSpec | None, timezone: str) -> dict[str, Any]:
    """The request's `run` in the shape `report_plans.read_plan` reads."""
    if run is None:
        return {}
    execute_now = run.execute_now if run.execute_now is not None else run.type == "once"
    raw: dict[str, Any] = {"run_now": {} if execute_now else None}
    if run.type == "recurring":
        raw["schedule"] = {
            "frequency": run.frequency or ("custom" if run.cron_expression else None),
            "cron_expression": run.cron_expression,
            "time_of_day": run.time_of_day,
            "weekday": run.weekday,
            "day_of_month": run.day_of_month,
            "timezone": timezone,
        }
    if run.type == "backfill" or run.backfill is not None:  # a schedule may backfill too
        backfill = run.backfill
        if backfill is not None and backfill.dry_run:
            message = "A dry run needs the report: POST /reports/{report_id}/backfill."
            raise field_errors({"run.backfill.dry_run": message}, message)
        raw["backfill"] = backfill.model_dump(exclude={"dry_run"}) if backfill else {}
    return raw


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
    schedule (`recurring`) or start a backfill, in one request: when any part is refused,
    nothing is created and the error names the field."""
    body = call.body_as(inputs.CreateReportBody)
    run = body.run
    timezone = (run.timezone if run else None) or body.timezone or "UTC"
    with plan_fields():
        plan = read_plan(plan_of(run, timezone))
    instance = _instance(call, body.instance_id)
    if plan.run_now is not None:
        call.limit(RUN_LIMIT)
    if plan.backfill is not None:
        call.limit(BACKFILL_LIMIT, scope=instance.instance_id)
    with plan_fields():
        outcome = create_report_with_plan(
            session=call.session,
            redis=call.redis,
            actor=call.actor,
            template_id=body.template_id,
            instance_id=instance.instance_id,
            name=body.name,
            description=body.description,
            parameters=body.parameters,
            notification_emails=body.notification_emails,
            timezone=timezone,
            plan=plan,
            triggered_by="api",
        )
    report = outcome.report
    return schemas.ReportCreated(
        report_id=report.report_id,
        uuid=report.uuid,
        dashboard_id=report.dashboard_id,
        execution_id=outcome.execution.execution_id if outcome.execution else None,
        schedule_id=outcome.schedule.schedule_id if outcome.schedule else None,
        collection_id=outcome.backfill.collection_id if outcome.backfill else None,
        report=schemas.Report.model_validate(report),
    )


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
    """Run with the saved parameters, `parameters` overriding them for this run only, over
    `time_window` or a `preset` (default: the last 30 days of complete data); the window
    stays within data freshness and the instance's history."""
    body = call.body_as(inputs.RunReportBody)
    window = body.time_window or inputs.TimeWindow()
    with fields_as("", {"start_date": "time_window", "end_date": "time_window"}):
        info = run_report(
            session=call.session,
            redis=call.redis,
            actor=call.actor,
            report_id=call.path["report_id"],
            overrides=body.parameters,
            start=window.start,
            end=window.end,
            preset=body.preset,
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
    alternatives=((200, schemas.BackfillDryRun),),
    errors=(409, 429, 503),
)
def start_backfill_view(call: Call) -> schemas.Backfill | tuple[schemas.BackfillDryRun, int]:
    """Cut the range (`lookback_days` back from `end_date`, or `start_date`..`end_date`)
    into calendar segments and run those `reprocess` selects, a few at a time. With
    `dry_run`, answer 200 with the segments it would create or skip, and create nothing.
    Limited to 5 backfills per user per instance and day."""
    body = call.body_as(inputs.BackfillBody)
    report = get_report(session=call.session, actor=call.actor, report_id=call.path["report_id"])
    with fields_as("", _BACKFILL_FIELDS):
        plan = read_plan({"backfill": body.model_dump(exclude={"dry_run"})}).backfill
    assert plan is not None
    if body.dry_run:
        with fields_as("", _BACKFILL_FIELDS):
            planned = preview_backfill(
                session=call.session, actor=call.actor, report_id=report.report_id, plan=plan
            )
        return schemas.BackfillDryRun.model_validate(planned), 200
    call.limit(BACKFILL_LIMIT, scope=report.instance_id)
    with fields_as("", _BACKFILL_FIELDS):
        outcome = apply_plan(
            session=call.session,
            redis=call.redis,
            actor=call.actor,
            report_id=report.report_id,
            plan=RunPlan(backfill=plan),
        )
    assert outcome.backfill is not None
    return schemas.Backfill.model_validate(outcome.backfill)


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

"""Schedules: one active schedule per report, paused, resumed, changed and previewed."""

from __future__ import annotations

from api import inputs, schemas
from api.parsing import changes_of
from api.routing import Call, Router
from services.schedules import (
    create_schedule,
    delete_schedule,
    get_schedule,
    schedule_preview,
    update_schedule,
)

router = Router("/report-builder", "schedules")


@router.route(
    "POST",
    "/reports/{report_id}/schedules",
    "Schedule a report",
    body=inputs.CreateScheduleBody,
    status=201,
    response=schemas.Schedule,
    errors=(409,),
)
def create_schedule_view(call: Call) -> schemas.Schedule:
    """A daily / weekly / monthly / quarterly schedule (at `time_of_day`, default 06:00) or
    a custom cron, in an IANA time zone (default: the report's). 409 when the report
    already has an active schedule."""
    body = call.body_as(inputs.CreateScheduleBody)
    info = create_schedule(
        session=call.session,
        actor=call.actor,
        report_id=call.path["report_id"],
        schedule_type=body.schedule_type,
        cron_expression=body.cron_expression,
        time_of_day=body.time_of_day,
        weekday=body.weekday,
        day_of_month=body.day_of_month,
        timezone=body.timezone,
        default_parameters=body.default_parameters,
    )
    return schemas.Schedule.model_validate(info)


@router.route("GET", "/schedules/{schedule_id}", "Get a schedule", response=schemas.Schedule)
def get_schedule_view(call: Call) -> schemas.Schedule:
    info = get_schedule(
        session=call.session, actor=call.actor, schedule_id=call.path["schedule_id"]
    )
    return schemas.Schedule.model_validate(info)


@router.route(
    "PATCH",
    "/schedules/{schedule_id}",
    "Change a schedule",
    body=inputs.UpdateScheduleBody,
    response=schemas.Schedule,
)
def update_schedule_view(call: Call) -> schemas.Schedule:
    """Pause (`is_paused: true`), resume, or change the cron, time zone or default
    parameters; the next run is the first slot after now."""
    changes = changes_of(call.body_as(inputs.UpdateScheduleBody))
    info = update_schedule(
        session=call.session,
        actor=call.actor,
        schedule_id=call.path["schedule_id"],
        changes=changes,
    )
    return schemas.Schedule.model_validate(info)


@router.route("DELETE", "/schedules/{schedule_id}", "Delete a schedule", status=204)
def delete_schedule_view(call: Call) -> None:
    delete_schedule(session=call.session, actor=call.actor, schedule_id=call.path["schedule_id"])


@router.route(
    "GET",
    "/schedules/{schedule_id}/preview",
    "Preview the next runs",
    query=inputs.PreviewQuery,
    response=schemas.SchedulePreview,
)
def preview_schedule_view(call: Call) -> schemas.SchedulePreview:
    """The next `n` runs in the schedule's time zone (with offset) and in UTC."""
    schedule_id = call.path["schedule_id"]
    schedule = get_schedule(session=call.session, actor=call.actor, schedule_id=schedule_id)
    runs = schedule_preview(
        session=call.session,
        actor=call.actor,
        schedule_id=schedule_id,
        count=call.query_as(inputs.PreviewQuery).n,
    )
    return schemas.SchedulePreview(
        timezone=schedule.timezone, runs=[schemas.PreviewRun.model_validate(r) for r in runs]
    )

"""Templates: the catalogue, one template, parameter checks and ad-hoc runs; and writing
templates: create, change, delete, publish, versions and previews."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from redis import Redis

from api import inputs, schemas
from api import template_schemas as authoring
from api.errors import ApiError
from api.parsing import changes_of
from api.ratelimit import RUN_LIMIT
from api.routing import Call, Router
from services.executions import run_template
from services.instances import get_instance
from services.template_authoring import (
    create_template,
    delete_template,
    publish_template,
    template_versions,
    update_template,
)
from services.template_preview import preview_result, start_preview
from services.templates import get_template, list_templates, validate_parameters
from services.windows import midnight

router = Router("/report-builder", "templates")


@router.route(
    "GET",
    "/templates",
    "List templates",
    query=inputs.TemplatesQuery,
    response=schemas.TemplatePage,
)
def list_templates_view(call: Call) -> schemas.TemplatePage:
    """Templates by category and name; `search` matches name, description and id."""
    query = call.query_as(inputs.TemplatesQuery)
    if query.instance_id:  # a template runs anywhere; the filter only checks the instance
        get_instance(session=call.session, actor=call.actor, instance_id=query.instance_id)
    page = list_templates(
        session=call.session,
        actor=call.actor,
        search=query.search,
        category=query.category,
        report_type=query.report_type,
        page=query.page,
        limit=query.limit,
    )
    return schemas.TemplatePage(
        items=[schemas.TemplateSummary.model_validate(t) for t in page.items],
        total=page.total,
        page=page.page,
        limit=page.limit,
    )


@router.route("GET", "/templates/{template_id}", "Get a template", response=schemas.Template)
def get_template_view(call: Call) -> schemas.Template:
    """The template with its parameter definitions, dashboard widgets and SQL."""
    detail = get_template(
        session=call.session, template_id=call.path["template_id"], actor=call.actor
    )
    return schemas.Template.model_validate(detail)


@router.route(
    "POST",
    "/templates/{template_id}/validate-parameters",
    "Check parameter values",
    body=inputs.ValidateParametersBody,
    body_required=False,
    response=schemas.ParameterValidation,
)
def validate_parameters_view(call: Call) -> schemas.ParameterValidation:
    """Field errors, normalized values and (when valid) the SQL to read; 200 either way."""
    body = call.body_as(inputs.ValidateParametersBody)
    window = None
    if body.time_window and body.time_window.start and body.time_window.end:
        last = body.time_window.end + timedelta(days=1)  # the window's days are inclusive
        window = (midnight(body.time_window.start), midnight(last))
    check = validate_parameters(
        session=call.session,
        template_id=call.path["template_id"],
        values=body.parameters,
        timezone=body.timezone,
        window=window,
        actor=call.actor,
    )
    return schemas.ParameterValidation.model_validate(check)


@router.route(
    "POST",
    "/templates/{template_id}/execute",
    "Run a template once",
    body=inputs.ExecuteBody,
    status=202,
    response=schemas.Execution,
    rate_limit=RUN_LIMIT,
    errors=(503,),
)
def execute_template_view(call: Call) -> schemas.Execution:
    """An ad-hoc run without a report (triggered_by=api); poll GET /executions/{id}."""
    body = call.body_as(inputs.ExecuteBody)
    window = body.time_window or inputs.TimeWindow()
    info = run_template(
        session=call.session,
        redis=call.redis,
        actor=call.actor,
        template_id=call.path["template_id"],
        instance_id=body.instance_id,
        parameters=body.parameters,
        start=window.start,
        end=window.end,
        timezone=body.timezone,
        triggered_by="api",
    )
    return schemas.Execution.model_validate(info)


# --- writing templates ----------------------------------------------------------------------


@router.route(
    "POST",
    "/templates",
    "Create a template",
    body=authoring.CreateTemplateBody,
    status=201,
    response=authoring.AuthoredTemplate,
    errors=(409,),
)
def create_template_view(call: Call) -> authoring.AuthoredTemplate:
    """A new template at version 1, visible to its author and admins until an admin
    publishes it. Validation failures are 422s naming the field (`sql_template`,
    `parameter_definitions.0.type`, …)."""
    body = call.body_as(authoring.CreateTemplateBody)
    values = body.model_dump(exclude_unset=True, exclude={"preview_columns"})
    values.setdefault("report_type", body.report_type)
    made = create_template(
        session=call.session,
        actor=call.actor,
        values={k: v for k, v in values.items() if v is not None},
        preview_columns=body.preview_columns,
    )
    return authoring.AuthoredTemplate.model_validate(made)


@router.route(
    "PATCH",
    "/templates/{template_id}",
    "Change a template",
    body=authoring.UpdateTemplateBody,
    response=authoring.AuthoredTemplate,
)
def update_template_view(call: Call) -> authoring.AuthoredTemplate:
    """Change the fields given; a change to the SQL, parameters, report type, widgets,
    form hints, freshness or `windowed` saves a new version. Library templates are 403."""
    body = call.body_as(authoring.UpdateTemplateBody)
    changes = changes_of(body)
    changes.pop("preview_columns", None)
    changed = update_template(
        session=call.session,
        actor=call.actor,
        template_id=call.path["template_id"],
        changes=changes,
        preview_columns=body.preview_columns,
    )
    return authoring.AuthoredTemplate.model_validate(changed)


@router.route("DELETE", "/templates/{template_id}", "Delete a template", status=204, errors=(409,))
def delete_template_view(call: Call) -> None:
    """Delete a template no report or run uses (409 with the count otherwise)."""
    delete_template(session=call.session, actor=call.actor, template_id=call.path["template_id"])


@router.route(
    "POST",
    "/templates/{template_id}/publish",
    "Publish a template",
    response=authoring.AuthoredTemplate,
)
def publish_template_view(call: Call) -> authoring.AuthoredTemplate:
    """Make the template visible to everyone. Admins only."""
    published = publish_template(
        session=call.session, actor=call.actor, template_id=call.path["template_id"]
    )
    return authoring.AuthoredTemplate.model_validate(published)


@router.route(
    "GET",
    "/templates/{template_id}/versions",
    "List a template's versions",
    response=authoring.TemplateVersions,
)
def template_versions_view(call: Call) -> authoring.TemplateVersions:
    """Every saved version, newest first, with who saved it and when."""
    template_id = call.path["template_id"]
    found = template_versions(session=call.session, actor=call.actor, template_id=template_id)
    detail = get_template(session=call.session, template_id=template_id, actor=call.actor)
    return authoring.TemplateVersions(
        template_id=detail.template_id,
        items=[authoring.TemplateVersion.model_validate(v) for v in found],
    )


@router.route(
    "POST",
    "/templates/preview",
    "Preview a template",
    body=authoring.PreviewBody,
    status=202,
    response=authoring.PreviewStarted,
    rate_limit=RUN_LIMIT,
    errors=(503,),
)
def start_preview_view(call: Call) -> authoring.PreviewStarted:
    """Run SQL being written on a source, through the run queue, with these parameter
    values over the default window; poll GET /templates/previews/{preview_id}."""
    body = call.body_as(authoring.PreviewBody)
    preview_id = start_preview(
        session=call.session,
        actor=call.actor,
        redis=_queue(call),
        instance_id=body.instance_id,
        sql_template=body.sql_template,
        parameter_definitions=body.parameter_definitions,
        values=body.parameters,
        row_limit=body.row_limit,
        windowed=body.windowed,
        min_data_age_days=body.min_data_age_days,
    )
    return authoring.PreviewStarted(preview_id=preview_id)


@router.route(
    "GET",
    "/templates/previews/{preview_id}",
    "Read a preview",
    response=authoring.Preview,
    errors=(503,),
)
def preview_view(call: Call) -> authoring.Preview:
    """Where the preview is (queued, running, finished, failed), and its first rows with
    the columns' types once finished. Only whoever started it may read it."""
    found = preview_result(redis=_queue(call), actor=call.actor, preview_id=call.path["preview_id"])
    data: dict[str, Any] = asdict(found)
    return authoring.Preview.model_validate(data)


def _queue(call: Call) -> Redis:
    redis = call.redis
    if redis is None:
        raise ApiError(503, "unavailable", "Previews run on the queue, and it is not set up.")
    return redis

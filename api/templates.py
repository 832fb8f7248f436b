"""Templates: the catalogue, one template, parameter checks and ad-hoc runs."""

from __future__ import annotations

from datetime import timedelta

from api import inputs, schemas
from api.ratelimit import RUN_LIMIT
from api.routing import Call, Router, paginate
from services.executions import run_template
from services.instances import get_instance
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
    found = list_templates(session=call.session, search=query.search, category=query.category)
    if query.report_type:
        found = [t for t in found if t.report_type == query.report_type]
    items, total = paginate(found, query.page, query.limit)
    return schemas.TemplatePage(
        items=[schemas.TemplateSummary.model_validate(t) for t in items],
        total=total,
        page=query.page,
        limit=query.limit,
    )


@router.route("GET", "/templates/{template_id}", "Get a template", response=schemas.Template)
def get_template_view(call: Call) -> schemas.Template:
    """The template with its parameter definitions, dashboard widgets and SQL."""
    detail = get_template(session=call.session, template_id=call.path["template_id"])
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

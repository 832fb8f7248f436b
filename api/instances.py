"""Instances the caller may use, and their option lists (campaigns, ASINs, any named list)
searched on them."""

from __future__ import annotations

import logging

from api import inputs, schemas, source_schemas
from api.errors import ApiError
from api.routing import Call, Router
from services.errors import DomainError, SchemaUnavailable
from services.instances import list_instances, metadata_options
from services.source_checks import source_schema

log = logging.getLogger(__name__)

router = Router("/report-builder", "instances")


@router.route(
    "GET", "/instances", "List instances", query=inputs.PageQuery, response=schemas.InstanceList
)
def list_instances_view(call: Call) -> schemas.InstanceList:
    """The instances the caller may run reports on (admins: all); never their URLs."""
    query = call.query_as(inputs.PageQuery)
    page = list_instances(
        session=call.session, actor=call.actor, page=query.page, limit=query.limit
    )
    return schemas.InstanceList(
        items=[schemas.Instance.model_validate(i) for i in page.items],
        total=page.total,
        page=page.page,
        limit=page.limit,
    )


def _options(call: Call, kind: str) -> schemas.OptionPage:
    """One page of the instance's option list `kind`; an unknown list is an empty page."""
    query = call.query_as(inputs.MetadataQuery)
    try:
        options = metadata_options(
            session=call.session,
            actor=call.actor,
            secret_key=call.settings.secret_key,
            instance_id=query.instance_id,
            kind=kind,
            search=query.search,
            limit=query.limit,
        )
    except DomainError:
        raise
    except Exception as error:  # engine errors may name hosts or files: log, never show
        log.warning("metadata query failed: %s", type(error).__name__, exc_info=True)
        raise ApiError(502, "instance_error", "The instance could not be queried.") from None
    return schemas.OptionPage(
        items=[schemas.Option.model_validate(o) for o in options],
        total=len(options),
        page=1,
        limit=query.limit,
    )


@router.route(
    "GET",
    "/metadata/campaigns",
    "Search campaigns",
    query=inputs.MetadataQuery,
    response=schemas.OptionPage,
    errors=(502,),
)
def campaign_options_view(call: Call) -> schemas.OptionPage:
    """Campaign ids and names from the instance, for campaign_ids parameters."""
    return _options(call, "campaigns")


@router.route(
    "GET",
    "/metadata/asins",
    "Search ASINs",
    query=inputs.MetadataQuery,
    response=schemas.OptionPage,
    errors=(502,),
)
def asin_options_view(call: Call) -> schemas.OptionPage:
    """ASINs and product names from the instance, for asins parameters."""
    return _options(call, "asins")


@router.route(
    "GET",
    "/metadata/options",
    "Search an option list",
    query=inputs.OptionListQuery,
    response=schemas.OptionPage,
    errors=(502,),
)
def list_options_view(call: Call) -> schemas.OptionPage:
    """Values and labels from one of the instance's option lists, by name, for option_list
    parameters (and any other list: campaigns, asins …); a list the instance lacks is
    empty."""
    return _options(call, call.query_as(inputs.OptionListQuery).list_name)


@router.route(
    "GET",
    "/instances/{instance_id}/schema",
    "Browse an instance's tables",
    response=source_schemas.SourceSchema,
    errors=(502,),
)
def instance_schema_view(call: Call) -> source_schemas.SourceSchema:
    """Tables (at most 500) with their columns and types, for template authors; anyone the
    instance is granted to may read it. 502 when the instance cannot be asked now."""
    try:
        schema = source_schema(
            session=call.session,
            actor=call.actor,
            secret_key=call.settings.secret_key,
            instance_id=call.path["instance_id"],
        )
    except SchemaUnavailable as error:  # its message names no secret
        raise ApiError(502, "instance_error", str(error)) from None
    return source_schemas.SourceSchema.model_validate(schema)

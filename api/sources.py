"""Data sources (under /api/admin, admins only): list, add, change, delete and test them.
Their schema browser, for anyone granted a source, is in api/instances.py."""

from __future__ import annotations

from typing import Any

from api import inputs
from api.parsing import changes_of
from api.routing import Call, Router
from api.source_schemas import (
    ConnectionCheck,
    CreateSourceBody,
    Source,
    SourceList,
    UpdateSourceBody,
)
from services.data_sources import (
    create_source,
    delete_source,
    get_source,
    list_sources,
    update_source,
)
from services.source_checks import test_source

router = Router("/admin", "data sources")


def _values(body: Any) -> dict[str, Any]:
    """The request's fields as the services take them (only those given)."""
    values: dict[str, Any] = body.model_dump(exclude_unset=True)
    return values


@router.route("GET", "/instances", "List data sources", query=inputs.PageQuery, response=SourceList)
def list_sources_view(call: Call) -> SourceList:
    """Every data source with its settings, the non-secret parts of its connection and the
    count of reports using it; never its password or URL. Admins only."""
    query = call.query_as(inputs.PageQuery)
    page = list_sources(
        session=call.session,
        actor=call.actor,
        secret_key=call.settings.secret_key,
        page=query.page,
        limit=query.limit,
    )
    return SourceList(
        items=[Source.model_validate(s) for s in page.items],
        total=page.total,
        page=page.page,
        limit=page.limit,
    )


@router.route(
    "POST",
    "/instances",
    "Add a data source",
    body=CreateSourceBody,
    response=Source,
    status=201,
    errors=(409,),
)
def create_source_view(call: Call) -> Source:
    """Add a source from its connection (fields or URL; the secret is encrypted and never
    returned), settings and option lists. 422 names each invalid field. Admins only."""
    source = create_source(
        session=call.session,
        actor=call.actor,
        secret_key=call.settings.secret_key,
        metadata_url=call.settings.database_url,
        values=_values(call.body_as(CreateSourceBody)),
    )
    return Source.model_validate(source)


@router.route("GET", "/instances/{instance_id}", "Get a data source", response=Source)
def get_source_view(call: Call) -> Source:
    """One source, without its secret. Admins only."""
    source = get_source(
        session=call.session,
        actor=call.actor,
        secret_key=call.settings.secret_key,
        instance_id=call.path["instance_id"],
    )
    return Source.model_validate(source)


@router.route(
    "PATCH",
    "/instances/{instance_id}",
    "Change a data source",
    body=UpdateSourceBody,
    response=Source,
)
def update_source_view(call: Call) -> Source:
    """Change the fields given; an empty or missing password or URL keeps the stored one.
    Admins only."""
    source = update_source(
        session=call.session,
        actor=call.actor,
        secret_key=call.settings.secret_key,
        metadata_url=call.settings.database_url,
        instance_id=call.path["instance_id"],
        values=changes_of(call.body_as(UpdateSourceBody)),
    )
    return Source.model_validate(source)


@router.route(
    "DELETE", "/instances/{instance_id}", "Delete a data source", status=204, errors=(409,)
)
def delete_source_view(call: Call) -> None:
    """Delete a source; 409 while reports use it (the message says how many). Admins only."""
    delete_source(session=call.session, actor=call.actor, instance_id=call.path["instance_id"])


@router.route(
    "POST",
    "/instances/{instance_id}/test",
    "Test a data source's connection",
    body=UpdateSourceBody,
    body_required=False,
    response=ConnectionCheck,
)
def test_source_view(call: Call) -> ConnectionCheck:
    """Run `SELECT 1` within 5 s: `ok`, the latency, and what went wrong in words (never the
    password). A body tests the source as those values would change it, without saving."""
    body = call.body_as(UpdateSourceBody)
    check = test_source(
        session=call.session,
        actor=call.actor,
        secret_key=call.settings.secret_key,
        metadata_url=call.settings.database_url,
        instance_id=call.path["instance_id"],
        values=changes_of(body) or None,
    )
    return ConnectionCheck.model_validate(check)

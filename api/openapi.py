"""The OpenAPI 3.1 document, generated from the endpoints' declarations and the pydantic
schemas the views validate and serialize with (JSON Schema 2020-12, as 3.1 uses)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api.parsing import ID_PATTERN
from api.routing import Endpoint
from api.schemas import ErrorResponse

#: Where component schemas live in the document.
REF_TEMPLATE = "#/components/schemas/{model}"
API_VERSION = "1.0.0"

_ERROR_TEXT = {
    400: "Malformed request: the body is not a JSON object.",
    401: "Not signed in: no valid API token or session.",
    403: "Signed in, but not allowed (viewers run nothing; admin-only; CSRF token missing).",
    404: "No such object, or not visible to the caller.",
    409: "Conflicts with the current state (duplicate schedule, backfill in progress, ended).",
    413: "The body is too large.",
    415: "The body is not sent as `Content-Type: application/json`.",
    422: "Invalid values; `error.details.fields` maps each field to its message.",
    429: "Rate limit reached; see Retry-After and X-RateLimit-* headers.",
    502: "The instance could not be queried.",
    503: "The run queue (Redis) is unavailable.",
}
_RATE_HEADERS = {
    "X-RateLimit-Limit": "Requests allowed in the current window.",
    "X-RateLimit-Remaining": "Requests left in the current window.",
    "X-RateLimit-Reset": "Unix time (seconds) when the window ends.",
}


def build_document(endpoints: Iterable[Endpoint]) -> dict[str, Any]:
    endpoints = list(endpoints)
    schemas = _component_schemas(endpoints)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault("/api" + endpoint.path, {})[endpoint.method.lower()] = _operation(
            endpoint, schemas
        )
    paths["/api/openapi.json"] = {
        "get": {
            "operationId": "openapi_document",
            "summary": "This document",
            "tags": ["meta"],
            "security": [],
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Report Builder API",
            "version": API_VERSION,
            "description": (
                "Templates, reports, runs, schedules, backfills and dashboards. Authenticate "
                "with `Authorization: Bearer <token>` (`reportbuilder create-token EMAIL`). "
                "Ids are accepted as slugs (`rpt_ab12cd34`) or UUIDs; timestamps are ISO 8601 "
                "UTC; errors share one shape: "
                '`{"error": {"code", "message", "details"}, "request_id"}`.'
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "reportbuilder_session"},
            },
        },
        "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    }


def _component_schemas(endpoints: list[Endpoint]) -> dict[str, Any]:
    models: dict[tuple[type[BaseModel], str], None] = {(ErrorResponse, "serialization"): None}
    for endpoint in endpoints:
        if endpoint.response is not None:
            models[(endpoint.response, "serialization")] = None
        for _, model in endpoint.alternatives:
            models[(model, "serialization")] = None
        if endpoint.body is not None:
            models[(endpoint.body, "validation")] = None
    _, top = models_json_schema(list(models), ref_template=REF_TEMPLATE)  # type: ignore[arg-type]
    defs: dict[str, Any] = top.get("$defs", {})
    return dict(sorted(defs.items()))


def _ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    name = model.__name__
    if name not in schemas:  # pydantic suffixes models used both ways
        name = f"{name}-Input" if f"{name}-Input" in schemas else f"{name}-Output"
    return {"$ref": REF_TEMPLATE.format(model=name)}


def _operation(endpoint: Endpoint, schemas: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "parameters": _parameters(endpoint),
        "responses": _responses(endpoint, schemas),
    }
    if endpoint.description:
        operation["description"] = endpoint.description
    if endpoint.public:  # no authentication: the document-wide security does not apply
        operation["security"] = []
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": endpoint.body_required,
            "content": {"application/json": {"schema": _ref(endpoint.body, schemas)}},
        }
    return operation


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": "A slug or a UUID.",
            "schema": {"type": "string", "pattern": ID_PATTERN},
        }
        for name in endpoint.path_params
    ]
    if endpoint.query is not None:
        schema = endpoint.query.model_json_schema(ref_template=REF_TEMPLATE)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            prop = dict(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            parameter: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": _simplify(prop),
            }
            if description:
                parameter["description"] = description
            parameters.append(parameter)
    return parameters


def _simplify(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, null]` as X: an absent query parameter is how a client says null."""
    options = schema.get("anyOf")
    if options and len(options) == 2 and {"type": "null"} in options:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        chosen = next(o for o in options if o != {"type": "null"})
        if rest.get("default") is None:
            rest.pop("default", None)
        return {**chosen, **rest}
    return schema


def _responses(endpoint: Endpoint, schemas: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    success: dict[str, Any] = {"description": endpoint.summary}
    if endpoint.files:
        success["content"] = {
            media: {"schema": {"type": "string", "format": "binary"}} for media in endpoint.files
        }
    elif endpoint.response is not None:
        success["content"] = {"application/json": {"schema": _ref(endpoint.response, schemas)}}
    if endpoint.rate_limit is not None:
        success["headers"] = {
            name: {"description": text, "schema": {"type": "integer"}}
            for name, text in _RATE_HEADERS.items()
        }
    responses[str(endpoint.status)] = success
    for status, model in endpoint.alternatives:
        responses[str(status)] = {
            "description": model.__doc__ or endpoint.summary,
            "content": {"application/json": {"schema": _ref(model, schemas)}},
        }
    error = {"application/json": {"schema": _ref(ErrorResponse, schemas)}}
    for status in endpoint.error_statuses():
        responses[str(status)] = {"description": _ERROR_TEXT[status], "content": error}
    return responses

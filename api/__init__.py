"""The REST API: a Flask blueprint on the Dash app's server, calling services only.

`register(server)` adds it; `app.create_app` calls it, once per server. Endpoints are
declared in one module per area (templates, reports, schedules, executions, instances,
dashboards, admin); api/openapi.py turns the same declarations into /api/openapi.json.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, g, request

from api import (
    admin,
    dashboards,
    executions,
    instances,
    reports,
    schedules,
    sources,
    templates,
    users,
)
from api.errors import REQUEST_ID_HEADER, ApiError, error_body, error_response, request_id
from api.openapi import build_document
from api.routing import EXTENSION, ApiState, Endpoint, Router, api_state, make_view

#: Every URL of the API starts with this.
API_PREFIX = "/api"
#: The routers, in the order the OpenAPI document lists them.
ROUTERS: tuple[Router, ...] = (
    templates.router,
    reports.router,
    schedules.router,
    executions.router,
    instances.router,
    dashboards.router,
    admin.router,
    sources.router,
    users.router,
    users.account_router,
)

__all__ = ["API_PREFIX", "ROUTERS", "endpoints", "openapi_document", "register"]


def endpoints() -> list[Endpoint]:
    return [endpoint for router in ROUTERS for endpoint in router.endpoints]


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every endpoint (built without an app)."""
    return build_document(endpoints())


def register(server: Flask) -> None:
    """Serve the API on `server`; a second call is a mistake and raises."""
    if EXTENSION in server.extensions:
        raise RuntimeError("the API is registered on this server already")
    server.extensions[EXTENSION] = ApiState()
    blueprint = Blueprint("api", __name__, url_prefix=API_PREFIX)
    for endpoint in endpoints():
        blueprint.add_url_rule(
            endpoint.rule,
            endpoint=endpoint.operation_id,
            view_func=make_view(endpoint),
            methods=[endpoint.method],
        )
    blueprint.add_url_rule("/openapi.json", endpoint="openapi", view_func=_openapi)
    blueprint.add_url_rule(
        "/<path:unknown>",
        endpoint="unknown",
        view_func=_unknown,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    )
    server.register_blueprint(blueprint)
    server.after_request(_finish_api_response)


def _openapi() -> Response:
    state = api_state()
    if state.document is None:
        state.document = openapi_document()
    return Response(json.dumps(state.document), mimetype="application/json")


def _unknown(unknown: str) -> Response:
    return error_response(ApiError(404, "not_found", "No such API endpoint."))


#: Codes and messages for errors that other parts of the server answer under /api.
_DEFAULT_ERRORS = {
    400: ("malformed_request", "The request could not be read."),
    401: ("unauthorized", "Sign in, or send an API token."),
    403: ("forbidden", "This is not allowed."),
    404: ("not_found", "No such API endpoint."),
    405: ("method_not_allowed", "This endpoint does not accept this method."),
    413: ("body_too_large", "The request body is too large."),
    500: ("internal_error", "Something went wrong on our side."),
}


def _finish_api_response(response: Response) -> Response:
    """Every API response: a request id, rate-limit headers, no caching, and errors in the
    one shape even when they come from elsewhere (the CSRF check, Flask's routing)."""
    if not request.path.startswith(API_PREFIX + "/"):
        return response
    response.headers[REQUEST_ID_HEADER] = request_id()
    response.headers.setdefault("Cache-Control", "no-store")
    limit = g.get("rate_limit")
    if limit is not None:
        for name, value in limit.headers().items():
            response.headers.setdefault(name, value)
    if response.status_code >= 400:
        _reshape_error(response)
    return response


def _reshape_error(response: Response) -> None:
    body: Any = None
    if response.is_json and not response.is_streamed:
        try:
            body = json.loads(response.get_data())
        except ValueError:
            body = None
    if isinstance(body, dict) and "request_id" in body and isinstance(body.get("error"), dict):
        return
    code, message = _DEFAULT_ERRORS.get(response.status_code, ("error", response.status))
    details: dict[str, Any] = {}
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):  # e.g. webauth's CSRF refusal: keep what it says
        code = str(error.get("code") or code)
        message = str(error.get("message") or message)
        if isinstance(error.get("details"), dict):
            details = error["details"]
    response.set_data(json.dumps(error_body(code, message, details)))
    response.mimetype = "application/json"

"""The API's one error shape, `{"error": {"code", "message", "details"}, "request_id"}`, and
the single place where domain errors become status codes."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from flask import Response, g, request
from pydantic import ValidationError
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException

from services.errors import (
    Conflict,
    DomainError,
    NotFound,
    ParameterError,
    PermissionDenied,
    TemplateDefinitionError,
    ValidationFailed,
)

log = logging.getLogger(__name__)

#: Header carrying the request id, sent back on every API response.
REQUEST_ID_HEADER = "X-Request-ID"


class ApiError(Exception):
    """An error the API answers with as it is: status, code, message, details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    return ApiError(400, "malformed_request", message)


def field_errors(errors: dict[str, str], message: str = "Some values are invalid.") -> ApiError:
    """A 422 whose details name each invalid field, as a form shows them."""
    return ApiError(422, "validation_failed", message, {"fields": errors})


def request_id() -> str:
    """This request's id: the caller's X-Request-ID when it is sane, else a new one."""
    if "request_id" not in g:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        valid = 0 < len(given) <= 64 and all(c.isalnum() or c in "-_." for c in given)
        g.request_id = given if valid else uuid.uuid4().hex
    value: str = g.request_id
    return value


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "details": details or {}},
        "request_id": request_id(),
    }


def error_response(error: ApiError) -> Response:
    response = Response(
        json.dumps(error_body(error.code, error.message, error.details)),
        status=error.status,
        mimetype="application/json",
    )
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def pydantic_fields(error: ValidationError, prefix: str = "") -> dict[str, str]:
    """`{"run.backfill.lookback_days": "Input should be ..."}` from pydantic's errors."""
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in item["loc"]) or "body"
        fields.setdefault(f"{prefix}{location}", item["msg"])
    return fields


def from_exception(error: BaseException) -> ApiError:
    """The API error for anything a view raised; unexpected ones are logged, never shown."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, DomainError):
        return from_domain_error(error)
    if isinstance(error, HTTPException):
        return from_http_exception(error)
    if isinstance(error, RedisError):
        log.warning("Redis unavailable: %s", type(error).__name__)
        return ApiError(503, "unavailable", "The run queue is unavailable; try again shortly.")
    log.exception("unexpected error in the API", extra={"request_id": request_id()})
    return ApiError(500, "internal_error", "Something went wrong on our side.")


def from_domain_error(error: DomainError) -> ApiError:
    if isinstance(error, NotFound):
        return ApiError(404, "not_found", str(error))
    if isinstance(error, PermissionDenied):
        return ApiError(403, "forbidden", str(error))
    if isinstance(error, ParameterError):
        return field_errors({error.field: error.message}, str(error))
    if isinstance(error, ValidationFailed):
        return field_errors(error.errors)
    if isinstance(error, Conflict):
        return ApiError(409, "conflict", str(error))
    if isinstance(error, TemplateDefinitionError):
        return ApiError(422, "template_invalid", f"The template cannot be used: {error}")
    return ApiError(400, "bad_request", str(error))


def from_http_exception(error: HTTPException) -> ApiError:
    status = error.code or 500
    codes = {
        400: "malformed_request",
        404: "not_found",
        405: "method_not_allowed",
        413: "body_too_large",
        415: "unsupported_media_type",
    }
    message = {
        404: "No such API endpoint.",
        405: "This endpoint does not accept this method.",
    }.get(status, error.description or error.name)
    headers = {}
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    return ApiError(status, codes.get(status, "http_error"), str(message), headers=headers)

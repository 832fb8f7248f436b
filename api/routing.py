"""Declaring endpoints once: path, schemas, status and limits feed both the Flask view (parse,
authenticate, rate-limit, call the handler, serialize) and the OpenAPI document.

A handler takes a `Call` (the actor, a database session, the parsed query and body) and
returns a response model, `(model, status)`, a Flask `Response` (files), or None (204).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Response, current_app, g, request
from pydantic import BaseModel, ValidationError
from redis import Redis
from sqlalchemy.orm import Session

import webauth
import webcontext
from api.errors import (
    ApiError,
    bad_request,
    error_response,
    field_errors,
    from_exception,
    pydantic_fields,
)
from api.inputs import Body, Query
from api.ratelimit import Limit, RateLimiter
from services.results import ResultsStore
from services.users import Actor
from settings import Settings

M = TypeVar("M", bound=BaseModel)
Handler = Callable[["Call"], Any]

#: Largest JSON body accepted, in bytes: parameters and names, never data.
MAX_BODY_BYTES = 1_000_000
#: What an id in a path looks like: a slug (`rpt_ab12cd34`) or a UUID.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_ID = re.compile(ID_PATTERN)
#: Flask extension key of the API's per-app state.
EXTENSION = "reportbuilder_api"
#: Who calls a public endpoint without signing in: no role, so every service refuses it.
ANONYMOUS = Actor(id=uuid.UUID(int=0), user_id="anonymous", email="", name="Anonymous", role="")


class ApiState:
    """What the API keeps per app: one Redis client, the results store, the OpenAPI doc."""

    def __init__(self, *, rate_limits: bool | None = None) -> None:
        self.rate_limits = rate_limits
        #: Time source of the rate limits' windows (tests pin it).
        self.clock: Callable[[], float] = time.time
        self.document: dict[str, Any] | None = None

    def limiter(self, settings: Settings) -> RateLimiter:
        enabled = self.rate_limits
        if enabled is None:  # RATE_LIMITS=off turns them off (benchmarks, trusted networks)
            enabled = bool(getattr(settings, "rate_limits", True))
        return RateLimiter(webcontext.redis_client(), enabled=enabled, clock=self.clock)


@dataclass
class Call:
    """One request as a handler sees it."""

    actor: Actor
    session: Session
    path: dict[str, str]
    query: BaseModel | None
    body: BaseModel | None
    settings: Settings
    state: ApiState

    def query_as(self, model: type[M]) -> M:
        assert isinstance(self.query, model)
        return self.query

    def body_as(self, model: type[M]) -> M:
        assert isinstance(self.body, model)
        return self.body

    @property
    def redis(self) -> Redis | None:
        return webcontext.redis_client()

    @property
    def store(self) -> ResultsStore:
        return webcontext.results_store()

    def limit(self, limit: Limit, scope: str = "") -> None:
        """Count this request against `limit` (429 when used up); the first limit counted
        gives the response its X-RateLimit-* headers."""
        counted = self.state.limiter(self.settings).hit(limit, user=str(self.actor.id), scope=scope)
        if counted is not None and "rate_limit" not in g:
            g.rate_limit = counted


@dataclass(frozen=True)
class Endpoint:
    method: str
    #: Path below /api in OpenAPI form, e.g. "/report-builder/reports/{report_id}".
    path: str
    handler: Handler
    summary: str
    tag: str
    status: int = 200
    response: type[BaseModel] | None = None
    query: type[Query] | None = None
    body: type[Body] | None = None
    body_required: bool = True
    rate_limit: Limit | None = None
    #: Statuses beyond the usual 401/403/404/422 (and 400/413/415 with a body).
    errors: tuple[int, ...] = ()
    #: Media types of a file response (instead of a JSON model).
    files: tuple[str, ...] = ()
    description: str = ""
    #: Other answers the handler may give: (status, model), e.g. a dry run's 200.
    alternatives: tuple[tuple[int, type[BaseModel]], ...] = ()
    #: Answered without authentication (the first-run setup); `Call.actor` is then ANONYMOUS.
    public: bool = False

    @property
    def operation_id(self) -> str:
        return self.handler.__name__

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def rule(self) -> str:
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)

    def error_statuses(self) -> list[int]:
        statuses = {401, 403, 404, 422, *self.errors}
        if self.body is not None:
            statuses |= {400, 413, 415}
        if self.rate_limit is not None:
            statuses.add(429)
        return sorted(statuses)


@dataclass
class Router:
    """Endpoints of one area of the API (a tag in the OpenAPI document)."""

    prefix: str
    tag: str
    endpoints: list[Endpoint] = field(default_factory=list)

    def route(
        self, method: str, path: str, summary: str, **options: Any
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints.append(
                Endpoint(
                    method=method,
                    path=self.prefix + path,
                    handler=handler,
                    summary=summary,
                    tag=self.tag,
                    description=(handler.__doc__ or "").strip(),
                    **options,
                )
            )
            return handler

        return register


def make_view(endpoint: Endpoint) -> Callable[..., Response]:
    def view(**path: str) -> Response:
        try:
            if endpoint.public:
                _refuse_cross_site()
            actor = webauth.current_actor()
            if actor is None and endpoint.public:
                actor = ANONYMOUS
            if actor is None:
                raise ApiError(
                    401,
                    "unauthorized",
                    "Sign in, or send an API token as `Authorization: Bearer <token>`.",
                    headers={"WWW-Authenticate": 'Bearer realm="reportbuilder"'},
                )
            for name, value in path.items():
                if not _ID.match(value):
                    raise ApiError(404, "not_found", f"No such {name.removesuffix('_id')}.")
            query = _parse_query(endpoint.query) if endpoint.query else None
            body = _parse_body(endpoint.body, endpoint.body_required) if endpoint.body else None
            settings = webcontext.get_settings()
            state = api_state()
            with webcontext.db_session() as session:
                call = Call(actor, session, path, query, body, settings, state)
                if endpoint.rate_limit is not None:
                    call.limit(endpoint.rate_limit)
                result = endpoint.handler(call)
                return _respond(endpoint, result)
        except Exception as error:  # one place turns every failure into the error shape
            return error_response(from_exception(error))

    view.__name__ = endpoint.operation_id
    return view


def api_state() -> ApiState:
    state: ApiState = current_app.extensions[EXTENSION]
    return state


def _parse_query(model: type[Query]) -> Query:
    values = {key: request.args.get(key, "") for key in request.args}
    _check_text(values, "")
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise field_errors(pydantic_fields(error), "Some query parameters are invalid.") from None


def _refuse_cross_site() -> None:
    """A public endpoint answers this site's pages and scripts, never another site's page
    (which could post to it from a visitor's browser without asking)."""
    origin = request.headers.get("Origin")
    cross_site = request.headers.get("Sec-Fetch-Site") == "cross-site" or (
        origin is not None and urlsplit(origin).netloc != request.host
    )
    if cross_site:
        raise ApiError(403, "cross_site", "Requests from other sites are refused here.")


def _parse_body(model: type[Body], required: bool) -> Body:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413, "body_too_large", f"Send at most {MAX_BODY_BYTES} bytes.")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "body_too_large", f"Send at most {MAX_BODY_BYTES} bytes.")
    # JSON only: a browser sends text/plain or a form cross-site without asking first (no
    # CORS preflight), application/json never.
    if raw and request.mimetype != "application/json":
        raise ApiError(
            415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."
        )
    if not raw.strip():
        if required:
            raise bad_request("Send a JSON object as the request body.")
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise bad_request("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object.")
    _check_text(data, "")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise field_errors(pydantic_fields(error)) from None
    except RecursionError:
        raise bad_request("The request body is nested too deeply.") from None


def _check_text(value: Any, where: str, depth: int = 0) -> None:
    """Refuse text no database stores: NUL characters and unpaired surrogates."""
    if depth > 32:
        raise bad_request("The request is nested too deeply.")
    if isinstance(value, str):
        if "\x00" in value or not _encodable(value):
            raise field_errors({where or "body": "Text may not contain NUL or invalid characters."})
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            _check_text(key, name, depth + 1)
            _check_text(item, name, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, f"{where}.{index}", depth + 1)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _respond(endpoint: Endpoint, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status=204)
    status = endpoint.status
    if isinstance(result, tuple):
        result, status = result
    models = [endpoint.response, *(model for _, model in endpoint.alternatives)]
    if not any(model is not None and isinstance(result, model) for model in models):
        raise TypeError(f"{endpoint.operation_id} returned {type(result).__name__}")
    assert isinstance(result, BaseModel)
    return Response(result.model_dump_json(), status=status, mimetype="application/json")


def jsonable(value: Any) -> Any:
    """A result value as JSON shows it: exact integers stay numbers, NaN becomes null."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def changes_of(body: BaseModel) -> dict[str, Any]:
    """The fields a PATCH body sets; null is refused (leave a field out to keep it)."""
    changes = body.model_dump(exclude_unset=True)
    nulls = {name: "Give a value or leave it out." for name, v in changes.items() if v is None}
    if nulls:
        raise field_errors(nulls)
    return changes


def paginate(items: list[Any], page: int, limit: int) -> tuple[list[Any], int]:
    """One page of an in-memory list, and the list's length."""
    start = (page - 1) * limit
    return items[start : start + limit], len(items)

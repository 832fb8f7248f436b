"""Declaring endpoints once: path, schemas, status and limits feed both the Flask view (parse,
authenticate, rate-limit, call the handler, serialize) and the OpenAPI document. Reading a
request is in api/parsing.py, answering it in api/responses.py.

A handler takes a `Call` (the actor, a database session, the parsed query and body) and
returns a response model, `(model, status)`, a Flask `Response` (files), or None (204).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Response, current_app, g
from pydantic import BaseModel
from redis import Redis
from sqlalchemy.orm import Session

import webauth
import webcontext
from api.errors import ApiError, error_response, from_exception
from api.inputs import Body, Query
from api.parsing import check_path_ids, parse_body, parse_query, refuse_cross_site
from api.ratelimit import Limit, RateLimiter
from api.responses import respond
from services.results import ResultsStore
from services.users import Actor
from settings import Settings

M = TypeVar("M", bound=BaseModel)
Handler = Callable[["Call"], Any]

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
                refuse_cross_site()
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
            check_path_ids(path)
            query = parse_query(endpoint.query) if endpoint.query else None
            body = parse_body(endpoint.body, endpoint.body_required) if endpoint.body else None
            settings = webcontext.get_settings()
            state = api_state()
            with webcontext.db_session() as session:
                call = Call(actor, session, path, query, body, settings, state)
                if endpoint.rate_limit is not None:
                    call.limit(endpoint.rate_limit)
                result = endpoint.handler(call)
                return respond(endpoint, result)
        except Exception as error:  # one place turns every failure into the error shape
            return error_response(from_exception(error))

    view.__name__ = endpoint.operation_id
    return view


def api_state() -> ApiState:
    state: ApiState = current_app.extensions[EXTENSION]
    return state

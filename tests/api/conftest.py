"""Fixtures for API tests: the real app (pages + API) on the test databases and Redis, the
service tests' world (users owner/other/viewer/admin, DuckDB instance `wh`, template
`numbers`) and an API token per user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from api.routing import EXTENSION
from app import create_app
from services.results import ResultsStore
from services.users import create_api_token
from settings import Settings, load_settings
from tests.factories import TEST_SECRET_KEY, World

#: Prefix of the report-builder endpoints.
RB = "/api/report-builder"
#: The time the rate limits see in tests: a whole day after it falls in the same windows
#: (minute, hour, day), so a test never straddles two windows.
PINNED_TIME = 1_800_000_000 // 86_400 * 86_400 + 30.0


@pytest.fixture
def app_settings(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    store: ResultsStore,
) -> Settings:
    return load_settings(
        {
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "RESULTS_DIR": str(store.root),
            "SECRET_KEY": TEST_SECRET_KEY,
        }
    )


@pytest.fixture
def server(app_settings: Settings, session_factory: sessionmaker[Session]) -> Flask:
    flask_app: Flask = create_app(app_settings, session_factory).server
    flask_app.extensions[EXTENSION].clock = lambda: PINNED_TIME
    return flask_app


class ApiClient:
    """The Flask test client with a bearer token per user: `client.get(path, as_="viewer")`."""

    def __init__(self, client: FlaskClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def request(
        self, method: str, path: str, *, as_: str | None = "owner", **kwargs: Any
    ) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.tokens[as_]}"
        url = path if path.startswith("/api") else RB + path
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def tokens(session: Session, world: World) -> dict[str, str]:
    made = {
        role: create_api_token(session=session, email=f"{role}@example.com")
        for role in ("owner", "other", "viewer", "admin")
    }
    session.commit()
    return made


@pytest.fixture
def client(server: Flask, tokens: dict[str, str]) -> Iterator[ApiClient]:
    with server.test_client() as flask_client:
        yield ApiClient(flask_client, tokens)


def create_report(client: ApiClient, *, as_: str = "owner", **fields: Any) -> dict[str, Any]:
    """A report made through the API (201), with the world's template and instance."""
    body = {"template_id": "numbers", "instance_id": "wh", "name": "Numbers", **fields}
    response = client.post("/reports", json=body, as_=as_)
    assert response.status_code == 201, response.json
    created: dict[str, Any] = response.json  # type: ignore[assignment]
    return created


def assert_error(response: TestResponse, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an error in the API's one shape; returns its `error` object."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert isinstance(body, dict) and set(body) == {"error", "request_id"}, body
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["request_id"] == response.headers["X-Request-ID"]
    if code is not None:
        assert body["error"]["code"] == code
    error: dict[str, Any] = body["error"]
    return error

"""Helpers for API tests: a client that signs requests with a user's token, and checks of
the API's one error shape."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

#: Prefix of the report-builder endpoints.
RB = "/api/report-builder"


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

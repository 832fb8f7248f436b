"""Answering a request: a handler's result as JSON (its declared model), an empty 204, or
a file. Errors become responses in api/errors.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response
from pydantic import BaseModel

from services.exports import Download

if TYPE_CHECKING:
    from api.routing import Endpoint


def respond(endpoint: Endpoint, result: Any) -> Response:
    """The response for what `endpoint`'s handler returned: a model, `(model, status)`,
    a Flask Response as it is, or None (204)."""
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


def file_response(download: Download) -> Response:
    """A download as an attachment; text chunks stream as they are made."""
    return Response(
        download.content,
        mimetype=download.mimetype,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )

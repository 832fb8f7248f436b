"""Reading a request: path ids, the query string and the JSON body, each checked before a
handler sees it, and the cross-site refusal of the public endpoints."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import request
from pydantic import BaseModel, ValidationError

from api.errors import ApiError, bad_request, field_errors, pydantic_fields
from api.inputs import Body, Query

Q = TypeVar("Q", bound=Query)
B = TypeVar("B", bound=Body)

#: Largest JSON body accepted, in bytes: parameters and names, never data.
MAX_BODY_BYTES = 1_000_000
#: What an id in a path looks like: a slug (`rpt_ab12cd34`) or a UUID.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_ID = re.compile(ID_PATTERN)
#: Deepest nesting of a query or body that is checked (and accepted).
_MAX_DEPTH = 32


def check_path_ids(path: dict[str, str]) -> None:
    """A path value that cannot be an id names nothing: 404, as an unknown id would."""
    for name, value in path.items():
        if not _ID.match(value):
            raise ApiError(404, "not_found", f"No such {name.removesuffix('_id')}.")


def refuse_cross_site() -> None:
    """A public endpoint answers this site's pages and scripts, never another site's page
    (which could post to it from a visitor's browser without asking)."""
    origin = request.headers.get("Origin")
    cross_site = request.headers.get("Sec-Fetch-Site") == "cross-site" or (
        origin is not None and urlsplit(origin).netloc != request.host
    )
    if cross_site:
        raise ApiError(403, "cross_site", "Requests from other sites are refused here.")


def parse_query(model: type[Q]) -> Q:
    values = {key: request.args.get(key, "") for key in request.args}
    check_text(values, "")
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise field_errors(pydantic_fields(error), "Some query parameters are invalid.") from None


def parse_body(model: type[B], required: bool) -> B:
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
    check_text(data, "")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise field_errors(pydantic_fields(error)) from None
    except RecursionError:
        raise bad_request("The request body is nested too deeply.") from None


def check_text(value: Any, where: str, depth: int = 0) -> None:
    """Refuse text no database stores: NUL characters and unpaired surrogates."""
    if depth > _MAX_DEPTH:
        raise bad_request("The request is nested too deeply.")
    if isinstance(value, str):
        if "\x00" in value or not _encodable(value):
            raise field_errors({where or "body": "Text may not contain NUL or invalid characters."})
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            check_text(key, name, depth + 1)
            check_text(item, name, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_text(item, f"{where}.{index}", depth + 1)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def changes_of(body: BaseModel) -> dict[str, Any]:
    """The fields a PATCH body sets; null is refused (leave a field out to keep it)."""
    changes = body.model_dump(exclude_unset=True)
    nulls = {name: "Give a value or leave it out." for name, v in changes.items() if v is None}
    if nulls:
        raise field_errors(nulls)
    return changes

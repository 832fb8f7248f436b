"""Ids as people and clients give them: a UUID or a slug, matched by one filter."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, false


def by_id(uuid_column: Any, slug_column: Any, text: str) -> ColumnElement[bool]:
    """`uuid_column = text` when `text` is a UUID, else `slug_column = text`."""
    try:
        return uuid_column == uuid.UUID(text)  # type: ignore[no-any-return]
    except ValueError:
        return slug_column == text  # type: ignore[no-any-return]


def uuid_match(uuid_column: Any, text: str) -> ColumnElement[bool]:
    """`uuid_column = text` when `text` is a UUID; a false condition otherwise."""
    try:
        return uuid_column == uuid.UUID(text)  # type: ignore[no-any-return]
    except ValueError:
        return false()

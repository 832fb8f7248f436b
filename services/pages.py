"""Pagination shared by every list a service returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

#: Rows per page unless the caller asks otherwise, and the most it may ask for.
DEFAULT_LIMIT = 20
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    limit: int


def clamp(page: int, limit: int) -> tuple[int, int]:
    """A valid (page, limit): page from 1, limit from 1 to MAX_LIMIT."""
    return max(1, page), max(1, min(limit, MAX_LIMIT))

"""Pagination shared by every list a service returns: one page asked of the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

#: Rows per page unless the caller asks otherwise, and the most it may ask for.
DEFAULT_LIMIT = 20
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    #: Rows on every page together.
    total: int
    page: int
    limit: int


def clamp(page: int, limit: int) -> tuple[int, int]:
    """A valid (page, limit): page from 1, limit from 1 to MAX_LIMIT."""
    return max(1, page), max(1, min(limit, MAX_LIMIT))


def count_rows(session: Session, statement: Select[Any]) -> int:
    """How many rows `statement` returns, counted by the database."""
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return session.scalar(counted) or 0


def fetch_page(
    session: Session,
    statement: Select[Any],
    *,
    page: int,
    limit: int,
    item: Callable[[Row[Any]], T],
) -> Page[T]:
    """One page of an ordered `statement` (LIMIT/OFFSET) and its total (COUNT), each row
    made an item by `item`. The order must end on a unique column, so pages never overlap."""
    page, limit = clamp(page, limit)
    total = count_rows(session, statement)
    rows = session.execute(statement.offset((page - 1) * limit).limit(limit)).all()
    return Page(items=[item(row) for row in rows], total=total, page=page, limit=limit)

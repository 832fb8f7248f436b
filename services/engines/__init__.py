"""Engines run a template's SQL on an instance and stream the result as Arrow batches."""

from __future__ import annotations

from services.engines.base import Engine, RunningQuery
from services.engines.duckdb_engine import DuckDBEngine
from services.engines.mysql_engine import MySQLEngine
from services.engines.postgresql_engine import PostgreSQLEngine
from services.engines.sqlite_engine import SQLiteEngine
from services.errors import EngineError

ENGINE_CLASSES: dict[str, type[Engine]] = {
    "duckdb": DuckDBEngine,
    "mysql": MySQLEngine,
    "postgresql": PostgreSQLEngine,
    "sqlite": SQLiteEngine,
}


def make_engine(kind: str, url: str) -> Engine:
    """The engine for an instance of `kind` whose (decrypted) connection URL is `url`."""
    try:
        return ENGINE_CLASSES[kind](url)
    except KeyError:
        raise EngineError(f"unknown engine {kind!r}") from None


__all__ = ["Engine", "RunningQuery", "make_engine"]

"""Looking at a data source: the connection test (`SELECT 1`, errors a person can act on)
and the schema browser (tables, columns, types) for template authors."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from services.data_sources import merged_url, new_url, require_admin
from services.engines import make_engine
from services.errors import (
    DomainError,
    EngineError,
    SchemaUnavailable,
    SecretError,
    ValidationFailed,
)
from services.instances import get_instance
from services.secrets import decrypt_url
from services.source_connections import DEFAULT_PORTS
from services.users import Actor

#: Seconds the connection test waits, connecting included.
TEST_TIMEOUT_S = 5
#: Seconds the schema query may take.
SCHEMA_TIMEOUT_S = 30
#: Most tables the schema browser lists.
MAX_SCHEMA_TABLES = 500

#: Per engine: (schema, table, column, type) rows in table and column order.
_SCHEMA_SQL = {
    "postgresql": """
        SELECT table_schema AS table_schema, table_name AS table_name,
               column_name AS column_name, data_type AS data_type
        FROM information_schema.columns
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
        ORDER BY table_schema, table_name, ordinal_position""",
    "mysql": """
        SELECT table_schema AS table_schema, table_name AS table_name,
               column_name AS column_name, column_type AS data_type
        FROM information_schema.columns
        WHERE table_schema = DATABASE()
        ORDER BY table_name, ordinal_position""",
    "sqlite": """
        SELECT 'main' AS table_schema, m.name AS table_name, p.name AS column_name,
               p.type AS data_type
        FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p
        WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!'
        ORDER BY m.name, p.cid""",
    "duckdb": """
        SELECT table_schema, table_name, column_name, data_type
        FROM information_schema.columns
        WHERE table_schema NOT IN ('information_schema', 'pg_catalog')
        ORDER BY table_schema, table_name, ordinal_position""",
}


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    latency_ms: float
    error: str | None


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass(frozen=True)
class Table:
    schema: str
    name: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class SourceSchema:
    instance_id: str
    tables: tuple[Table, ...]
    #: True when the source has more than MAX_SCHEMA_TABLES tables (the first ones are listed).
    truncated: bool


def test_source(
    *,
    session: Session,
    actor: Actor,
    secret_key: str,
    instance_id: str | None,
    values: Mapping[str, Any] | None = None,
    metadata_url: str | None = None,
) -> ConnectionCheck:
    """Run `SELECT 1` on the source, or on the source as `values` would change it (the
    edit form's unsaved connection; with no `instance_id`, a new source's), within
    TEST_TIMEOUT_S seconds. The values are checked as a save would (`metadata_url`: see
    `create_source`)."""
    require_admin(actor)
    if instance_id is None:
        url, errors = new_url(values or {}, metadata_url=metadata_url)
        if errors:
            raise ValidationFailed(errors)
        assert url is not None
        return check_connection(str((values or {}).get("engine")), url)
    instance = get_instance(session=session, actor=actor, instance_id=instance_id)
    if values:
        url, errors = merged_url(instance, values, secret_key=secret_key, metadata_url=metadata_url)
        if errors:
            raise ValidationFailed(errors)
        assert url is not None
        engine = str(values.get("engine", instance.engine))
    else:
        try:
            url = decrypt_url(instance.connection_url_encrypted, secret_key=secret_key)
        except SecretError as error:
            return ConnectionCheck(ok=False, latency_ms=0.0, error=str(error))
        engine = instance.engine
    return check_connection(engine, url)


# Not a test, whatever pytest's naming rule says when a test module imports it.
test_source.__test__ = False  # type: ignore[attr-defined]


def check_connection(engine: str, url: str, timeout: float = TEST_TIMEOUT_S) -> ConnectionCheck:
    """`SELECT 1` through the engine; a thread bounds the wait, connecting included."""
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            list(make_engine(engine, url).execute("SELECT 1 AS ok", {}, timeout))
            outcome.append(None)
        except Exception as error:  # reported, in words, below
            outcome.append(error)

    started = time.monotonic()
    worker = threading.Thread(target=attempt, daemon=True, name="source-check")
    worker.start()
    worker.join(timeout + 0.5)
    latency_ms = round((time.monotonic() - started) * 1000, 1)
    if not outcome:
        where = _address(engine, url)
        return ConnectionCheck(
            ok=False,
            latency_ms=latency_ms,
            error=f"{where} did not answer within {timeout:g} s: "
            "check the host, port and firewall.",
        )
    error = outcome[0]
    if error is None:
        return ConnectionCheck(ok=True, latency_ms=latency_ms, error=None)
    return ConnectionCheck(
        ok=False, latency_ms=latency_ms, error=readable_error(engine, url, error)
    )


def readable_error(engine: str, url: str, error: BaseException) -> str:
    """What went wrong, in words a person can act on, never with the password."""
    message = str(error) if isinstance(error, DomainError | EngineError) else ""
    message = message or f"{type(error).__name__}: {error}"
    parsed = _parse(url)
    where = _address(engine, url)
    lower = message.lower()
    if "connection refused" in lower:
        text = f"Cannot reach {where}: connection refused. Is the server running on that port?"
    elif "timeout expired" in lower or "timed out" in lower:
        text = f"Cannot reach {where} in time: check the host, port and firewall."
    elif any(
        phrase in lower
        for phrase in (
            "could not translate host name",
            "name or service not known",
            "nodename nor servname",
            "temporary failure in name resolution",
            "getaddrinfo failed",
        )
    ):
        host = parsed.host if parsed is not None else "the host"
        text = f"Cannot find the host {host}: check its name."
    elif match := re.search(r'password authentication failed for user "([^"]*)"', message):
        text = f'Access denied for user "{match.group(1)}": check the user name and password.'
    elif match := re.search(
        r"(Access denied for user [^\n]*?)(?: \(using password: \w+\))?$", message
    ):
        text = f"{match.group(1)}: check the user name and password."
    elif match := re.search(
        r'database "([^"]*)" does not exist|Unknown database \'([^\']*)\'', message
    ):
        text = f"Database {match.group(1) or match.group(2)!r} does not exist."
    elif engine in {"sqlite", "duckdb"} and ("does not exist" in lower or "no such file" in lower):
        path = parsed.database if parsed is not None else None
        text = f"The file {path} does not exist (or this server cannot read it)."
    else:
        text = message.removeprefix("Cannot connect to the PostgreSQL instance: ").strip()
    return _without_secret(text, parsed)


def source_schema(
    *, session: Session, actor: Actor, secret_key: str, instance_id: str
) -> SourceSchema:
    """Tables with their columns and types, for anyone who may use the source."""
    instance = get_instance(session=session, actor=actor, instance_id=instance_id)
    try:
        url = decrypt_url(instance.connection_url_encrypted, secret_key=secret_key)
    except SecretError as error:
        raise SchemaUnavailable(str(error)) from None
    engine = make_engine(instance.engine, url)
    sql = _SCHEMA_SQL[instance.engine]
    try:
        tables, truncated = _tables(engine.execute(sql, {}, SCHEMA_TIMEOUT_S))
    except EngineError as error:
        raise SchemaUnavailable(
            f"The schema cannot be read now: {readable_error(instance.engine, url, error)}"
        ) from None
    return SourceSchema(instance_id=instance.instance_id, tables=tables, truncated=truncated)


def _tables(batches: Iterator[pa.RecordBatch]) -> tuple[tuple[Table, ...], bool]:
    tables: list[Table] = []
    current: tuple[str, str] | None = None
    columns: list[Column] = []
    truncated = False
    try:
        for batch in batches:
            for row in batch.to_pylist():
                key = (str(row["table_schema"]), str(row["table_name"]))
                if key != current:
                    if current is not None:
                        tables.append(Table(*current, tuple(columns)))
                    if len(tables) >= MAX_SCHEMA_TABLES:
                        truncated, current = True, None
                        break
                    current, columns = key, []
                columns.append(Column(str(row["column_name"]), str(row["data_type"] or "")))
            if truncated:
                break
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # ends the query early when the list was cut
    if current is not None:
        tables.append(Table(*current, tuple(columns)))
    return tuple(tables), truncated


def _parse(url: str) -> Any:
    try:
        return make_url(url)
    except ArgumentError:
        return None


def _address(engine: str, url: str) -> str:
    parsed = _parse(url)
    if parsed is None:
        return "the server"
    if engine in DEFAULT_PORTS:
        return f"{parsed.host or 'localhost'}:{parsed.port or DEFAULT_PORTS[engine]}"
    return str(parsed.database or "the file")


def _without_secret(text: str, parsed: Any) -> str:
    password = getattr(parsed, "password", None) if parsed is not None else None
    if password and str(password) in text:
        text = text.replace(str(password), "***")
    return text

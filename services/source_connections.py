"""A data source's connection URL from what an admin gives: a URL, or fields (host, port,
database, user, password, options) built with `URL.create`, never by pasting text.

An empty password keeps the stored one only while the target (engine, host, port, user,
database) stays the same: the stored secret is never sent to a new server. Likewise for
secret driver options (hidden from the form, kept when the visible options change). A URL
given in full never borrows anything from the stored one."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from services.errors import EngineError, ParameterError
from services.instances import check_url

#: SQLAlchemy driver of each engine when a source is given as fields.
DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "sqlite": "sqlite",
    "duckdb": "duckdb",
}
#: Engines reached over the network (host, port, user); the others are files.
SERVER_ENGINES = ("postgresql", "mysql")
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
#: Driver options whose value is a secret: never shown back, kept when an edit leaves them out.
SECRET_OPTION = re.compile(r"pass|secret|token|key$", re.IGNORECASE)
NEW_TARGET_PASSWORD = "Enter the password again: the connection target changed."
_CONNECTION_FIELDS = ("host", "port", "database", "user", "password", "options")


def connection_url(
    engine: str,
    connection: Any,
    *,
    stored: str | None,
    errors: dict[str, str],
    metadata_url: str | None = None,
) -> str | None:
    """The URL from `{url}` or the fields, checked as the engine will use it; a file source
    may not be the metadata database (`metadata_url`, the app's DATABASE_URL)."""
    if not isinstance(connection, Mapping):
        errors["connection"] = "Give an object: {host, port, database, user, password} or {url}."
        return None
    unknown = sorted(set(connection) - {"url", *_CONNECTION_FIELDS})
    if unknown:
        errors[f"connection.{unknown[0]}"] = "Not a connection field."
        return None
    url = connection.get("url")
    fields = {k: v for k, v in connection.items() if k != "url" and v not in (None, "", {})}
    if url not in (None, ""):
        if fields:
            errors["connection"] = "Give either a URL or the fields, not both."
            return None
        checked = _checked_url(engine, url, errors)
        if checked is None or not _usable(engine, checked, "connection.url", errors, metadata_url):
            return None
        return checked
    if not fields and stored is not None:
        return _checked_url(engine, stored, errors, field="connection")
    return _url_from_fields(engine, connection, stored, errors, metadata_url)


def _checked_url(
    engine: str, url: Any, errors: dict[str, str], field: str = "connection.url"
) -> str | None:
    if not isinstance(url, str):
        errors[field] = "Give the URL as text."
        return None
    try:
        check_url(engine, url)
    except ParameterError as problem:
        errors[field] = problem.message
        return None
    return url


def _usable(
    engine: str, url: str, field: str, errors: dict[str, str], metadata_url: str | None
) -> bool:
    """The checks the engine would otherwise fail on later: a file's path, driver options."""
    if engine not in SERVER_ENGINES:
        problem = file_problem(make_url(url).database, metadata_url)
    else:
        problem = options_problem(engine, url)
    if problem:
        errors[field] = problem
    return problem is None


def file_problem(database: str | None, metadata_url: str | None) -> str | None:
    """What is wrong with a SQLite or DuckDB source's file path, if anything."""
    if not database:
        return "Give the database file's path."
    if not database.startswith("/"):
        # Relative paths would depend on each process's working directory.
        return "Give the file's absolute path, e.g. /data/shop.db."
    if _is_metadata_file(database, metadata_url):
        return "This is the metadata database (users, passwords): it cannot be a source."
    return None


def _is_metadata_file(database: str, metadata_url: str | None) -> bool:
    if metadata_url is None:
        return False
    try:
        metadata = make_url(metadata_url)
    except ArgumentError:
        return False
    if not metadata.drivername.startswith("sqlite") or metadata.database in (None, "", ":memory:"):
        return False
    path, own = Path(database), Path(str(metadata.database))
    if path.resolve() == own.resolve():
        return True
    try:
        return os.path.samefile(path, own)  # a hard link
    except OSError:
        return False


def options_problem(engine: str, url: str) -> str | None:
    """What the engine's driver would refuse in the URL's options, if anything."""
    if engine != "mysql":
        return None
    from services.engines.mysql_engine import connect_arguments

    try:
        connect_arguments(url)
    except EngineError as problem:
        return str(problem)
    return None


def _url_from_fields(
    engine: str,
    connection: Mapping[str, Any],
    stored: str | None,
    errors: dict[str, str],
    metadata_url: str | None,
) -> str | None:
    previous = _parsed(stored)
    # Fields not given fall back to the stored ones only on the same engine.
    old = previous if previous is not None and _same_engine(engine, stored) else None
    database = _text_field(connection, "database", errors) or (old.database if old else None)
    if engine not in SERVER_ENGINES:
        problem = file_problem(database, metadata_url)
        if problem and "connection.database" not in errors:
            errors["connection.database"] = problem
        if errors:
            return None
        return URL.create(DRIVERS[engine], database=database).render_as_string(hide_password=False)
    host = _text_field(connection, "host", errors) or (old.host if old else None)
    user = _text_field(connection, "user", errors) or (old.username if old else None)
    password = _text_field(connection, "password", errors)
    port = _port(connection.get("port"), errors)
    port = port or (old.port if old else None) or DEFAULT_PORTS[engine]
    target = (host, port, user, database)
    moved = previous is not None and (old is None or _target(old, engine) != target)
    if password is None and previous is not None and previous.password:
        if moved:
            errors["connection.password"] = NEW_TARGET_PASSWORD
        else:
            password = previous.password
    query = _query(connection.get("options"), old, moved, errors)
    for key, value in (("host", host), ("user", user), ("database", database)):
        if not value and f"connection.{key}" not in errors:
            errors[f"connection.{key}"] = "This field is required."
    if any(key.startswith("connection") for key in errors):
        return None
    url = URL.create(
        DRIVERS[engine],
        username=user,
        password=password,
        host=host,
        port=port,
        database=database,
        query=query,
    ).render_as_string(hide_password=False)
    if problem := options_problem(engine, url):
        errors["connection.options"] = problem
        return None
    return url


def _query(options: Any, old: URL | None, moved: bool, errors: dict[str, str]) -> dict[str, Any]:
    """The driver options: those given replace the visible ones; the secret ones (hidden
    from the form) are kept unless given again, and must be when the target moved."""
    stored = dict(old.query) if old is not None else {}
    if options is None:
        options = {key: value for key, value in stored.items() if not SECRET_OPTION.search(key)}
    if not isinstance(options, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str | int | float) for k, v in options.items()
    ):
        errors["connection.options"] = "Give options as names and text values, e.g. sslmode."
        return {}
    hidden = {k: v for k, v in stored.items() if SECRET_OPTION.search(k) and k not in options}
    if hidden and moved:
        names = ", ".join(sorted(hidden))
        errors["connection.options"] = (
            f"Enter the secret options again ({names}): the connection target changed."
        )
        return {}
    return {**hidden, **{str(k): str(v) for k, v in options.items()}}


def _parsed(url: str | None) -> URL | None:
    if url is None:
        return None
    try:
        return make_url(url)
    except ArgumentError:
        return None


def _same_engine(engine: str, url: str | None) -> bool:
    try:
        check_url(engine, url or "")
    except ParameterError:
        return False
    return True


def _target(url: URL, engine: str) -> tuple[str | None, int, str | None, str | None]:
    return (url.host, url.port or DEFAULT_PORTS[engine], url.username, url.database)


def _text_field(connection: Mapping[str, Any], key: str, errors: dict[str, str]) -> str | None:
    value = connection.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 1000:
        errors[f"connection.{key}"] = "Give text of at most 1000 characters."
        return None
    return value.strip() if key != "password" else value


def _port(value: Any, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    number = as_int(value)
    if number is None or not 1 <= number <= 65535:
        errors["connection.port"] = "Give a port number between 1 and 65535."
        return None
    return number


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None

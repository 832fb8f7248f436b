"""MySQL and MariaDB through PyMySQL: a read-only transaction and an unbuffered cursor."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pymysql
import pymysql.charset
import pymysql.cursors
from pymysql.constants import FIELD_TYPE
from sqlalchemy.engine import make_url

from services.engines.base import (
    Column,
    Convert,
    Deadline,
    Engine,
    RunningQuery,
    failure,
    record_batches,
)
from services.errors import EngineError

#: Seconds to wait for the server to accept a connection.
CONNECT_TIMEOUT_S = 10
#: Seconds the client-side deadline waits beyond the server's own statement limit, which
#: normally stops the query first (MySQL's max_execution_time covers SELECT only).
DEADLINE_GRACE_S = 2
#: Query options a URL may carry (`?charset=utf8mb4&ssl_ca=/path`), passed to PyMySQL.
URL_OPTIONS = frozenset(
    {
        "charset",
        "unix_socket",
        "ssl_ca",
        "ssl_cert",
        "ssl_key",
        "ssl_verify_cert",
        "ssl_verify_identity",
        "ssl_disabled",
        "read_timeout",
    }
)
#: Server error codes: the statement timed out (MariaDB 1969, MySQL 3024), was killed
#: (1317), or tried to write in the read-only transaction (1792).
_TIMED_OUT = {1969, 3024}
_INTERRUPTED = 1317
_READ_ONLY = 1792
_BINARY_CHARSET = 63

#: `/*! … */` and `/*M! … */`: comments to parsers, statements to MySQL and MariaDB. Matched
#: anywhere, string literals included: refusing a rare literal beats parsing MySQL's quoting.
EXECUTABLE_COMMENT = re.compile(r"/\*M?!", re.IGNORECASE)


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).hex()
    return str(value)


def _float(value: Any) -> float:
    return float(value)


def _bits(value: Any) -> int:
    return int.from_bytes(value, "big") if isinstance(value, bytes) else int(value)


def _only(kind: type) -> Callable[[Any], Any]:
    """Zero dates ('0000-00-00') come back as text: they become null."""
    return lambda value: value if isinstance(value, kind) else None


_INTS = {FIELD_TYPE.TINY, FIELD_TYPE.SHORT, FIELD_TYPE.INT24, FIELD_TYPE.LONG, FIELD_TYPE.YEAR}
_TYPES: dict[int, tuple[pa.DataType, Convert]] = {
    **{code: (pa.int64(), None) for code in _INTS},
    FIELD_TYPE.LONGLONG: (pa.int64(), None),
    FIELD_TYPE.FLOAT: (pa.float64(), None),
    FIELD_TYPE.DOUBLE: (pa.float64(), None),
    FIELD_TYPE.DECIMAL: (pa.float64(), _float),  # Decimal → float, as dashboards need
    FIELD_TYPE.NEWDECIMAL: (pa.float64(), _float),
    FIELD_TYPE.BIT: (pa.int64(), _bits),
    FIELD_TYPE.DATE: (pa.date32(), _only(dt.date)),
    FIELD_TYPE.NEWDATE: (pa.date32(), _only(dt.date)),
    FIELD_TYPE.DATETIME: (pa.timestamp("us"), _only(dt.datetime)),
    # The session's time zone is UTC (see `connect`), so TIMESTAMP values are UTC.
    FIELD_TYPE.TIMESTAMP: (pa.timestamp("us", tz="UTC"), _only(dt.datetime)),
}
_FALLBACK: tuple[pa.DataType, Convert] = (pa.string(), _text)


def connect_arguments(url: str) -> dict[str, Any]:
    """PyMySQL's keyword arguments from a SQLAlchemy URL (``mysql+pymysql://…``)."""
    parsed = make_url(url)
    unknown = sorted(set(parsed.query) - URL_OPTIONS)
    if unknown:
        raise EngineError(
            f"Unknown connection option {unknown[0]!r}; use: {', '.join(sorted(URL_OPTIONS))}."
        )
    options: dict[str, Any] = {}
    for key, value in parsed.query.items():
        text = value[-1] if isinstance(value, tuple) else value
        if key == "read_timeout":
            if not text.isdigit() or int(text) < 1:
                raise EngineError("read_timeout is a whole number of seconds, e.g. 600.")
            options[key] = int(text)
        elif key == "charset" and pymysql.charset.charset_by_name(text) is None:
            raise EngineError(f"Unknown charset {text!r}; use e.g. utf8mb4.")
        else:
            options[key] = text
    ssl = {k.removeprefix("ssl_"): v for k, v in options.items() if k.startswith("ssl_")}
    arguments: dict[str, Any] = {k: v for k, v in options.items() if not k.startswith("ssl_")}
    if ssl.pop("disabled", "").lower() in {"1", "true", "yes"}:
        arguments["ssl_disabled"] = True
    if ssl:
        for flag in ("verify_cert", "verify_identity"):
            if flag in ssl:
                ssl[flag] = ssl[flag].lower() in {"1", "true", "yes"}
        arguments["ssl"] = ssl
    return {
        "host": parsed.host or "localhost",
        "port": parsed.port or 3306,
        "user": parsed.username or "",
        "password": parsed.password or "",
        "database": parsed.database or None,
        "connect_timeout": CONNECT_TIMEOUT_S,
        "charset": "utf8mb4",
        **arguments,
    }


class MySQLEngine(Engine):
    """MySQL 8 and MariaDB 10.6+; every statement runs in a READ ONLY transaction."""

    dialect = "mysql"

    def connect(self, timeout: float | None = None, **extra: Any) -> Any:
        """A connection in UTC, read-only, its statements stopped after `timeout` seconds."""
        try:
            connection = pymysql.connect(**connect_arguments(self.url), **extra)
        except pymysql.Error as error:
            # The URL may hold a password: say what failed, never the URL.
            raise EngineError(f"Cannot connect to the MySQL instance: {_readable(error)}") from None
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET time_zone = '+00:00'")
                cursor.execute("SET SESSION TRANSACTION READ ONLY")
                if timeout:
                    cursor.execute(_timeout_statement(connection, timeout))
        except pymysql.Error as error:
            connection.close()
            raise EngineError(_readable(error)) from None
        return connection

    def execute(
        self,
        sql: str,
        binds: dict[str, Any],
        timeout: float,
        running: RunningQuery | None = None,
    ) -> Iterator[pa.RecordBatch]:
        if EXECUTABLE_COMMENT.search(sql):
            raise EngineError("MySQL executable comments (/*! … */) are not allowed.")
        running = running or RunningQuery()
        connection = self.connect(timeout, cursorclass=pymysql.cursors.SSCursor)
        thread_id = connection.thread_id()
        running.engine_execution_id = f"mysql:{thread_id}"
        running._interrupt = lambda: self._kill_quietly(thread_id)
        try:
            with Deadline(timeout + DEADLINE_GRACE_S, running.interrupt) as deadline:
                try:
                    yield from self._stream(connection, sql, binds)
                except pymysql.Error as error:
                    code = error.args[0] if error.args else None
                    raise failure(
                        running=running,
                        timeout=timeout,
                        timed_out=code in _TIMED_OUT or deadline.expired.is_set(),
                        # Killed by a cancel from another process, too (cancel_remote).
                        cancelled=code == _INTERRUPTED,
                        message=_readable(error),
                    ) from None
        finally:
            running._interrupt = None
            # A killed query can leave the connection closed already.
            with contextlib.suppress(pymysql.Error):
                connection.close()

    def _stream(self, connection: Any, sql: str, binds: dict[str, Any]) -> Iterator[pa.RecordBatch]:
        cursor = connection.cursor()
        try:
            cursor.execute("START TRANSACTION READ ONLY")
            # PyMySQL interpolates binds client-side and escapes them for the connection.
            cursor.execute(sql, binds)  # always a dict: `%%` in the SQL becomes `%`
            if cursor.description is None:
                raise EngineError("The statement returned no rows to read; a template is a SELECT.")
            columns = [Column(f.name, *_type_of(f)) for f in cursor._result.fields]
            yield from record_batches(cursor.fetchmany, columns, self.batch_rows)
            cursor.execute("COMMIT")
        finally:
            result = cursor._result
            if result is not None and result.unbuffered_active:
                # Stopped early (a preview's row limit): closing the cursor would read the
                # whole rest of the result. Stop the query, then drop the socket unread.
                self._kill_quietly(connection.thread_id())
                result.unbuffered_active = False  # nothing more is read from the socket
                with contextlib.suppress(pymysql.Error):
                    connection.close()
            with contextlib.suppress(pymysql.Error):
                cursor.close()

    def _kill_quietly(self, thread_id: int) -> None:
        with contextlib.suppress(EngineError):  # the query ends anyway when its connection closes
            self._kill(thread_id)

    def _kill(self, thread_id: int) -> bool:
        try:
            connection = pymysql.connect(**connect_arguments(self.url))
        except pymysql.Error as error:
            raise EngineError(f"Cannot connect to the MySQL instance: {_readable(error)}") from None
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"KILL QUERY {int(thread_id)}")
        except pymysql.Error as error:
            if error.args and error.args[0] == 1094:  # unknown thread: it has ended
                return False
            raise EngineError(_readable(error)) from None
        finally:
            connection.close()
        return True

    def cancel_remote(self, engine_execution_id: str) -> bool:
        kind, _, thread_id = engine_execution_id.partition(":")
        if kind != "mysql" or not thread_id.isdigit():
            return False
        return self._kill(int(thread_id))


def _timeout_statement(connection: Any, seconds: float) -> str:
    if "mariadb" in connection.get_server_info().lower():
        return f"SET SESSION max_statement_time = {float(seconds):.3f}"
    return f"SET SESSION max_execution_time = {int(seconds * 1000)}"


def _type_of(field: Any) -> tuple[pa.DataType, Convert]:
    if field.type_code == FIELD_TYPE.LONGLONG and field.flags & 32:  # UNSIGNED BIGINT
        return pa.float64(), _float
    if field.type_code in _TYPES:
        return _TYPES[field.type_code]
    if field.type_code == FIELD_TYPE.JSON:
        return pa.string(), _text
    if field.charsetnr == _BINARY_CHARSET and field.type_code in {
        FIELD_TYPE.TINY_BLOB,
        FIELD_TYPE.MEDIUM_BLOB,
        FIELD_TYPE.LONG_BLOB,
        FIELD_TYPE.BLOB,
        FIELD_TYPE.VAR_STRING,
        FIELD_TYPE.STRING,
    }:
        return pa.string(), _text  # bytes: text when UTF-8, else hex
    return _FALLBACK


def _readable(error: pymysql.Error) -> str:
    """The server's message, without its error number."""
    if len(error.args) >= 2 and isinstance(error.args[1], str):
        return error.args[1]
    return str(error) or type(error).__name__

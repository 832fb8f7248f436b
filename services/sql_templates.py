"""SQL templates: `{{ name }}` placeholders become bound parameters, never pasted values.

Placeholders: `{{ name }}` for a parameter, `{{ range.start }}` / `{{ range.end }}` for the
inclusive days of a date_range, `{{ ids.empty }}` (true when a list is empty, to mean
"all"), and `{{ window_start }}` / `{{ window_end }}`, the half-open time window every
execution binds. A list renders as a one-column subquery, so `x IN {{ ids }}` works
and the SQL text never depends on the values. A `column` parameter is an identifier
from its whitelist, quoted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from services.errors import TemplateDefinitionError
from services.parameter_types import ParameterDefinition

Dialect = Literal["duckdb", "mysql", "postgresql", "sqlite"]

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)(?:\.(start|end|empty))?\s*\}\}")
WINDOW_NAMES = ("window_start", "window_end")

#: Statement kinds that write, change the schema or reach outside the query.
_FORBIDDEN = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Into,
    exp.Copy,
    exp.Set,
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Attach,
    exp.Detach,
    exp.Pragma,
    exp.TruncateTable,
    exp.LoadData,
)
#: Dialects tried, in order, when checking a template parses for no engine in particular.
_PARSE_DIALECTS = ("duckdb", "postgres", "sqlite")
#: sqlglot's name for each engine's dialect.
_SQLGLOT_DIALECTS: dict[str, str] = {
    "duckdb": "duckdb",
    "mysql": "mysql",
    "postgresql": "postgres",
    "sqlite": "sqlite",
}
#: Engines whose driver takes `%(name)s` markers, so a literal % is written %%.
_PYFORMAT: frozenset[str] = frozenset({"mysql", "postgresql"})


@dataclass(frozen=True)
class RenderedSQL:
    """SQL in the engine's own parameter style, with its bind values."""

    sql: str
    binds: dict[str, Any]


def check_template(
    sql: str, definitions: Sequence[ParameterDefinition], dialect: Dialect | None = None
) -> None:
    """Refuse a template with unknown placeholders or that is not one read-only statement
    (for `dialect` when given, else for any of the engines' dialects)."""
    by_name = {d.name: d for d in definitions}
    for match in PLACEHOLDER.finditer(sql):
        name, part = match.group(1), match.group(2)
        if name in WINDOW_NAMES and part is None:
            continue
        definition = by_name.get(name)
        if definition is None:
            raise TemplateDefinitionError(f"placeholder {match.group(0)} names no parameter")
        if part in {"start", "end"} and definition.type != "date_range":
            raise TemplateDefinitionError(f"{match.group(0)}: only a date_range has .{part}")
        if part == "empty" and not definition.is_list:
            raise TemplateDefinitionError(f"{match.group(0)}: only a list has .empty")
        if definition.type == "date_range" and part is None:
            raise TemplateDefinitionError(f"{match.group(0)}: use .start or .end")
    if "{{" in PLACEHOLDER.sub("", sql):
        raise TemplateDefinitionError("a '{{' does not form a valid placeholder")
    check_read_only(_neutral(sql, by_name), dialect)


def _neutral(sql: str, by_name: Mapping[str, ParameterDefinition]) -> str:
    """The template with each placeholder replaced by something any parser accepts."""

    def replace(match: re.Match[str]) -> str:
        definition = by_name.get(match.group(1))
        if definition is not None and definition.is_list and match.group(2) is None:
            return "(SELECT NULL)"
        if definition is not None and definition.type == "column":
            return definition.options[0].value if definition.options else "x"
        return "NULL"

    return PLACEHOLDER.sub(replace, sql)


def check_read_only(sql: str, dialect: Dialect | None = None) -> None:
    """One SELECT (or WITH … SELECT) statement that writes nothing, parsed as `dialect`
    when given, else as the first of the engines' dialects that accepts it."""
    # Here, not at the top: the engines import this module.
    from services.engines.mysql_engine import EXECUTABLE_COMMENT

    # Parsers skip `/*! … */` as a comment, MySQL runs it: refused wherever the SQL may run
    # on MySQL (no dialect: a template may run on any source).
    if dialect in ("mysql", None) and EXECUTABLE_COMMENT.search(sql):
        raise TemplateDefinitionError("MySQL executable comments (/*! … */) are not allowed")
    problems: list[str] = []
    dialects = (_SQLGLOT_DIALECTS[dialect],) if dialect else _PARSE_DIALECTS
    for read in dialects:
        try:
            statements = [
                s
                for s in sqlglot.parse(sql, read=read)
                if s is not None and not isinstance(s, exp.Semicolon)
            ]
        except ParseError as error:
            problems.append(f"{read}: {str(error).splitlines()[0]}")
            continue
        if len(statements) != 1:
            raise TemplateDefinitionError("a template holds exactly one SQL statement")
        statement = statements[0]
        if not isinstance(statement, exp.Query):
            raise TemplateDefinitionError("a template is a SELECT (or WITH … SELECT) query")
        for node in statement.walk():
            if isinstance(node, _FORBIDDEN):
                raise TemplateDefinitionError(
                    f"a template may only read: {type(node).__name__.upper()} is not allowed"
                )
        return
    raise TemplateDefinitionError("the SQL does not parse: " + "; ".join(problems))


def render(
    sql: str,
    definitions: Sequence[ParameterDefinition],
    values: Mapping[str, Any],
    window: tuple[datetime, datetime],
    dialect: Dialect,
) -> RenderedSQL:
    """The SQL for `dialect` with every value bound; `values` are already normalized."""
    binds: dict[str, Any] = {}

    def bind(name: str, value: Any, definition: ParameterDefinition | None) -> str:
        binds[name] = _bind_value(value, dialect)
        marker = _marker(name, dialect)
        if isinstance(value, _ListValue) and definition is not None:
            return _list_subquery(marker, definition, dialect)
        return marker

    escaped = sql.replace("%", "%%") if dialect in _PYFORMAT else sql
    return RenderedSQL(
        sql=_substitute(escaped, definitions, values, window, bind, dialect), binds=binds
    )


def _substitute(
    sql: str,
    definitions: Sequence[ParameterDefinition],
    values: Mapping[str, Any],
    window: tuple[datetime, datetime],
    emit: Callable[[str, Any, ParameterDefinition | None], str],
    dialect: Dialect | None = None,
) -> str:
    """Replace each placeholder with what `emit(bind_name, value, definition)` returns;
    a column is quoted for `dialect` (standard double quotes when None)."""
    by_name = {d.name: d for d in definitions}

    def replace(match: re.Match[str]) -> str:
        name, part = match.group(1), match.group(2)
        if name in WINDOW_NAMES:
            return emit(name, window[WINDOW_NAMES.index(name)], None)
        definition = by_name[name]
        value = values.get(name)
        if definition.type == "column":
            return _quote_identifier(value, definition, dialect)
        if definition.type == "date_range":
            assert part in {"start", "end"}
            day = date.fromisoformat(value[part]) if value else None
            return emit(f"{name}__{part}", day, definition)
        if part == "empty":
            return emit(f"{name}__empty", not value, definition)
        if definition.is_list:
            return emit(name, _ListValue(value or []), definition)
        if definition.type == "date" and value is not None:
            return emit(name, date.fromisoformat(value), definition)
        return emit(name, value, definition)

    return PLACEHOLDER.sub(replace, sql)


class _ListValue(list[Any]):
    """Marks a list parameter, bound as one array (or one JSON text on SQLite)."""


def _marker(name: str, dialect: Dialect) -> str:
    if dialect == "duckdb":
        return f"${name}"
    if dialect in _PYFORMAT:
        return f"%({name})s"
    return f":{name}"


def _list_subquery(marker: str, definition: ParameterDefinition, dialect: Dialect) -> str:
    if dialect == "sqlite":
        return f"(SELECT value FROM json_each({marker}))"
    if dialect == "postgresql":
        array_type = "bigint[]" if definition.item_type == "integer" else "text[]"
        return f"(SELECT UNNEST(CAST({marker} AS {array_type})))"
    if dialect == "mysql":  # a JSON array, read as rows (MySQL 8, MariaDB 10.6)
        item_type = "BIGINT" if definition.item_type == "integer" else "VARCHAR(1024)"
        return (
            f"(SELECT rb_list.value FROM JSON_TABLE({marker}, '$[*]' "
            f"COLUMNS (value {item_type} PATH '$')) AS rb_list)"
        )
    return f"(SELECT UNNEST({marker}))"


def _bind_value(value: Any, dialect: Dialect) -> Any:
    if isinstance(value, datetime):
        utc = value.astimezone(UTC)
        return utc if dialect == "postgresql" else utc.replace(tzinfo=None)
    if dialect in {"sqlite", "mysql"} and isinstance(value, _ListValue):
        return json.dumps(list(value))
    if dialect == "sqlite" and isinstance(value, date):
        return value.isoformat()
    if isinstance(value, _ListValue):
        return list(value)
    return value


def _quote_identifier(value: Any, definition: ParameterDefinition, dialect: Dialect | None) -> str:
    allowed = {o.value for o in definition.options}
    if value not in allowed:  # validation guarantees it; this guards direct callers
        raise TemplateDefinitionError(f"{definition.name}: {value!r} is not an allowed column")
    if dialect == "mysql":  # double quotes make a string there, unless ANSI_QUOTES is on
        return "`" + str(value).replace("`", "``") + "`"
    return '"' + str(value).replace('"', '""') + '"'


def preview_sql(
    sql: str,
    definitions: Sequence[ParameterDefinition],
    values: Mapping[str, Any],
    window: tuple[datetime, datetime],
) -> str:
    """The SQL with values written in as literals, for a person to read; never executed."""

    def literal(name: str, value: Any, definition: ParameterDefinition | None) -> str:
        if isinstance(value, _ListValue):
            return "(" + ", ".join(_literal(v) for v in value) + ")" if value else "(NULL)"
        return _literal(value)

    return _substitute(sql, definitions, values, window, literal)


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"

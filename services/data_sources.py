"""Data sources as admins manage them: create, change, list and delete instances, with their
connection (write-only secret) and option lists. The reads people use are in instances.py;
the connection test and the schema browser in source_checks.py.

Every function flushes and leaves the commit to the caller's unit of work (the web context,
the API's request session, the command's `session_scope`), so a failure later in the same
request rolls the change back with everything else.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, overload

from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from db.models import (
    ENGINES,
    MAX_LOOKBACK_DAYS,
    Instance,
    InstanceAccess,
    ReportDataCollection,
    ReportDefinition,
    ReportExecution,
)
from services.errors import (
    Conflict,
    ParameterError,
    PermissionDenied,
    SecretError,
    TemplateDefinitionError,
    ValidationFailed,
)
from services.instances import (
    SEARCH_PARAMETER,
    check_timezone,
    get_instance,
    save_instance,
)
from services.paging import DEFAULT_LIMIT, Page, fetch_page
from services.parameter_types import OPTION_LIST_NAME
from services.secrets import decrypt_url
from services.source_connections import SECRET_OPTION, as_int, connection_url
from services.sql_templates import check_template
from services.users import Actor

#: Defaults of a new source's settings, and the bounds of each (inclusive).
DEFAULTS: dict[str, Any] = {
    "timezone": "UTC",
    "data_lag_days": 0,
    "max_lookback_days": MAX_LOOKBACK_DAYS,
    "max_concurrency": 10,
    "statement_timeout_seconds": 300,
    "description": "",
}
BOUNDS = {
    "data_lag_days": (0, 365),
    "max_lookback_days": (1, MAX_LOOKBACK_DAYS),
    "max_concurrency": (1, 1000),
    "statement_timeout_seconds": (1, 86_400),
}
#: Most option lists per source.
MAX_OPTION_LISTS = 50
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class SourceInfo:
    """A source as the admin pages show it: its settings and connection, never the secret."""

    uuid: uuid.UUID
    instance_id: str
    name: str
    description: str
    engine: str
    #: Non-secret parts of the connection, for the edit form (None when not readable).
    host: str | None
    port: int | None
    database: str | None
    user: str | None
    has_password: bool
    options: dict[str, str]
    timezone: str
    data_lag_days: int
    max_lookback_days: int
    max_concurrency: int
    statement_timeout_seconds: int
    option_lists: dict[str, str]
    is_active: bool
    #: Reports that run on this source (deleting it is refused while there are any).
    report_count: int
    #: False when the stored URL cannot be decrypted with this SECRET_KEY.
    connection_readable: bool = True


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can manage data sources.")


# -- reading -------------------------------------------------------------------------------


def source_info(session: Session, instance: Instance, *, secret_key: str) -> SourceInfo:
    host = port = database = user = None
    has_password, readable = False, True
    options: dict[str, str] = {}
    try:
        url = make_url(decrypt_url(instance.connection_url_encrypted, secret_key=secret_key))
    except (SecretError, ArgumentError):
        readable = False
    else:
        host, port, database, user = url.host, url.port, url.database, url.username
        has_password = bool(url.password)
        options = {
            key: value if isinstance(value, str) else ",".join(value)
            for key, value in url.query.items()
            if not SECRET_OPTION.search(key)
        }
    return SourceInfo(
        uuid=instance.id,
        instance_id=instance.instance_id,
        name=instance.name,
        description=instance.description,
        engine=instance.engine,
        host=host,
        port=port,
        database=database,
        user=user,
        has_password=has_password,
        options=options,
        timezone=instance.timezone,
        data_lag_days=instance.data_lag_days,
        max_lookback_days=instance.max_lookback_days,
        max_concurrency=instance.max_concurrency,
        statement_timeout_seconds=instance.statement_timeout_seconds,
        option_lists=dict(sorted(instance.metadata_queries.items())),
        is_active=instance.is_active,
        report_count=report_count(session, instance.id),
        connection_readable=readable,
    )


def report_count(session: Session, instance_uuid: uuid.UUID) -> int:
    statement = select(func.count()).where(ReportDefinition.instance_uuid == instance_uuid)
    return session.scalar(statement) or 0


@overload
def list_sources(
    *,
    session: Session,
    actor: Actor,
    secret_key: str,
    page: None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[SourceInfo]: ...


@overload
def list_sources(
    *, session: Session, actor: Actor, secret_key: str, page: int, limit: int = DEFAULT_LIMIT
) -> Page[SourceInfo]: ...


def list_sources(
    *,
    session: Session,
    actor: Actor,
    secret_key: str,
    page: int | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[SourceInfo] | Page[SourceInfo]:
    """Every source, active or not, by name, each with the count of reports using it; all,
    or with `page`, one page of `limit` and the total."""
    require_admin(actor)
    statement = select(Instance).order_by(Instance.name, Instance.instance_id)
    if page is None:
        return [source_info(session, i, secret_key=secret_key) for i in session.scalars(statement)]
    return fetch_page(
        session,
        statement,
        page=page,
        limit=limit,
        item=lambda row: source_info(session, row[0], secret_key=secret_key),
    )


def get_source(*, session: Session, actor: Actor, secret_key: str, instance_id: str) -> SourceInfo:
    require_admin(actor)
    instance = get_instance(session=session, actor=actor, instance_id=instance_id)
    return source_info(session, instance, secret_key=secret_key)


# -- changing ------------------------------------------------------------------------------


def create_source(
    *,
    session: Session,
    actor: Actor,
    secret_key: str,
    values: Mapping[str, Any],
    metadata_url: str | None = None,
) -> SourceInfo:
    """A new source from `values` (the API's request shape); all field errors at once.
    `metadata_url` is the app's DATABASE_URL: a SQLite or DuckDB source may not be it."""
    require_admin(actor)
    errors: dict[str, str] = {}
    name = _name(values, errors)
    engine = _engine(values.get("engine"), errors)
    instance_id = values.get("instance_id")
    if instance_id in (None, ""):
        instance_id = _free_slug(session, name or "source")
    elif not isinstance(instance_id, str) or not _SLUG.match(instance_id):
        errors["instance_id"] = "Use 1-64 lower-case letters, digits, - and _."
    elif session.scalar(select(Instance.id).where(Instance.instance_id == instance_id)):
        errors["instance_id"] = f"A source with the id {instance_id!r} exists already."
    connection = values.get("connection")
    url = None
    if connection in (None, {}):
        errors["connection"] = "Give the connection: host, port, database, user, or a URL."
    elif engine is not None:
        url = connection_url(
            engine, connection, stored=None, errors=errors, metadata_url=metadata_url
        )
    settings = _settings(values, engine, errors, base=DEFAULTS)
    if errors:
        raise ValidationFailed(errors)
    assert engine is not None and url is not None and isinstance(instance_id, str)
    save_instance(
        session=session,
        secret_key=secret_key,
        instance_id=instance_id,
        name=name,
        engine=engine,
        connection_url=url,
        **settings,
    )
    return get_source(session=session, actor=actor, secret_key=secret_key, instance_id=instance_id)


def update_source(
    *,
    session: Session,
    actor: Actor,
    secret_key: str,
    instance_id: str,
    values: Mapping[str, Any],
    metadata_url: str | None = None,
) -> SourceInfo:
    """Change what `values` names (PATCH): an empty or missing password or URL keeps the
    stored secret while the target stays the same; connection fields not given keep their
    stored value."""
    require_admin(actor)
    instance = get_instance(session=session, actor=actor, instance_id=instance_id)
    url, errors = merged_url(instance, values, secret_key=secret_key, metadata_url=metadata_url)
    name = _name(values, errors) if "name" in values else instance.name
    given = values.get("instance_id")
    if given not in (None, "", instance.instance_id):
        errors["instance_id"] = "A source's id cannot change; create a new source instead."
    engine = values.get("engine", instance.engine)
    current = {key: getattr(instance, key) for key in (*DEFAULTS, *BOUNDS)}
    settings = _settings(values, engine if engine in ENGINES else None, errors, base=current)
    if "option_lists" not in values:
        settings.pop("metadata_queries", None)
    if errors:
        raise ValidationFailed(errors)
    assert url is not None
    save_instance(
        session=session,
        secret_key=secret_key,
        instance_id=instance.instance_id,
        name=name,
        engine=engine,
        connection_url=url,
        **settings,
    )
    return source_info(session, instance, secret_key=secret_key)


def merged_url(
    instance: Instance,
    values: Mapping[str, Any],
    *,
    secret_key: str,
    metadata_url: str | None = None,
) -> tuple[str | None, dict[str, str]]:
    """The connection URL after applying `values` to `instance` (PATCH rules), and the
    field errors found on the way; also used to test a form before it is saved."""
    errors: dict[str, str] = {}
    engine = _engine(values.get("engine", instance.engine), errors)
    try:
        stored = decrypt_url(instance.connection_url_encrypted, secret_key=secret_key)
    except SecretError as error:
        stored = None
        if not values.get("connection"):
            errors["connection"] = str(error)
    if engine is None:
        return None, errors
    connection = values.get("connection") or {}
    if not connection and stored is not None:
        if engine != instance.engine:
            errors["connection"] = f"Give the connection for the {engine} engine."
            return None, errors
        return stored, errors
    url = connection_url(
        engine, connection, stored=stored, errors=errors, metadata_url=metadata_url
    )
    return url, errors


def new_url(
    values: Mapping[str, Any], *, metadata_url: str | None = None
) -> tuple[str | None, dict[str, str]]:
    """The connection URL of a source not saved yet, and the field errors found."""
    errors: dict[str, str] = {}
    engine = _engine(values.get("engine"), errors)
    connection = values.get("connection")
    if not connection:
        errors["connection"] = "Give the connection: host, port, database, user, or a URL."
    if errors or engine is None:
        return None, errors
    url = connection_url(engine, connection, stored=None, errors=errors, metadata_url=metadata_url)
    return url, errors


def delete_source(*, session: Session, actor: Actor, instance_id: str) -> None:
    """Delete a source no report uses, with its ad-hoc runs (template previews)."""
    require_admin(actor)
    instance = get_instance(session=session, actor=actor, instance_id=instance_id)
    count = report_count(session, instance.id)
    if count:
        reports = "1 report uses" if count == 1 else f"{count} reports use"
        raise Conflict(f"{reports} this source; delete or move them first.")
    in_flight = session.scalar(
        select(func.count()).where(
            ReportExecution.instance_uuid == instance.id,
            ReportExecution.status.in_(("pending", "running")),
        )
    )
    if in_flight:
        raise Conflict("A run on this source is still in progress; wait for it or cancel it.")
    session.execute(delete(ReportExecution).where(ReportExecution.instance_uuid == instance.id))
    session.execute(
        delete(ReportDataCollection).where(ReportDataCollection.instance_uuid == instance.id)
    )
    session.execute(delete(InstanceAccess).where(InstanceAccess.instance_uuid == instance.id))
    session.delete(instance)
    session.flush()


# -- values --------------------------------------------------------------------------------


def _name(values: Mapping[str, Any], errors: dict[str, str]) -> str:
    name = values.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = "Give the source a name."
        return ""
    if len(name.strip()) > 200:
        errors["name"] = "Use at most 200 characters."
    return name.strip()


def _engine(engine: Any, errors: dict[str, str]) -> str | None:
    if engine not in ENGINES:
        errors["engine"] = f"Choose one of: {', '.join(sorted(ENGINES))}."
        return None
    return str(engine)


def _free_slug(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:56] or "source"
    taken = set(
        session.scalars(select(Instance.instance_id).where(Instance.instance_id.like(f"{base}%")))
    )
    slug, suffix = base, 2
    while slug in taken:
        slug, suffix = f"{base}_{suffix}", suffix + 1
    return slug


def _settings(
    values: Mapping[str, Any],
    engine: str | None,
    errors: dict[str, str],
    *,
    base: Mapping[str, Any],
) -> dict[str, Any]:
    """The instance columns from `values`, `base` filling what is not given."""
    settings: dict[str, Any] = {key: values.get(key, base[key]) for key in DEFAULTS}
    for key in ("timezone", "description"):
        if not isinstance(settings[key], str):
            errors[key] = "Give text."
    if isinstance(settings["timezone"], str):
        try:
            check_timezone(settings["timezone"])
        except ParameterError as problem:
            errors["timezone"] = problem.message
    for key, (low, high) in BOUNDS.items():
        number = as_int(settings[key])
        if number is None or not low <= number <= high:
            errors[key] = f"Give a whole number from {low} to {high}."
        settings[key] = number
    settings["metadata_queries"] = _option_lists(values.get("option_lists") or {}, engine, errors)
    return settings


def _option_lists(raw: Any, engine: str | None, errors: dict[str, str]) -> dict[str, str]:
    """Each list's SQL must be one read-only statement for the engine, using at most
    `{{ search }}`, and return columns `value` and `label`."""
    if not isinstance(raw, Mapping):
        errors["option_lists"] = "Give an object: {name: SQL}."
        return {}
    if len(raw) > MAX_OPTION_LISTS:
        errors["option_lists"] = f"Give at most {MAX_OPTION_LISTS} lists."
        return {}
    lists: dict[str, str] = {}
    for name, sql in raw.items():
        where = f"option_lists.{name}"
        if not isinstance(name, str) or not OPTION_LIST_NAME.fullmatch(name):
            errors[where] = "Name a list with lower-case letters, digits and _ (e.g. campaigns)."
        elif not isinstance(sql, str) or not sql.strip():
            errors[where] = "Give the SQL returning columns value and label."
        else:
            try:
                check_template(sql, (SEARCH_PARAMETER,), engine)  # type: ignore[arg-type]
            except TemplateDefinitionError as problem:
                errors[where] = (
                    f"{problem}. Use one SELECT returning value and label; "
                    "{{ search }} is the text typed."
                )
            else:
                lists[name] = sql.strip()
    return lists

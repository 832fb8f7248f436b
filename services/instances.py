"""Instances: the SQL engines reports run on, who may use them, and their metadata lists."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from db.models import ENGINES, MAX_LOOKBACK_DAYS, Instance, InstanceAccess
from services.engines import Engine, make_engine
from services.errors import EngineError, InstanceNotFound, MetadataUnavailable, ParameterError
from services.keys import by_id
from services.paging import DEFAULT_LIMIT, Page, fetch_page
from services.parameter_types import Option, ParameterDefinition
from services.secrets import decrypt_url, encrypt_url
from services.sql_templates import render
from services.users import Actor

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: Drivers accepted in a connection URL, per engine.
_URL_SCHEMES = {
    "duckdb": {"duckdb"},
    "mysql": {"mysql", "mysql+pymysql", "mariadb+pymysql"},
    "postgresql": {"postgresql", "postgresql+psycopg", "postgres"},
    "sqlite": {"sqlite"},
}
#: Most options a metadata search returns.
MAX_METADATA_OPTIONS = 200
#: Seconds a metadata query may take: a form waits for it.
METADATA_TIMEOUT_S = 15


#: Metadata queries bind the user's search text as `{{ search }}`.
SEARCH_PARAMETER = ParameterDefinition(name="search", type="text", label="Search")


@dataclass(frozen=True)
class InstanceInfo:
    """An instance as people see it: never its connection URL."""

    uuid: uuid.UUID
    instance_id: str
    name: str
    description: str
    engine: str
    data_lag_days: int
    max_lookback_days: int
    max_concurrency: int
    statement_timeout_seconds: int
    max_attempts: int
    timezone: str
    metadata_kinds: tuple[str, ...]


def info_of(instance: Instance) -> InstanceInfo:
    return InstanceInfo(
        uuid=instance.id,
        instance_id=instance.instance_id,
        name=instance.name,
        description=instance.description,
        engine=instance.engine,
        data_lag_days=instance.data_lag_days,
        max_lookback_days=instance.max_lookback_days,
        max_concurrency=instance.max_concurrency,
        statement_timeout_seconds=instance.statement_timeout_seconds,
        max_attempts=instance.max_attempts,
        timezone=instance.timezone,
        metadata_kinds=tuple(sorted(instance.metadata_queries)),
    )


def check_url(engine: str, url: str) -> None:
    try:
        driver = make_url(url).drivername
    except ArgumentError:
        raise ParameterError("connection_url", "This is not a database URL.") from None
    if driver not in _URL_SCHEMES[engine]:
        schemes = ", ".join(sorted(_URL_SCHEMES[engine]))
        raise ParameterError("connection_url", f"A {engine} URL starts with one of: {schemes}.")


def check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParameterError("timezone", f"Unknown time zone {name!r}.") from None


def save_instance(
    *,
    session: Session,
    secret_key: str,
    instance_id: str,
    name: str,
    engine: str,
    connection_url: str,
    **settings: Any,
) -> InstanceInfo:
    """Create the instance, or update the one with this id (used by seeding and admins)."""
    if not _SLUG.match(instance_id):
        raise ParameterError("instance_id", "Use lower-case letters, digits, - and _.")
    if engine not in ENGINES:
        raise ParameterError("engine", f"Choose one of: {', '.join(ENGINES)}.")
    check_url(engine, connection_url)
    check_timezone(settings.get("timezone", "UTC"))
    if not 1 <= settings.get("max_lookback_days", MAX_LOOKBACK_DAYS) <= MAX_LOOKBACK_DAYS:
        raise ParameterError("max_lookback_days", f"Between 1 and {MAX_LOOKBACK_DAYS} days.")
    instance = session.scalar(select(Instance).where(Instance.instance_id == instance_id))
    if instance is None:
        instance = Instance(instance_id=instance_id)
        session.add(instance)
    instance.name = name
    instance.engine = engine
    instance.connection_url_encrypted = encrypt_url(connection_url, secret_key=secret_key)
    for key, value in settings.items():
        if key not in Instance.__mapper__.columns or key in {"id", "instance_id"}:
            raise ParameterError(key, "Not an instance setting.")
        setattr(instance, key, value)
    session.flush()
    return info_of(instance)


def accessible(statement: Select[Any], actor: Actor) -> Select[Any]:
    """Restrict a query over Instance to the instances `actor` may use."""
    if actor.is_admin:
        return statement
    granted = select(InstanceAccess.instance_uuid).where(InstanceAccess.user_uuid == actor.id)
    return statement.where(Instance.id.in_(granted))


@overload
def list_instances(
    *, session: Session, actor: Actor, page: None = None, limit: int = DEFAULT_LIMIT
) -> list[InstanceInfo]: ...


@overload
def list_instances(
    *, session: Session, actor: Actor, page: int, limit: int = DEFAULT_LIMIT
) -> Page[InstanceInfo]: ...


def list_instances(
    *, session: Session, actor: Actor, page: int | None = None, limit: int = DEFAULT_LIMIT
) -> list[InstanceInfo] | Page[InstanceInfo]:
    """Active instances `actor` may use, by name; all, or with `page`, one page and the total."""
    statement = accessible(select(Instance).where(Instance.is_active), actor).order_by(
        Instance.name, Instance.instance_id
    )
    if page is None:
        return [info_of(i) for i in session.scalars(statement)]
    return fetch_page(session, statement, page=page, limit=limit, item=lambda row: info_of(row[0]))


def get_instance(*, session: Session, actor: Actor, instance_id: str) -> Instance:
    """The instance by slug or UUID, when `actor` may use it; else InstanceNotFound."""
    statement = accessible(
        select(Instance).where(by_id(Instance.id, Instance.instance_id, instance_id)), actor
    )
    instance: Instance | None = session.scalar(statement)
    if instance is None:
        raise InstanceNotFound(instance_id)
    return instance


def engine_for(instance: Instance, *, secret_key: str) -> Engine:
    url = decrypt_url(instance.connection_url_encrypted, secret_key=secret_key)
    return make_engine(instance.engine, url)


def metadata_options(
    *,
    session: Session,
    actor: Actor,
    secret_key: str,
    instance_id: str,
    kind: str,
    search: str = "",
    limit: int = 50,
) -> list[Option]:
    """Options (value, label) from the option list `kind` of the instance (what campaign_ids,
    asins and option_list fields choose from), searched with `search`."""
    instance = get_instance(session=session, actor=actor, instance_id=instance_id)
    sql = instance.metadata_queries.get(kind)
    if not sql:
        return []
    limit = max(1, min(limit, MAX_METADATA_OPTIONS))
    rendered = render(
        sql,
        (SEARCH_PARAMETER,),
        {"search": search.strip()[:200]},
        (datetime.now(UTC), datetime.now(UTC) + timedelta(seconds=1)),
        instance.engine,  # type: ignore[arg-type]
    )
    engine = engine_for(instance, secret_key=secret_key)
    options: list[Option] = []
    try:
        batches = list(engine.execute(rendered.sql, rendered.binds, METADATA_TIMEOUT_S))
    except EngineError as error:
        raise MetadataUnavailable(f"The {kind} list cannot be loaded now: {error}") from None
    for batch in batches:
        for row in batch.to_pylist():
            value = str(row["value"])
            options.append(Option(value=value, label=str(row.get("label") or value)))
            if len(options) >= limit:
                return options
    return options

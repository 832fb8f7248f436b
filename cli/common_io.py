"""What the commands that talk to the database share: errors per field, JSON output, parameters."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from settings import Settings

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.orm import Session, sessionmaker


# -- runs, templates and users ------------------------------------------------------------
# `execute`, `templates`, `create-user` and `create-token` never encrypt, decrypt or sign
# anything (the worker decrypts instance URLs), so they do not read SECRET_KEY and work the
# same beside a local `reportbuilder run` (embedded key) as in production. `worker` keeps
# refusing the embedded key.


class FieldErrors(click.ClickException):
    """Invalid input, field by field: one `field: message` line each on stderr, exit code 2."""

    exit_code = 2

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors

    def show(self, file: Any = None) -> None:
        for field, message in self.errors.items():
            click.echo(f"{field}: {message}", err=True)


class InputError(click.ClickException):
    """A request the command cannot carry out as given (a duplicate, an unknown user): exit 2."""

    exit_code = 2


@contextmanager
def open_metadata(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Sessions on the metadata database, with a clear error when it cannot be used."""
    from sqlalchemy.exc import OperationalError

    from db import migrate
    from db.session import make_engine, make_session_factory

    engine = make_engine(settings.database_url)
    try:
        try:
            revision = migrate.current_revision(engine)
        except OperationalError as error:
            raise click.ClickException(
                f"Cannot open the metadata database (DATABASE_URL): {error.orig}"
            ) from None
        if revision is None:
            raise click.ClickException(
                "The metadata database has no schema yet: "
                "run `reportbuilder db upgrade` (or `reportbuilder seed-demo`) first."
            )
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def text_table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """Left-aligned columns, two spaces apart."""
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    )


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, default=str))


@contextmanager
def failures_as_json(enabled: bool) -> Iterator[None]:
    """With --json, a failure also prints its JSON object on stdout; messages stay on stderr."""
    try:
        yield
    except FieldErrors as failure:
        if enabled:
            echo_json({"errors": failure.errors})
        raise
    except click.ClickException as failure:
        if enabled:
            echo_json({"error": failure.format_message()})
        raise


def parse_params(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    """`--param name=value` options as a dict of raw strings; the service normalizes them."""
    parsed: dict[str, str] = {}
    for item in values:
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", ctx=ctx, param=param)
        if name in parsed:
            raise click.BadParameter(
                f"{name!r} is given twice; give a list once, comma-separated: {name}=a,b",
                ctx=ctx,
                param=param,
            )
        parsed[name] = value
    return parsed


def check_timezone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)",
            ctx=ctx,
            param=param,
        ) from None
    return value


def as_day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def redis_client(url: str) -> Redis:
    """A Redis client that has answered a PING, so a run is never left unqueued silently."""
    from redis.exceptions import RedisError

    from services.runtime import redis_connection

    client = redis_connection(url)
    try:
        client.ping()
    except RedisError as error:
        client.close()
        raise click.ClickException(f"Cannot reach Redis (REDIS_URL): {error}") from None
    return client

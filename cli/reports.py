"""Reports from the command line: the `reports` group, with `list`, `run`, `schedule`,
`unschedule` and `cancel-run` (its backfill commands are in cli/report_backfills.py).

Every change goes through the services the web app and the API use (`report_plans` first):
options are passed on as raw values and the services' field errors are printed as
`field: message` lines (exit 2). The commands act as the command line's own account, as
`execute` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from cli import DEFAULT_WAIT_TIMEOUT_SECONDS, cli_settings, main, require_redis
from cli.common_io import (
    FieldErrors,
    echo_json,
    failures_as_json,
    open_metadata,
    parse_params,
    redis_client,
    text_table,
)
from cli.runs import execution_json, follow_queued, report_end, window_text
from settings import Settings

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.orm import Session, sessionmaker

    from services.executions import ExecutionInfo
    from services.report_plans import RunPlan
    from services.reports import ReportInfo
    from services.users import Actor

#: Names `--weekday` takes besides 0-6; their order is the service's numbering (0 = Monday).
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: Upcoming runs `reports schedule` prints.
NEXT_RUNS_SHOWN = 5

#: `--json` as every command of the group spells it.
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON value on stdout and nothing else."
)


@main.group("reports")
def reports_group() -> None:
    """Reports: list them, run one now, schedule it, backfill it, retry or cancel runs.

    \b
    Exit codes:
      0  done
      1  refused as things stand (a backfill already running, a run already ended), or
         Redis / the database cannot be used
      2  invalid input: one `field: message` line per problem on stderr
    """


# -- what the group's commands share ------------------------------------------------------


@contextmanager
def service_errors(subject: str) -> Iterator[None]:
    """The services' errors as the command reports them: invalid values field by field, an
    unknown `subject` (report, backfill, execution) as its own field, both exit 2."""
    from services.errors import DomainError, NotFound, ParameterError, ValidationFailed

    try:
        yield
    except ValidationFailed as failure:
        raise FieldErrors(failure.errors) from None
    except ParameterError as failure:
        raise FieldErrors({failure.field: failure.message}) from None
    except NotFound as failure:
        raise FieldErrors({subject: str(failure)}) from None
    except DomainError as failure:
        raise click.ClickException(str(failure)) from None


@contextmanager
def acting(settings: Settings) -> Iterator[tuple[Session, Actor]]:
    """A session on the metadata database, and the command's own account."""
    with open_metadata(settings) as sessions, acting_in(sessions) as session_and_actor:
        yield session_and_actor


@contextmanager
def acting_in(sessions: sessionmaker[Session]) -> Iterator[tuple[Session, Actor]]:
    """A session from `sessions` that commits when the block ends, and the command's own
    account."""
    from db.session import session_scope
    from services.users import system_actor

    with session_scope(sessions) as session:
        yield session, system_actor(session=session)


@contextmanager
def connected_redis(settings: Settings) -> Iterator[Redis]:
    """REDIS_URL's server, answering (see `redis_client`), closed at the end."""
    client = redis_client(require_redis(settings))
    try:
        yield client
    finally:
        client.close()


def read_raw_plan(raw: dict[str, Any]) -> RunPlan:
    """`report_plans.read_plan`, its field errors as the command prints them."""
    from services.report_plans import read_plan

    with service_errors("report"):
        return read_plan(raw)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip() if moment is not None else "-"


# -- list ---------------------------------------------------------------------------------


def _report_json(report: ReportInfo) -> dict[str, Any]:
    return {
        "report_id": report.report_id,
        "name": report.name,
        "template_id": report.template_id,
        "instance_id": report.instance_id,
        "owner_email": report.owner_email,
        "run_kind": report.run_kind,
        "timezone": report.timezone,
        "state": report.state,
        "schedule_id": report.schedule_id,
        "last_execution_id": report.last_execution_id,
        "last_status": report.last_status,
        "last_run_at": iso(report.last_run_at),
        "next_run_at": iso(report.next_run_at),
        "execution_count": report.execution_count,
        "parameters": report.parameters,
    }


@reports_group.command("list")
@json_option
def list_command(as_json: bool) -> None:
    """List the reports, most recently changed first."""
    from services.paging import MAX_LIMIT
    from services.reports import list_reports

    with failures_as_json(as_json), acting(cli_settings()) as (session, actor):
        reports: list[ReportInfo] = []
        while True:
            page = list_reports(
                session=session, actor=actor, page=len(reports) // MAX_LIMIT + 1, limit=MAX_LIMIT
            )
            reports.extend(page.items)
            if not page.items or len(reports) >= page.total:
                break
    if as_json:
        echo_json([_report_json(r) for r in reports])
        return
    if not reports:
        click.echo("no reports (the web app's Report Builder creates them)", err=True)
        return
    rows = [
        (
            r.report_id,
            r.name,
            r.template_id,
            r.instance_id,
            r.run_kind,
            r.state,
            f"{r.last_status} {_moment(r.last_run_at)}" if r.last_status else "-",
            _moment(r.next_run_at),
        )
        for r in reports
    ]
    headers = ("ID", "NAME", "TEMPLATE", "INSTANCE", "RUNS", "STATE", "LAST RUN", "NEXT RUN")
    click.echo(text_table(headers, rows))


# -- run now ------------------------------------------------------------------------------


@reports_group.command("run")
@click.argument("report_id", metavar="REPORT")
@click.option(
    "--preset",
    metavar="last_7_days|last_30_days|last_90_days|previous_week|previous_month|"
    "previous_quarter|month_to_date",
    help="A date range, counted back from the latest complete day.",
)
@click.option("--start", metavar="YYYY-MM-DD", help="First day of the window (inclusive).")
@click.option(
    "--end", metavar="YYYY-MM-DD", help="Last day of the window (inclusive; capped by freshness)."
)
@click.option(
    "--param",
    "-p",
    "parameters",
    multiple=True,
    metavar="NAME=VALUE",
    callback=parse_params,
    help="Override a saved parameter for this run only (repeatable).",
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
@json_option
@click.pass_context
def run_command(
    ctx: click.Context,
    report_id: str,
    preset: str | None,
    start: str | None,
    end: str | None,
    parameters: dict[str, str],
    wait: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Run REPORT once now, with its saved parameters (and any --param overrides).

    Without --preset or --start/--end the run covers the last 30 complete days. A
    `reportbuilder worker` runs it; needs REDIS_URL. With --wait: exit 0 only when the run
    completed, 1 when it failed or was cancelled, 3 when --timeout passed.
    """
    from services.report_plans import RunPlan, apply_plan

    run_now = {"preset": preset, "start_date": start, "end_date": end, "parameters": parameters}
    with failures_as_json(as_json):
        plan = read_raw_plan({"run_now": run_now})
        settings = cli_settings()
        with connected_redis(settings) as redis, open_metadata(settings) as sessions:
            with acting_in(sessions) as (session, actor), service_errors("report"):
                outcome = apply_plan(
                    session=session,
                    redis=redis,
                    actor=actor,
                    report_id=report_id,
                    plan=RunPlan(run_now=plan.run_now),
                )
            info = outcome.execution
            assert info is not None
            if not as_json:
                click.echo(f"execution {info.execution_id} {info.status}")
                click.echo(f"report {outcome.report.report_id}, {window_text(info)}")
            followed = follow_queued(
                ctx,
                sessions,
                actor,
                info,
                wait=wait,
                timeout=timeout,
                as_json=as_json,
                as_dict=_run_json,
            )
            if followed is None:
                return
            info = followed
    report_end(ctx, info, settings=settings, timeout=timeout, as_json=as_json)


def _run_json(info: ExecutionInfo) -> dict[str, Any]:
    return {**execution_json(info), "report_id": info.report_id}


# -- schedule -----------------------------------------------------------------------------


def _weekday(ctx: click.Context, param: click.Parameter, value: str | None) -> int | str | None:
    """A day name (mon, Wednesday …) as the service's number; anything else as given, for
    the service to judge."""
    if value is None:
        return None
    name = value.strip().lower()
    for number, day in enumerate(WEEKDAYS):
        if len(name) >= 3 and day.startswith(name):
            return number
    return value


@reports_group.command("schedule")
@click.argument("report_id", metavar="REPORT")
@click.option(
    "--frequency",
    required=True,
    metavar="daily|weekly|monthly|quarterly|custom",
    help="How often it runs; custom takes --cron.",
)
@click.option(
    "--weekday",
    metavar="mon..sun|0-6",
    callback=_weekday,
    help="Weekly: the day it runs (0 = Monday) [default: Monday].",
)
@click.option(
    "--day", metavar="N", help="Monthly and quarterly: the day of the month [default: 1]."
)
@click.option("--time", "time_of_day", metavar="HH:MM", help="Time of day [default: 06:00].")
@click.option("--cron", metavar='"M H DOM MON DOW"', help="Custom: the cron expression.")
@click.option(
    "--timezone",
    metavar="ZONE",
    help="IANA time zone of --time [default: the current schedule's, else the report's].",
)
@click.option("--paused", is_flag=True, help="Save the schedule paused: it runs once resumed.")
def schedule_command(
    report_id: str,
    frequency: str,
    weekday: int | str | None,
    day: str | None,
    time_of_day: str | None,
    cron: str | None,
    timezone: str | None,
    paused: bool,
) -> None:
    """Give REPORT a schedule, or replace the one it has; print it in words and its next runs.

    Options left out take their defaults, not the current schedule's values (except the
    time zone). The `reportbuilder scheduler` process starts the runs.
    """
    from services.report_plans import RunPlan, apply_plan, schedule_words
    from services.reports import get_report
    from services.schedules import preview, report_schedule

    with acting(cli_settings()) as (session, actor), service_errors("report"):
        report = get_report(session=session, actor=actor, report_id=report_id)
        if timezone is None:
            current = report_schedule(session=session, actor=actor, report_id=report.report_id)
            timezone = current.timezone if current is not None else report.timezone
        raw = {
            "frequency": frequency,
            "weekday": weekday,
            "day_of_month": day,
            "time_of_day": time_of_day,
            "cron_expression": cron,
            "timezone": timezone,
            "paused": paused,
        }
        plan = read_raw_plan({"schedule": raw}).schedule
        assert plan is not None
        outcome = apply_plan(
            session=session,
            redis=None,  # a schedule queues nothing: the scheduler starts its runs
            actor=actor,
            report_id=report.report_id,
            plan=RunPlan(schedule=plan),
        )
        schedule = outcome.schedule
        assert schedule is not None
        upcoming = preview(schedule.cron_expression, schedule.timezone, NEXT_RUNS_SHOWN)
    state = "paused" if schedule.is_paused else "active"
    click.echo(f"schedule {schedule.schedule_id} of report {report.report_id} ({state})")
    click.echo(f"{plan.frequency}: {schedule_words(plan)}")
    click.echo("next runs once resumed:" if schedule.is_paused else "next runs:")
    for run in upcoming:
        click.echo(f"  {run.local}")


@reports_group.command("unschedule")
@click.argument("report_id", metavar="REPORT")
def unschedule_command(report_id: str) -> None:
    """Remove REPORT's schedule; it runs only when asked from then on."""
    from services.report_plans import edit_report
    from services.reports import get_report

    with acting(cli_settings()) as (session, actor), service_errors("report"):
        report = get_report(session=session, actor=actor, report_id=report_id)
        if report.schedule_id is None:
            click.echo(f"report {report.report_id} has no schedule")
            return
        edit_report(
            session=session,
            redis=None,
            actor=actor,
            report_id=report.report_id,
            changes={},
            remove_schedule=True,
        )
    click.echo(f"schedule {report.schedule_id} removed from report {report.report_id}")


@reports_group.command("cancel-run")
@click.argument("execution_id", metavar="EXECUTION")
def cancel_run_command(execution_id: str) -> None:
    """Cancel one pending or running run (a backfill's other segments go on)."""
    from services.cancels import cancel_execution

    settings = cli_settings()
    with (
        connected_redis(settings) as redis,
        acting(settings) as (session, actor),
        service_errors("execution"),
    ):
        info = cancel_execution(
            session=session, redis=redis, actor=actor, execution_id=execution_id
        )
    click.echo(f"execution {info.execution_id} {info.status}")

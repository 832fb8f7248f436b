"""Backfills from the command line: `reports backfill` (with a dry run), `backfill-status`
and `retry`, through the services the web app and the API use."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import click

from cli import cli_settings
from cli.common_io import echo_json, failures_as_json, text_table
from cli.reports import (
    acting,
    connected_redis,
    json_option,
    read_raw_plan,
    reports_group,
    service_errors,
)
from cli.runs import execution_json, window_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from services.backfill_plans import BackfillPlanInfo
    from services.backfills import BackfillInfo
    from services.users import Actor

#: Why a dry run skips a segment (PlannedSegment.reason), in words.
SKIP_REASONS = {
    "completed": "already completed",
    "running": "still running",
    "never run": "never run",
}


def _days(first: date, end: date) -> tuple[str, str]:
    """A half-open window [first, end) as its first and last day."""
    return first.isoformat(), (end - timedelta(days=1)).isoformat()


def _plan_json(planned: BackfillPlanInfo) -> dict[str, Any]:
    """As the API's dry run answers: windows half-open, `window_end` the day after."""
    return {
        "dry_run": True,
        "start_date": planned.start_date.isoformat(),
        "end_date": planned.end_date.isoformat(),
        "segment_type": planned.segment_type,
        "reprocess": planned.reprocess,
        "segments": [
            {
                "window_start": s.window_start.isoformat(),
                "window_end": s.window_end.isoformat(),
                "action": s.action,
                "partial": s.partial,
                "reason": s.reason,
            }
            for s in planned.segments
        ],
    }


def _print_plan(report_id: str, planned: BackfillPlanInfo) -> None:
    segments = planned.segments
    click.echo(
        f"dry run for report {report_id}: days {planned.start_date} .. {planned.end_date}, "
        f"{len(segments)} {planned.segment_type} segments, reprocess {planned.reprocess}"
    )
    rows = []
    for s in segments:
        why = [SKIP_REASONS.get(s.reason, s.reason or "skipped")] if s.action == "skip" else []
        rows.append(
            (
                *_days(s.window_start, s.window_end),
                s.action,
                ", ".join(why + ["partial"] * s.partial),
            )
        )
    click.echo(text_table(("FIRST DAY", "LAST DAY", "ACTION", "WHY"), rows))
    skipped = Counter(s.action for s in segments)["skip"]
    click.echo(
        f"{len(segments) - skipped} to create, {skipped} to skip; nothing was created "
        "(run again without --dry-run to start it)"
    )


def _backfill_json(info: BackfillInfo) -> dict[str, Any]:
    return {
        "collection_id": info.collection_id,
        "report_id": info.report_id,
        "status": info.status,
        "summary": info.summary,
        "segment_type": info.segment_type,
        "start_date": info.start_date.isoformat(),
        "end_date": info.end_date.isoformat(),
        "total_segments": info.total_segments,
        "partial_segments": list(info.partial_segments),
        "segments": [execution_json(s) for s in info.segments],
    }


def _print_backfill(info: BackfillInfo) -> None:
    click.echo(f"backfill {info.collection_id} of report {info.report_id}: {info.status}")
    click.echo(
        f"days {info.start_date} .. {info.end_date}, {info.segment_type or 'daily'} segments"
    )
    click.echo(info.summary)
    partial = set(info.partial_segments)
    rows = [
        (
            s.execution_id,
            window_text(s),
            s.status,
            "partial" if s.execution_id in partial else "",
        )
        for s in info.segments
    ]
    click.echo(text_table(("EXECUTION", "WINDOW", "STATUS", "NOTE"), rows))


@reports_group.command("backfill")
@click.argument("report_id", metavar="REPORT")
@click.option("--lookback", metavar="DAYS", help="Whole days back from --end (or the freshest).")
@click.option("--start", metavar="YYYY-MM-DD", help="First day (instead of --lookback).")
@click.option("--end", metavar="YYYY-MM-DD", help="Last day [default: the freshest complete day].")
@click.option(
    "--segment",
    metavar="daily|weekly|monthly|quarterly",
    help="Calendar pieces, one run each [default: weekly].",
)
@click.option(
    "--reprocess",
    metavar="missing|failed|all",
    help="Which segments that ran before run again [default: missing: those never completed].",
)
@click.option(
    "--dry-run", is_flag=True, help="Print each segment and what it would do; create nothing."
)
@json_option
def backfill_command(
    report_id: str,
    lookback: str | None,
    start: str | None,
    end: str | None,
    segment: str | None,
    reprocess: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Run REPORT over past days, one run per segment, a few at a time (needs REDIS_URL).

    Give --lookback DAYS, or --start (and --end). Segments at the range's ends may be
    partial (not a whole week, month …). `reports backfill-status` follows it.
    """
    from services.report_plans import RunPlan, apply_plan, preview_backfill

    raw = {
        "lookback_days": lookback,
        "start_date": start,
        "end_date": end,
        "segment": segment,
        "reprocess": reprocess,
    }
    with failures_as_json(as_json):
        plan = read_raw_plan({"backfill": raw}).backfill
        assert plan is not None
        settings = cli_settings()
        if dry_run:
            with acting(settings) as (session, actor), service_errors("report"):
                shown_id = _report_id(session, actor, report_id)
                planned = preview_backfill(
                    session=session, actor=actor, report_id=report_id, plan=plan
                )
            if as_json:
                echo_json(_plan_json(planned))
            else:
                _print_plan(shown_id, planned)
            return
        with (
            connected_redis(settings) as redis,
            acting(settings) as (session, actor),
            service_errors("report"),
        ):
            outcome = apply_plan(
                session=session,
                redis=redis,
                actor=actor,
                report_id=report_id,
                plan=RunPlan(backfill=plan),
            )
    info = outcome.backfill
    assert info is not None
    if as_json:
        echo_json(_backfill_json(info))
    else:
        _print_backfill(info)


def _report_id(session: Session, actor: Actor, report_id: str) -> str:
    """The report's slug, when REPORT named it by UUID."""
    from services.reports import get_report

    return get_report(session=session, actor=actor, report_id=report_id).report_id


@reports_group.command("backfill-status")
@click.argument("collection_id", metavar="COLLECTION")
@json_option
def backfill_status_command(collection_id: str, as_json: bool) -> None:
    """Show a backfill: its status, each state counted, and every segment's newest run."""
    from services.backfills import get_backfill

    with (
        failures_as_json(as_json),
        acting(cli_settings()) as (session, actor),
        service_errors("collection"),
    ):
        info = get_backfill(session=session, actor=actor, collection_id=collection_id)
    if as_json:
        echo_json(_backfill_json(info))
    else:
        _print_backfill(info)


@reports_group.command("retry")
@click.argument("collection_id", metavar="COLLECTION")
@click.option(
    "--segment",
    "segment_ids",
    multiple=True,
    metavar="EXECUTION",
    help="Retry only this failed or cancelled segment (repeatable) [default: all of them].",
)
def retry_command(collection_id: str, segment_ids: tuple[str, ...]) -> None:
    """Run a backfill's failed or cancelled segments again (needs REDIS_URL)."""
    from services.backfills import retry_backfill

    settings = cli_settings()
    with (
        connected_redis(settings) as redis,
        acting(settings) as (session, actor),
        service_errors("collection"),
    ):
        info = retry_backfill(
            session=session,
            redis=redis,
            actor=actor,
            collection_id=collection_id,
            segment_ids=list(segment_ids) or None,
        )
    _print_backfill(info)

"""The run plan in the user's words: why data stops where it does, what a backfill makes,
what Submit will do and did, and the parameters as the review lists them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from components.run_modal import SEGMENT_TYPES
from components.schedule_form import format_run
from services.presets import DATE_PRESETS, DAY_PRESETS
from services.report_plans import PlanCheck, PlanOutcome, RunPlan, schedule_words
from services.windows import Window


def format_day(day: date) -> str:
    """ "Mon 3 Feb 2025"."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def describe_freshness(freshest: date, *, data_lag_days: int, min_data_age_days: int) -> str:
    """Why the data stops where it does, in the user's words."""
    day = format_day(freshest)
    lag = f"{data_lag_days} day{'s' if data_lag_days != 1 else ''}"
    if min_data_age_days > data_lag_days:
        return (
            f"Data is complete up to {day} because this template waits "
            f"{min_data_age_days} days for conversions to be credited "
            f"(this instance's data arrives {lag} late)."
        )
    if data_lag_days >= 1:
        return f"Data is complete up to {day} because this instance's data arrives {lag} late."
    return f"Data is complete up to {day}: today's data is never complete."


def segment_noun(segment_type: str) -> str:
    return {value: noun for value, _, noun in SEGMENT_TYPES}.get(segment_type, segment_type)


def describe_segments(window: Window, count: int, segment_type: str) -> str:
    """ "182 days, Mon 5 Aug 2024 to Sun 2 Feb 2025: 27 weekly segments." """
    return (
        f"{window.days} days, {format_day(window.start)} to {format_day(window.last_day)}: "
        f"{count} {segment_noun(segment_type)} segment{'s' if count != 1 else ''}."
    )


@dataclass(frozen=True)
class PlanFacts:
    """What the review states besides the plan: names and limits."""

    report_name: str
    template_name: str
    instance_name: str
    max_concurrency: int = 1
    freshness: str = ""


def covered(plan: RunPlan, check: PlanCheck) -> str:
    """What one scheduled run covers, in words: "the previous 7 days", "the previous month"."""
    window = check.schedule_window
    frequency = plan.schedule.frequency if plan.schedule else None
    if frequency in {"monthly", "quarterly"}:
        return "the previous month" if frequency == "monthly" else "the previous 3 months"
    if window is None:
        return "its period"
    if window.days == 1:
        return "the previous day"
    return f"the previous {window.days} days"


def describe_plan(plan: RunPlan, check: PlanCheck, facts: PlanFacts) -> list[str]:
    """Everything that will happen on Submit, one sentence each, in order; the windows are
    the ones the runs will use (data lag included)."""
    sentences = [
        f"Create the report “{facts.report_name}” from the template {facts.template_name} "
        f"on {facts.instance_name}, with its own dashboard."
    ]
    if plan.schedule is not None:
        first = check.first_runs[0] if check.first_runs else None
        when = schedule_words(plan.schedule)
        first_text = (
            f"; the first run is {format_run(first, plan.schedule.timezone)[0]}" if first else ""
        )
        sentences.append(
            f"Run it on its schedule: {when[:1].lower()}{when[1:]}{first_text}. "
            f"Each run covers {covered(plan, check)} of complete data."
        )
    if check.run_window is not None:
        window = check.run_window
        also = "Also run it once now" if plan.schedule is not None else "Run it once now"
        sentences.append(
            f"{also}, over {window.days} days of complete data "
            f"({format_day(window.start)} to {format_day(window.last_day)})."
        )
    if check.backfill is not None:
        backfill = check.backfill
        count = len(backfill.to_create)
        days = (backfill.end_date - backfill.start_date).days + 1
        sentences.append(
            f"Backfill {days} days ({format_day(backfill.start_date)} to "
            f"{format_day(backfill.end_date)}) in {count} "
            f"{segment_noun(backfill.segment_type)} segment{'s' if count != 1 else ''}, "
            f"one run each; at most {facts.max_concurrency} run at the same time on this instance."
        )
    if facts.freshness:
        sentences.append(facts.freshness)
    sentences.append("Then open the report's page, where you can follow the runs.")
    return sentences


def done_sentences(outcome: PlanOutcome) -> list[str]:
    """What the plan made, one sentence each."""
    report = outcome.report
    done = [f"Created the report “{report.name}” ({report.report_id}) and its dashboard."]
    if outcome.schedule is not None:
        done.append(f"Scheduled it: {outcome.schedule.description} ({outcome.schedule.timezone}).")
    if outcome.execution is not None:
        done.append(f"Queued a run now ({outcome.execution.execution_id}).")
    if outcome.backfill is not None:
        backfill = outcome.backfill
        done.append(
            f"Started a backfill of {backfill.total_segments} {backfill.segment_type} segments "
            f"({backfill.collection_id})."
        )
    return done


def plan_hint(errors: Mapping[str, str]) -> str:
    """The footer's sentence for step 2's field errors (the fields show them too)."""
    return "Fix the run settings: " + " ".join(dict.fromkeys(errors.values()))


def describe_values(
    spec: Mapping[str, Any],
    normalized: Mapping[str, Any],
    raw: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """(label, value in words) per parameter of a form's spec, for the review step; presets
    keep their name."""
    rows: list[tuple[str, str]] = []
    for name in spec["order"]:
        words = describe_value(normalized.get(name), spec.get("choices", {}).get(name, {}))
        given = (raw or {}).get(name)
        if isinstance(given, str) and given in DATE_PRESETS:
            words = f"{DATE_PRESETS[given][0]} ({words})"
        elif isinstance(given, str) and given in DAY_PRESETS:
            words = f"{DAY_PRESETS[given][0]} ({words})"
        rows.append((spec["labels"].get(name, name), words))
    return rows


def describe_value(value: Any, choices: Mapping[str, str] | None = None) -> str:
    """A normalized value in words; options show their labels."""
    choices = choices or {}
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Mapping) and {"start", "end"} <= set(value):
        return f"{value['start']} to {value['end']}"
    if isinstance(value, list):
        return ", ".join(choices.get(str(v), str(v)) for v in value)
    return choices.get(str(value), str(value))

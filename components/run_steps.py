"""The RunReportModal's step logic as plain functions: which step the modal is at, what
shows there, and step 2's choices as the plan the services read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.run_modal import BUTTON_CLASS, FIRST_STEP, REVIEW_STEP, STEPS, SUBMIT_STEP


def hidden_unless(shown: bool, base: str = "") -> str:
    return base if shown else f"{base} d-none".strip()


@dataclass(frozen=True)
class StepView:
    """What shows at a step: the panes, the footer buttons, and the cancel button's label."""

    panes: tuple[str, ...]
    back: str
    next: str
    submit: str
    cancel_label: str


def step_view(step: int) -> StepView:
    step = max(FIRST_STEP, min(step, SUBMIT_STEP))
    return StepView(
        panes=tuple(hidden_unless(number == step) for number in range(1, len(STEPS) + 1)),
        back=hidden_unless(FIRST_STEP < step < SUBMIT_STEP, BUTTON_CLASS),
        next=hidden_unless(step < REVIEW_STEP, BUTTON_CLASS),
        submit=hidden_unless(step == REVIEW_STEP, BUTTON_CLASS),
        cancel_label="Close" if step == SUBMIT_STEP else "Cancel",
    )


def whole(value: Any, default: int = 0) -> int:
    """A small whole number kept in the browser (a store can be crafted: never trust it)."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and len(text) < 6 else default


def step_of(state: Mapping[str, Any] | None) -> int:
    """The modal's step, FIRST_STEP to SUBMIT_STEP."""
    return min(max(whole((state or {}).get("step"), FIRST_STEP), FIRST_STEP), SUBMIT_STEP)


def section_classes(run_type: str | None, with_backfill: bool) -> tuple[str, str]:
    """Classes of the recurring section and the backfill section."""
    recurring = run_type == "recurring"
    backfill = run_type == "backfill" or (recurring and bool(with_backfill))
    return hidden_unless(recurring), hidden_unless(backfill)


def raw_plan(
    run_type: str | None,
    schedule: Mapping[str, Any],
    run_now: bool | None,
    with_backfill: bool | None,
    segment: str | None,
    lookback: Any,
) -> dict[str, Any]:
    """Step 2's choices in the shape `report_plans.read_plan` reads: once = a run now;
    on a schedule (maybe with a run now and a backfill); a backfill."""
    backfill = {"segment": segment, "lookback_days": lookback}
    if run_type == "recurring":
        return {
            "schedule": dict(schedule),
            "run_now": {} if run_now else None,
            "backfill": backfill if with_backfill else None,
        }
    if run_type == "backfill":
        return {"backfill": backfill}
    return {"run_now": {}}

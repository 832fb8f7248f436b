"""The schedule fields, shared by the Report Builder's run modal and the report page's
schedule editor: frequency, weekday, day of month, time of day, time zone, a custom cron
with its meaning in words, and the next runs.

Each form names its elements through an `id_of(thing)` function of its page, so two forms
never share an id. Validation is the services' (`report_plans.read_plan`); this module only
lays fields out and puts the services' answers in words.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from services.cron import MAX_DAY_OF_MONTH, WEEKDAYS
from services.errors import ParameterError, ValidationFailed
from services.report_plans import read_plan, schedule_words
from services.schedules import PreviewRun, ScheduleInfo, preview, schedule_cron

IdOf = Callable[[str], str]

#: Frequencies: (value, label).
FREQUENCIES = (
    ("daily", "Daily"),
    ("weekly", "Weekly"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly (Jan, Apr, Jul, Oct)"),
    ("custom", "Custom (cron expression)"),
)
DEFAULT_TIME_OF_DAY = "06:00"
#: How many upcoming runs the preview lists.
PREVIEW_COUNT = 5
#: The schedule fields' names (`id_of(name)` is each one's id), in the order a callback
#: reads them as State or Input.
FIELDS = ("frequency", "weekday", "day", "time", "timezone", "cron")


@cache
def timezone_options() -> tuple[dict[str, str], ...]:
    """Every IANA zone name this Python knows, sorted, for the time zone picker."""
    names = sorted(z for z in zoneinfo.available_timezones() if "/" in z or z == "UTC")
    return tuple({"label": name.replace("_", " "), "value": name} for name in names)


def known_zone(name: str | None, fallback: str = "UTC") -> str:
    """`name` when the picker offers it (a browser's zone), else `fallback`."""
    names = {option["value"] for option in timezone_options()}
    return name if name in names else fallback


def _field(label: str, control: Any, target: str, *, help: Any = None) -> html.Div:
    children: list[Any] = [dbc.Label(label, html_for=target, class_name="fw-semibold mb-1")]
    children.append(control)
    if help is not None:
        children.append(dbc.FormText(help, class_name="d-block"))
    return html.Div(children, className="mb-3")


def create_schedule_fields(
    id_of: IdOf, *, timezone: str = "UTC", values: Sequence[Any] | None = None
) -> html.Div:
    """The fields holding `values` (FIELDS order, see `schedule_form_values`), or a new
    schedule's defaults: weekly on Monday at 06:00 in `timezone`."""
    frequency, weekday, day, time, zone_name, cron = values or schedule_form_values(None, timezone)
    shown = field_classes(frequency)
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        _field(
                            "Repeat",
                            dbc.Select(
                                id=id_of("frequency"),
                                options=[{"label": lbl, "value": v} for v, lbl in FREQUENCIES],
                                value=frequency,
                            ),
                            id_of("frequency"),
                        ),
                        xs=12,
                        md=4,
                    ),
                    dbc.Col(
                        html.Div(
                            _field(
                                "On",
                                dbc.Select(
                                    id=id_of("weekday"),
                                    options=[
                                        {"label": name, "value": str(number)}
                                        for number, name in enumerate(WEEKDAYS)
                                    ],
                                    value=weekday,
                                ),
                                id_of("weekday"),
                            ),
                            id=id_of("weekday-field"),
                            className=shown["weekday"],
                        ),
                        xs=6,
                        md=3,
                    ),
                    dbc.Col(
                        html.Div(
                            [
                                dbc.Label(
                                    "Day of the month",
                                    html_for=id_of("day"),
                                    class_name="fw-semibold mb-1",
                                ),
                                dbc.Input(
                                    id=id_of("day"),
                                    type="text",
                                    inputMode="numeric",
                                    value=day,
                                    autocomplete="off",
                                ),
                                dbc.FormFeedback(id=id_of("day-error"), type="invalid"),
                                dbc.FormText(f"1 to {MAX_DAY_OF_MONTH}: every month has it."),
                            ],
                            id=id_of("day-field"),
                            className=shown["day"],
                        ),
                        xs=6,
                        md=3,
                    ),
                ],
                class_name="g-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            [
                                dbc.Label(
                                    "Time of day", html_for=id_of("time"), class_name="fw-semibold"
                                ),
                                dbc.Input(id=id_of("time"), type="time", value=time),
                                dbc.FormFeedback(id=id_of("time-error"), type="invalid"),
                            ],
                            id=id_of("time-field"),
                            className=shown["time"],
                        ),
                        xs=6,
                        md=4,
                    ),
                    dbc.Col(
                        _field(
                            "Time zone",
                            dcc.Dropdown(
                                id=id_of("timezone"),
                                options=list(timezone_options()),
                                value=zone_name,
                                clearable=False,
                                className="rb-dropdown",
                            ),
                            id_of("timezone"),
                        ),
                        xs=6,
                        md=8,
                    ),
                ],
                class_name="g-3",
            ),
            html.Div(
                [
                    dbc.Label("Cron expression", html_for=id_of("cron"), class_name="fw-semibold"),
                    dbc.Input(
                        id=id_of("cron"), value=cron, placeholder="0 6 * * 1", autocomplete="off"
                    ),
                    dbc.FormFeedback(id=id_of("cron-error"), type="invalid"),
                    dbc.FormText(
                        "Five fields: minute hour day-of-month month day-of-week, "
                        "in the time zone above."
                    ),
                ],
                id=id_of("cron-field"),
                className=shown["cron"],
            ),
            html.P(id=id_of("meaning"), className="fw-semibold mb-2"),
            html.Div(
                [
                    html.H4("Next 5 runs", className="h6 mt-2 mb-2"),
                    html.Ol(id=id_of("next-runs"), className="rb-next-runs mb-0"),
                ]
            ),
        ]
    )


def schedule_values(
    frequency: Any, weekday: Any, day: Any, time: Any, timezone: Any, cron: Any
) -> dict[str, Any]:
    """The fields' raw values (FIELDS order) in the shape `report_plans.read_plan` reads;
    the cron field counts only for a custom schedule (it keeps its text while hidden)."""
    return {
        "frequency": frequency,
        "weekday": weekday,
        "day_of_month": day,
        "time_of_day": time,
        "timezone": timezone,
        "cron_expression": cron if frequency == "custom" else None,
    }


def schedule_form_values(schedule: ScheduleInfo | None, timezone: str) -> list[Any]:
    """The fields' values (FIELDS order) for an existing schedule, or a new one's defaults."""
    if schedule is None:
        return ["weekly", "0", "1", DEFAULT_TIME_OF_DAY, timezone, ""]
    custom = schedule.schedule_type == "custom" or not fields_say(schedule)
    if custom:  # a cron the fields cannot say (weekdays 1-5, every 15 minutes): as it is
        return [
            "custom",
            "0",
            "1",
            DEFAULT_TIME_OF_DAY,
            schedule.timezone,
            schedule.cron_expression,
        ]
    return [
        schedule.schedule_type,
        str(schedule.weekday if schedule.weekday is not None else 0),
        str(schedule.day_of_month if schedule.day_of_month is not None else 1),
        schedule.time_of_day or DEFAULT_TIME_OF_DAY,
        schedule.timezone,
        schedule.cron_expression if custom else "",
    ]


def fields_say(schedule: ScheduleInfo) -> bool:
    """Whether the fields (type, weekday, day, time) make exactly the schedule's cron."""
    try:
        made = schedule_cron(
            schedule.schedule_type,
            None,
            schedule.time_of_day,
            weekday=schedule.weekday,
            day_of_month=schedule.day_of_month,
        )
    except ParameterError:
        return False
    return made == schedule.cron_expression


def field_classes(frequency: str | None) -> dict[str, str]:
    """Which fields a frequency shows: weekday (weekly), day (monthly, quarterly), time of
    day (not custom), cron (custom)."""
    return {
        "weekday": "" if frequency == "weekly" else "d-none",
        "day": "mb-3" if frequency in {"monthly", "quarterly"} else "mb-3 d-none",
        "time": "mb-3 d-none" if frequency == "custom" else "mb-3",
        "cron": "mb-3" if frequency == "custom" else "mb-3 d-none",
    }


def schedule_errors(errors: Mapping[str, str], prefix: str = "schedule.") -> dict[str, str]:
    """The services' field errors of a schedule, by field name: day_of_month, time_of_day,
    cron_expression, timezone, weekday, frequency."""
    return {k.removeprefix(prefix): v for k, v in errors.items() if k.startswith(prefix)}


def format_run(run: PreviewRun, timezone: str) -> tuple[str, str]:
    """A previewed run as (local time with the zone's abbreviation, the same in UTC)."""
    instant = datetime.fromisoformat(run.utc.replace("Z", "+00:00"))
    local = instant.astimezone(ZoneInfo(timezone))
    day = f"{local:%a} {local.day} {local:%b %Y}"
    return f"{day}, {local:%H:%M} {local:%Z}", f"{instant:%Y-%m-%d %H:%M} UTC"


def create_next_runs(runs: Sequence[PreviewRun], timezone: str) -> list[html.Li]:
    items = []
    for run in runs:
        local, utc = format_run(run, timezone)
        items.append(html.Li([local, html.Small(f" · {utc}", className="text-body-secondary")]))
    return items


#: The browser's IANA time zone, for a new schedule's default (clientside, no request).
BROWSER_TIMEZONE_JS = """
function(_) {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || null; }
    catch (e) { return null; }
}
"""


def describe_schedule(values: Mapping[str, Any]) -> tuple[str, list[Any], dict[str, str]]:
    """(the schedule in words, its next runs, field errors) for the fields' raw values."""
    try:
        plan = read_plan({"schedule": dict(values)}).schedule
        assert plan is not None
        runs = preview(plan.cron, plan.timezone, PREVIEW_COUNT)
    except ValidationFailed as error:
        return "", [], schedule_errors(error.errors)
    except ParameterError as error:
        return "", [], {error.field: error.message}
    words = schedule_words(plan)
    return words[:1].upper() + words[1:], create_next_runs(runs, plan.timezone), {}


def register_schedule_callbacks(id_of: IdOf) -> None:
    """The form's own callbacks: fields shown by frequency, and the meaning in words with
    the next runs (or what is wrong) as the user types."""

    @callback(
        output={
            "weekday": Output(id_of("weekday-field"), "className"),
            "day": Output(id_of("day-field"), "className"),
            "time": Output(id_of("time-field"), "className"),
            "cron": Output(id_of("cron-field"), "className"),
        },
        inputs={"frequency": Input(id_of("frequency"), "value")},
    )
    def show_fields(frequency: str | None) -> dict[str, str]:
        return field_classes(frequency)

    @callback(
        output={
            "meaning": Output(id_of("meaning"), "children"),
            "runs": Output(id_of("next-runs"), "children"),
            "day_invalid": Output(id_of("day"), "invalid"),
            "day_error": Output(id_of("day-error"), "children"),
            "time_invalid": Output(id_of("time"), "invalid"),
            "time_error": Output(id_of("time-error"), "children"),
            "cron_invalid": Output(id_of("cron"), "invalid"),
            "cron_error": Output(id_of("cron-error"), "children"),
        },
        inputs={"values": [Input(id_of(name), "value") for name in FIELDS]},
    )
    def describe(values: list[Any]) -> dict[str, Any]:
        meaning, runs, errors = describe_schedule(schedule_values(*values))
        return {
            "meaning": meaning,
            "runs": runs,
            "day_invalid": "day_of_month" in errors,
            "day_error": errors.get("day_of_month", ""),
            "time_invalid": "time_of_day" in errors,
            "time_error": errors.get("time_of_day", ""),
            "cron_invalid": "cron_expression" in errors,
            "cron_error": errors.get("cron_expression", ""),
        }

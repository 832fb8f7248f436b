"""DynamicParameterForm: one input per template parameter, built from the template's
parameter_definitions and ui_schema, with labels bound to their inputs, required markers,
help text, and a place next to each field for its error.

Its callbacks are declared once for every form (MATCH on the form's id): each change is
checked by `services.templates.validate_parameters` and its field errors are shown next to
the fields (`field_feedback`); campaign, product and other option lists are searched on
the instance (`services.instances.metadata_options`); quick picks fill an input; a day's text input
(a date range's picker) shows when the preset is "custom". Numbers and days are text
inputs, so what the user typed reaches the service as typed: "abc" or 2025-02-30 is a
field error, never silently a default or nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, callback, ctx, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from components import ids
from components.clicks import clicked_id
from services.errors import DomainError
from services.instances import metadata_options
from services.parameters import ID_LIST_TYPES, METADATA_KINDS
from services.presets import DATE_PRESETS, DAY_PRESETS
from services.templates import validate_parameters
from services.users import Actor
from webcontext import callback_actor, db_session, get_settings

log = logging.getLogger(__name__)

#: Milliseconds a text or number input waits after the last keystroke before it is checked.
DEBOUNCE_MS = 400
#: Preset value meaning "I pick the day(s) myself" for date and date_range parameters.
CUSTOM = "custom"
#: Columns of a field when the ui_schema gives no width (Bootstrap's grid has 12).
DEFAULT_WIDTH = 6
#: Parameter types whose options are searched on the instance, in the option list their
#: definition's `options_source` names (campaign_ids: "campaigns", asins: "asins").
SEARCHED_TYPES = ID_LIST_TYPES
#: Options a searched dropdown offers at once.
SEARCH_LIMIT = 50
#: Placeholder of a searched dropdown, by parameter type.
SEARCH_PLACEHOLDERS = {
    "campaign_ids": "Search campaigns…",
    "asins": "Search products…",
    "option_list": "Search…",
}

FIELD_CLASS = "rb-field"
INVALID_FIELD_CLASS = "rb-field rb-field-invalid"


def kinds_of(parameter_type: str) -> tuple[str, ...]:
    """The input kinds (see components.ids.KIND_PROPS) one parameter is made of."""
    if parameter_type == "date":
        return ("preset", "date")
    if parameter_type == "date_range":
        return ("preset", "range")
    if parameter_type in SEARCHED_TYPES:
        return ("search",)
    return ("value",)


def ordered(
    definitions: Iterable[Mapping[str, Any]], ui_schema: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """Definitions in the ui_schema's order; those it does not name follow in file order."""
    definitions = list(definitions)
    order = [name for name in ui_schema.get("order") or [] if isinstance(name, str)]
    by_name = {d["name"]: d for d in definitions}
    first = [by_name[name] for name in order if name in by_name]
    named = {d["name"] for d in first}
    return first + [d for d in definitions if d["name"] not in named]


def form_spec(
    form: str,
    *,
    template_id: str,
    definitions: Iterable[Mapping[str, Any]],
    ui_schema: Mapping[str, Any],
    timezone: str,
    instance_id: str | None,
) -> dict[str, Any]:
    """What callbacks need to read a form back: its fields in order, by kind, with types."""
    fields = ordered(definitions, ui_schema)
    kinds: dict[str, list[str]] = {kind: [] for kind in ids.KIND_PROPS}
    for definition in fields:
        for kind in kinds_of(definition["type"]):
            kinds[kind].append(definition["name"])
    return {
        "form": form,
        "template_id": template_id,
        "timezone": timezone,
        "instance_id": instance_id,
        "order": [d["name"] for d in fields],
        "types": {d["name"]: d["type"] for d in fields},
        "sources": {d["name"]: options_source(d) for d in fields if options_source(d)},
        "labels": {d["name"]: d.get("label") or d["name"] for d in fields},
        "choices": {
            d["name"]: {str(o["value"]): str(o.get("label", o["value"])) for o in d["options"]}
            for d in fields
            if d.get("options")
        },
        "kinds": kinds,
    }


def options_source(definition: Mapping[str, Any]) -> str | None:
    """The instance option list a searched parameter picks from, None for other types."""
    kind = definition.get("type")
    if kind not in SEARCHED_TYPES:
        return None
    source = definition.get("options_source") or METADATA_KINDS.get(str(kind))
    return str(source) if source else None


def create_parameter_form(
    form: str,
    *,
    template_id: str,
    definitions: list[dict[str, Any]],
    ui_schema: Mapping[str, Any],
    values: Mapping[str, Any] | None = None,
    timezone: str = "UTC",
    instance_id: str | None = None,
) -> html.Div:
    """The form's fields, its spec store and its reveal store; `values` override defaults."""
    values = values or {}
    hints = ui_schema.get("fields") or {}
    fields = ordered(definitions, ui_schema)
    spec = form_spec(
        form,
        template_id=template_id,
        definitions=definitions,
        ui_schema=ui_schema,
        timezone=timezone,
        instance_id=instance_id,
    )
    body: list[Component] = [
        dcc.Store(id=ids.form_store_id(form, "spec"), data=spec),
        dcc.Store(id=ids.form_store_id(form, "reveal"), data=False),
    ]
    if fields:
        body.append(
            dbc.Row(
                [
                    create_field(
                        form,
                        definition,
                        hints.get(definition["name"]) or {},
                        values.get(definition["name"], definition.get("default")),
                    )
                    for definition in fields
                ],
                class_name="g-3",
            )
        )
    else:
        body.append(
            html.P(
                "This template has no parameters: it is ready to run.",
                className="text-body-secondary mb-0",
            )
        )
    return html.Div(body, className="rb-parameter-form")


def create_field(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> dbc.Col:
    """One parameter: label, input, quick picks, help text and its error, in a grid column."""
    name, kind = definition["name"], definition["type"]
    children: list[Component] = []
    if kind != "boolean":
        children.append(create_label(definition, ids.param_id(form, name, kinds_of(kind)[0])))
    children.extend(create_input(form, definition, hints, value))
    picks = hints.get("presets")
    if picks and kind in {"integer", "number", "text", "enum"}:
        children.append(create_quick_picks(form, name, picks))
    help_text = describe_help(definition)
    if help_text:
        children.append(dbc.FormText(help_text, class_name="d-block"))
    children.append(
        dbc.FormFeedback(id=ids.error_id(form, name), type="invalid", class_name="d-block")
    )
    return dbc.Col(
        html.Div(children, id=ids.field_id(form, name), className=FIELD_CLASS),
        xs=12,
        md=_width(hints.get("width")),
    )


def _width(raw: Any) -> int:
    try:
        return max(2, min(12, int(raw)))
    except (TypeError, ValueError):
        return DEFAULT_WIDTH


def create_label(definition: Mapping[str, Any], target: dict[str, Any]) -> dbc.Label:
    """The field's label, bound to its input, with a marker when the field is required."""
    children: list[Any] = [definition.get("label") or definition["name"]]
    if definition.get("required"):
        children.append(create_required_marker())
    return dbc.Label(children, html_for=ids.dom_id(target), class_name="fw-semibold mb-1")


def create_required_marker() -> html.Span:
    hidden: dict[str, Any] = {"aria-hidden": "true"}
    return html.Span(
        [
            html.Span(" *", className="text-danger", title="Required", **hidden),
            html.Span(" (required)", className="visually-hidden"),
        ],
        className="rb-required",
    )


def describe_help(definition: Mapping[str, Any]) -> str:
    """The definition's help, plus the bounds a number or range must keep."""
    parts = [str(definition.get("help") or "").strip()]
    low, high = definition.get("min"), definition.get("max")
    if definition["type"] in {"integer", "number"}:
        if low is not None and high is not None:
            parts.append(f"Between {_number(low)} and {_number(high)}.")
        elif low is not None:
            parts.append(f"At least {_number(low)}.")
        elif high is not None:
            parts.append(f"At most {_number(high)}.")
    if definition["type"] == "date_range" and high is not None:
        parts.append(f"At most {_number(high)} days.")
    return " ".join(part for part in parts if part)


def _number(value: Any) -> str:
    number = float(value)
    return f"{int(number):,}" if number.is_integer() else f"{number:,}"


def create_input(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    """The input(s) of one parameter, by type."""
    name, kind = definition["name"], definition["type"]
    required = bool(definition.get("required"))
    placeholder = str(hints.get("placeholder") or definition.get("placeholder") or "")
    options = [
        {"label": str(o.get("label", o["value"])), "value": o["value"]}
        for o in definition.get("options") or []
    ]
    if kind == "text":
        return [
            dbc.Input(
                id=ids.param_id(form, name),
                type="text",
                value="" if value is None else str(value),
                placeholder=placeholder,
                maxLength=definition.get("max_length"),
                debounce=DEBOUNCE_MS,
                autocomplete="off",
            )
        ]
    if kind in {"integer", "number"}:
        # Text, not type="number": a number input hands over no value for "abc" or an
        # out-of-range entry, so the field would say "required" (or take the default)
        # instead of the service's "Enter a number." The service parses the text.
        return [
            dbc.Input(
                id=ids.param_id(form, name),
                type="text",
                inputmode="numeric" if kind == "integer" else "decimal",
                value="" if value is None else value,
                placeholder=placeholder,
                debounce=DEBOUNCE_MS,
                autocomplete="off",
            )
        ]
    if kind == "boolean":
        label: list[Any] = [definition.get("label") or name]
        return [
            dbc.Switch(
                id=ids.param_id(form, name),
                label=label,
                value=bool(value),
                class_name="mt-2 mb-0",
                label_class_name="fw-semibold",
            )
        ]
    if kind in {"enum", "column"}:
        return [
            dcc.Dropdown(
                id=ids.param_id(form, name),
                options=options,
                value=value,
                clearable=not required and kind != "column",
                placeholder=placeholder or "Choose…",
                className="rb-dropdown",
            )
        ]
    if kind == "multi_select":
        return [
            dcc.Dropdown(
                id=ids.param_id(form, name),
                options=options,
                value=list(value or []),
                multi=True,
                placeholder=placeholder or "Choose one or more…",
                className="rb-dropdown",
            )
        ]
    if kind in SEARCHED_TYPES:
        chosen = [str(v) for v in value or []]
        return [
            dcc.Dropdown(
                id=ids.param_id(form, name, "search"),
                options=[{"label": v, "value": v} for v in chosen],
                value=chosen,
                multi=True,
                placeholder=placeholder or SEARCH_PLACEHOLDERS.get(kind, "Search…"),
                className="rb-dropdown",
            )
        ]
    if kind == "date":
        return create_date_input(form, definition, hints, value)
    if kind == "date_range":
        return create_range_input(form, definition, hints, value)
    raise ValueError(f"no input for parameter type {kind!r}")


def _preset_options(
    presets: Mapping[str, tuple[str, Any]], allowed: Any, custom_label: str
) -> list[dict[str, str]]:
    names = [p for p in allowed if p in presets] if isinstance(allowed, list) else list(presets)
    return [{"label": custom_label, "value": CUSTOM}] + [
        {"label": presets[p][0], "value": p} for p in names
    ]


def picker_class(preset: str | None) -> str:
    """Show the picker only when the user picks the day(s) themselves."""
    return "mt-2" if preset in (None, "", CUSTOM) else "mt-2 d-none"


def split_day(value: Any) -> tuple[str, str | None]:
    """A date parameter's value as (preset, day)."""
    if isinstance(value, str) and value in DAY_PRESETS:
        return value, None
    return CUSTOM, str(value) if value else None


def split_range(value: Any) -> tuple[str, str | None, str | None]:
    """A date_range value (preset, {"preset"}, {"start", "end"} or "A..B") as parts."""
    if isinstance(value, Mapping) and "preset" in value:
        value = value["preset"]
    if isinstance(value, str) and value in DATE_PRESETS:
        return value, None, None
    if isinstance(value, str) and ".." in value:
        start, _, end = value.partition("..")
        return CUSTOM, start.strip() or None, end.strip() or None
    if isinstance(value, Mapping):
        first, last = value.get("start"), value.get("end")
        return CUSTOM, str(first) if first else None, str(last) if last else None
    return CUSTOM, None, None


def create_date_input(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    name = definition["name"]
    preset, day = split_day(value)
    day_id = ids.param_id(form, name, "date")
    return [
        dcc.Dropdown(
            id=ids.param_id(form, name, "preset"),
            options=_preset_options(DAY_PRESETS, hints.get("presets"), "Pick a day"),
            value=preset,
            clearable=False,
            searchable=False,
            className="rb-dropdown",
        ),
        html.Div(
            [
                dbc.Label(
                    f"{definition.get('label') or name}: day",
                    html_for=ids.dom_id(day_id),
                    class_name="visually-hidden",
                ),
                # Text, not a date picker: a picker drops a day it cannot parse (2025-02-30)
                # without a word; the service says "Not a valid date" instead.
                dbc.Input(
                    id=day_id,
                    type="text",
                    value=day or "",
                    placeholder="YYYY-MM-DD",
                    debounce=DEBOUNCE_MS,
                    autocomplete="off",
                ),
            ],
            id=ids.picker_id(form, name),
            className=picker_class(preset),
        ),
    ]


def create_range_input(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> list[Component]:
    name = definition["name"]
    preset, start, end = split_range(value)
    return [
        dcc.Dropdown(
            id=ids.param_id(form, name, "preset"),
            options=_preset_options(DATE_PRESETS, hints.get("presets"), "Custom range"),
            value=preset,
            clearable=False,
            searchable=False,
            className="rb-dropdown",
        ),
        html.Div(
            dcc.DatePickerRange(
                id=ids.param_id(form, name, "range"),
                start_date=start,
                end_date=end,
                display_format="YYYY-MM-DD",
                first_day_of_week=1,
                minimum_nights=0,
                clearable=True,
                start_date_placeholder_text="Start",
                end_date_placeholder_text="End",
            ),
            id=ids.picker_id(form, name),
            className=picker_class(preset),
        ),
    ]


def create_quick_picks(form: str, name: str, picks: list[Any]) -> html.Div:
    """Buttons that fill the input with a common value (the ui_schema's `presets`)."""
    usable = [p for p in picks if isinstance(p, str | int | float) and not isinstance(p, bool)]
    return html.Div(
        [html.Span("Quick picks:", className="small text-body-secondary me-1")]
        + [
            dbc.Button(
                _number(p) if isinstance(p, int | float) else str(p),
                id=ids.quick_pick_id(form, name, p),
                size="sm",
                color="secondary",
                outline=True,
                class_name="rb-quick-pick",
            )
            for p in usable
        ],
        className="d-flex flex-wrap align-items-center gap-1 mt-1",
    )


# --- reading the form back ---------------------------------------------------------------


def collect_values(
    spec: Mapping[str, Any],
    *,
    value: list[Any] | None = None,
    search: list[Any] | None = None,
    preset: list[Any] | None = None,
    date: list[Any] | None = None,
    start: list[Any] | None = None,
    end: list[Any] | None = None,
) -> dict[str, Any]:
    """The raw values of a form, by parameter name, from its inputs' values by kind.

    Each list holds the values of one kind in form order (as wildcard callbacks get them).
    A date preset wins over the picker unless it is "custom"; presets stay presets, so a
    recurring report's "last 7 days" moves with each run.
    """
    kinds = spec["kinds"]
    values = dict(zip(kinds["value"], value or [], strict=False))
    searched = dict(zip(kinds["search"], search or [], strict=False))
    presets = dict(zip(kinds["preset"], preset or [], strict=False))
    days = dict(zip(kinds["date"], date or [], strict=False))
    starts = dict(zip(kinds["range"], start or [], strict=False))
    ends = dict(zip(kinds["range"], end or [], strict=False))
    raw: dict[str, Any] = {}
    for name in spec["order"]:
        kind = spec["types"][name]
        chosen = presets.get(name)
        if kind == "date":
            raw[name] = chosen if chosen not in (None, "", CUSTOM) else days.get(name)
        elif kind == "date_range":
            if chosen not in (None, "", CUSTOM):
                raw[name] = chosen
            elif starts.get(name) or ends.get(name):
                raw[name] = {"start": starts.get(name), "end": ends.get(name)}
            else:
                raw[name] = None
        elif kind in SEARCHED_TYPES:
            raw[name] = list(searched.get(name) or [])
        elif kind == "boolean":
            raw[name] = bool(values.get(name))
        else:
            raw[name] = values.get(name)
    return raw


def is_blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def field_feedback(
    spec: Mapping[str, Any],
    errors: Mapping[str, str],
    values: Mapping[str, Any],
    *,
    reveal: bool,
) -> tuple[list[str], list[str]]:
    """Each field's message and wrapper class, in form order.

    A field left empty says "required" only once the user asks to go on (`reveal`):
    nobody wants a form full of red before typing anything.
    """
    messages: list[str] = []
    classes: list[str] = []
    for name in spec["order"]:
        message = errors.get(name, "")
        if message and not reveal and is_blank(values.get(name)):
            message = ""
        messages.append(message)
        classes.append(INVALID_FIELD_CLASS if message else FIELD_CLASS)
    return messages, classes


def parameter_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """Field errors of a service's ValidationFailed ("parameters.name" → "name")."""
    return {
        key.split(".", 1)[1]: message
        for key, message in errors.items()
        if key.startswith(("parameters.", "default_parameters."))
    }


def describe_values(
    spec: Mapping[str, Any],
    normalized: Mapping[str, Any],
    raw: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """(label, value in words) per parameter, for the review step; presets keep their name."""
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


# --- callbacks (MATCH on the form: one declaration serves every form) --------------------


def quick_pick_value(triggered: Any, clicks: list[int | None]) -> Any:
    """The value of the quick pick that was clicked; PreventUpdate when none was."""
    if not isinstance(triggered, Mapping) or not any(clicks or []):
        raise PreventUpdate
    return triggered["value"]


def apply_quick_pick(clicks: list[int | None]) -> Any:
    return quick_pick_value(clicked_id(ids.PARAM_QUICK), clicks)


def toggle_picker(preset: str | None) -> str:
    return picker_class(preset)


def value_states(form: Any, wrap: type[Input] | type[State] = State) -> list[Any]:
    """The dependencies that read every value of `form`, in `collect_values` order."""
    return [
        wrap(ids.param_inputs(form, "value"), "value"),
        wrap(ids.param_inputs(form, "search"), "value"),
        wrap(ids.param_inputs(form, "preset"), "value"),
        wrap(ids.param_inputs(form, "date"), "value"),
        wrap(ids.param_inputs(form, "range"), "start_date"),
        wrap(ids.param_inputs(form, "range"), "end_date"),
    ]


def form_states(form: Any) -> list[State]:
    """`value_states` and the form's spec store: what `read_form` reads, in its order."""
    return [*value_states(form), State(ids.form_store_id(form, "spec"), "data")]


def read_form(states: Sequence[Any]) -> dict[str, Any]:
    """The raw values of a form by parameter name, from the values of `form_states`."""
    *by_kind, spec = states
    kinds = ("value", "search", "preset", "date", "start", "end")
    return collect_values(spec or {}, **dict(zip(kinds, by_kind, strict=True)))


def check_form(
    value: list[Any],
    search: list[Any],
    preset: list[Any],
    date: list[Any],
    start: list[Any],
    end: list[Any],
    reveal: bool | None,
    spec: dict[str, Any] | None,
) -> Any:
    """Check the form on every change and show each field's error next to it."""
    if not spec:
        raise PreventUpdate
    if callback_actor() is None:
        return no_update, no_update
    raw = collect_values(
        spec, value=value, search=search, preset=preset, date=date, start=start, end=end
    )
    try:
        with db_session() as session:
            check = validate_parameters(
                session=session,
                template_id=spec["template_id"],
                values=raw,
                timezone=spec.get("timezone") or "UTC",
            )
    except DomainError:
        return no_update, no_update  # the template is gone: the step's own check says so
    return field_feedback(spec, check.errors, raw, reveal=bool(reveal))


def search_metadata(
    search: str | None,
    chosen: list[str] | None,
    shown: list[dict[str, Any]] | None,
    spec: dict[str, Any] | None,
) -> Any:
    """Options of the field's option list (campaigns, products, or the list its definition
    names) matching what the user types, searched on the instance."""
    name = ctx.outputs_list["id"]["name"] if ctx.outputs_list else None
    if not spec or name not in spec.get("types", {}):
        raise PreventUpdate
    kind = spec.get("sources", {}).get(name) or METADATA_KINDS.get(spec["types"][name])
    if not kind:
        raise PreventUpdate
    actor = callback_actor()
    if actor is None:
        return no_update
    return metadata_choices(
        actor,
        instance_id=spec.get("instance_id"),
        kind=kind,
        search=search or "",
        chosen=chosen or [],
        shown=shown or [],
    )


def metadata_choices(
    actor: Actor,
    *,
    instance_id: str | None,
    kind: str,
    search: str,
    chosen: list[str],
    shown: list[dict[str, Any]],
) -> list[dict[str, str]]:
    """The matches, after the values already chosen (a dropdown drops values it lacks)."""
    labels = {str(o["value"]): str(o.get("label", o["value"])) for o in shown}
    options = [{"label": labels.get(str(v), str(v)), "value": str(v)} for v in chosen]
    if not instance_id:
        return options
    try:
        with db_session() as session:
            found = metadata_options(
                session=session,
                actor=actor,
                secret_key=get_settings().secret_key,
                instance_id=instance_id,
                kind=kind,
                search=search,
                limit=SEARCH_LIMIT,
            )
    except DomainError:
        return options
    except Exception:  # the instance failed: keep what is chosen, show no traceback
        log.warning("metadata search failed", extra={"instance_id": instance_id}, exc_info=True)
        return options
    picked = {o["value"] for o in options}
    options += [
        {"label": f"{o.label} ({o.value})" if o.label != o.value else o.label, "value": o.value}
        for o in found
        if str(o.value) not in picked
    ]
    return options


def register_callbacks() -> None:
    """Declare these callbacks on the app being built; the page calls this once per app.

    Dash hands callbacks declared at import time to the first app only, while it runs
    page modules anew for every app: declared from the page, each app gets them.
    """
    callback(
        Output(ids.param_id(MATCH, MATCH, "value"), "value"),
        Input(ids.quick_pick_id(MATCH, MATCH, ALL), "n_clicks"),
        prevent_initial_call=True,
    )(apply_quick_pick)
    callback(
        Output(ids.picker_id(MATCH, MATCH), "className"),
        Input(ids.param_id(MATCH, MATCH, "preset"), "value"),
    )(toggle_picker)
    callback(
        Output(ids.error_id(MATCH, ALL), "children"),
        Output(ids.field_id(MATCH, ALL), "className"),
        *value_states(MATCH, Input),
        Input(ids.form_store_id(MATCH, "reveal"), "data"),
        State(ids.form_store_id(MATCH, "spec"), "data"),
    )(check_form)
    callback(
        Output(ids.param_id(MATCH, MATCH, "search"), "options"),
        Input(ids.param_id(MATCH, MATCH, "search"), "search_value"),
        State(ids.param_id(MATCH, MATCH, "search"), "value"),
        State(ids.param_id(MATCH, MATCH, "search"), "options"),
        State(ids.form_store_id(MATCH, "spec"), "data"),
    )(search_metadata)

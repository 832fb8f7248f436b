"""ParameterFormAIO: one input per template parameter, built from the template's
parameter_definitions and ui_schema, with labels bound to their inputs, required markers,
help text, and a place next to each field for its error. The inputs are built in
components.parameter_inputs; the spec and the values read back in components.parameter_values.

Its callbacks are declared once for every form (MATCH on the form's id): each change is
checked by `services.templates.validate_parameters` and its field errors are shown next to
the fields (`field_feedback`); campaign, product and other option lists are searched on
the instance (`services.instances.metadata_options`); quick picks fill an input; a day's
text input (a date range's picker) shows when the preset is "custom".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, ctx, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from components.callbacks import CallbackSet
from components.clicks import clicked_id
from components.ids import (
    PARAM_QUICK,
    error_id,
    field_id,
    form_store_id,
    param_id,
    param_inputs,
    picker_id,
    quick_pick_id,
)
from components.parameter_inputs import (
    QUICK_PICK_TYPES,
    create_input,
    create_label,
    create_quick_picks,
    describe_help,
    kinds_of,
    picker_class,
)
from components.parameter_values import (
    FIELD_CLASS,
    collect_values,
    field_feedback,
    form_spec,
    ordered,
)
from services.errors import DomainError
from services.instances import metadata_options
from services.parameters import METADATA_KINDS
from services.templates import validate_parameters
from services.users import Actor
from webcontext import callback_actor, db_session, get_settings

log = logging.getLogger(__name__)

#: Columns of a field when the ui_schema gives no width (Bootstrap's grid has 12).
DEFAULT_WIDTH = 6
#: Options a searched dropdown offers at once.
SEARCH_LIMIT = 50

#: The form's MATCH callbacks, registered by the Report Builder page once per app (see
#: components.callbacks); they serve every form on every page.
callbacks = CallbackSet()


class ParameterFormAIO(html.Div):
    """A template's parameter form: its fields, its spec store (what callbacks read back)
    and its reveal store (show every error); `values` override the defaults."""

    class ids:
        """The form's pattern-matching ids, by part; `form` is the form's id (RUN_FORM…).
        Their shapes are components.ids' (the browser tests build them there too)."""

        param = staticmethod(param_id)
        inputs = staticmethod(param_inputs)
        error = staticmethod(error_id)
        field = staticmethod(field_id)
        picker = staticmethod(picker_id)
        quick_pick = staticmethod(quick_pick_id)
        store = staticmethod(form_store_id)

    def __init__(
        self,
        form: str,
        *,
        template_id: str,
        definitions: list[dict[str, Any]],
        ui_schema: Mapping[str, Any],
        values: Mapping[str, Any] | None = None,
        timezone: str = "UTC",
        instance_id: str | None = None,
    ) -> None:
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
            dcc.Store(id=self.ids.store(form, "spec"), data=spec),
            dcc.Store(id=self.ids.store(form, "reveal"), data=False),
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
        super().__init__(body, className="rb-parameter-form")


#: The form's ids, as its callbacks and the pages that read it build them.
IDS = ParameterFormAIO.ids


def create_field(
    form: str, definition: Mapping[str, Any], hints: Mapping[str, Any], value: Any
) -> dbc.Col:
    """One parameter: label, input, quick picks, help text and its error, in a grid column."""
    name, kind = definition["name"], definition["type"]
    children: list[Component] = []
    if kind != "boolean":
        children.append(create_label(definition, IDS.param(form, name, kinds_of(kind)[0])))
    children.extend(create_input(form, definition, hints, value))
    picks = hints.get("presets")
    if picks and kind in QUICK_PICK_TYPES:
        children.append(create_quick_picks(form, name, picks))
    help_text = describe_help(definition)
    if help_text:
        children.append(dbc.FormText(help_text, class_name="d-block"))
    children.append(
        dbc.FormFeedback(id=IDS.error(form, name), type="invalid", class_name="d-block")
    )
    return dbc.Col(
        html.Div(children, id=IDS.field(form, name), className=FIELD_CLASS),
        xs=12,
        md=_width(hints.get("width")),
    )


def _width(raw: Any) -> int:
    try:
        return max(2, min(12, int(raw)))
    except (TypeError, ValueError):
        return DEFAULT_WIDTH


# --- reading the form back ---------------------------------------------------------------


def value_states(form: Any, wrap: type[Input] | type[State] = State) -> list[Any]:
    """The dependencies that read every value of `form`, in `collect_values` order."""
    return [
        wrap(IDS.inputs(form, "value"), "value"),
        wrap(IDS.inputs(form, "search"), "value"),
        wrap(IDS.inputs(form, "preset"), "value"),
        wrap(IDS.inputs(form, "date"), "value"),
        wrap(IDS.inputs(form, "range"), "start_date"),
        wrap(IDS.inputs(form, "range"), "end_date"),
    ]


def form_states(form: Any) -> list[State]:
    """`value_states` and the form's spec store: what `read_form` reads, in its order."""
    return [*value_states(form), State(IDS.store(form, "spec"), "data")]


def read_form(states: Sequence[Any]) -> dict[str, Any]:
    """The raw values of a form by parameter name, from the values of `form_states`."""
    *by_kind, spec = states
    kinds = ("value", "search", "preset", "date", "start", "end")
    return collect_values(spec or {}, **dict(zip(kinds, by_kind, strict=True)))


# --- callbacks (MATCH on the form: one declaration serves every form) --------------------


def quick_pick_value(triggered: Any, clicks: list[int | None]) -> Any:
    """The value of the quick pick that was clicked; PreventUpdate when none was."""
    if not isinstance(triggered, Mapping) or not any(clicks or []):
        raise PreventUpdate
    return triggered["value"]


@callbacks.callback(
    Output(IDS.param(MATCH, MATCH, "value"), "value"),
    Input(IDS.quick_pick(MATCH, MATCH, ALL), "n_clicks"),
    prevent_initial_call=True,
)
def apply_quick_pick(clicks: list[int | None]) -> Any:
    return quick_pick_value(clicked_id(PARAM_QUICK), clicks)


@callbacks.callback(
    Output(IDS.picker(MATCH, MATCH), "className"),
    Input(IDS.param(MATCH, MATCH, "preset"), "value"),
)
def toggle_picker(preset: str | None) -> str:
    return picker_class(preset)


@callbacks.callback(
    Output(IDS.error(MATCH, ALL), "children"),
    Output(IDS.field(MATCH, ALL), "className"),
    *value_states(MATCH, Input),
    Input(IDS.store(MATCH, "reveal"), "data"),
    State(IDS.store(MATCH, "spec"), "data"),
)
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


@callbacks.callback(
    Output(IDS.param(MATCH, MATCH, "search"), "options"),
    Input(IDS.param(MATCH, MATCH, "search"), "search_value"),
    State(IDS.param(MATCH, MATCH, "search"), "value"),
    State(IDS.param(MATCH, MATCH, "search"), "options"),
    State(IDS.store(MATCH, "spec"), "data"),
)
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

"""The ParameterFormAIO: one right input per parameter type, labels bound to inputs,
required markers, help, and reading the values back from what the callbacks receive."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
import pytest
from dash import dcc, html
from dash.exceptions import PreventUpdate

from components import ids
from components.parameter_form import ParameterFormAIO, quick_pick_value
from components.parameter_inputs import (
    CUSTOM,
    INPUT_BUILDERS,
    create_input,
    describe_help,
    picker_class,
    split_range,
)
from components.parameter_values import (
    FIELD_CLASS,
    INVALID_FIELD_CLASS,
    collect_values,
    field_feedback,
    form_spec,
    ordered,
    parameter_errors,
)
from components.plan_words import describe_values
from services.parameter_types import PARAMETER_TYPES

FORM = ids.RUN_FORM

#: One parameter of every type, as services.templates.get_template returns them.
DEFINITIONS: list[dict[str, Any]] = [
    {"name": "title", "type": "text", "label": "Title", "required": True, "default": None},
    {"name": "ratio", "type": "number", "label": "Ratio", "required": False, "default": 0.5},
    {
        "name": "top_n",
        "type": "integer",
        "label": "Rows shown",
        "required": True,
        "default": 50,
        "min": 1,
        "max": 500,
        "help": "How many rows to keep.",
    },
    {"name": "ntb", "type": "boolean", "label": "New to brand", "required": True, "default": True},
    {"name": "since", "type": "date", "label": "Since", "required": False, "default": None},
    {
        "name": "period",
        "type": "date_range",
        "label": "Period",
        "required": True,
        "default": "last_7_days",
    },
    {
        "name": "channel",
        "type": "enum",
        "label": "Channel",
        "required": True,
        "default": "dsp",
        "options": [{"value": "dsp", "label": "DSP"}, {"value": "sp", "label": "Sponsored"}],
    },
    {
        "name": "channels",
        "type": "multi_select",
        "label": "Channels",
        "required": False,
        "default": [],
        "options": [{"value": "dsp", "label": "DSP"}, {"value": "sp", "label": "Sponsored"}],
    },
    {
        "name": "campaigns",
        "type": "campaign_ids",
        "label": "Campaigns",
        "required": False,
        "default": [],
        "options_source": "campaigns",
    },
    {
        "name": "products",
        "type": "asins",
        "label": "Products",
        "required": False,
        "default": [],
        "options_source": "asins",
    },
    {
        "name": "group_by",
        "type": "column",
        "label": "Group by",
        "required": True,
        "default": "brand",
        "options": [{"value": "brand", "label": "Brand"}, {"value": "channel", "label": "Channel"}],
    },
]
UI_SCHEMA = {
    "order": ["channel", "top_n"],
    "fields": {"top_n": {"width": 3, "presets": [10, 50, 100]}, "title": {"placeholder": "Q4"}},
}


def walk(node: Any) -> list[Any]:
    """Every component in a tree, depth first."""
    if isinstance(node, list | tuple):
        return [found for child in node for found in walk(child)]
    if not hasattr(node, "to_plotly_json"):
        return []
    return [node, *walk(getattr(node, "children", None))]


def by_id(tree: Any, component_id: Any) -> Any:
    matches = [c for c in walk(tree) if getattr(c, "id", None) == component_id]
    assert len(matches) == 1, f"{component_id} found {len(matches)} times"
    return matches[0]


def text_of(node: Any) -> str:
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list | tuple):
        return " ".join(text_of(child) for child in node)
    return text_of(getattr(node, "children", None) or "")


@pytest.fixture
def form() -> html.Div:
    return ParameterFormAIO(FORM, template_id="tpl", definitions=DEFINITIONS, ui_schema=UI_SCHEMA)


@pytest.mark.parametrize(
    ("name", "kind", "component_type", "props"),
    [
        ("title", "value", dbc.Input, {"type": "text"}),
        ("ratio", "value", dbc.Input, {"type": "text", "inputmode": "decimal"}),
        ("top_n", "value", dbc.Input, {"type": "text", "inputmode": "numeric"}),
        ("ntb", "value", dbc.Switch, {"value": True}),
        ("since", "preset", dcc.Dropdown, {"value": CUSTOM, "clearable": False}),
        ("since", "date", dbc.Input, {"type": "text", "placeholder": "YYYY-MM-DD"}),
        ("period", "preset", dcc.Dropdown, {"value": "last_7_days"}),
        ("period", "range", dcc.DatePickerRange, {"minimum_nights": 0}),
        ("channel", "value", dcc.Dropdown, {"value": "dsp", "clearable": False}),
        ("channels", "value", dcc.Dropdown, {"multi": True, "value": []}),
        ("campaigns", "search", dcc.Dropdown, {"multi": True, "options": []}),
        ("products", "search", dcc.Dropdown, {"multi": True}),
        ("group_by", "value", dcc.Dropdown, {"value": "brand", "clearable": False}),
    ],
)
def test_each_parameter_type_gets_its_input(
    form: html.Div, name: str, kind: str, component_type: type, props: dict[str, Any]
) -> None:
    component = by_id(form, ids.param_id(FORM, name, kind))

    assert isinstance(component, component_type)
    for prop, value in props.items():
        assert getattr(component, prop) == value, prop


def test_every_parameter_type_the_services_accept_has_an_input_builder() -> None:
    assert set(INPUT_BUILDERS) == set(PARAMETER_TYPES)
    with pytest.raises(ValueError, match="no input for parameter type 'colour'"):
        create_input(FORM, {"name": "tint", "type": "colour"}, {}, None)


def test_the_form_is_one_div_whose_ids_class_builds_the_ids_the_browser_finds(
    form: html.Div,
) -> None:
    aio = ParameterFormAIO.ids

    assert isinstance(form, html.Div) and form.className == "rb-parameter-form"
    assert aio.param(FORM, "top_n") == {
        "type": "rb-param",
        "form": FORM,
        "name": "top_n",
        "kind": "value",
    }
    assert aio.store(FORM, "spec") == form.children[0].id
    for built, shape in [
        (aio.param(FORM, "since", "date"), ids.param_id(FORM, "since", "date")),
        (aio.error(FORM, "top_n"), ids.error_id(FORM, "top_n")),
        (aio.field(FORM, "top_n"), ids.field_id(FORM, "top_n")),
        (aio.picker(FORM, "since"), ids.picker_id(FORM, "since")),
        (aio.quick_pick(FORM, "top_n", 10), ids.quick_pick_id(FORM, "top_n", 10)),
    ]:
        assert by_id(form, built).id == shape


def test_numbers_carry_no_browser_bounds_so_the_server_can_say_what_is_wrong(
    form: html.Div,
) -> None:
    top_n = by_id(form, ids.param_id(FORM, "top_n"))

    assert getattr(top_n, "min", None) is None and getattr(top_n, "max", None) is None
    assert top_n.debounce  # checked as the user types, not on every keystroke


def test_numbers_and_days_are_text_so_what_was_typed_reaches_the_service(
    form: html.Div,
) -> None:
    # A number input hands "abc" over as no value, and a date picker drops 2025-02-30:
    # as text, the service sees them and says what is wrong.
    for name, kind in (("ratio", "value"), ("top_n", "value"), ("since", "date")):
        assert by_id(form, ids.param_id(FORM, name, kind)).type == "text"
    labels = {c.html_for for c in walk(form) if isinstance(c, dbc.Label)}
    assert ids.dom_id(ids.param_id(FORM, "since", "date")) in labels

    raw = collect_values(
        _spec(),
        value=["sp", "2.5", "", "abc", None, [], "brand"],
        preset=[CUSTOM, CUSTOM],
        date=["2025-02-30"],
    )
    assert (raw["top_n"], raw["title"], raw["ratio"], raw["since"]) == (
        "2.5",
        "",
        "abc",
        "2025-02-30",
    )


def test_every_label_is_bound_to_its_input(form: html.Div) -> None:
    labels = {c.html_for: text_of(c) for c in walk(form) if isinstance(c, dbc.Label)}

    for definition in DEFINITIONS:
        if definition["type"] == "boolean":
            continue  # a switch carries its own label
        first_kind = {"date": "preset", "date_range": "preset"}.get(definition["type"])
        if definition["type"] in {"campaign_ids", "asins"}:
            first_kind = "search"
        target = ids.dom_id(ids.param_id(FORM, definition["name"], first_kind or "value"))
        assert definition["label"] in labels[target]
    switch = by_id(form, ids.param_id(FORM, "ntb"))
    assert "New to brand" in text_of(switch.label)


def test_required_fields_are_marked_and_optional_ones_are_not(form: html.Div) -> None:
    labels = {c.html_for: c for c in walk(form) if isinstance(c, dbc.Label)}

    def marked(name: str, kind: str = "value") -> bool:
        label = labels[ids.dom_id(ids.param_id(FORM, name, kind))]
        return any("rb-required" in (getattr(c, "className", "") or "") for c in walk(label))

    assert marked("title") and marked("top_n") and marked("channel")
    assert marked("period", "preset")
    assert not marked("ratio") and not marked("channels") and not marked("since", "preset")


def test_help_text_adds_the_bounds_a_value_must_keep(form: html.Div) -> None:
    field = by_id(form, ids.field_id(FORM, "top_n"))

    assert "How many rows to keep. Between 1 and 500." in text_of(field)
    assert describe_help({"type": "integer", "min": 0}) == "At least 0."
    assert describe_help({"type": "date_range", "max": 31, "help": "Window."}) == (
        "Window. At most 31 days."
    )


def test_each_field_has_a_place_for_its_error(form: html.Div) -> None:
    for definition in DEFINITIONS:
        feedback = by_id(form, ids.error_id(FORM, definition["name"]))
        assert isinstance(feedback, dbc.FormFeedback)
        assert feedback.type == "invalid"


def _of_type(tree: Any, kind: str) -> list[Any]:
    return [
        c for c in walk(tree) if isinstance(getattr(c, "id", None), dict) and c.id["type"] == kind
    ]


def test_the_ui_schema_orders_fields_sets_widths_and_quick_picks(form: html.Div) -> None:
    names = [field.id["name"] for field in _of_type(form, ids.PARAM_FIELD)]
    widths = {c.children.id["name"]: c.md for c in walk(form) if isinstance(c, dbc.Col)}

    assert names[:2] == ["channel", "top_n"]
    assert names[2:] == [d["name"] for d in DEFINITIONS if d["name"] not in {"channel", "top_n"}]
    assert widths["top_n"] == 3 and widths["title"] == 6
    assert [p.id["value"] for p in _of_type(form, ids.PARAM_QUICK)] == [10, 50, 100]
    assert by_id(form, ids.param_id(FORM, "title")).placeholder == "Q4"


def test_saved_values_fill_the_form_and_presets_stay_presets() -> None:
    values = {"period": {"start": "2025-01-01", "end": "2025-01-31"}, "since": "yesterday"}
    form = ParameterFormAIO(
        FORM, template_id="tpl", definitions=DEFINITIONS, ui_schema={}, values=values
    )

    assert by_id(form, ids.param_id(FORM, "period", "preset")).value == CUSTOM
    picker = by_id(form, ids.param_id(FORM, "period", "range"))
    assert (picker.start_date, picker.end_date) == ("2025-01-01", "2025-01-31")
    assert by_id(form, ids.param_id(FORM, "since", "preset")).value == "yesterday"
    assert "d-none" in by_id(form, ids.picker_id(FORM, "since")).className
    assert split_range("2025-02-01..2025-02-07") == (CUSTOM, "2025-02-01", "2025-02-07")


def test_a_template_without_parameters_says_it_is_ready() -> None:
    form = ParameterFormAIO(FORM, template_id="tpl", definitions=[], ui_schema={})

    assert "no parameters" in text_of(form)
    assert by_id(form, ids.form_store_id(FORM, "spec")).data["order"] == []


def _spec() -> dict[str, Any]:
    return form_spec(
        FORM,
        template_id="tpl",
        definitions=DEFINITIONS,
        ui_schema=UI_SCHEMA,
        timezone="UTC",
        instance_id="wh",
    )


def test_values_are_read_back_by_kind_in_form_order() -> None:
    spec = _spec()
    kinds = spec["kinds"]
    assert kinds["value"] == ["channel", "top_n", "title", "ratio", "ntb", "channels", "group_by"]

    raw = collect_values(
        spec,
        value=["sp", 9999, "Q4", None, None, ["dsp"], "channel"],
        search=[["c1", "c2"], []],
        preset=[CUSTOM, CUSTOM],
        date=["2025-03-01"],
        start=["2025-01-01"],
        end=[None],
    )

    assert raw == {
        "channel": "sp",
        "top_n": 9999,
        "title": "Q4",
        "ratio": None,
        "ntb": False,
        "since": "2025-03-01",
        "period": {"start": "2025-01-01", "end": None},
        "channels": ["dsp"],
        "campaigns": ["c1", "c2"],
        "products": [],
        "group_by": "channel",
    }


def test_a_chosen_preset_wins_over_the_pickers() -> None:
    raw = collect_values(
        _spec(),
        preset=["start_of_month", "previous_week"],
        date=["2025-03-01"],
        start=["2025-01-01"],
        end=["2025-01-02"],
    )

    assert raw["since"] == "start_of_month"
    assert raw["period"] == "previous_week"
    assert picker_class("previous_week").endswith("d-none")
    assert "d-none" not in picker_class(CUSTOM)


def test_errors_show_next_to_their_field_and_required_ones_wait_for_next() -> None:
    spec = _spec()
    errors = {"top_n": "Must be at most 500.", "title": "This field is required."}
    values = {"top_n": 9999, "title": ""}

    messages, classes = field_feedback(spec, errors, values, reveal=False)
    shown = dict(zip(spec["order"], messages, strict=True))
    assert shown["top_n"] == "Must be at most 500."
    assert shown["title"] == ""  # empty and not revealed yet
    assert [m for m in messages if m] == ["Must be at most 500."]
    assert classes[spec["order"].index("top_n")] == INVALID_FIELD_CLASS
    assert classes[spec["order"].index("channel")] == FIELD_CLASS

    messages, _ = field_feedback(spec, errors, values, reveal=True)
    assert dict(zip(spec["order"], messages, strict=True))["title"] == "This field is required."


def test_service_errors_map_back_to_field_names() -> None:
    assert parameter_errors({"parameters.top_n": "Too big.", "name": "x"}) == {"top_n": "Too big."}
    assert parameter_errors({"default_parameters.ntb": "No."}) == {"ntb": "No."}


def test_the_review_names_options_by_label_and_presets_by_name() -> None:
    spec = _spec()
    normalized = {
        "channel": "sp",
        "period": {"start": "2025-01-20", "end": "2025-01-26"},
        "ntb": True,
        "channels": [],
    }

    rows = dict(describe_values(spec, normalized, {"period": "last_7_days"}))

    assert rows["Channel"] == "Sponsored"
    assert rows["Period"] == "Last 7 days (2025-01-20 to 2025-01-26)"
    assert rows["New to brand"] == "Yes"
    assert rows["Channels"] == "—"


def test_a_quick_pick_fills_its_value_only_when_clicked() -> None:
    trigger = ids.quick_pick_id(FORM, "top_n", 100)

    assert quick_pick_value(trigger, [None, 1, None]) == 100
    with pytest.raises(PreventUpdate):
        quick_pick_value(trigger, [None, None, None])
    with pytest.raises(PreventUpdate):
        quick_pick_value(None, [1])


def test_unordered_names_in_the_ui_schema_are_ignored() -> None:
    names = [d["name"] for d in ordered(DEFINITIONS[:3], {"order": ["nope", "top_n", 3]})]

    assert names == ["top_n", "title", "ratio"]


def test_an_option_list_is_a_searched_multi_select_of_its_named_list() -> None:
    regions = {
        "name": "regions",
        "type": "option_list",
        "label": "Regions",
        "required": False,
        "default": ["eu"],
        "options_source": "regions",
    }
    definitions = [*DEFINITIONS, regions]
    tree = ParameterFormAIO(FORM, template_id="tpl", definitions=definitions, ui_schema={})
    spec = form_spec(
        FORM,
        template_id="tpl",
        definitions=definitions,
        ui_schema={},
        timezone="UTC",
        instance_id="wh",
    )

    picker = by_id(tree, ids.param_id(FORM, "regions", "search"))
    assert isinstance(picker, dcc.Dropdown)
    assert (picker.multi, picker.value, picker.placeholder) == (True, ["eu"], "Search…")
    assert spec["sources"] == {"campaigns": "campaigns", "products": "asins", "regions": "regions"}
    assert spec["kinds"]["search"] == ["campaigns", "products", "regions"]
    raw = collect_values(spec, search=[[], [], ["eu", "us"]])
    assert raw["regions"] == ["eu", "us"]

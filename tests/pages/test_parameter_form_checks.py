"""The parameter form's check, called as the browser calls it: what the user typed reaches
the service as typed, and the service's message shows next to that field, on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from components import ids, parameter_form
from components.parameter_form import ParameterFormAIO
from components.parameter_inputs import CUSTOM
from components.parameter_values import INVALID_FIELD_CLASS
from db.session import session_scope
from tests.factories import UiWorld, add_template

FORM = ids.RUN_FORM
TEMPLATE = "typed_numbers"
DEFINITIONS = [
    {"name": "share", "type": "number", "label": "Share", "required": True, "default": 0},
    {"name": "top_n", "type": "integer", "label": "Rows", "required": True, "default": 10},
    {"name": "day", "type": "date", "label": "Day", "required": True, "default": "yesterday"},
]


@pytest.fixture
def spec(ui: UiWorld) -> dict[str, Any]:
    """The spec store of a form with a number, an integer and a day, all with defaults."""
    with session_scope(ui.session_factory) as session:
        add_template(
            session,
            TEMPLATE,
            "SELECT {{ share }} AS share, {{ top_n }} AS top_n, {{ day }} AS day",
            parameter_definitions=DEFINITIONS,
        )
    form = ParameterFormAIO(FORM, template_id=TEMPLATE, definitions=DEFINITIONS, ui_schema={})
    store = form.children[0]
    assert store.id == ids.form_store_id(FORM, "spec")
    return dict(store.data)


def _check(
    ui: UiWorld, as_user: Any, spec: dict[str, Any], *, share: Any, top_n: Any, day: Any
) -> dict[str, str]:
    """Each field's message, by name, for these typed values (all revealed, as after Next)."""
    with as_user(ui.owner):
        messages, classes = parameter_form.check_form(
            [share, top_n], [], [CUSTOM], [day], [], [], True, spec
        )
    for message, wrapper in zip(messages, classes, strict=True):
        invalid = wrapper == INVALID_FIELD_CLASS
        assert invalid == bool(message)  # a message and a red field go together
    return dict(zip(spec["order"], messages, strict=True))


def test_the_defaults_as_shown_are_valid(ui: UiWorld, as_user: Any, spec: dict[str, Any]) -> None:
    shown = _check(ui, as_user, spec, share="0", top_n="10", day="2025-02-28")

    assert shown == {"share": "", "top_n": "", "day": ""}


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ({"share": "abc"}, {"share": "Enter a number."}),
        ({"share": "nan"}, {"share": "Enter a number."}),
        ({"share": "inf"}, {"share": "Enter a number."}),
        ({"share": "1e400"}, {"share": "The number is too large."}),
        ({"share": ""}, {"share": "This field is required."}),
        ({"top_n": "2.5"}, {"top_n": "Enter a whole number."}),
        ({"top_n": "abc"}, {"top_n": "Enter a whole number."}),
        ({"top_n": ""}, {"top_n": "This field is required."}),
        ({"day": "2025-02-30"}, {"day": "Not a valid date: 2025-02-30 does not exist."}),
        ({"day": "30.02.2025"}, {"day": "Enter a date as YYYY-MM-DD."}),
        ({"day": ""}, {"day": "This field is required."}),
    ],
)
def test_what_the_user_typed_gets_the_services_message_next_to_its_field(
    ui: UiWorld,
    as_user: Any,
    spec: dict[str, Any],
    typed: dict[str, str],
    expected: dict[str, str],
) -> None:
    values = {"share": "0.5", "top_n": "10", "day": "2025-02-28", **typed}

    shown = _check(ui, as_user, spec, **values)

    assert shown == {"share": "", "top_n": "", "day": "", **expected}

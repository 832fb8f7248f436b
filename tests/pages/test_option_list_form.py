"""A template with an option_list parameter in the Report Builder: it fits only sources
having its list, and its form searches that list on the source, as campaign_ids do."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest
from dash.exceptions import PreventUpdate
from sqlalchemy import select

from components import ids, parameter_form
from components.ids import RUN_FORM, page_id
from db.models import Instance
from db.session import session_scope
from pages._builder_modal import modal_for
from tests.factories import UiWorld, add_template
from tests.trees import find_ids

TEMPLATE = "labelled_numbers"
SQL = (
    "SELECT x, label FROM numbers WHERE ({{ labels.empty }} OR label IN {{ labels }}) "
    "AND day >= CAST({{ window_start }} AS DATE) AND day < CAST({{ window_end }} AS DATE)"
)
LABELS = {"name": "labels", "type": "option_list", "label": "Labels", "options_source": "labels"}
#: The source's option list "labels": the numbers' labels, searched by what is typed.
LABELS_SQL = (
    "SELECT label AS value, 'Label ' || label AS label FROM numbers "
    "WHERE label LIKE '%' || {{ search }} || '%' ORDER BY x"
)


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    """The Report Builder with a template picking from the instance's "labels" list."""
    with session_scope(ui.session_factory) as session:
        add_template(session, TEMPLATE, SQL, parameter_definitions=[LABELS])
        instance = session.scalars(select(Instance)).one()
        instance.metadata_queries = {"labels": LABELS_SQL}
    return importlib.import_module("pages.report_builder")


@pytest.fixture
def known(ui: UiWorld, as_user: Any, page: ModuleType) -> dict[str, Any]:
    with as_user(ui.owner):
        tree = page.layout()
    store = next(c for c in _walk(tree) if getattr(c, "id", None) == page_id("catalogue"))
    data: dict[str, Any] = store.data
    return data


def _walk(node: Any) -> list[Any]:
    if isinstance(node, list | tuple):
        return [found for child in node for found in _walk(child)]
    if not hasattr(node, "to_plotly_json"):
        return []
    return [node, *_walk(getattr(node, "children", None))]


def _form(page: ModuleType, known: dict[str, Any], as_user: Any, ui: UiWorld) -> Any:
    """The run modal's parameter form for the template."""
    with as_user(ui.owner):
        return modal_for(TEMPLATE, known)["form"]


def _spec(page: ModuleType, known: dict[str, Any], as_user: Any, ui: UiWorld) -> dict[str, Any]:
    store_id = ids.form_store_id(RUN_FORM, "spec")
    form = _form(page, known, as_user, ui)
    spec: dict[str, Any] = next(c for c in _walk(form) if getattr(c, "id", None) == store_id).data
    return spec


def _search(as_user: Any, ui: UiWorld, spec: dict[str, Any], name: str, typed: str) -> Any:
    """search_metadata as Dash calls it for the field `name`'s dropdown."""
    with as_user(ui.owner) as context:
        context["outputs_list"] = {
            "id": ids.param_id(RUN_FORM, name, "search"),
            "property": "options",
        }
        return parameter_form.search_metadata(typed, ["n1"], [], spec)


def test_a_template_with_an_option_list_fits_only_sources_having_that_list(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    def shown() -> list[Any]:
        with as_user(ui.owner):
            grid, _ = page.filter_templates("", "any", "any", "wh", known)
        return [i["index"] for i in find_ids(grid) if isinstance(i, dict)]

    assert known["needs"][TEMPLATE] == ["labels"]
    assert TEMPLATE in shown()
    known["instances"]["wh"]["kinds"] = ["campaigns"]
    assert TEMPLATE not in shown()


def test_the_form_searches_the_option_list_its_definition_names(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    picker = next(
        c
        for c in _walk(_form(page, known, as_user, ui))
        if getattr(c, "id", None) == ids.param_id(RUN_FORM, "labels", "search")
    )
    assert picker.multi is True
    spec = _spec(page, known, as_user, ui)
    assert spec["sources"] == {"labels": "labels"}

    options = _search(as_user, ui, spec, "labels", "n49")

    assert options[0] == {"label": "n1", "value": "n1"}  # kept: it is chosen
    assert [o["value"] for o in options[1:]] == ["n49"] + [f"n49{d}" for d in range(10)]
    assert options[1]["label"] == "Label n49 (n49)"


def test_an_option_list_the_source_lacks_offers_only_what_is_chosen(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(page, known, as_user, ui)
    spec["sources"]["labels"] = "regions"  # a list this source does not have

    assert _search(as_user, ui, spec, "labels", "") == [{"label": "n1", "value": "n1"}]


def test_a_search_for_a_field_the_form_lacks_changes_nothing(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(page, known, as_user, ui)

    with pytest.raises(PreventUpdate):
        _search(as_user, ui, spec, "nothing", "")


def test_the_run_modal_offers_the_sources_having_the_list(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    lacking = {**known["instances"]["wh"], "name": "Lake", "kinds": ["campaigns"]}
    known["instances"] = {"lake": lacking, **known["instances"]}

    with as_user(ui.owner):
        opened = modal_for(TEMPLATE, known)
        known["instances"]["wh"]["kinds"] = []
        every = modal_for(TEMPLATE, known)["instance_options"]

    assert (opened["instance_options"], opened["instance"]) == (
        [{"label": "Warehouse", "value": "wh"}],
        "wh",
    )
    assert [o["value"] for o in every] == ["lake", "wh"]  # none fits: all, as before

"""The template editor's layout and callbacks, called as the browser calls them."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.worker import SimpleWorker

from components.template_editor import eid
from components.template_editor_read import read_definitions
from components.template_editor_rows import PARAM_FIELDS, WIDGET_FIELDS, create_parameter_row
from db.session import session_scope
from services.runtime import EXECUTIONS_QUEUE
from services.template_authoring import create_template
from services.templates import get_template
from tests.factories import UiWorld
from tests.trees import find_ids, text_of
from workers.context import job_context

SQL = (
    "SELECT x, label FROM numbers WHERE x < {{ below }} AND label <> {{ skip }} "
    "AND day >= CAST({{ window_start }} AS DATE) AND day < CAST({{ window_end }} AS DATE)"
)


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    return importlib.import_module("pages.template_editor")


@pytest.fixture
def rows(ui: UiWorld) -> ModuleType:
    """The parameter and widget rows' callbacks, registered by the page."""
    return importlib.import_module("pages._template_editor_rows")


@pytest.fixture
def preview(ui: UiWorld) -> ModuleType:
    """The preview's callbacks, registered by the page."""
    return importlib.import_module("pages._template_editor_preview")


def params(*rows: dict[str, Any]) -> list[list[Any]]:
    """The parameter rows' State lists, field by field, as Dash passes them."""
    return [[row.get(field) for row in rows] for field in PARAM_FIELDS]


def widgets(*rows: dict[str, Any]) -> list[list[Any]]:
    return [[row.get(field) for row in rows] for field in WIDGET_FIELDS]


BELOW = {"name": "below", "type": "integer", "label": "Below", "default": "4"}
SKIP = {"name": "skip", "type": "text", "label": "Skip", "default": "none"}


def form(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "template_id": None,
        "new_id": "",
        "name": "Small numbers",
        "category": "Tests",
        "description": "",
        "report_type": "table",
        "windowed": True,
        "sql": SQL,
        "ui_schema": {},
        "min_age": 0,
        "columns": [],
        "params": params(BELOW, SKIP),
        "widgets": widgets({"type": "table", "title": "Rows", "x": None, "y": []}),
    }
    fields.update(changes)
    return fields


def make(ui: UiWorld) -> None:
    with session_scope(ui.session_factory) as session:
        create_template(
            session=session,
            actor=ui.owner,
            values={
                "name": "Small numbers",
                "sql_template": SQL,
                "parameter_definitions": [
                    {"name": "below", "type": "integer", "default": 4},
                    {"name": "skip", "type": "text", "default": "none"},
                ],
                "report_config": {"widgets": [{"type": "table", "title": "Rows"}]},
            },
        )


def test_a_viewer_cannot_open_the_new_template_page(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.viewer):
        tree = page.new_layout()

    assert "403" in text_of(tree)


def test_an_analyst_gets_an_empty_editor_with_the_sources(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.owner):
        tree = page.new_layout()

    ids = find_ids(tree)
    assert eid("sql_template") in ids and eid("save") in ids and eid("preview") in ids
    assert "Warehouse" in str(tree)


def test_placeholders_are_listed_as_typed_and_undeclared_ones_marked(rows: ModuleType) -> None:
    badges, declare_class = rows.show_placeholders(SQL, ["below"])

    assert "skip · not declared" in text_of(badges)
    assert "window_start" in text_of(badges)
    assert "d-none" not in declare_class
    _, all_declared = rows.show_placeholders(SQL, ["below", "skip"])
    assert "d-none" in all_declared


def test_declare_adds_a_row_per_undeclared_placeholder(
    ui: UiWorld, as_user: Any, rows: ModuleType
) -> None:
    with as_user(ui.owner, triggered=(eid("declare"), "n_clicks")):
        added, next_index = rows.add_parameters(None, 1, SQL, [], 3)

    assert next_index == 5
    appended = [op for op in added._operations if op["operation"] == "Append"]
    assert [op["params"]["value"].id for op in appended] == [
        {"type": "te-param-row", "index": 3},
        {"type": "te-param-row", "index": 4},
    ]


def test_save_shows_field_errors_next_to_their_fields(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    bad_skip = {**SKIP, "type": "enum"}  # an enum with no options
    with as_user(ui.owner):
        out = page.save_template(1, **form(name="", params=params(BELOW, bad_skip)))

    assert out["href"] is page.no_update
    assert "name" in str(out["feedback"])
    single = dict(zip(page.SINGLE_FIELDS, out["single"], strict=True))
    assert single["name"] and single["sql_template"] is None
    assert out["params"][0] is None and "options" in out["params"][1]


def test_save_creates_the_template_and_goes_to_its_page(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.owner):
        out = page.save_template(1, **form())

    assert out["href"] == "/report-builder/templates/small_numbers/edit?saved=1"
    with session_scope(ui.session_factory) as session:
        made = get_template(session=session, template_id="small_numbers", actor=ui.owner)
    assert [d["default"] for d in made.parameter_definitions] == [4, "none"]
    assert made.owner_name == "Owner" and not made.is_published


def test_widget_columns_must_come_from_the_preview(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    chart = {"type": "bar", "title": "By label", "x": "label", "y": ["total"]}
    with as_user(ui.owner):
        out = page.save_template(1, **form(columns=["x", "label"], widgets=widgets(chart)))

    assert "'total'" in out["widgets"][0]


def test_the_edit_page_lists_versions_and_refuses_others(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    make(ui)
    with as_user(ui.owner):
        mine = page.layout(template_id="small_numbers", saved="1")
    with as_user(ui.other):
        unseen = page.layout(template_id="small_numbers")
    with as_user(ui.admin):
        library = page.layout(template_id="numbers")

    assert "Version 1" in text_of(mine) and "Owner" in text_of(mine)
    assert "Saved: version 1." in text_of(mine)
    assert eid("publish") not in find_ids(mine)  # only admins publish
    assert "not found" in text_of(unseen)
    assert "Library templates" in text_of(library)


def test_an_admin_publishes_from_the_template_page(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    make(ui)
    with as_user(ui.admin):
        tree = page.layout(template_id="small_numbers")
        published = page.publish(1, "small_numbers")

    assert eid("publish") in find_ids(tree)
    assert (published["badge"], published["color"], published["disabled"]) == (
        "Published",
        "success",
        True,
    )
    with session_scope(ui.session_factory) as session:
        assert get_template(session=session, template_id="small_numbers", actor=ui.other)


class InProcessWorker(SimpleWorker):
    """No pub/sub thread: with redis-py 8 closing it waits out a 60-second read."""

    def subscribe(self) -> None:
        pass


@pytest.fixture
def queue(
    redis: Redis,
    worker_env: dict[str, str],
    preview: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Redis]:
    """The preview's Redis is the test's; jobs run here read the test databases."""
    monkeypatch.setattr(preview, "redis_client", lambda: redis)
    for name, value in worker_env.items():
        monkeypatch.setenv(name, value)
    job_context.cache_clear()
    yield redis
    job_context.cache_clear()


def test_preview_runs_on_the_queue_and_shows_rows_and_types(
    ui: UiWorld, as_user: Any, preview: ModuleType, queue: Redis
) -> None:
    with as_user(ui.owner):
        started = preview.start_preview_run(1, "wh", 5, SQL, True, 0, params(BELOW, SKIP))
        waiting = preview.poll_preview(1, started["preview_id"])
        InProcessWorker([Queue(EXECUTIONS_QUEUE, connection=queue)], connection=queue).work(
            burst=True
        )
        shown, poll_disabled, columns = preview.poll_preview(2, started["preview_id"])

    assert started["poll"] is False and "Waiting" in text_of(started["result"])
    assert waiting[1] is False
    assert poll_disabled is True and columns == ["x", "label"]
    assert "int64" in text_of(shown) and "4 rows" in text_of(shown)


def test_a_bad_preview_says_why_without_queueing(
    ui: UiWorld, as_user: Any, preview: ModuleType, queue: Redis
) -> None:
    with as_user(ui.owner):
        started = preview.start_preview_run(1, "wh", 5, SQL, True, 0, params(BELOW))

    assert started["preview_id"] is None and "names no parameter" in text_of(started["result"])
    assert Queue(EXECUTIONS_QUEUE, connection=queue).count == 0


# --- option lists: a parameter picking from one of the source's named lists ---------------

LIST_SQL = (
    "SELECT x, label FROM numbers WHERE ({{ labels.empty }} OR label IN {{ labels }}) "
    "AND day >= CAST({{ window_start }} AS DATE) AND day < CAST({{ window_end }} AS DATE)"
)
LABELS = {"name": "labels", "type": "option_list", "label": "Labels", "options_source": " labels "}


def _component(tree: Any, component_id: Any) -> Any:
    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, list | tuple):
            for child in node:
                walk(child)
        elif hasattr(node, "to_plotly_json"):
            if getattr(node, "id", None) == component_id:
                found.append(node)
            walk(getattr(node, "children", None))

    walk(tree)
    assert len(found) == 1, component_id
    return found[0]


def test_an_option_list_row_is_saved_with_the_name_of_its_list(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.owner):
        out = page.save_template(1, **form(sql=LIST_SQL, params=params(LABELS)))
        assert out["href"] == "/report-builder/templates/small_numbers/edit?saved=1"
        tree = page.layout(template_id="small_numbers")

    with session_scope(ui.session_factory) as session:
        made = get_template(session=session, template_id="small_numbers", actor=ui.owner)
    assert made.parameter_definitions == [
        {
            "name": "labels",
            "type": "option_list",
            "label": "Labels",
            "required": False,
            "default": None,
            "options_source": "labels",
        }
    ]
    source = _component(tree, {"type": "te-param-options_source", "index": 0})
    assert (source.value, source.disabled) == ("labels", False)
    assert _component(tree, {"type": "te-param-options-cell", "index": 0}).class_name == "d-none"
    assert _component(tree, {"type": "te-param-source-cell", "index": 0}).class_name == ""


def test_an_option_list_without_its_list_name_is_an_error_on_its_row(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    nameless = {**LABELS, "options_source": " "}
    with as_user(ui.owner):
        out = page.save_template(1, **form(sql=LIST_SQL, params=params(nameless)))

    assert out["href"] is page.no_update
    assert out["params"][0].startswith("options_source: ")
    assert "needs options_source" in out["params"][0]


def test_the_type_select_offers_option_list_and_shows_the_list_field_for_it(
    rows: ModuleType,
) -> None:
    row = create_parameter_row(0, {"name": "labels", "type": "campaign_ids"})
    types = _component(row, {"type": "te-param-type", "index": 0}).options
    fixed = _component(row, {"type": "te-param-options_source", "index": 0})

    assert "option_list" in [o["value"] for o in types]
    assert (fixed.value, fixed.disabled) == ("campaigns", True)  # shown, not changed
    shown = {kind: rows.show_option_fields(kind) for kind in ("option_list", "asins", "enum")}
    assert shown["option_list"] == {
        "options_cell": "d-none",
        "source_cell": "",
        "source_disabled": False,
        "source": rows.no_update,
    }
    assert shown["asins"] == {
        "options_cell": "d-none",
        "source_cell": "",
        "source_disabled": True,
        "source": "asins",
    }
    assert shown["enum"] == {
        "options_cell": "",
        "source_cell": "d-none",
        "source_disabled": True,
        "source": rows.no_update,
    }


def test_the_read_back_writes_options_source_for_option_lists_only() -> None:
    rows = [
        {"name": "labels", "type": "option_list", "options_source": "labels "},
        {"name": "ids", "type": "campaign_ids", "options_source": "campaigns"},
        {"name": "kind", "type": "enum", "options": "a, b", "options_source": "stale"},
        {"name": "picked", "type": "option_list", "default": "n1, n2", "options_source": ""},
    ]
    fields = {field: [row.get(field) for row in rows] for field in PARAM_FIELDS}

    read = read_definitions(fields)

    assert [d.get("options_source") for d in read] == ["labels", None, None, None]
    assert read[3]["default"] == ["n1", "n2"]

"""The template editor's Schema card: the tables and columns of the Preview card's source,
its search, and why a source's schema cannot be shown, through the card's callbacks."""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from components import template_schema
from components.template_editor import eid
from db.session import session_scope
from services.instances import save_instance
from services.template_authoring import create_template
from services.users import Actor, create_user
from tests.factories import TEST_SECRET_KEY, UiWorld
from tests.trees import find_ids, text_of


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    return importlib.import_module("pages.template_editor")


def _add_sqlite_source(ui: UiWorld, instance_id: str, path: Path) -> None:
    with session_scope(ui.session_factory) as session:
        save_instance(
            session=session,
            secret_key=TEST_SECRET_KEY,
            instance_id=instance_id,
            name=instance_id.capitalize(),
            engine="sqlite",
            connection_url=f"sqlite:///{path}",
        )
        session.commit()


@pytest.fixture
def shop(ui: UiWorld, tmp_path: Path) -> Path:
    """A SQLite source `shop` with two tables, granted to the analyst `author` only."""
    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE orders (order_id INTEGER, spend DECIMAL(10,2), day DATE)")
        connection.execute("CREATE TABLE customers (customer_id INTEGER, email TEXT)")
    connection.close()
    _add_sqlite_source(ui, "shop", path)
    return path


@pytest.fixture
def author(ui: UiWorld, shop: Path) -> Actor:
    with session_scope(ui.session_factory) as session:
        actor = create_user(
            session=session,
            email="author@example.com",
            role="analyst",
            name="Author",
            instance_ids=["wh", "shop"],
        )
        session.commit()
    return actor


def _schema(as_user: Any, actor: Actor, instance_id: str | None, search: str = "") -> Any:
    with as_user(actor, triggered=(eid("source"), "value"), value=instance_id):
        data = template_schema.load_schema(instance_id)
    return data, template_schema.show_schema(data, search)


def test_both_editor_pages_show_the_schema_card_under_the_preview(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        create_template(
            session=session,
            actor=ui.owner,
            values={
                "name": "Mine",
                "sql_template": "SELECT x FROM numbers",
                "parameter_definitions": [],
                "windowed": False,
                "report_config": {"widgets": [{"type": "table", "title": "Rows"}]},
            },
        )
    with as_user(ui.owner):
        trees = [page.new_layout(), page.layout(template_id="mine")]

    for tree in trees:
        ids = find_ids(tree)
        assert ids.index(eid("source")) < ids.index(eid("schema-card"))
        assert eid("schema-search") in ids and eid("schema-body") in ids
        assert eid("schema-data") in ids


def test_an_analyst_sees_the_tables_and_columns_of_a_granted_sqlite_source(
    as_user: Any, author: Actor
) -> None:
    data, body = _schema(as_user, author, "shop")

    assert "error" not in data
    said = text_of(body)
    assert "2 tables" in said
    assert "customers · 2 columns" in str(body) and "orders · 3 columns" in str(body)
    assert "spend" in said and "DECIMAL(10,2)" in said
    assert eid("schema-tables") in find_ids(body)


def test_the_duckdb_warehouse_shows_its_table_and_types(ui: UiWorld, as_user: Any) -> None:
    data, body = _schema(as_user, ui.owner, "wh")

    assert [t["name"] for t in data["tables"]] == ["numbers"]
    assert "numbers · 3 columns" in str(body)
    assert "label" in text_of(body) and "VARCHAR" in text_of(body)


def test_a_source_not_granted_is_refused_in_words(ui: UiWorld, as_user: Any, shop: Path) -> None:
    _, body = _schema(as_user, ui.owner, "shop")

    assert eid("schema-error") in find_ids(body)
    assert "Instance 'shop' was not found" in text_of(body)
    assert "you may not have access to it" in text_of(body)
    assert "customers" not in str(body)


def test_an_unreachable_source_says_why(ui: UiWorld, as_user: Any, tmp_path: Path) -> None:
    gone = tmp_path / "gone.sqlite"
    sqlite3.connect(gone).close()
    _add_sqlite_source(ui, "gone", gone)
    gone.unlink()
    with session_scope(ui.session_factory) as session:
        analyst = create_user(
            session=session,
            email="gone@example.com",
            role="analyst",
            instance_ids=["gone"],
        )
        session.commit()

    _, body = _schema(as_user, analyst, "gone")

    assert eid("schema-error") in find_ids(body)
    assert "The schema cannot be read now" in text_of(body)
    assert "does not exist" in text_of(body)


def test_the_search_filters_tables_and_columns_by_name(as_user: Any, author: Actor) -> None:
    data, _ = _schema(as_user, author, "shop")

    by_table = template_schema.show_schema(data, "  CUST ")
    assert "1 table matches “CUST”" in text_of(by_table)
    assert "customers · 2 columns" in str(by_table) and "orders" not in str(by_table)

    by_column = template_schema.show_schema(data, "_id")
    assert "2 tables match" in text_of(by_column)
    assert "orders · 1 column" in str(by_column) and "customers · 1 column" in str(by_column)
    assert "spend" not in text_of(by_column) and "email" not in text_of(by_column)

    nothing = template_schema.show_schema(data, "zzz")
    assert find_ids(nothing) == [eid("schema-no-match")]
    assert "No table or column matches “zzz”." in text_of(nothing)


def _component(tree: Any, component_id: str) -> Any:
    if isinstance(tree, list | tuple):
        found = (_component(child, component_id) for child in tree)
        return next((node for node in found if node is not None), None)
    if not hasattr(tree, "to_plotly_json"):
        return None
    if getattr(tree, "id", None) == component_id:
        return tree
    return _component(getattr(tree, "children", None), component_id)


def test_a_search_opens_the_few_tables_it_finds(as_user: Any, author: Actor) -> None:
    data, everything = _schema(as_user, author, "shop")
    searched = template_schema.show_schema(data, "spend")

    everything_accordion = _component(everything, eid("schema-tables"))
    assert everything_accordion.start_collapsed is True
    assert getattr(everything_accordion, "active_item", None) is None
    assert _component(searched, eid("schema-tables")).active_item == ["main.orders"]


def test_no_source_chosen_shows_a_hint(ui: UiWorld, as_user: Any) -> None:
    data, body = _schema(as_user, ui.owner, None)

    assert data is None
    assert "Choose a source above" in text_of(body)

"""Admin → Data sources: admins only; the table, the form's values and field errors, the
connection test, the refused delete and the schema view, through the page's callbacks."""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from dash.exceptions import PreventUpdate
from sqlalchemy.engine import make_url

from components import source_form
from components.source_table import DELETE, SCHEMA, TEST
from services.data_sources import get_source
from tests.factories import TEST_SECRET_KEY, UiWorld
from tests.trees import find_ids, text_of


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    return importlib.import_module("pages.admin_sources")


def _form(
    mode: str = "fields", lists: dict[str, str] | None = None, **fields: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {key: None for key in source_form.FIELDS}
    values.update(
        {
            "engine": "sqlite",
            "timezone": "UTC",
            "data_lag_days": 0,
            "max_lookback_days": 365,
            "max_concurrency": 10,
            "statement_timeout_seconds": 300,
        }
    )
    values.update(fields)
    lists = lists or {}
    return {
        "fields": values,
        "mode": mode,
        "list_names": list(lists),
        "list_sql": list(lists.values()),
    }


@pytest.mark.parametrize("role", ["owner", "viewer"])
def test_anyone_but_an_admin_gets_a_403_page(
    ui: UiWorld, as_user: Any, page: ModuleType, role: str
) -> None:
    with as_user(getattr(ui, role)):
        tree = page.layout()

    assert "403" in text_of(tree)
    assert "admin-sources-forbidden" in find_ids(tree)


def test_the_table_lists_sources_with_their_reports_and_tests(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.admin):
        assert {"admin-sources-table", "admin-sources-add", "admin-tabs"} <= set(
            find_ids(page.layout())
        )
        table = page.show_sources(0, {"wh": {"ok": True, "latency_ms": 3.5, "error": None}})
    with as_user(ui.owner):
        refused = page.show_sources(0, {})

    text = text_of(table)
    assert "Warehouse" in text and "DuckDB" in text and "ok · 3.5 ms" in text
    assert {"type": TEST, "index": "wh"} in find_ids(table)
    assert "403" in text_of(refused)


def test_a_row_test_records_ok_and_latency(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with as_user(ui.admin, triggered=({"type": TEST, "index": "wh"}, "n_clicks")):
        checks = page.test_row([1], {})

    assert checks["wh"]["ok"] is True and checks["wh"]["latency_ms"] > 0


def test_saving_a_new_source_and_its_field_errors(
    ui: UiWorld, as_user: Any, page: ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    sqlite3.connect(path).close()
    bad = _form(
        **{"name": "Shop", "max_lookback_days": 400, "connection.database": "shop.db"},
        lists={"campaigns": "DELETE FROM x"},
    )
    with as_user(ui.admin, triggered=("admin-sources-save", "n_clicks")):
        failed = page.save(1, None, 0, bad)
        saved = page.save(1, None, 0, _form(**{"name": "Shop", "connection.database": str(path)}))

    assert failed["open"] is True
    assert failed["errors"]["invalid"]["max_lookback_days"] is True
    assert "365" in failed["errors"]["messages"]["max_lookback_days"]
    assert "absolute path" in failed["errors"]["messages"]["connection.database"]
    assert "Option list 'campaigns'" in text_of(failed["errors"]["general"])
    assert saved["open"] is False and saved["refresh"] == 1
    assert "Shop (shop) added." in text_of(saved["feedback"])


def test_an_edit_opens_filled_without_the_secret_and_an_empty_password_keeps_it(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with ui.session_factory() as session:
        from services.data_sources import create_source

        create_source(
            session=session,
            actor=ui.admin,
            secret_key=TEST_SECRET_KEY,
            values={
                "instance_id": "pg",
                "name": "PG",
                "engine": "postgresql",
                "connection": {
                    "host": "db",
                    "database": "shop",
                    "user": "me",
                    "password": "pw-secret-1",
                },
            },
        )
        session.commit()
    with as_user(
        ui.admin, triggered=({"type": "admin-sources-row-edit", "index": "pg"}, "n_clicks")
    ):
        opened = page.open_form(None, [1])
    form = _form(**opened["values"])
    form["fields"]["connection.host"] = "db2"
    with as_user(ui.admin):
        moved = page.save(1, "pg", 0, form)
        form["fields"]["connection.host"] = "db"
        form["fields"]["max_concurrency"] = 3
        saved = page.save(1, "pg", 0, form)

    assert (
        opened["values"]["connection.host"] == "db"
        and opened["values"]["connection.password"] is None
    )
    assert opened["password_hint"] == "unchanged" and opened["id_disabled"] is True
    assert "pw-secret-1" not in repr(opened)
    assert moved["open"] is True
    assert "Enter the password again" in moved["errors"]["messages"]["connection.password"]
    assert saved["open"] is False
    with ui.session_factory() as session:
        source = get_source(
            session=session, actor=ui.admin, secret_key=TEST_SECRET_KEY, instance_id="pg"
        )
    assert source.host == "db" and source.has_password and source.max_concurrency == 3


def test_the_form_tests_an_unsaved_connection(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    form = _form(**{"name": "X", "connection.database": "/nowhere/x.db"})
    with as_user(ui.admin):
        result = page.test_form(1, None, form)

    assert "does not exist" in text_of(result)


def test_deleting_a_source_in_use_shows_the_refusal(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.admin, triggered=({"type": DELETE, "index": "wh"}, "n_clicks")):
        asked = page.ask_delete([1])
        refused = page.confirm_delete(1, asked["target"], 0)

    assert asked["open"] is True and asked["target"] == "wh" and "wh" in text_of(asked["question"])
    assert refused["open"] is True
    assert "1 report uses this source; delete or move them first." in text_of(refused["error"])


def test_cancel_closes_the_form_and_the_delete_question_but_a_redraw_does_not(
    page: ModuleType,
) -> None:
    assert page.cancel_form(1) is False
    assert page.cancel_delete(1) is False
    with pytest.raises(PreventUpdate):
        page.cancel_delete(None)


def test_the_schema_view_lists_tables_and_columns(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.admin, triggered=({"type": SCHEMA, "index": "wh"}, "n_clicks")):
        is_open, title, body = page.show_schema([1])

    assert is_open and title == "Schema of wh"
    assert "numbers · 3 columns" in text_of(body) or "numbers" in str(body)
    assert "label" in str(body)


def test_form_values_leave_out_empty_secrets() -> None:
    values = source_form.form_values(
        _form(
            **{
                "name": "N",
                "engine": "postgresql",
                "connection.host": "h",
                "connection.password": "",
                "connection.options": "sslmode=require&application_name=rb",
            }
        ),
        editing=True,
    )

    assert values["connection"] == {
        "host": "h",
        "options": {"sslmode": "require", "application_name": "rb"},
    }
    assert source_form.form_values(_form(mode="url"), editing=True)["connection"] == {}


def test_two_option_lists_with_one_name_are_a_field_error(
    ui: UiWorld, as_user: Any, page: ModuleType, tmp_path: Path
) -> None:
    path = tmp_path / "shop.db"
    sqlite3.connect(path).close()
    form = _form(**{"name": "Shop", "connection.database": str(path)})
    form["list_names"] = ["campaigns", "campaigns "]
    form["list_sql"] = ["SELECT 1 AS value, 'a' AS label", "SELECT 2 AS value, 'b' AS label"]
    with as_user(ui.admin):
        failed = page.save(1, None, 0, form)
        tested = page.test_form(1, None, form)

    assert failed["open"] is True
    assert "Option list 'campaigns': Two lists are named campaigns" in text_of(
        failed["errors"]["general"]
    )
    assert "Two lists are named campaigns" in text_of(tested)


def test_a_source_cannot_be_the_metadata_database(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.admin):
        metadata = make_url(page.get_settings().database_url).database
        failed = page.save(1, None, 0, _form(**{"name": "Meta", "connection.database": metadata}))

    assert "metadata database" in failed["errors"]["messages"]["connection.database"]


@pytest.mark.parametrize(("kind", "shown"), [("sqlite", False), ("duckdb", False), ("mysql", True)])
def test_file_engines_show_only_the_file_path(page: ModuleType, kind: str, shown: bool) -> None:
    styles = page.show_engine_fields(kind)

    assert list(styles) == list(source_form.SERVER_BOXES)
    assert all((style == {}) is shown for style in styles.values())
    values = source_form.form_values(
        _form(
            **{
                "name": "N",
                "engine": kind,
                "connection.host": "h",
                "connection.user": "u",
                "connection.database": "/data/x.db",
            }
        ),
        editing=False,
    )
    if shown:
        assert values["connection"]["host"] == "h"
    else:
        assert values["connection"] == {"database": "/data/x.db"}

"""The parameter form in headless Chromium: what the user types in a number or a day field
reaches the service as typed, and its message shows next to that field (a number input
would hand "abc" over as nothing; a date picker would drop 2025-02-30 without a word)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from components import ids
from components.ids import RUN_FORM
from db.session import session_scope
from services.instances import save_instance
from services.users import create_user
from settings import load_settings
from tests.browser.helpers import (
    attribute,
    click,
    script_click,
    severe_logs,
    sign_in_browser,
    type_into,
)
from tests.factories import add_template, make_warehouse

pytestmark = pytest.mark.browser

SECRET_KEY = "test"
TEMPLATE = "typed_values"
DEFINITIONS = [
    {"name": "top_n", "type": "integer", "label": "Rows", "required": True, "default": 50},
    {"name": "day", "type": "date", "label": "Day"},
]


def by_id(component_id: Any) -> str:
    return f"[id='{ids.dom_id(component_id)}']"


@pytest.fixture
def form(dash_duo: Any, tmp_path: Path, browser_session_factory: sessionmaker[Session]) -> Any:
    """The run modal of a template with a required integer and a day, open in the browser."""
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    with session_scope(browser_session_factory) as session:
        save_instance(
            session=session,
            secret_key=SECRET_KEY,
            instance_id="wh",
            name="Warehouse",
            engine="duckdb",
            connection_url=f"duckdb:///{warehouse}",
        )
        session.commit()
        add_template(
            session,
            TEMPLATE,
            "SELECT x FROM numbers WHERE x < {{ top_n }} AND day >= CAST({{ day }} AS DATE)",
            parameter_definitions=DEFINITIONS,
        )
        analyst = create_user(
            session=session, email="ana@example.com", role="analyst", instance_ids=["wh"]
        )
    settings = load_settings({"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": SECRET_KEY})
    app = create_app(settings, session_factory=browser_session_factory)
    dash_duo.start_server(app)
    sign_in_browser(dash_duo, app, analyst.id)
    dash_duo.driver.get(dash_duo.server_url + "/report-builder")
    script_click(dash_duo, by_id(ids.template_use_id(TEMPLATE)))
    dash_duo.wait_for_element(by_id(ids.param_id(RUN_FORM, "top_n")))
    return dash_duo


def test_typed_numbers_and_days_get_the_services_message_next_to_their_field(form: Any) -> None:
    dash_duo = form
    top_n = by_id(ids.param_id(RUN_FORM, "top_n"))
    top_n_error = by_id(ids.error_id(RUN_FORM, "top_n"))

    type_into(dash_duo, top_n, "abc", clear=True)
    dash_duo.wait_for_text_to_equal(top_n_error, "Enter a whole number.")
    type_into(dash_duo, top_n, "20", clear=True)
    dash_duo.wait_for_text_to_equal(top_n_error, "")
    type_into(dash_duo, top_n, "2.5", clear=True)
    dash_duo.wait_for_text_to_equal(top_n_error, "Enter a whole number.")

    type_into(dash_duo, by_id(ids.param_id(RUN_FORM, "day", "date")), "2025-02-30", clear=True)
    dash_duo.wait_for_text_to_equal(
        by_id(ids.error_id(RUN_FORM, "day")), "Not a valid date: 2025-02-30 does not exist."
    )
    typed = attribute(dash_duo, by_id(ids.param_id(RUN_FORM, "day", "date")), "value")
    assert typed == "2025-02-30"  # kept as typed, never cleared

    type_into(dash_duo, top_n, "", clear=True)  # cleared: "required" once the user goes on
    dash_duo.wait_for_text_to_equal(top_n_error, "")
    click(dash_duo, "#report-builder-modal-next")
    dash_duo.wait_for_text_to_equal(top_n_error, "This field is required.")
    assert severe_logs(dash_duo) == []

"""The Report Builder in headless Chromium: the template grid, the run modal's four steps
(field errors, schedule preview and meaning, a 12-week backfill) and the Reports tab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from components import ids
from components.ids import RUN_FORM
from db.session import session_scope
from services.backfills import report_backfills
from services.instances import save_instance
from services.reports import list_reports
from services.users import Actor, create_user
from settings import load_settings
from tests.browser.helpers import (
    SCREENSHOTS,
    attribute,
    click,
    read_fresh,
    script_click,
    sign_in_browser,
    text,
    texts,
    type_into,
    wait_for,
)
from tests.factories import add_template, make_warehouse

pytestmark = pytest.mark.browser

SECRET_KEY = "test"
TEMPLATE = "weekly_numbers"
SQL = """
SELECT x, label FROM numbers
WHERE x < {{ top_n }} AND ({{ channel }} = 'all' OR label = {{ channel }})
  AND day >= CAST({{ window_start }} AS DATE) AND day < CAST({{ window_end }} AS DATE)
"""
DEFINITIONS = [
    {
        "name": "top_n",
        "type": "integer",
        "label": "Rows shown",
        "required": True,
        "default": 50,
        "min": 1,
        "max": 500,
        "help": "How many numbers to keep.",
    },
    {
        "name": "channel",
        "type": "enum",
        "label": "Channel",
        "required": True,
        "default": "all",
        "options": [{"value": "all", "label": "All channels"}, {"value": "n1", "label": "N1"}],
    },
    {"name": "period", "type": "date_range", "label": "Period", "default": "last_7_days"},
    {"name": "campaigns", "type": "campaign_ids", "label": "Campaigns", "help": "Empty: all."},
]


@pytest.fixture
def analyst(tmp_path: Path, browser_session_factory: sessionmaker[Session]) -> Actor:
    """A DuckDB instance with a campaigns list, two templates and an analyst granted it."""
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb")
    with session_scope(browser_session_factory) as session:
        save_instance(
            session=session,
            secret_key=SECRET_KEY,
            instance_id="wh",
            name="Warehouse",
            engine="duckdb",
            connection_url=f"duckdb:///{warehouse}",
            data_lag_days=2,
            metadata_queries={
                "campaigns": "SELECT label AS value, label FROM numbers "
                "WHERE label LIKE '%' || {{ search }} || '%' ORDER BY x"
            },
        )
        session.commit()
        add_template(
            session,
            TEMPLATE,
            SQL,
            parameter_definitions=DEFINITIONS,
            description="Numbers below a bound, per window: a stand-in for campaign metrics.",
            category="Campaigns",
            report_type="table",
            ui_schema={
                "order": ["top_n", "channel", "period", "campaigns"],
                "fields": {"top_n": {"width": 4, "presets": [10, 50, 100]}},
            },
        )
        add_template(
            session,
            "funnel_numbers",
            "SELECT 1 AS one",
            parameter_definitions=[],
            description="A funnel with no parameters.",
            category="Attribution",
            report_type="funnel",
        )
        actor = create_user(
            session=session,
            email="ana@example.com",
            role="analyst",
            name="Ana",
            instance_ids=["wh"],
        )
    return actor


@pytest.fixture
def builder(
    dash_duo: Any, tmp_path: Path, browser_session_factory: sessionmaker[Session], analyst: Actor
) -> Any:
    """The app running, the analyst signed in, on the Report Builder at 1280×800."""
    settings = load_settings({"DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": SECRET_KEY})
    app = create_app(settings, session_factory=browser_session_factory)
    set_viewport(dash_duo.driver, 1280, 800)
    dash_duo.start_server(app)
    sign_in_browser(dash_duo, app, analyst.id)
    dash_duo.driver.get(dash_duo.server_url + "/report-builder")
    dash_duo.wait_for_element(by_id(ids.template_use_id(TEMPLATE)))
    return dash_duo


def by_id(component_id: Any) -> str:
    """A CSS selector for a component id, dict ids included."""
    return f"[id='{ids.dom_id(component_id)}']"


def set_viewport(driver: Any, width: int, height: int) -> None:
    """Size the page area (not the window, which adds browser chrome)."""
    driver.set_window_size(width, height)
    inner_width, inner_height = driver.execute_script(
        "return [window.innerWidth, window.innerHeight];"
    )
    driver.set_window_size(2 * width - inner_width, 2 * height - inner_height)


def severe_logs(dash_duo: Any) -> list[dict[str, Any]]:
    # Chromium asks for /favicon.ico on its own; Dash serves its icon elsewhere.
    return [entry for entry in dash_duo.get_logs() if "favicon.ico" not in entry.get("message", "")]


def open_modal(dash_duo: Any) -> None:
    # A script click: under phone emulation Selenium's clicks miss scrolled elements.
    script_click(dash_duo, by_id(ids.template_use_id(TEMPLATE)))
    dash_duo.wait_for_contains_text(".modal-title", "Weekly Numbers")
    dash_duo.wait_for_element(by_id(ids.param_id(RUN_FORM, "top_n")))


def choose_run_type(dash_duo: Any, label: str) -> None:
    click(dash_duo, f"//label[.//strong[normalize-space()='{label}']]", by=By.XPATH)


def choose_option(dash_duo: Any, dropdown: str, search: str, option: str) -> None:
    """Open a Dash dropdown, search, and pick the option with this text."""
    click(dash_duo, dropdown)
    type_into(dash_duo, ".dash-dropdown-content .dash-dropdown-search", search)
    xpath = f"//*[contains(@class, 'dash-dropdown-option')][normalize-space()='{option}']"
    click(dash_duo, xpath, by=By.XPATH)


def card_names(dash_duo: Any) -> list[str]:
    return texts(dash_duo, ".template-card .card-title")


def test_the_template_grid_filters_by_search_and_category(builder: Any) -> None:
    dash_duo = builder
    assert card_names(dash_duo) == ["Funnel Numbers", "Weekly Numbers"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "report-builder-templates.png"))

    type_into(dash_duo, "#report-builder-template-search", "bound")
    wait_for(lambda: card_names(dash_duo) == ["Weekly Numbers"], timeout=5)
    dash_duo.wait_for_text_to_equal("#report-builder-template-count", "1 of 2 templates match.")

    type_into(dash_duo, "#report-builder-template-search", "", clear=True)
    click(dash_duo, "#report-builder-template-category option[value='Attribution']")
    wait_for(lambda: card_names(dash_duo) == ["Funnel Numbers"], timeout=5)

    click(dash_duo, "#report-builder-template-type option[value='table']")
    dash_duo.wait_for_contains_text("#report-builder-templates-empty", "No template matches")
    click(dash_duo, "#report-builder-template-clear")
    wait_for(lambda: len(card_names(dash_duo)) == 2, timeout=5)
    assert severe_logs(dash_duo) == []


def test_a_form_with_one_invalid_field_shows_that_fields_error(builder: Any) -> None:
    dash_duo = builder
    open_modal(dash_duo)
    type_into(dash_duo, by_id(ids.param_id(RUN_FORM, "top_n")), "9999", clear=True)

    error = by_id(ids.error_id(RUN_FORM, "top_n"))
    dash_duo.wait_for_text_to_equal(error, "Must be at most 500.")
    field_class = attribute(dash_duo, by_id(ids.field_id(RUN_FORM, "top_n")), "class")
    assert "rb-field-invalid" in (field_class or "")
    others = [
        text(dash_duo, by_id(ids.error_id(RUN_FORM, name)))
        for name in ("channel", "period", "campaigns")
    ]
    assert others == ["", "", ""]  # the error is next to its field, nowhere else
    label = f"label[for='{ids.dom_id(ids.param_id(RUN_FORM, 'top_n'))}']"
    assert text(dash_duo, label).startswith("Rows shown")

    click(dash_duo, "#report-builder-modal-next")  # refused: still on step 1
    dash_duo.wait_for_contains_text("#report-builder-modal-hint", "Fix the fields marked in red")

    click(dash_duo, by_id(ids.quick_pick_id(RUN_FORM, "top_n", 100)))
    wait_for(lambda: dash_duo.find_element(error).text == "", timeout=5)
    assert severe_logs(dash_duo) == []


def test_a_weekly_schedule_shows_the_next_5_runs_in_the_chosen_zone(builder: Any) -> None:
    dash_duo = builder
    open_modal(dash_duo)
    click(dash_duo, "#report-builder-modal-next")
    dash_duo.wait_for_element("#report-builder-step-2:not(.d-none)")

    choose_run_type(dash_duo, "On a schedule")
    dash_duo.wait_for_element("#report-builder-recurring:not(.d-none)")
    choose_option(dash_duo, "#report-builder-timezone", "Tokyo", "Asia/Tokyo")

    def runs() -> list[str]:
        return texts(dash_duo, "#report-builder-next-runs li")

    wait_for(lambda: len(runs()) == 5 and all("JST" in r for r in runs()), timeout=10)
    assert all(r.startswith("Mon ") and "06:00 JST" in r for r in runs())
    assert all(r.endswith(":00 UTC") and "21:00 UTC" in r for r in runs())  # Sunday 21:00 UTC
    dash_duo.driver.execute_script(
        "document.querySelector('#report-builder-next-runs').scrollIntoView({block: 'end'});"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "report-builder-run-modal.png"))
    assert severe_logs(dash_duo) == []


def test_a_weekly_schedule_on_a_chosen_weekday_says_its_meaning_in_words(builder: Any) -> None:
    dash_duo = builder
    open_modal(dash_duo)
    click(dash_duo, "#report-builder-modal-next")
    dash_duo.wait_for_element("#report-builder-step-2:not(.d-none)")
    choose_run_type(dash_duo, "On a schedule")
    dash_duo.wait_for_element("#report-builder-recurring:not(.d-none)")
    choose_option(dash_duo, "#report-builder-timezone", "Tokyo", "Asia/Tokyo")

    click(dash_duo, "#report-builder-frequency option[value='weekly']")
    dash_duo.wait_for_element("#report-builder-weekday-field:not(.d-none)")
    click(dash_duo, "#report-builder-weekday option[value='2']")
    type_into(dash_duo, "#report-builder-time", "0730")

    meaning = "At 07:30, only on Wednesday (Asia/Tokyo)"
    dash_duo.wait_for_text_to_equal("#report-builder-meaning", meaning)

    def runs() -> list[str]:
        return texts(dash_duo, "#report-builder-next-runs li")

    wait_for(lambda: len(runs()) == 5 and all(r.startswith("Wed ") for r in runs()), timeout=10)
    assert all("07:30 JST" in r and "22:30 UTC" in r for r in runs())  # Tuesday 22:30 UTC
    assert "d-none" in (attribute(dash_duo, "#report-builder-day-field", "class") or "")

    click(dash_duo, "#report-builder-modal-next")
    dash_duo.wait_for_contains_text(
        "#report-builder-step-3", "Run it on its schedule: at 07:30, only on Wednesday (Asia/Tokyo)"
    )
    assert severe_logs(dash_duo) == []


def test_a_12_week_backfill_lands_on_the_report_and_the_reports_tab_lists_it(
    builder: Any, browser_session_factory: sessionmaker[Session], analyst: Actor
) -> None:
    dash_duo = builder
    open_modal(dash_duo)
    type_into(dash_duo, "#report-builder-name", "Numbers history", clear=True)
    click(dash_duo, "#report-builder-modal-next")
    dash_duo.wait_for_element("#report-builder-step-2:not(.d-none)")

    choose_run_type(dash_duo, "Backfill history")
    click(dash_duo, by_id(ids.lookback_preset_id(84)))
    dash_duo.wait_for_contains_text("#report-builder-segments-preview", "84 days")
    dash_duo.wait_for_contains_text("#report-builder-freshness", "arrives 2 days late")
    click(dash_duo, "#report-builder-modal-next")
    dash_duo.wait_for_contains_text("#report-builder-step-3", "Backfill 84 days")
    dash_duo.wait_for_contains_text("#report-builder-preview-sql", "FROM numbers")

    click(dash_duo, "#report-builder-modal-submit")
    wait_for(lambda: "/reports/rpt_" in dash_duo.driver.current_url, timeout=15)

    report_id = dash_duo.driver.current_url.rsplit("/", 1)[-1]
    with session_scope(browser_session_factory) as session:
        (backfill,) = report_backfills(session=session, actor=analyst, report_id=report_id)
        reports = list_reports(session=session, actor=analyst).items
    assert [r.name for r in reports] == ["Numbers history"]
    assert backfill.segment_type == "weekly"
    assert (backfill.end_date - backfill.start_date).days + 1 == 84
    assert backfill.total_segments in (12, 13)  # 12 ISO weeks, 13 when clipped at both ends

    dash_duo.driver.get(dash_duo.server_url + "/report-builder?tab=reports")
    dash_duo.wait_for_contains_text("#report-builder-reports-grid", "Numbers history")
    dash_duo.wait_for_text_to_equal("#report-builder-reports-count", "1 report.")
    row = text(dash_duo, "#report-builder-reports-grid .ag-row")
    assert "Pending" in row and "Weekly Numbers" in row
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "report-builder-reports.png"))
    assert severe_logs(dash_duo) == []


def test_the_builder_fits_a_390_pixel_phone(builder: Any) -> None:
    dash_duo = builder
    # Chromium keeps windows wider than a phone: emulate the phone's screen instead.
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 800, "deviceScaleFactor": 1, "mobile": True},
    )
    dash_duo.driver.get(dash_duo.server_url + "/report-builder")
    dash_duo.wait_for_element(by_id(ids.template_use_id(TEMPLATE)))
    open_modal(dash_duo)

    inner_width, page_width = dash_duo.driver.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth];"
    )
    next_shown = read_fresh(
        lambda: dash_duo.find_element("#report-builder-modal-next").is_displayed()
    )
    assert inner_width == 390 and page_width <= 390  # nothing sticks out sideways
    assert next_shown
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "report-builder-phone.png"))
    assert severe_logs(dash_duo) == []

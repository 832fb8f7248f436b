"""The Report Builder page's layout and callbacks (pages/report_builder.py and its
_builder_modal, _builder_steps and _builder_reports, with the parameter form's), called as
plain functions inside a request of the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import dash
import pytest
from dash import no_update
from dash.exceptions import PreventUpdate
from sqlalchemy import event, func, select

from components import ids, parameter_form, reports_grid
from components.ids import RUN_FORM, page_id
from components.parameter_values import INVALID_FIELD_CLASS
from components.progress import IDLE_PLAN
from db.models import Instance, ReportDefinition, User
from db.session import session_scope
from pages import _builder_modal as modal
from pages import _builder_reports as reports
from pages import _builder_steps as steps
from services.backfill_plans import backfill_window, segments
from services.backfills import report_backfills
from services.executions import list_executions, run_report
from services.reports import create_report, get_report, list_reports
from services.schedules import create_schedule, report_schedule
from services.templates import list_templates
from services.windows import freshest_day
from tests.factories import UiWorld, add_template
from tests.trees import find_ids, text_of

TEMPLATE = "campaign_numbers"
SQL = """
SELECT x, label FROM numbers
WHERE x < {{ top_n }} AND ({{ channel }} = 'all' OR label = {{ channel }})
  AND day >= CAST({{ window_start }} AS DATE) AND day < CAST({{ window_end }} AS DATE)
"""
DEFINITIONS = [
    {"name": "top_n", "type": "integer", "label": "Rows", "required": True, "min": 1, "max": 500},
    {
        "name": "channel",
        "type": "enum",
        "label": "Channel",
        "required": True,
        "default": "all",
        "options": [{"value": "all", "label": "All channels"}, {"value": "n1", "label": "N1"}],
    },
    {"name": "period", "type": "date_range", "label": "Period", "default": "last_7_days"},
    {"name": "campaigns", "type": "campaign_ids", "label": "Campaigns"},
]
#: The demo-like metadata query of the test instance: campaigns are the numbers' labels.
CAMPAIGNS_SQL = (
    "SELECT label AS value, 'Campaign ' || label AS label FROM numbers "
    "WHERE label LIKE '%' || {{ search }} || '%' ORDER BY x"
)


@pytest.fixture
def page(ui: UiWorld) -> ModuleType:
    """The page module with a second template and a campaigns list on the instance."""
    with session_scope(ui.session_factory) as session:
        add_template(
            session,
            TEMPLATE,
            SQL,
            parameter_definitions=DEFINITIONS,
            category="Campaigns",
            report_type="table",
            ui_schema={"order": ["channel", "top_n"], "fields": {"top_n": {"presets": [10]}}},
        )
        instance = session.scalars(select(Instance)).one()
        instance.metadata_queries = {"campaigns": CAMPAIGNS_SQL}
    return importlib.import_module("pages.report_builder")


@pytest.fixture
def known(ui: UiWorld, as_user: Any, page: ModuleType) -> dict[str, Any]:
    """The page's catalogue store, as the owner's page load wrote it."""
    with as_user(ui.owner):
        tree = page.layout()
    return next(c for c in _walk(tree) if getattr(c, "id", None) == page_id("catalogue")).data


def _walk(node: Any) -> list[Any]:
    if isinstance(node, list | tuple):
        return [found for child in node for found in _walk(child)]
    if not hasattr(node, "to_plotly_json"):
        return []
    return [node, *_walk(getattr(node, "children", None))]


def _find(tree: Any, component_id: Any) -> Any:
    return next(c for c in _walk(tree) if getattr(c, "id", None) == component_id)


def _spec(known: dict[str, Any], page: ModuleType, as_user: Any, ui: UiWorld) -> dict[str, Any]:
    with as_user(ui.owner):
        outputs = modal.modal_for(TEMPLATE, known)
    return _find(outputs["form"], ids.form_store_id(RUN_FORM, "spec")).data


def _form_args(top_n: Any = 50, channel: str = "all") -> dict[str, list[Any]]:
    """What the wildcard States hold for the test form (value kind: channel, top_n)."""
    return {
        "value": [channel, top_n],
        "search": [["n1"]],
        "preset": ["last_7_days"],
        "date": [],
        "start": [None],
        "end": [None],
    }


#: Step 2's fields as a new report starts: once, the schedule fields of a weekly schedule.
PLAN_FIELDS = {
    "run_type": "once",
    "frequency": "weekly",
    "weekday": "0",
    "day": "1",
    "time": "06:00",
    "timezone": "UTC",
    "cron": "",
    "run_now": False,
    "with_backfill": False,
    "segment": "weekly",
    "lookback": "182",
}


def _states(
    spec: dict[str, Any],
    known: dict[str, Any],
    *,
    step: int,
    name: str = "Weekly numbers",
    top_n: Any = 50,
    **plan: Any,
) -> list[Any]:
    """The FORM_STATES of the modal, in order, as the browser sends them; `plan` changes
    step 2's fields (PLAN_FIELDS)."""
    form = _form_args(top_n)
    state = {
        "template_id": TEMPLATE,
        "template_name": "Campaign Numbers",
        "min_data_age_days": 0,
        "step": step,
    }
    fields = {**PLAN_FIELDS, **plan}
    return [
        state,
        name,
        "wh",
        *(form[k] for k in ("value", "search", "preset", "date", "start", "end")),
        spec,
        *fields.values(),
        known,
    ]


def _reports(ui: UiWorld) -> int:
    with session_scope(ui.session_factory) as session:
        return session.scalar(select(func.count()).select_from(ReportDefinition)) or 0


# --- layout and the template grid ---------------------------------------------------------


def test_someone_not_signed_in_is_sent_to_login_and_back(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(None):
        redirect = page.layout()

    assert isinstance(redirect, dash.dcc.Location)
    assert redirect.href == "/login?next=/report-builder"


def test_the_templates_tab_lists_every_template_with_its_use_button(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.owner):
        tree = page.layout()
    found = find_ids(tree)

    assert ids.template_use_id(TEMPLATE) in found
    assert ids.template_use_id("numbers") in found
    assert "2 templates." in text_of(tree)
    assert "Uses campaign lists" in text_of(tree)
    assert _find(tree, page_id("tabs")).active_tab == "templates"


def test_the_reports_tab_opens_from_the_address(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.owner):
        tree = page.layout(tab="reports")

    assert _find(tree, page_id("tabs")).active_tab == "reports"


def test_the_layout_reads_every_template_and_its_author_in_one_query(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        for n in range(4):
            author = (ui.owner, ui.other)[n % 2]
            add_template(session, f"authored_{n}", "SELECT 1 AS x", owner_uuid=author.id)
        other = session.scalars(select(User).where(User.id == ui.other.id)).one()
        other.name = ""  # shown by e-mail
    statements: list[str] = []

    def record(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = ui.session_factory.kw["bind"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        with as_user(ui.owner):
            tree = page.layout()
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert "6 templates." in text_of(tree)
    assert len([s for s in statements if "query_templates" in s]) == 1
    assert not [s for s in statements if "FROM users" in s]  # the authors came with them
    with session_scope(ui.session_factory) as session:
        authored = {
            t.template_id: t.owner_name
            for t in list_templates(session=session, actor=ui.admin)
            if t.template_id.startswith("authored_")
        }
    assert authored == {
        "authored_0": "Owner",
        "authored_1": "other@example.com",
        "authored_2": "Owner",
        "authored_3": "other@example.com",
    }


def test_a_viewer_sees_templates_but_cannot_use_them(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.viewer):
        tree = page.layout()

    assert _find(tree, ids.template_use_id(TEMPLATE)).disabled is True
    assert page_id("viewer-notice") in find_ids(tree)


def test_the_grid_filters_by_search_category_type_and_instance(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    def shown(*filters: Any) -> tuple[list[Any], str]:
        with as_user(ui.owner):
            grid, count = page.filter_templates(*filters, known)
        uses = [i for i in find_ids(grid) if isinstance(i, dict) and i["type"] == ids.TEMPLATE_USE]
        return [i["index"] for i in uses], count

    assert shown("numb", "any", "any", "any") == ([TEMPLATE, "numbers"], "2 templates.")
    assert shown("", "Campaigns", "any", "any") == ([TEMPLATE], "1 of 2 templates match.")
    assert shown("", "any", "table", "any")[0] == [TEMPLATE, "numbers"]
    assert shown("", "any", "line", "any")[0] == []
    # The instance has a campaigns list, so both fit; without it the campaign one does not.
    assert shown("", "any", "any", "wh")[0] == [TEMPLATE, "numbers"]
    known["instances"]["wh"]["kinds"] = []
    assert shown("", "any", "any", "wh")[0] == ["numbers"]
    with as_user(ui.owner):
        empty, _ = page.filter_templates("no such thing", "any", "any", "any", known)
    assert page_id("template-clear") in find_ids(empty)
    assert page.clear_template_filters(1) == {
        "search": "",
        "category": "any",
        "report_type": "any",
        "instance": "any",
    }


# --- the run modal: step 1 --------------------------------------------------------------


def test_use_template_opens_the_modal_at_step_one_with_its_form(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    with as_user(ui.owner, triggered=(ids.template_use_id(TEMPLATE), "n_clicks")):
        outputs = modal.open_run_modal([None, 1], known, None)

    assert outputs["is_open"] is True
    assert outputs["title"] == "New report from “Campaign Numbers”"
    assert outputs["state"] == {
        "template_id": TEMPLATE,
        "template_name": "Campaign Numbers",
        "min_data_age_days": 0,
        "step": 1,
    }
    assert (outputs["name"], outputs["name_invalid"]) == ("Campaign Numbers", False)
    assert outputs["instance_options"] == [{"label": "Warehouse", "value": "wh"}]
    assert (outputs["instance"], outputs["timezone"], outputs["run_type"]) == ("wh", "UTC", "once")
    assert ids.param_id(RUN_FORM, "top_n") in find_ids(outputs["form"])
    assert ids.param_id(RUN_FORM, "campaigns", "search") in find_ids(outputs["form"])
    assert (outputs["run_now"], outputs["with_backfill"], outputs["hint"]) == (False, False, "")


def test_a_new_schedule_starts_in_the_browsers_zone_when_the_picker_knows_it(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    with as_user(ui.owner):
        tokyo = modal.modal_for(TEMPLATE, known, "Asia/Tokyo")
        unknown = modal.modal_for(TEMPLATE, known, "Nowhere/Atlantis")

    assert (tokyo["timezone"], unknown["timezone"]) == (
        "Asia/Tokyo",
        "UTC",
    )  # else the instance's zone


def test_a_grid_redrawn_without_clicks_opens_nothing(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    with as_user(ui.owner), pytest.raises(PreventUpdate):
        modal.open_run_modal([None, None], known, None)


def test_the_form_shows_the_error_of_the_one_invalid_field_as_the_user_types(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)
    form = _form_args(top_n=9999)

    with as_user(ui.owner):
        messages, classes = parameter_form.check_form(*form.values(), False, spec)

    by_name = dict(zip(spec["order"], messages, strict=True))
    assert by_name == {
        "channel": "",
        "top_n": "Must be at most 500.",
        "period": "",
        "campaigns": "",
    }
    assert classes[spec["order"].index("top_n")] == INVALID_FIELD_CLASS


def test_a_required_field_left_empty_waits_for_next_to_say_so(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)
    form = _form_args(top_n=None)

    with as_user(ui.owner):
        quiet, _ = parameter_form.check_form(*form.values(), False, spec)
        revealed, _ = parameter_form.check_form(*form.values(), True, spec)

    assert not any(quiet)
    assert dict(zip(spec["order"], revealed, strict=True))["top_n"] == "This field is required."


def test_campaigns_are_searched_on_the_instance_keeping_what_is_chosen(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    with as_user(ui.owner):
        options = parameter_form.metadata_choices(
            ui.owner,
            instance_id="wh",
            kind="campaigns",
            search="n49",
            chosen=["n1"],
            shown=[{"value": "n1", "label": "Campaign n1 (n1)"}],
        )

    assert options[0] == {"label": "Campaign n1 (n1)", "value": "n1"}
    assert [o["value"] for o in options[1:]] == ["n49"] + [f"n49{d}" for d in range(10)]
    assert options[1]["label"] == "Campaign n49 (n49)"


def test_a_campaign_search_on_an_unknown_instance_finds_nothing(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.owner):
        options = parameter_form.metadata_choices(
            ui.owner, instance_id="nope", kind="campaigns", search="", chosen=[], shown=[]
        )

    assert options == []


def test_next_refuses_a_missing_name_and_an_invalid_field(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)

    with as_user(ui.owner):
        outputs = steps.step_forward(
            ui.owner, steps.read_modal(_states(spec, known, step=1, name=" ", top_n=0))
        )

    assert "state" not in outputs  # stays at step 1
    assert outputs["name_invalid"] is True and "name" in outputs["name_error"]
    assert outputs["reveal"] is True  # every field error now shows, the "required" ones too
    assert outputs["hint"] == "Fix the fields marked in red to go on."


def test_next_goes_on_when_step_one_is_valid(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)

    with as_user(ui.owner, triggered=(page_id("modal-next"), "n_clicks")):
        outputs = steps.change_step(1, None, _states(spec, known, step=1))

    assert outputs["state"]["step"] == 2
    assert (outputs["name_invalid"], outputs["name_error"], outputs["hint"]) == (False, "", "")
    assert outputs["reveal"] is no_update and outputs["review"] is no_update


def test_back_goes_back_without_checking(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)
    states = _states(spec, known, step=3, top_n="not a number")

    with as_user(ui.owner, triggered=(page_id("modal-back"), "n_clicks")):
        outputs = steps.change_step(None, 1, states)

    assert outputs["state"]["step"] == 2 and outputs["hint"] == ""


# --- step 2 and the review ----------------------------------------------------------------


def test_the_backfill_preview_explains_the_lag_and_counts_segments(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    state = {"template_id": TEMPLATE}

    with as_user(ui.owner):
        shown = modal.preview_backfill("weekly", "84", "wh", state)
        too_long = modal.preview_backfill("weekly", 400, "wh", state)
        unreadable = modal.preview_backfill("weekly", "nan", "wh", state)

    freshest = freshest_day(timezone="UTC", data_lag_days=2, min_data_age_days=0)
    count = len(segments(backfill_window(84, freshest, freshest), "weekly"))
    assert "because this instance's data arrives 2 days late" in shown["freshness"]
    assert shown["segments"].startswith("84 days, ")
    assert shown["segments"].endswith(f"{count} weekly segments.")
    assert shown["invalid"] is False
    for refused in (too_long, unreadable):
        assert refused["invalid"] is True
        assert refused["error"] == "Look back a whole number of days between 1 and 365."


def test_the_backfill_preview_holds_to_the_instance_history(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        session.scalars(select(Instance)).one().max_lookback_days = 30

    with as_user(ui.owner):
        refused = modal.preview_backfill("daily", "31", "wh", {"template_id": TEMPLATE})

    assert refused["invalid"] is True
    assert refused["error"] == "This instance keeps 30 days of history."


def test_the_review_says_what_will_happen_and_shows_the_sql(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)
    states = _states(
        spec,
        known,
        step=2,
        run_type="recurring",
        weekday="2",
        timezone="Europe/Berlin",
        with_backfill=True,
        lookback="182",
    )

    with as_user(ui.owner, triggered=(page_id("modal-next"), "n_clicks")):
        outputs = steps.change_step(1, None, states)

    text = text_of(outputs["review"])
    assert outputs["state"]["step"] == 3 and outputs["hint"] == ""
    assert "Run it on its schedule: at 06:00, only on Wednesday (Europe/Berlin)" in text
    assert "Backfill 182 days" in text and "weekly segments" in text
    assert "Last 7 days (" in text and "All channels" in text
    sql = _find(outputs["review"], page_id("preview-sql"))
    assert "FROM numbers" in text_of(sql) and "50" in text_of(sql)


def test_step_two_stays_while_the_schedule_is_wrong(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)
    states = _states(spec, known, step=2, run_type="recurring", frequency="custom", cron="nope")

    with as_user(ui.owner, triggered=(page_id("modal-next"), "n_clicks")):
        outputs = steps.change_step(1, None, states)

    assert outputs["state"] is no_update and outputs["review"] is no_update
    assert outputs["hint"].startswith("Fix the run settings: Use five fields")


def test_a_step_two_hint_goes_once_the_settings_read_cleanly(page: ModuleType) -> None:
    hint = "Fix the run settings: Enter a time between 00:00 and 23:59."
    fields = {**PLAN_FIELDS, "run_type": "recurring"}

    still_wrong = steps.clear_fixed_hint(*{**fields, "time": "25:00"}.values(), hint, {"step": 2})
    fixed = steps.clear_fixed_hint(*fields.values(), hint, {"step": 2})

    assert still_wrong == hint and fixed == ""
    with pytest.raises(PreventUpdate):
        steps.clear_fixed_hint(*fields.values(), "", {"step": 2})


def test_the_step_view_follows_the_store(page: ModuleType) -> None:
    outputs = steps.show_step({"step": 3})

    assert ["d-none" in c for c in outputs["panes"]] == [True, True, False, True]
    assert "d-none" not in outputs["submit"]  # Create report
    assert outputs["cancel_label"] == "Cancel"


# --- submit ------------------------------------------------------------------------------


def test_submit_creates_a_weekly_report_with_a_6_month_backfill_and_lands_on_it(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)
    states = _states(
        spec,
        known,
        step=3,
        run_type="recurring",
        weekday="2",
        time="07:30",
        timezone="Europe/Berlin",
        with_backfill=True,
        lookback="182",
    )

    with as_user(ui.owner):
        outputs = steps.submit_report(1, states)

    pathname, outcome = outputs["pathname"], outputs["outcome"]
    report_id = pathname.removeprefix("/reports/")
    assert pathname.startswith("/reports/rpt_") and outputs["state"]["step"] == 4
    assert outputs["hint"] == ""
    assert "Scheduled it: At 07:30, only on Wednesday (Europe/Berlin)." in text_of(outcome)
    assert "Started a backfill of " in text_of(outcome)
    with session_scope(ui.session_factory) as session:
        report = get_report(session=session, actor=ui.owner, report_id=report_id)
        schedule = report_schedule(session=session, actor=ui.owner, report_id=report_id)
        (backfill,) = report_backfills(session=session, actor=ui.owner, report_id=report_id)
    assert (report.name, report.frequency, report.timezone) == (
        "Weekly numbers",
        "weekly",
        "Europe/Berlin",
    )
    assert report.parameters == {
        "channel": "all",
        "top_n": 50,
        "period": "last_7_days",
        "campaigns": ["n1"],
    }
    assert schedule is not None and schedule.cron_expression == "30 7 * * 3"
    assert (backfill.segment_type, (backfill.end_date - backfill.start_date).days + 1) == (
        "weekly",
        182,
    )
    assert report.execution_count == backfill.total_segments  # no run now was asked for


def test_submit_once_queues_one_run_now(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)

    with as_user(ui.owner):
        outputs = steps.submit_report(1, _states(spec, known, step=3))

    report_id = outputs["pathname"].removeprefix("/reports/")
    assert "Queued a run now (exe_" in text_of(outputs["outcome"])
    with session_scope(ui.session_factory) as session:
        runs = list_executions(session=session, actor=ui.owner, report_id=report_id).items
        schedule = report_schedule(session=session, actor=ui.owner, report_id=report_id)
    assert [(r.triggered_by, r.status) for r in runs] == [("manual", "pending")]
    assert schedule is None


def test_a_viewer_cannot_submit_and_nothing_is_created(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)

    with as_user(ui.viewer):
        outputs = steps.submit_report(1, _states(spec, known, step=3))

    assert outputs["pathname"] is no_update and outputs["state"] is no_update
    assert "Viewers" in outputs["hint"]
    assert _reports(ui) == 1  # the world's own


@pytest.mark.parametrize(
    ("plan", "step", "hint"),
    [
        (
            {"run_type": "recurring", "run_now": True, "with_backfill": True, "lookback": "182"},
            2,
            "This instance keeps 30 days of history.",
        ),
        ({"run_type": "backfill", "lookback": "nan"}, 2, "Fix the run settings: Look back"),
    ],
)
def test_a_refused_part_creates_nothing_and_goes_back_to_its_step(
    ui: UiWorld,
    as_user: Any,
    page: ModuleType,
    known: dict[str, Any],
    plan: dict[str, Any],
    step: int,
    hint: str,
) -> None:
    spec = _spec(known, page, as_user, ui)
    with session_scope(ui.session_factory) as session:
        session.scalars(select(Instance)).one().max_lookback_days = 30

    with as_user(ui.owner):
        outputs = steps.submit_report(1, _states(spec, known, step=3, **plan))

    assert outputs["pathname"] is no_update and outputs["outcome"] is no_update
    assert outputs["state"]["step"] == step and hint in outputs["hint"]
    assert _reports(ui) == 1  # the world's own: no report, no schedule, no run was made
    with session_scope(ui.session_factory) as session:
        assert list_executions(session=session, actor=ui.admin).total == 0


def test_invalid_parameters_at_submit_send_the_user_back_to_step_one(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)

    with as_user(ui.owner):
        outputs = steps.submit_report(1, _states(spec, known, step=3, top_n=9999))

    assert outputs["state"]["step"] == 1
    assert outputs["hint"] == "Some parameters need attention."
    assert _reports(ui) == 1


def test_signed_out_callbacks_change_nothing_and_send_the_browser_to_login(
    ui: UiWorld, as_user: Any, page: ModuleType, known: dict[str, Any]
) -> None:
    spec = _spec(known, page, as_user, ui)

    with as_user(None) as context:
        outputs = steps.submit_report(1, _states(spec, known, step=3))

    assert outputs == dict.fromkeys(("pathname", "state", "outcome", "hint"), no_update)
    assert context.updated_props["app-location"]["href"].startswith("/login?next=")


# --- the reports tab ------------------------------------------------------------------------


def _request(start: int = 0, end: int = 20, **model: Any) -> dict[str, Any]:
    return {
        "startRow": start,
        "endRow": end,
        "sortModel": model.pop("sort", []),
        "filterModel": model,
    }


def _make_reports(ui: UiWorld, count: int) -> list[str]:
    with session_scope(ui.session_factory) as session:
        return [
            create_report(
                session=session,
                actor=ui.owner,
                template_id="numbers",
                instance_id="wh",
                name=f"Report {n}",
                parameters={"below": n + 1},
            ).report_id
            for n in range(count)
        ]


def test_the_reports_grid_pages_sorts_and_filters_on_the_server(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    _make_reports(ui, 3)
    by_name = [{"colId": "name", "sort": "asc"}]

    with as_user(ui.owner):
        first = reports.load_report_rows(_request(0, 2, sort=by_name), {})
        second = reports.load_report_rows(_request(2, 4, sort=by_name), first["facts"])
        found = reports.load_report_rows(
            _request(name={"filterType": "text", "type": "contains", "filter": "report 2"}), {}
        )

    rows = first["response"]["rowData"]
    assert [r["name"] for r in rows] == ["Numbers report", "Report 0"]
    assert first["response"]["rowCount"] == 4 and first["count"] == "4 reports."
    assert [r["name"] for r in second["response"]["rowData"]] == ["Report 1", "Report 2"]
    assert "d-none" in first["empty_class"] and first["grid_class"] == ""
    assert [r["name"] for r in found["response"]["rowData"]] == ["Report 2"]
    assert set(first["facts"]) == {r["report_id"] for r in rows}


def test_a_user_without_reports_gets_the_empty_state_and_filters_say_so(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.other):
        none = reports.load_report_rows(_request(), {})
        filtered = reports.load_report_rows(
            _request(state={"filterType": "text", "type": "equals", "filter": "paused"}), {}
        )

    assert none["response"] == {"rowData": [], "rowCount": 0}
    assert (none["count"], none["empty_class"], none["grid_class"]) == ("", "", "d-none")
    assert "No report matches these filters" in filtered["count"]
    assert "d-none" in filtered["empty_class"]


def test_filters_reach_the_grid_as_its_filter_model(page: ModuleType) -> None:
    model = reports.apply_report_filters(" weekly ", "paused", "any", 3)

    assert model == {
        "name": {"filterType": "text", "type": "contains", "filter": "weekly"},
        "state": {"filterType": "text", "type": "equals", "filter": "paused"},
        "refresh": {"filterType": "number", "type": "notEqual", "filter": 3},
    }
    assert reports_grid.query_of(_request(40, 60, **model))["page"] == 3


def test_a_row_shows_state_status_times_and_the_actions_allowed(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with session_scope(ui.session_factory) as session:
        create_schedule(
            session=session, actor=ui.owner, report_id=ui.report.report_id, schedule_type="daily"
        )
        report = get_report(session=session, actor=ui.owner, report_id=ui.report.report_id)

    row = reports_grid.report_row(report, can_change=True)
    read_only = reports_grid.report_row(report, can_change=False)

    assert (row["state"], row["frequency"], row["last_status_label"]) == (
        "Active",
        "Daily",
        "Never run",
    )
    assert row["next_run_at"].startswith("in ") and row["next_run_exact"].endswith(" UTC")
    assert (row["run"], row["pause"], row["edit"], row["backfill"], row["delete"]) == (
        "Run now",
        reports_grid.PAUSE,
        "Edit name, parameters, e-mails and schedule",
        "Start a backfill",
        "Delete",
    )
    assert (read_only["run"], read_only["pause"], read_only["edit"]) == ("", "", "")
    assert (read_only["backfill"], read_only["delete"]) == ("", "")


def _click(
    ui: UiWorld, as_user: Any, column: str, value: str, rows: dict[str, Any] | None = None
) -> dict[str, Any]:
    cell = {"colId": column, "rowId": ui.report.report_id, "value": value}
    with as_user(ui.owner):
        facts = rows
        if facts is None:
            facts = reports.load_report_rows(_request(), {})["facts"]
        return reports.act_on_cell(cell, facts, 4)


def test_clicking_a_name_opens_the_report_page(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    outputs = _click(ui, as_user, "name", "Numbers report")

    assert outputs.pop("href") == f"/reports/{ui.report.report_id}"
    assert all(o is no_update for o in outputs.values())


def test_run_now_queues_a_run_and_refreshes_the_grid(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    outputs = _click(ui, as_user, "run", "Run now")

    assert "started" in text_of(outputs["feedback"]) and outputs["refresh"] == 5
    with session_scope(ui.session_factory) as session:
        runs = list_executions(session=session, actor=ui.owner, report_id=ui.report.report_id)
    assert runs.total == 1


def test_pause_and_resume_change_the_schedule(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    with session_scope(ui.session_factory) as session:
        create_schedule(
            session=session, actor=ui.owner, report_id=ui.report.report_id, schedule_type="weekly"
        )

    paused = _click(ui, as_user, "pause", reports_grid.PAUSE)
    with session_scope(ui.session_factory) as session:
        assert report_schedule(
            session=session, actor=ui.owner, report_id=ui.report.report_id
        ).is_paused  # type: ignore[union-attr]
    resumed = _click(ui, as_user, "pause", reports_grid.RESUME)

    assert "is paused" in text_of(paused["feedback"])
    assert "is resumed" in text_of(resumed["feedback"])
    with session_scope(ui.session_factory) as session:
        schedule = report_schedule(session=session, actor=ui.owner, report_id=ui.report.report_id)
    assert schedule is not None and schedule.is_paused is False


def test_the_star_pins_and_unpins_the_dashboard(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    _click(ui, as_user, "favorite", reports_grid.UNSTARRED)
    with as_user(ui.owner):
        starred = reports.load_report_rows(_request(), {})["response"]
    _click(ui, as_user, "favorite", reports_grid.STARRED)
    with as_user(ui.owner):
        unstarred = reports.load_report_rows(_request(), {})["response"]

    assert starred["rowData"][0]["favorite"] == reports_grid.STARRED
    assert unstarred["rowData"][0]["favorite"] == reports_grid.UNSTARRED


@pytest.mark.parametrize("column", ["edit", "backfill"])
def test_edit_and_backfill_open_that_dialog_on_the_report_page(
    ui: UiWorld, as_user: Any, page: ModuleType, column: str
) -> None:
    outputs = _click(ui, as_user, column, "yes")

    assert outputs.pop("href") == f"/reports/{ui.report.report_id}?open={column}"
    assert all(o is no_update for o in outputs.values())


def test_delete_asks_first_then_deletes(ui: UiWorld, as_user: Any, page: ModuleType) -> None:
    asked = _click(ui, as_user, "delete", "Delete")
    assert asked["delete_open"] is True and "cannot be undone" in asked["delete_text"]
    assert asked["pending_delete"] == ui.report.report_id

    with as_user(ui.owner, triggered=(page_id("delete-cancel"), "n_clicks")):
        kept = reports.confirm_delete(None, 1, ui.report.report_id, {}, 0)
    with as_user(ui.owner, triggered=(page_id("delete-confirm"), "n_clicks")):
        deleted = reports.confirm_delete(1, None, ui.report.report_id, {}, 0)

    assert kept == (False, no_update, no_update)
    assert deleted[0] is False and "Deleted" in text_of(deleted[1])
    with session_scope(ui.session_factory) as session:
        assert list_reports(session=session, actor=ui.owner).total == 0


def test_another_analyst_cannot_act_on_a_report_they_cannot_see(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    cell = {"colId": "run", "rowId": ui.report.report_id, "value": "Run now"}

    with as_user(ui.other):
        outputs = reports.act_on_cell(cell, {}, 0)

    assert "was not found" in text_of(outputs["feedback"])
    with session_scope(ui.session_factory) as session:
        assert list_executions(session=session, actor=ui.admin).total == 0


def test_relative_times_and_zones_in_rows(page: ModuleType) -> None:
    moment = datetime(2025, 1, 13, 11, 0, tzinfo=UTC)

    assert reports_grid.format_moment(moment, "America/New_York") == "2025-01-13 06:00 EST"
    assert reports_grid.format_moment(moment.replace(tzinfo=None), "UTC") == "2025-01-13 11:00 UTC"
    assert reports_grid.format_moment(None, "UTC") == "—"


def test_the_reports_tab_polls_only_while_shown_and_reloads_rows_only_on_a_change(
    ui: UiWorld, as_user: Any, page: ModuleType
) -> None:
    with as_user(ui.owner):
        first, hidden, reload = reports.check_for_changes(None, "templates", 0, None, 0)
    assert (hidden, reload) == (IDLE_PLAN, no_update)  # the grid loaded itself

    with session_scope(ui.session_factory) as session:
        run_report(session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id)
    with as_user(ui.owner):
        changed, plan, reload = reports.check_for_changes(1, "reports", 0, first, 4)
        unchanged, _, again = reports.check_for_changes(2, "reports", 0, changed, 5)
    assert changed not in (first, no_update)
    assert plan["active"] is True
    assert reload == 5
    assert (unchanged, again) == (no_update, no_update)

    with session_scope(ui.session_factory) as session:
        run_report(session=session, redis=None, actor=ui.owner, report_id=ui.report.report_id)
    with as_user(ui.owner, triggered=(page_id("reports-refresh"), "data")):
        after_action, _, reload = reports.check_for_changes(2, "reports", 1, changed, 5)
    assert after_action not in (changed, no_update)
    assert reload is no_update  # the action's own refresh reloads the grid

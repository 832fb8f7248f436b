"""Page speed in headless Chromium: a 52-week dashboard and a Reports tab of 10,000 reports.

Prints one JSON object. Run: `.venv/bin/python benchmarks/bench_ui.py [--repeat 5]
[--reports 10000]`. Needs Debian's Chromium and chromedriver (/usr/bin/chromium,
/usr/bin/chromedriver). Everything lives in a temporary DATA_DIR (SQLite metadata database,
demo warehouse at scale 0.1, results), removed at the end; no Redis and no worker are used.
The app is served by werkzeug in a thread, as one process would serve it.

- dashboard_draw_s: the `daily_trend` report's dashboard over 52 completed weekly runs
  (their Parquet results written straight from the template's SQL); from `driver.get` of
  /dashboards/<id> until every widget is drawn (a chart's `.main-svg` exists, a KPI or
  table card has text). Goal: max <= 1.5 s.
- reports_first_page_s: /report-builder?tab=reports (the URL that opens the Reports tab)
  with N reports; from `driver.get` until the grid's first row of data is rendered.
  Goal: max <= 1.0 s. `from_tab_click` times the other way in: the page opened on the
  Templates tab, from the click on "Reports" to the first row.

Each figure is taken `--repeat` times, each a new navigation, after one warm-up navigation
that fills the browser's cache with the app's scripts (as for anyone who has opened the app
before); the warm-up is reported but not counted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import BaseWSGIServer, make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from db import migrate  # noqa: E402
from db.models import (  # noqa: E402
    Dashboard,
    DashboardWidget,
    Instance,
    ReportDefinition,
    ReportExecution,
)
from db.session import make_engine, make_session_factory  # noqa: E402
from services.backfill_plans import segments  # noqa: E402
from services.demo import DEMO_INSTANCE_ID, ensure_demo  # noqa: E402
from services.instances import engine_for  # noqa: E402
from services.parameter_validation import validate  # noqa: E402
from services.reports import create_report  # noqa: E402
from services.results import ResultsStore  # noqa: E402
from services.sql_templates import render  # noqa: E402
from services.templates import definitions_of, get_template_row  # noqa: E402
from services.users import Actor, create_user  # noqa: E402
from services.windows import Window, freshest_day, midnight  # noqa: E402
from settings import Settings, load_settings  # noqa: E402
from webauth import session_values  # noqa: E402

SECRET_KEY = "bench"
TEMPLATE_ID = "daily_trend"
DEMO_SCALE = 0.1
SEGMENTS = 52
DASHBOARD_GOAL_S = 1.5
REPORTS_GOAL_S = 1.0
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,800",
)
#: Seconds between two looks at the page.
POLL_S = 0.02
#: Seconds a page may take before the benchmark gives up.
PAGE_TIMEOUT_S = 60
#: Rows per INSERT when the reports are loaded.
INSERT_BATCH = 1000

#: [widget cards, cards drawn, a card says it cannot be drawn] on the dashboard page.
DASHBOARD_PROBE = """
const root = document.getElementById('dashboard-widgets');
if (!root) { return [0, 0, false]; }
const cards = root.querySelectorAll('.widget');
let drawn = 0, broken = false;
for (const card of cards) {
  const text = card.textContent || '';
  if (text.includes('cannot be drawn')) { broken = true; }
  if (card.classList.contains('widget-kpi')) {
    const value = card.querySelector('.kpi-value');
    if (value && value.textContent.trim()) { drawn++; }
  } else if (card.classList.contains('widget-table')) {
    const body = card.querySelector('.card-body');
    if (body && body.textContent.trim()) { drawn++; }
  } else if (card.querySelector('.js-plotly-plot .main-svg')) {
    drawn++;
  }
}
return [cards.length, drawn, broken];
"""

#: Rows of data (not AG Grid's "loading" stubs) shown in the visible reports grid.
REPORT_ROWS_PROBE = """
const grid = document.getElementById('report-builder-reports-grid');
if (!grid || grid.offsetParent === null) { return 0; }
let n = 0;
for (const row of grid.querySelectorAll('.ag-center-cols-container .ag-row')) {
  if (!row.classList.contains('ag-row-loading') && row.textContent.trim()) { n++; }
}
return n;
"""


# --- data --------------------------------------------------------------------------------


def weekly_windows(freshest: date) -> list[Window]:
    """SEGMENTS whole ISO weeks (Monday to Sunday) ending on or before `freshest`."""
    end = freshest + timedelta(days=1)
    end -= timedelta(days=end.weekday())  # the Monday after the last complete week
    pieces = segments(Window(end - timedelta(weeks=SEGMENTS), end), "weekly")
    assert len(pieces) == SEGMENTS, len(pieces)
    return pieces


def prepare_dashboard(factory: sessionmaker[Session], settings: Settings) -> tuple[Actor, str, int]:
    """The demo, an admin, a report with SEGMENTS completed weekly runs: (admin,
    dashboard_id, widget count)."""
    with factory() as session:
        ensure_demo(session=session, settings=settings, scale=DEMO_SCALE)
        session.commit()
        admin = create_user(session=session, email="bench@example.com", role="admin", name="Bench")
        session.commit()
        report = create_report(
            session=session,
            actor=admin,
            template_id=TEMPLATE_ID,
            instance_id=DEMO_INSTANCE_ID,
            name="Weekly trend, 52 weeks",
            frequency="weekly",
        )
        assert report.dashboard_id is not None
        template = get_template_row(session=session, template_id=TEMPLATE_ID)
        instance = session.scalars(
            select(Instance).where(Instance.instance_id == DEMO_INSTANCE_ID)
        ).one()
        engine = engine_for(instance, secret_key=SECRET_KEY)
        definitions = definitions_of(template)
        values = validate(definitions, report.parameters, today=datetime.now(UTC).date()).normalized
        freshest = freshest_day(
            timezone=instance.timezone,
            data_lag_days=instance.data_lag_days,
            min_data_age_days=template.min_data_age_days,
        )
        store = ResultsStore(settings.results_dir)
        timeout = float(instance.statement_timeout_seconds)
        now = datetime.now(UTC)
        for number, piece in enumerate(weekly_windows(freshest)):
            rendered = render(
                template.sql_template, definitions, values, piece.as_datetimes(), "duckdb"
            )
            batches = engine.execute(rendered.sql, rendered.binds, timeout)
            first = next(batches)  # every engine yields one batch at least: the schema
            execution = ReportExecution(
                report_uuid=report.uuid,
                template_uuid=template.id,
                instance_uuid=instance.id,
                user_uuid=admin.id,
                triggered_by="backfill",
                status="completed",
                parameters_snapshot=values,
            )
            session.add(execution)
            session.flush()  # assigns execution_id
            written = store.write_batches(
                store.path_for(execution.execution_id), first.schema, chain([first], batches)
            )
            finished = now - timedelta(seconds=SEGMENTS - number)
            execution.time_window_start = midnight(piece.start)
            execution.time_window_end = midnight(piece.end)
            execution.output_location = written.location
            execution.row_count = written.row_count
            execution.size_bytes = written.size_bytes
            execution.queued_at = execution.started_at = finished - timedelta(seconds=1)
            execution.completed_at = finished
        session.commit()
        widgets = session.scalar(
            select(func.count())
            .select_from(DashboardWidget)
            .join(Dashboard, Dashboard.id == DashboardWidget.dashboard_uuid)
            .where(Dashboard.dashboard_id == report.dashboard_id)
        )
        return admin, report.dashboard_id, int(widgets or 0)


def insert_reports(factory: sessionmaker[Session], owner: Actor, count: int) -> None:
    """`count` weekly reports on the demo template, owned by `owner`, in a few INSERTs."""
    with factory() as session:
        template = get_template_row(session=session, template_id=TEMPLATE_ID)
        instance_uuid = session.scalars(
            select(Instance.id).where(Instance.instance_id == DEMO_INSTANCE_ID)
        ).one()
        base = datetime.now(UTC) - timedelta(days=1)
        table = ReportDefinition.__table__
        for first in range(0, count, INSERT_BATCH):
            rows = []
            for number in range(first, min(first + INSERT_BATCH, count)):
                moment = base + timedelta(seconds=number)
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "report_id": f"rpt_{number:08x}",
                        "name": f"Bench report {number:05d}",
                        "description": "",
                        "template_uuid": template.id,
                        "instance_uuid": instance_uuid,
                        "owner_uuid": owner.id,
                        "parameters": {},
                        "frequency": "weekly",
                        "timezone": "UTC",
                        "is_active": True,
                        "notification_emails": [],
                        "execution_count": 0,
                        "created_at": moment,
                        "updated_at": moment,
                    }
                )
            session.execute(insert(table), rows)
        session.commit()


# --- serving and browsing ------------------------------------------------------------------


def serve(app: Any) -> tuple[BaseWSGIServer, threading.Thread]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = make_server("127.0.0.1", 0, app.server, threaded=True)  # port 0: a free one
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def start_browser() -> webdriver.Chrome:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT_S)
    return driver


def sign_in(driver: webdriver.Chrome, app: Any, base_url: str, actor: Actor) -> None:
    """Plant the app's signed session cookie, as the login form would set it."""
    server = app.server
    serializer = server.session_interface.get_signing_serializer(server)
    with server.app_context():  # the user id and the fingerprint of their password
        values = session_values(actor.id)
    cookie = serializer.dumps({**values, "_permanent": True})
    driver.get(base_url + "/healthz")
    driver.add_cookie({"name": server.config["SESSION_COOKIE_NAME"], "value": cookie, "path": "/"})


def wait_until(driver: webdriver.Chrome, done: Callable[[], bool], what: str) -> None:
    deadline = time.perf_counter() + PAGE_TIMEOUT_S
    while not done():
        if time.perf_counter() > deadline:
            driver.save_screenshot(str(Path(tempfile.gettempdir()) / "bench_ui_timeout.png"))
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(POLL_S)


def blank(driver: webdriver.Chrome) -> None:
    """Leave the page, so the next navigation starts from nothing."""
    driver.get("about:blank")


def dashboard_draw(driver: webdriver.Chrome, url: str, widgets: int) -> float:
    blank(driver)
    state: list[Any] = [0, 0, False]

    def drawn() -> bool:
        state[:] = driver.execute_script(DASHBOARD_PROBE)
        if state[2]:
            raise SystemExit("a dashboard widget says it cannot be drawn")
        return bool(state[0] == widgets and state[1] == widgets)

    started = time.perf_counter()
    driver.get(url)
    wait_until(driver, drawn, f"{widgets} widgets drawn (last seen: {state[:2]})")
    return time.perf_counter() - started


def report_rows_shown(driver: webdriver.Chrome) -> bool:
    return int(driver.execute_script(REPORT_ROWS_PROBE)) > 0


def reports_by_url(driver: webdriver.Chrome, base_url: str) -> float:
    blank(driver)
    started = time.perf_counter()
    driver.get(base_url + "/report-builder?tab=reports")
    wait_until(driver, lambda: report_rows_shown(driver), "the first row of the reports grid")
    return time.perf_counter() - started


def reports_by_click(driver: webdriver.Chrome, base_url: str) -> float:
    blank(driver)
    driver.get(base_url + "/report-builder")
    tab = "//*[@id='report-builder-tabs']//a[normalize-space()='Reports']"
    wait_until(
        driver,
        lambda: (
            bool(driver.find_elements(By.XPATH, tab))
            and bool(driver.find_elements(By.CSS_SELECTOR, ".template-card"))
        ),
        "the Templates tab",
    )
    link = driver.find_element(By.XPATH, tab)
    started = time.perf_counter()
    link.click()
    wait_until(driver, lambda: report_rows_shown(driver), "the first row after the tab click")
    return time.perf_counter() - started


def timings(measure: Callable[[], float], repeat: int) -> dict[str, float]:
    warmup = measure()
    times = [measure() for _ in range(repeat)]
    return {
        "median": round(statistics.median(times), 3),
        "max": round(max(times), 3),
        "runs": [round(t, 3) for t in times],
        "warmup": round(warmup, 3),
    }


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed navigations per figure")
    parser.add_argument("--reports", type=int, default=10_000, help="reports in the Reports tab")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="rb_bench_ui_")
    driver: webdriver.Chrome | None = None
    server: BaseWSGIServer | None = None
    engine = None
    try:
        settings = load_settings({"DATA_DIR": tmp, "SECRET_KEY": SECRET_KEY})
        migrate.upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        factory = make_session_factory(engine)
        admin, dashboard_id, widgets = prepare_dashboard(factory, settings)
        insert_reports(factory, admin, args.reports)

        app = create_app(settings, factory)
        server, _thread = serve(app)
        base_url = f"http://127.0.0.1:{server.server_port}"
        driver = start_browser()
        sign_in(driver, app, base_url, admin)

        dashboard_url = f"{base_url}/dashboards/{dashboard_id}"
        dashboard = timings(lambda: dashboard_draw(driver, dashboard_url, widgets), args.repeat)
        by_url = timings(lambda: reports_by_url(driver, base_url), args.repeat)
        by_click = timings(lambda: reports_by_click(driver, base_url), args.repeat)

        result = {
            "dashboard_draw_s": {
                "median": dashboard["median"],
                "max": dashboard["max"],
                "widgets": widgets,
                "segments": SEGMENTS,
                "goal_max": DASHBOARD_GOAL_S,
                "runs": dashboard["runs"],
                "warmup": dashboard["warmup"],
            },
            "reports_first_page_s": {
                "median": by_url["median"],
                "max": by_url["max"],
                "reports": args.reports,
                "goal_max": REPORTS_GOAL_S,
                "measured_from": "driver.get(/report-builder?tab=reports)",
                "runs": by_url["runs"],
                "warmup": by_url["warmup"],
                "from_tab_click": {
                    "median": by_click["median"],
                    "max": by_click["max"],
                    "runs": by_click["runs"],
                },
            },
            "machine_cores": os.cpu_count(),
        }
        print(json.dumps(result, indent=2))
    finally:
        if driver is not None:
            driver.quit()
        if server is not None:
            server.shutdown()
            server.server_close()
        if engine is not None:
            engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

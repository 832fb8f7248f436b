"""The one place tests build their world: rows, small worlds of users and reports, and
the waits and in-process workers that go with them.

Row helpers (`create_*`) add one row with sensible defaults, flush (so generated ids and
defaults are filled in) and return it; the caller commits when another connection must
see the row. World builders (`build_world`, `build_ui_world`, `build_demo_world`) make the
users, instance, template and reports a group of tests shares, through the services.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import (
    Dashboard,
    Instance,
    QueryTemplate,
    ReportDataCollection,
    ReportDefinition,
    ReportExecution,
    ReportSchedule,
    User,
)
from db.session import session_scope
from services.instances import save_instance
from services.users import Actor, grant_instance
from services.users import create_user as create_account
from settings import Settings, load_settings

if TYPE_CHECKING:
    import dash

    from services.reports import ReportInfo
    from services.results import ResultsStore

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: A SECRET_KEY for processes that refuse the embedded one.
TEST_SECRET_KEY = "test-secret-key-not-the-embedded-one"

_counter = itertools.count(1)


def _next() -> int:
    return next(_counter)


# --- rows ---------------------------------------------------------------------------------


def create_user(
    *, session: Session, email: str | None = None, role: str = "analyst", **fields: Any
) -> User:
    n = _next()
    fields.setdefault("name", f"User {n}")
    user = User(email=email or f"user{n}@example.com", role=role, **fields)
    session.add(user)
    session.flush()
    return user


def create_instance(
    *,
    session: Session,
    instance_id: str | None = None,
    name: str | None = None,
    engine: str = "duckdb",
    **fields: Any,
) -> Instance:
    n = _next()
    # A placeholder, not an encrypted URL: tests that connect to the instance set their own.
    fields.setdefault("connection_url_encrypted", "not-a-real-encrypted-url")
    instance = Instance(
        instance_id=instance_id or f"inst{n}", name=name or f"Instance {n}", engine=engine, **fields
    )
    session.add(instance)
    session.flush()
    return instance


def create_template(
    *,
    session: Session,
    template_id: str | None = None,
    name: str | None = None,
    category: str = "General",
    sql_template: str = "SELECT 1 AS one",
    parameter_definitions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> QueryTemplate:
    n = _next()
    template = QueryTemplate(
        template_id=template_id or f"template_{n}",
        name=name or f"Template {n}",
        category=category,
        sql_template=sql_template,
        parameter_definitions=parameter_definitions or [],
        **fields,
    )
    session.add(template)
    session.flush()
    return template


def create_dashboard(*, session: Session, owner: User | None = None, **fields: Any) -> Dashboard:
    dashboard = Dashboard(name="Dashboard", owner_uuid=owner.id if owner else None, **fields)
    session.add(dashboard)
    session.flush()
    return dashboard


def create_report(
    *, session: Session, owner: User | None = None, **fields: Any
) -> ReportDefinition:
    owner = owner or create_user(session=session)
    values: dict[str, Any] = {
        "name": "Weekly campaigns",
        "owner_uuid": owner.id,
        "template_uuid": fields.pop("template_uuid", None) or create_template(session=session).id,
        "instance_uuid": fields.pop("instance_uuid", None) or create_instance(session=session).id,
    }
    report = ReportDefinition(**(values | fields))
    session.add(report)
    session.flush()
    return report


def create_execution(
    *, session: Session, report: ReportDefinition, **fields: Any
) -> ReportExecution:
    values: dict[str, Any] = {
        "report_uuid": report.id,
        "template_uuid": report.template_uuid,
        "instance_uuid": report.instance_uuid,
    }
    execution = ReportExecution(**(values | fields))
    session.add(execution)
    session.flush()
    return execution


def create_schedule(*, session: Session, report: ReportDefinition, **fields: Any) -> ReportSchedule:
    values: dict[str, Any] = {
        "report_uuid": report.id,
        "schedule_type": "daily",
        "cron_expression": "0 6 * * *",
    }
    schedule = ReportSchedule(**(values | fields))
    session.add(schedule)
    session.flush()
    return schedule


def create_collection(
    *, session: Session, report: ReportDefinition, **fields: Any
) -> ReportDataCollection:
    values: dict[str, Any] = {
        "report_uuid": report.id,
        "instance_uuid": report.instance_uuid,
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 3, 31),
        "segment_type": "weekly",
        "max_lookback_days": 90,
    }
    collection = ReportDataCollection(**(values | fields))
    session.add(collection)
    session.flush()
    return collection


def at(day: int, hour: int = 0) -> datetime:
    """A UTC moment in January 2026, for rows whose times only need an order."""
    return datetime(2026, 1, day, hour, tzinfo=UTC)


#: Day 0 of `create_finished_run`'s windows (a Monday).
RUN_DAY_0 = datetime(2024, 3, 4, tzinfo=UTC)


def create_finished_run(
    *,
    session: Session,
    store: ResultsStore,
    report: ReportDefinition,
    start_day: int,
    days: int = 7,
    table: pa.Table | None,
    finished_minutes: int = 0,
    status: str = "completed",
) -> ReportExecution:
    """A run of `report` over [RUN_DAY_0 + start_day, + days) with `table` as its stored
    result, finished `finished_minutes` after day 60; committed."""
    execution = create_execution(
        session=session,
        report=report,
        status=status,
        time_window_start=RUN_DAY_0 + timedelta(days=start_day),
        time_window_end=RUN_DAY_0 + timedelta(days=start_day + days),
        completed_at=RUN_DAY_0 + timedelta(days=60, minutes=finished_minutes),
    )
    if table is not None:
        written = store.write_batches(
            store.path_for(execution.execution_id), table.schema, table.to_batches()
        )
        execution.output_location = written.location
        execution.row_count = written.row_count
    session.commit()
    return execution


# --- the service world: a DuckDB warehouse, a template and one user per role ---------------

#: Rows of the test warehouse's table `numbers`: x = 0 … NUMBERS-1, one per day back from
#: three days ago.
NUMBERS = 500

SQL_NUMBERS = """
SELECT x, label
FROM numbers
WHERE x < {{ below }}
  AND day >= CAST({{ window_start }} AS DATE) AND day < CAST({{ window_end }} AS DATE)
ORDER BY x
"""

#: Widgets of the page tests' template: one of each kind the dashboard draws.
WIDGETS = [
    {"type": "kpi", "title": "Total", "config": {"column": "x", "aggregate": "sum"}},
    {"type": "line", "title": "X per window", "config": {"x": "window_start", "y": ["x"]}},
    {"type": "table", "title": "Rows", "config": {"columns": ["x", "label"]}},
]


@dataclass(frozen=True)
class World:
    owner: Actor
    other: Actor
    viewer: Actor
    admin: Actor
    instance_id: str
    template_id: str
    warehouse: Path


def make_warehouse(path: Path) -> Path:
    """A DuckDB file with `numbers(x, label, day)`, NUMBERS rows one day apart."""
    connection = duckdb.connect(str(path))
    connection.execute(
        f"CREATE TABLE numbers AS SELECT range AS x, 'n' || range AS label, "
        f"current_date - CAST(range AS INTEGER) - 3 AS day FROM range({NUMBERS})"
    )
    connection.close()
    return path


def make_sales_database(path: Path, *, first_day: date, days: int) -> Path:
    """A DuckDB file with `sales(day, region, amount)`: two regions, amounts known in advance."""
    connection = duckdb.connect(str(path))
    try:
        connection.execute("CREATE TABLE sales (day DATE, region VARCHAR, amount BIGINT)")
        rows = [
            (first_day + timedelta(days=offset), region, offset * 10 + index)
            for offset in range(days)
            for index, region in enumerate(("north", "south"))
        ]
        connection.executemany("INSERT INTO sales VALUES (?, ?, ?)", rows)
    finally:
        connection.close()
    return path


def add_template(session: Session, template_id: str, sql: str, **fields: object) -> None:
    """A template with a `below` integer parameter and a table widget, committed."""
    session.add(
        QueryTemplate(
            template_id=template_id,
            name=template_id.replace("_", " ").title(),
            sql_template=sql,
            parameter_definitions=fields.pop(
                "parameter_definitions",
                [{"name": "below", "type": "integer", "min": 0, "default": 1000}],
            ),
            report_config={"widgets": [{"type": "table", "title": "Rows", "config": {}}]},
            **fields,
        )
    )
    session.commit()


def build_world(session: Session, folder: Path) -> World:
    """The instance `wh` on a new DuckDB warehouse in `folder`, the template `numbers`, and
    four users: analysts `owner` and `other`, a `viewer` (all on `wh`) and an `admin`."""
    warehouse = make_warehouse(folder / "warehouse.duckdb")
    save_instance(
        session=session,
        secret_key=TEST_SECRET_KEY,
        instance_id="wh",
        name="Warehouse",
        engine="duckdb",
        connection_url=f"duckdb:///{warehouse}",
        data_lag_days=2,
        statement_timeout_seconds=60,
    )
    add_template(session, "numbers", SQL_NUMBERS)
    users = {
        key: create_account(
            session=session,
            email=f"{key}@example.com",
            role=role,
            name=key.capitalize(),
            instance_ids=ids,
        )
        for key, role, ids in [
            ("owner", "analyst", ["wh"]),
            ("other", "analyst", ["wh"]),
            ("viewer", "viewer", ["wh"]),
            ("admin", "admin", []),
        ]
    }
    session.commit()
    return World(**users, instance_id="wh", template_id="numbers", warehouse=warehouse)


# --- the page world: the service world, the app, and a report of the owner -------------------


@dataclass(frozen=True)
class UiWorld:
    app: dash.Dash
    session_factory: sessionmaker[Session]
    store: ResultsStore
    owner: Actor
    other: Actor
    viewer: Actor
    admin: Actor
    report: ReportInfo

    def run(self, execution_id: str) -> None:
        """Run a pending execution to its end in this process, as a worker would."""
        run_execution_now(
            session_factory=self.session_factory, store=self.store, execution_id=execution_id
        )


def build_ui_world(session_factory: sessionmaker[Session], folder: Path) -> UiWorld:
    """The app on the world's database, its template drawing WIDGETS, and a report
    "Numbers report" of the analyst `owner`."""
    from app import create_app
    from services.reports import create_report as create_report_of
    from services.results import ResultsStore

    with session_scope(session_factory) as session:
        world = build_world(session, folder)
        template = session.scalars(select(QueryTemplate)).one()
        template.report_config = {"widgets": WIDGETS}
        session.commit()
        report = create_report_of(
            session=session,
            actor=world.owner,
            template_id="numbers",
            instance_id="wh",
            name="Numbers report",
            parameters={"below": 100},
        )
    settings = load_settings(
        {
            "DATA_DIR": str(folder / "data"),
            "RESULTS_DIR": str(folder / "results"),
            "SECRET_KEY": TEST_SECRET_KEY,
        }
    )
    return UiWorld(
        app=create_app(settings, session_factory=session_factory),
        session_factory=session_factory,
        store=ResultsStore(settings.results_dir),
        owner=world.owner,
        other=world.other,
        viewer=world.viewer,
        admin=world.admin,
        report=report,
    )


# --- the demo world of the browser tests --------------------------------------------------

#: Scale of the demo warehouse: small enough to build in a few seconds, big enough to chart.
DEMO_SCALE = 0.05
ANALYST_EMAIL = "ana@example.com"
ADMIN_EMAIL = "admin@example.com"
VIEWER_EMAIL = "victor@example.com"
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class DemoWorld:
    settings: Settings
    analyst: Actor
    admin: Actor
    viewer: Actor
    env: dict[str, str]


def build_demo_warehouse(folder: Path) -> Path:
    from services.demo import build_demo_database

    path = folder / "demo.duckdb"
    build_demo_database(path, today=date.today(), scale=DEMO_SCALE)
    return path


def build_demo_world(
    *,
    folder: Path,
    database_url: str,
    session_factory: sessionmaker[Session],
    demo_warehouse: Path,
    redis_url: str | None = None,
) -> DemoWorld:
    """Settings for the app and its workers, the demo instance and library, three users."""
    from services.demo import DEMO_INSTANCE_ID, ensure_demo

    data_dir = folder / "data"
    data_dir.mkdir(exist_ok=True)
    shutil.copy(demo_warehouse, data_dir / demo_warehouse.name)
    env = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "RESULTS_DIR": str(folder / "results"),
        "SECRET_KEY": TEST_SECRET_KEY,
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    settings = load_settings(env)
    with session_scope(session_factory) as session:
        ensure_demo(session=session, settings=settings, scale=DEMO_SCALE)
        people = {}
        for key, email, role, name in [
            ("analyst", ANALYST_EMAIL, "analyst", "Ana"),
            ("viewer", VIEWER_EMAIL, "viewer", "Victor"),
            ("admin", ADMIN_EMAIL, "admin", "Alex"),
        ]:
            people[key] = create_account(
                session=session, email=email, role=role, name=name, password=PASSWORD
            )
            if role != "admin":
                grant_instance(session=session, email=email, instance_id=DEMO_INSTANCE_ID)
    return DemoWorld(settings=settings, env=env, **people)


# --- running work and waiting ---------------------------------------------------------------


def run_execution_now(
    *, session_factory: sessionmaker[Session], store: ResultsStore, execution_id: str
) -> None:
    """Run a pending execution to its end in this process, through the worker's own path."""
    from services.run_lifecycle import run_execution

    run_execution(
        session_factory=session_factory,
        store=store,
        redis=None,
        secret_key=TEST_SECRET_KEY,
        smtp_url=None,
        execution_id=execution_id,
    )


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ for the block, and a job context built from them."""
    from workers.context import job_context

    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    job_context.cache_clear()
    try:
        yield
    finally:
        if job_context.cache_info().currsize:
            job_context().session_factory.kw["bind"].dispose()
        job_context.cache_clear()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_worker_burst(env: dict[str, str]) -> None:
    """Serve every queue in this process with RQ's SimpleWorker until they are empty,
    exactly as `reportbuilder worker --burst` would with `env`."""
    from workers.queues import WORKER_QUEUES
    from workers.runtime import run_worker

    with environment(env):
        run_worker(env["REDIS_URL"], queues=WORKER_QUEUES, burst=True)


def wait_for(
    condition: Callable[[], bool], *, timeout: float = 30, interval: float = 0.05
) -> float:
    """Seconds it took for `condition` to hold; fails the test after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)
    return time.monotonic() - start


def session_factory_for(session: Session) -> sessionmaker[Session]:
    return sessionmaker(session.get_bind(), expire_on_commit=False)

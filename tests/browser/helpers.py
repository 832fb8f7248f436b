"""Helpers for the browser tests: a demo world, real worker processes, screenshots.

The world is the product's own demo (a small DuckDB warehouse shaped like AMC and the
template library), an analyst with a password, an admin, and reports made through the
services, so the pages show what a real user would see.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from db.session import session_scope
from services.demo import DEMO_INSTANCE_ID, build_demo_database, ensure_demo
from services.users import Actor, create_user, grant_instance
from settings import Settings, load_settings
from tests.workers.helpers import PROJECT_ROOT, TEST_SECRET_KEY

SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
#: Scale of the demo warehouse: small enough to build in a few seconds, big enough to chart.
DEMO_SCALE = 0.05
ANALYST_EMAIL = "ana@example.com"
ADMIN_EMAIL = "admin@example.com"
VIEWER_EMAIL = "victor@example.com"
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class BrowserWorld:
    settings: Settings
    analyst: Actor
    admin: Actor
    viewer: Actor
    env: dict[str, str]


def build_world(
    *,
    tmp_path: Path,
    database_url: str,
    session_factory: sessionmaker[Session],
    demo_warehouse: Path,
    redis_url: str | None = None,
) -> BrowserWorld:
    """Settings for the app and its workers, the demo instance and library, three users."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    shutil.copy(demo_warehouse, data_dir / demo_warehouse.name)
    env = {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "RESULTS_DIR": str(tmp_path / "results"),
        "SECRET_KEY": TEST_SECRET_KEY,
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    settings = load_settings(env)
    with session_scope(session_factory) as session:
        ensure_demo(session=session, settings=settings, scale=DEMO_SCALE)
        analyst = create_user(
            session=session, email=ANALYST_EMAIL, role="analyst", name="Ana", password=PASSWORD
        )
        grant_instance(session=session, email=ANALYST_EMAIL, instance_id=DEMO_INSTANCE_ID)
        viewer = create_user(
            session=session, email=VIEWER_EMAIL, role="viewer", name="Victor", password=PASSWORD
        )
        grant_instance(session=session, email=VIEWER_EMAIL, instance_id=DEMO_INSTANCE_ID)
        admin = create_user(
            session=session, email=ADMIN_EMAIL, role="admin", name="Alex", password=PASSWORD
        )
    return BrowserWorld(settings=settings, analyst=analyst, admin=admin, viewer=viewer, env=env)


def build_demo_warehouse(folder: Path) -> Path:
    path = folder / "demo.duckdb"
    build_demo_database(path, today=date.today(), scale=DEMO_SCALE)
    return path


@contextmanager
def running(*command: str, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A `reportbuilder COMMAND` process (worker, scheduler) for the duration of the block."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", *command],
        env={**os.environ, **env},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(condition: Callable[[], bool], *, timeout: float = 60, interval: float = 0.2) -> None:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def severe_logs(dash_duo: Any) -> list[dict[str, Any]]:
    """Browser console errors, less Chromium's own request for /favicon.ico."""
    return [e for e in dash_duo.get_logs() if "favicon.ico" not in e.get("message", "")]


def set_viewport(driver: Any, width: int, height: int) -> None:
    """Size the page area (not the window, which adds browser chrome) for screenshots."""
    driver.set_window_size(width, height)
    inner_width, inner_height = driver.execute_script(
        "return [window.innerWidth, window.innerHeight];"
    )
    driver.set_window_size(2 * width - inner_width, 2 * height - inner_height)


def save_screenshot(dash_duo: Any, name: str, *, full_height: bool = False) -> Path:
    """docs/screenshots/NAME at 1280×800 (or as tall as the page with `full_height`)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver = dash_duo.driver
    set_viewport(driver, 1280, 800)
    if full_height:
        height = driver.execute_script("return document.documentElement.scrollHeight;")
        set_viewport(driver, 1280, max(800, int(height)))
    driver.execute_script("window.scrollTo(0, 0);")
    time.sleep(0.3)  # let charts resize to the window
    path = SCREENSHOTS / name
    driver.save_screenshot(str(path))
    set_viewport(driver, 1280, 800)
    return path


def sign_in_with_form(dash_duo: Any, email: str, password: str) -> None:
    """Type into the login form and submit it (the page must be /login)."""
    dash_duo.wait_for_element("#login-email").send_keys(email)
    dash_duo.find_element("#login-password").send_keys(password)
    dash_duo.find_element("#login-submit").click()


# --- fixtures (imported by the test modules that use them) ------------------------------


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse, built once per test session and copied into each test's world."""
    return build_demo_warehouse(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def world(
    tmp_path: Path,
    sqlite_url: str,
    browser_session_factory: sessionmaker[Session],
    demo_warehouse: Path,
    redis_url: str,
) -> BrowserWorld:
    return build_world(
        tmp_path=tmp_path,
        database_url=sqlite_url,
        session_factory=browser_session_factory,
        demo_warehouse=demo_warehouse,
        redis_url=redis_url,
    )


@pytest.fixture
def worker(world: BrowserWorld) -> Iterator[subprocess.Popen[bytes]]:
    """A real `reportbuilder worker` process on the world's database, Redis and results."""
    with running("worker", env=world.env) as process:
        yield process


def make_report(world: BrowserWorld, session_factory: sessionmaker[Session], **fields: Any) -> Any:
    """A report of the analyst on the demo instance (daily_trend unless told otherwise)."""
    from services.reports import create_report

    values: dict[str, Any] = {
        "template_id": "daily_trend",
        "instance_id": DEMO_INSTANCE_ID,
        "name": "Daily delivery trend",
    }
    values.update(fields)
    with session_scope(session_factory) as session:
        return create_report(session=session, actor=world.analyst, **values)


def start_app(dash_duo: Any, world: BrowserWorld, session_factory: sessionmaker[Session]) -> Any:
    from app import create_app

    app = create_app(world.settings, session_factory=session_factory)
    dash_duo.start_server(app)
    return app

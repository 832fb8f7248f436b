"""Browser tests: Debian's Chromium, headless, offline, through dash[testing]'s `dash_duo`.

Run with `pytest --headless tests/browser`. dash_duo already adds --no-sandbox (needed as
root), --disable-gpu and --disable-dev-shm-usage; the options below keep Chromium from
reaching the network on its own, which would be slow or fail here.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.chrome.options import Options
from sqlalchemy.orm import Session, sessionmaker

from db.session import make_engine, make_session_factory
from tests.databases import migrated_sqlite_url

#: Debian's chromium package; dash_duo finds the matching chromedriver on PATH.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_setup_options() -> Options:
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--window-size=1280,800",
    ):
        options.add_argument(argument)
    return options


@pytest.fixture
def sqlite_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A SQLite metadata database migrated to head: the browser needs only one backend."""
    return migrated_sqlite_url(request, tmp_path)


@pytest.fixture
def browser_session_factory(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    yield make_session_factory(engine)
    engine.dispose()


# The demo world and a real worker, for the tests of the report, dashboards, runs and admin
# pages (defined beside their helpers).
from tests.browser.helpers import demo_warehouse, worker, world  # noqa: E402, F401

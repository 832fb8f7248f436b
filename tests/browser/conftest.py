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

from db import migrate
from db.session import make_engine, make_session_factory

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
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite metadata database migrated to head: the browser needs only one backend."""
    url = f"sqlite:///{tmp_path / 'metadata.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def browser_session_factory(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    yield make_session_factory(engine)
    engine.dispose()

"""Browser tests: Debian's Chromium, headless, offline, through dash[testing]'s `dash_duo`.

Run with `pytest --headless tests/browser`. dash_duo already adds --no-sandbox (needed as
root), --disable-gpu and --disable-dev-shm-usage; the options below keep Chromium from
reaching the network on its own, which would be slow or fail here.
"""

from __future__ import annotations

import shutil
import uuid
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


def sign_in_browser(dash_duo: object, app: object, user_uuid: object) -> None:
    """Sign the browser in as `user_uuid` by planting the app's signed session cookie.

    Independent of the login page (which has its own test). Call after
    `dash_duo.start_server(app)`; then navigate.
    """
    from flask import Flask

    from webauth import session_values

    server: Flask = app.server  # type: ignore[attr-defined]
    serializer = server.session_interface.get_signing_serializer(server)  # type: ignore[attr-defined]
    with server.app_context():  # the user id and the fingerprint of their password
        values = session_values(uuid.UUID(str(user_uuid)))
    cookie = serializer.dumps({**values, "_permanent": True})
    driver = dash_duo.driver  # type: ignore[attr-defined]
    driver.get(dash_duo.server_url + "/healthz")  # type: ignore[attr-defined]
    driver.add_cookie({"name": server.config["SESSION_COOKIE_NAME"], "value": cookie, "path": "/"})


# The demo world and a real worker, for the tests of the report, dashboards, runs and admin
# pages (defined beside their helpers).
from tests.browser.helpers import demo_warehouse, worker, world  # noqa: E402, F401

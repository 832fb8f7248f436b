"""Helpers for the browser tests: a demo world, real worker processes, screenshots, and
waits and clicks that survive re-renders.

The world is the product's own demo (a small DuckDB warehouse shaped like AMC and the
template library), an analyst with a password, an admin, and reports made through the
services, so the pages show what a real user would see.

Live pages redraw their tables on every poll, and Dash replaces every element under a
redrawn component: a reference found before a refresh goes stale. So tests never keep
one: `click`, `type_into`, `text` and `attribute` find the element afresh at each try,
and `wait_for` treats a stale or not-yet-drawn element as "not yet".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy.orm import Session, sessionmaker

from db.session import session_scope
from services.demo import DEMO_INSTANCE_ID
from tests.factories import (
    PROJECT_ROOT,
    DemoWorld,
    build_demo_warehouse,
    build_demo_world,
)

#: Where `save_screenshot` writes: docs/screenshots (the README's pictures) only when
#: UPDATE_SCREENSHOTS=1, so that a test run leaves the tree as it found it.
SCREENSHOTS = (
    PROJECT_ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "reportbuilder-screenshots"
)
#: What a wait tries again: an element redrawn under us (stale) or not drawn yet.
NOT_YET: tuple[type[Exception], ...] = (StaleElementReferenceException, NoSuchElementException)
#: What a click also tries again: an element still covered (a modal fading in) or hidden.
NOT_CLICKABLE_YET = (*NOT_YET, ElementClickInterceptedException, ElementNotInteractableException)
#: Keys that select and delete what an input holds (React sees them, unlike `clear()`);
#: NULL lets go of Control, which would otherwise stay down for the rest of the keys.
CLEAR_KEYS = (Keys.CONTROL, "a", Keys.NULL, Keys.DELETE)

T = TypeVar("T")


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


def wait_for(
    condition: Callable[[], T],
    *,
    timeout: float = 60,
    interval: float = 0.2,
    retry: tuple[type[Exception], ...] = NOT_YET,
) -> T:
    """The first truthy value of `condition()`; a call that raises one of `retry` (the
    element was redrawn or is not drawn yet) counts as "not yet"."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = condition()
        except retry as error:
            last_error = error
        else:
            if value:
                return value
        if time.monotonic() > deadline:
            seen = f" (last: {type(last_error).__name__})" if last_error else ""
            raise AssertionError(f"condition not met within {timeout} s{seen}")
        time.sleep(interval)


def read_fresh(read: Callable[[], T], *, timeout: float = 10) -> T:
    """What `read()` returns (falsy values too) once it meets no stale or missing element."""
    (value,) = wait_for(lambda: (read(),), timeout=timeout)  # a 1-tuple is always truthy
    return value


def click(dash_duo: Any, selector: str, *, by: str = By.CSS_SELECTOR, timeout: float = 10) -> None:
    """Click the element at `selector`, found again at each try until the click lands."""

    def attempt() -> bool:
        element = dash_duo.driver.find_element(by, selector)
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()
        return True

    wait_for(attempt, timeout=timeout, retry=NOT_CLICKABLE_YET)


def script_click(dash_duo: Any, selector: str, *, timeout: float = 10) -> None:
    """Click through the page's script, found and clicked in one step (under phone
    emulation Selenium's clicks miss scrolled elements)."""
    script = "const e = document.querySelector(arguments[0]); if (e) e.click(); return !!e;"
    wait_for(lambda: dash_duo.driver.execute_script(script, selector), timeout=timeout)


def type_into(
    dash_duo: Any, selector: str, typed: str, *, clear: bool = False, timeout: float = 10
) -> None:
    """Type `typed` into the input at `selector` (emptied first with `clear`)."""
    keys = (*CLEAR_KEYS, typed) if clear else (typed,)

    def attempt() -> bool:
        dash_duo.driver.find_element(By.CSS_SELECTOR, selector).send_keys(*keys)
        return True

    wait_for(attempt, timeout=timeout, retry=NOT_CLICKABLE_YET)


def select_dropdown(dash_duo: Any, selector: str, option: str, *, timeout: float = 10) -> None:
    """Open the Dash dropdown at `selector` and pick the option labelled `option`."""
    click(dash_duo, selector, timeout=timeout)
    xpath = (
        "//*[contains(@class, 'dash-dropdown-content')]"
        f"//*[contains(@class, 'dash-dropdown-option')][normalize-space()='{option}']"
    )
    click(dash_duo, xpath, by=By.XPATH, timeout=timeout)


def text(dash_duo: Any, selector: str, *, timeout: float = 10) -> str:
    """The visible text of the element at `selector`, read from a fresh reference."""
    found: str = read_fresh(
        lambda: dash_duo.driver.find_element(By.CSS_SELECTOR, selector).text, timeout=timeout
    )
    return found


def attribute(dash_duo: Any, selector: str, name: str, *, timeout: float = 10) -> str | None:
    """The attribute `name` of the element at `selector`, read from a fresh reference."""
    found: str | None = read_fresh(
        lambda: dash_duo.driver.find_element(By.CSS_SELECTOR, selector).get_attribute(name),
        timeout=timeout,
    )
    return found


def texts(dash_duo: Any, selector: str) -> list[str]:
    """The text of every match, read at once in the page (no reference can go stale)."""
    script = "return [...document.querySelectorAll(arguments[0])].map(e => e.innerText.trim());"
    found: list[str] = dash_duo.driver.execute_script(script, selector)
    return found


def attributes(dash_duo: Any, selector: str, name: str) -> list[str | None]:
    """The attribute `name` of every match, read at once in the page."""
    script = (
        "return [...document.querySelectorAll(arguments[0])]"
        ".map(e => e.getAttribute(arguments[1]));"
    )
    found: list[str | None] = dash_duo.driver.execute_script(script, selector, name)
    return found


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
    """SCREENSHOTS/NAME at 1280×800 (or as tall as the page with `full_height`)."""
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


def sign_in_with_form(dash_duo: Any, email: str, password: str) -> None:
    """Type into the login form and submit it (the page must be /login)."""
    type_into(dash_duo, "#login-email", email)
    type_into(dash_duo, "#login-password", password)
    click(dash_duo, "#login-submit")


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
) -> DemoWorld:
    return build_demo_world(
        folder=tmp_path,
        database_url=sqlite_url,
        session_factory=browser_session_factory,
        demo_warehouse=demo_warehouse,
        redis_url=redis_url,
    )


@pytest.fixture
def worker(world: DemoWorld) -> Iterator[subprocess.Popen[bytes]]:
    """A real `reportbuilder worker` process on the world's database, Redis and results."""
    with running("worker", env=world.env) as process:
        yield process


def make_report(world: DemoWorld, session_factory: sessionmaker[Session], **fields: Any) -> Any:
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


def start_app(dash_duo: Any, world: DemoWorld, session_factory: sessionmaker[Session]) -> Any:
    from app import create_app

    app = create_app(world.settings, session_factory=session_factory)
    dash_duo.start_server(app)
    return app

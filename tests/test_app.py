from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash
import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

import webcontext
from app import create_app, serve_layout
from components.status import STATUS_COLORS, status_color
from db.models import EXECUTION_STATUSES
from services.users import Actor
from settings import load_settings


@pytest.fixture
def app(tmp_path: Path) -> dash.Dash:
    """The app on its default database, a SQLite file that serving static routes never opens."""
    return create_app(load_settings({"DATA_DIR": str(tmp_path)}))


@pytest.fixture
def db_app(tmp_path: Path, session_factory: sessionmaker[Session]) -> dash.Dash:
    """The app on a migrated database, once on SQLite and once on PostgreSQL."""
    return create_app(load_settings({"DATA_DIR": str(tmp_path)}), session_factory=session_factory)


@pytest.fixture
def client(app: dash.Dash) -> Iterator[FlaskClient]:
    with app.server.test_client() as client:
        yield client


def _text(component: Any) -> str:
    """All the text in a component tree, for asserting on what a page says."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(child) for child in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


def test_home_page_is_served_as_html(client: FlaskClient) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "<title>Report Builder</title>" in response.text


def test_pages_link_to_self_served_stylesheets_not_a_cdn(client: FlaskClient) -> None:
    html = client.get("/").text

    assert 'href="/vendor/bootstrap/css/bootstrap.min.css' in html
    assert 'href="/vendor/bootstrap-icons/bootstrap-icons.min.css' in html
    assert "cdn" not in html.lower()


def test_bootstrap_css_is_served_from_the_installed_package(client: FlaskClient) -> None:
    response = client.get("/vendor/bootstrap/css/bootstrap.min.css")

    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert b"Bootstrap" in response.data[:200]


def test_bootstrap_icons_css_and_font_are_served(client: FlaskClient) -> None:
    css = client.get("/vendor/bootstrap-icons/bootstrap-icons.min.css")
    # The stylesheet names its fonts relative to itself: fonts/bootstrap-icons.woff2.
    font = client.get("/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2")

    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert b'url("fonts/bootstrap-icons.woff2' in css.data
    assert font.status_code == 200
    assert font.mimetype == "font/woff2"
    assert font.data[:4] == b"wOF2"


# Targets that exist next to the bootstrap package (site-packages) and in the project root.
@pytest.mark.parametrize(
    "path",
    [
        "/vendor/bootstrap/..%2fjs_lib_bootstrap_icons%2f__init__.py",
        "/vendor/bootstrap/../js_lib_bootstrap_icons/__init__.py",
        "/vendor/bootstrap/%2e%2e/js_lib_bootstrap_icons/__init__.py",
        "/vendor/bootstrap/" + "..%2f" * 5 + "settings.py",
        "/vendor/bootstrap-icons/" + "..%2F" * 4 + "__init__.py",
        "/vendor/bootstrap//etc/passwd",
        "/vendor/bootstrap/%2fetc%2fpasswd",
    ],
)
def test_vendor_routes_do_not_serve_files_outside_their_package(
    client: FlaskClient, path: str
) -> None:
    response = client.get(path)

    # Either the vendor route refuses, or the path falls through to Dash's page shell (whose
    # 404 page then shows): never the file itself.
    assert response.status_code == 404 or (
        response.mimetype == "text/html" and b"react-entry-point" in response.data
    )
    assert b"load_settings" not in response.data
    assert b"Repackaged" not in response.data
    assert b"root:x:0:0" not in response.data


def test_health_endpoint_answers_ok(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.text == "OK"


def test_navbar_links_every_section_for_an_admin(app: dash.Dash) -> None:
    admin = Actor(id=uuid.uuid4(), user_id="usr_1", email="a@example.com", name="Al", role="admin")
    with app.server.test_request_context("/"):
        g.actor = admin
        navbar = _text(serve_layout())

    for label in ("Report Builder", "Home", "Dashboards", "Runs", "Admin", "Al"):
        assert label in navbar
    paths = {page["path"] for page in dash.page_registry.values()}
    assert {"/", "/login", "/report-builder", "/dashboards", "/runs", "/admin/queues"} <= paths


def test_analysts_see_no_admin_link_and_visitors_only_the_brand(app: dash.Dash) -> None:
    analyst = Actor(
        id=uuid.uuid4(), user_id="usr_2", email="b@example.com", name="Bo", role="analyst"
    )
    with app.server.test_request_context("/"):
        g.actor = analyst
        signed_in = _text(serve_layout())
    with app.server.test_request_context("/"):
        g.actor = None
        visitor = _text(serve_layout())

    assert "Runs" in signed_in and "Admin" not in signed_in
    assert "Report Builder" in visitor and "Runs" not in visitor


def test_app_stores_the_session_factory_and_settings_for_pages(
    db_app: dash.Dash, session_factory: sessionmaker[Session]
) -> None:
    with db_app.server.test_request_context("/"):
        assert webcontext.get_session_factory() is session_factory
        assert webcontext.get_settings().web_port == 8050


def test_pages_send_visitors_without_a_session_to_sign_in(db_app: dash.Dash) -> None:
    with db_app.server.test_request_context("/"):
        for module, path in (("pages.home", "/"), ("pages.runs", "/runs")):
            redirect = sys.modules[module].layout()
            assert isinstance(redirect, dash.dcc.Location)
            assert redirect.href == f"/login?next={path}"


def test_downloads_need_a_session(client: FlaskClient) -> None:
    response = client.get("/download/executions/exe_12345678.csv")

    assert response.status_code == 302
    assert "/login?next=/download/executions/exe_12345678.csv" in response.headers["Location"]


def test_every_execution_status_has_its_own_colour() -> None:
    assert set(STATUS_COLORS) == set(EXECUTION_STATUSES)
    assert len(set(STATUS_COLORS.values())) == len(STATUS_COLORS)
    assert status_color("no-such-status") not in STATUS_COLORS.values()

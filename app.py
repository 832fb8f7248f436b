"""The web entry point: `create_app()` builds the Dash app; its Flask server is `.server`.

Production (`reportbuilder web`, gunicorn) serves `create_app().server`; for development,
`python app.py` runs Dash's own server on WEB_HOST:WEB_PORT. Pages reach the settings and
the database through `webcontext` (`db_session()`), which reads what `create_app` binds.
Beside the pages, the Flask server answers /logout, the API (api.register) and the result
downloads (downloads.register).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import Flask, Response, has_request_context, redirect, send_from_directory
from sqlalchemy.orm import Session, sessionmaker

import api
import downloads
import webauth
import webcontext
from components import navbar, user_menu
from components.navbar import create_navbar
from components.user_menu import (
    LOGOUT_PATH,
    create_api_token_modal,
    create_password_modal,
    create_user_menu,
)
from db.session import make_engine, make_session_factory
from settings import Settings, load_settings

HERE = Path(__file__).resolve().parent
PAGES_DIR = HERE / "pages"
ASSETS_DIR = HERE / "assets"

#: Where the app serves Bootstrap and Bootstrap Icons, taken from their installed wheels
#: (bootstrap-wrapper, django-js-lib-bootstrap-icons) rather than a CDN, so pages render
#: with no internet access.
BOOTSTRAP_URL = "/vendor/bootstrap"
BOOTSTRAP_ICONS_URL = "/vendor/bootstrap-icons"
#: Seconds browsers may cache vendored files; the stylesheet links carry the package
#: version, so an upgrade is fetched at once.
VENDOR_MAX_AGE_S = 7 * 24 * 3600
#: Dash's built-in health check (plain "OK", status 200), for load balancers and `run`.
HEALTH_PATH = "healthz"


def package_dir(package: str, *parts: str) -> Path:
    """The folder of an installed (possibly namespace) package, without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {package!r} is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def bootstrap_dir() -> Path:
    return package_dir("bootstrap")


def bootstrap_icons_dir() -> Path:
    return package_dir("js_lib_bootstrap_icons", "static", "bootstrap-icons", "font")


def _version_tag(distribution: str) -> str:
    return importlib.metadata.version(distribution)


def create_app(
    settings: Settings | None = None, session_factory: sessionmaker[Session] | None = None
) -> dash.Dash:
    """Build the app; without a session factory, one is made from `settings.database_url`."""
    settings = settings or load_settings()
    if session_factory is None:
        session_factory = make_session_factory(make_engine(settings.database_url))

    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        assets_folder=str(ASSETS_DIR),
        suppress_callback_exceptions=True,
        title="Report Builder",
        update_title="",  # keep the tab title steady while callbacks run
        health_endpoint=HEALTH_PATH,
        external_stylesheets=[
            f"{BOOTSTRAP_URL}/css/bootstrap.min.css?v={_version_tag('bootstrap-wrapper')}",
            f"{BOOTSTRAP_ICONS_URL}/bootstrap-icons.min.css"
            f"?v={_version_tag('django-js-lib-bootstrap-icons')}",
        ],
    )
    server = app.server
    server.secret_key = settings.secret_key
    webcontext.bind(server, settings=settings, session_factory=session_factory)
    webauth.install(server, secure_cookies=settings.secure_cookies)
    _add_vendor_routes(server)
    api.register(server)
    _add_session_routes(server)
    downloads.register(server)
    app.layout = serve_layout
    navbar.register_callbacks(app)
    user_menu.register_callbacks(app)
    return app


def serve_layout() -> html.Div:
    """The frame around every page, built per page load: the navbar knows who is signed in."""
    actor = webauth.current_actor() if has_request_context() else None
    signed_in: list[Any] = []
    menu = None
    if actor is not None:
        menu = create_user_menu(name=actor.name, email=actor.email, role=actor.role)
        signed_in.extend([create_api_token_modal(), create_password_modal()])
    return html.Div(
        [
            # Callbacks send the browser elsewhere through this (e.g. to sign in again).
            dcc.Location(id=webcontext.APP_LOCATION_ID, refresh=True),
            create_navbar(actor, menu),
            *signed_in,
            dbc.Container(dash.page_container, id="app-page", class_name="pb-5"),
        ]
    )


def _add_session_routes(server: Flask) -> None:
    @server.route(LOGOUT_PATH, methods=["GET", "POST"])
    def logout() -> Any:
        webauth.sign_out()
        return redirect(webcontext.LOGIN_PATH)


def _add_vendor_routes(server: Flask) -> None:
    bootstrap, icons = bootstrap_dir(), bootstrap_icons_dir()

    # send_from_directory refuses paths that leave the folder (../, absolute, encoded).
    @server.get(f"{BOOTSTRAP_URL}/<path:filename>")
    def vendor_bootstrap(filename: str) -> Response:
        return send_from_directory(bootstrap, filename, max_age=VENDOR_MAX_AGE_S)

    @server.get(f"{BOOTSTRAP_ICONS_URL}/<path:filename>")
    def vendor_bootstrap_icons(filename: str) -> Response:
        return send_from_directory(icons, filename, max_age=VENDOR_MAX_AGE_S)


if __name__ == "__main__":
    dev_settings = load_settings()
    create_app(dev_settings).run(host=dev_settings.web_host, port=dev_settings.web_port, debug=True)

"""The web entry point: `create_app()` builds the Dash app; its Flask server is `.server`.

Production (`reportbuilder web`, gunicorn) serves `create_app().server`; for development,
`python app.py` runs Dash's own server on WEB_HOST:WEB_PORT. Pages reach the settings and
the database through `pages._context` (`db_session()`), which reads what `create_app` binds.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask import Flask, Response, send_from_directory
from sqlalchemy.orm import Session, sessionmaker

import webauth
from components.navbar import create_navbar
from db.session import make_engine, make_session_factory
from pages import _context
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
    _context.bind(server, settings=settings, session_factory=session_factory)
    webauth.install(server, secure_cookies=settings.secure_cookies)
    _add_vendor_routes(server)

    app.layout = html.Div(
        [
            create_navbar(),
            dbc.Container(dash.page_container, id="app-page", class_name="pb-5"),
        ]
    )
    return app


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

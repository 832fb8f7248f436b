"""The WSGI entry of the web process, for gunicorn: `gunicorn 'wsgi:create_application()'`.

`reportbuilder web` serves the same application (cli/web_server.py). It lives here, above
both `app` and `api`, so that `api` never imports `app`: `app.create_app` mounts the API.
"""

from __future__ import annotations

from flask import Flask

from app import create_app
from settings import Settings, load_settings


def create_application(settings: Settings | None = None) -> Flask:
    """The Flask server of the app (pages and API), built from `settings` or the environment."""
    server: Flask = create_app(settings or load_settings()).server
    return server

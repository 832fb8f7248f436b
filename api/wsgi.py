"""The WSGI application of the web process: the Dash app's Flask server with the API.

gunicorn can load it directly: `gunicorn 'api.wsgi:create_application()'`;
`reportbuilder web` does the same through api/server.py.
"""

from __future__ import annotations

from flask import Flask

import api
from settings import Settings, load_settings


def create_application(settings: Settings | None = None) -> Flask:
    """Build the app (pages and API) from `settings`, or from the environment."""
    from app import create_app  # app imports pages, which need the Dash app first

    settings = settings or load_settings()
    server: Flask = create_app(settings).server
    api.register(server)
    return server

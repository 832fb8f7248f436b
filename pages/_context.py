"""What pages and their callbacks need from the running app: settings and database sessions.

`app.create_app` stores both on the Flask config (keys below); page code reaches them
through these functions, inside a request, so no page builds an engine of its own. The
leading underscore keeps Dash from importing this module as a page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from dash import dcc
from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

import webauth
from db.session import session_scope
from services.users import Actor
from settings import Settings

#: Flask config key holding the `sessionmaker` of the metadata database.
SESSION_FACTORY_KEY = "SESSION_FACTORY"
#: Flask config key holding the `Settings` the app was built with.
SETTINGS_KEY = "REPORTBUILDER_SETTINGS"


def bind(server: Flask, *, settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """Attach settings and the session factory to `server`; called once by `create_app`."""
    server.config[SETTINGS_KEY] = settings
    server.config[SESSION_FACTORY_KEY] = session_factory


def get_settings() -> Settings:
    settings: Settings = current_app.config[SETTINGS_KEY]
    return settings


def get_session_factory() -> sessionmaker[Session]:
    factory: sessionmaker[Session] = current_app.config[SESSION_FACTORY_KEY]
    return factory


@contextmanager
def db_session() -> Iterator[Session]:
    """A session for one page load or callback: commits at the end, rolls back on error."""
    with session_scope(get_session_factory()) as session:
        yield session


def current_actor() -> Actor | None:
    """The signed-in user of this request (session cookie or API token), or None."""
    return webauth.current_actor()


def sign_in_redirect(path: str) -> dcc.Location:
    """What a page shows someone not signed in: a redirect to the login page and back."""
    return dcc.Location(id="auth-redirect", href=f"/login?next={quote(path)}")

"""The web context: what pages, components and the API need per request.

`app.create_app` stores the settings and the session factory on the Flask config (keys
below); pages, components and the API reach the signed-in actor, a database session, Redis
and the results store through these functions, inside a request, so none of them builds an
engine of its own or imports `db`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit

from dash import dcc, set_props
from flask import Flask, current_app, request
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

import webauth
from db.session import session_scope
from services.results import ResultsStore
from services.runtime import redis_connection
from services.users import Actor
from settings import Settings

#: Flask config key holding the `sessionmaker` of the metadata database.
SESSION_FACTORY_KEY = "SESSION_FACTORY"
#: Flask config key holding the `Settings` the app was built with.
SETTINGS_KEY = "REPORTBUILDER_SETTINGS"
#: Flask config key caching the Redis client (one connection pool per app, made on first use).
REDIS_KEY = "REPORTBUILDER_REDIS"
#: Id of the app-wide dcc.Location (in app.py's layout) that callbacks use to leave the page.
APP_LOCATION_ID = "app-location"
#: Where people sign in.
LOGIN_PATH = "/login"


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
    """What a page shows someone not signed in: a redirect to the login page and back.

    `refresh=True`: a Location only navigates on mount when it reloads the page.
    """
    return dcc.Location(id="auth-redirect", href=login_url(path), refresh=True)


def login_url(path: str) -> str:
    return f"{LOGIN_PATH}?next={quote(safe_next(path))}"


def safe_next(path: str | None) -> str:
    """`path` when it is a path on this site, else "/": `next` must never leave the site."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        return "/"
    return path


def callback_actor() -> Actor | None:
    """The signed-in user of a callback; when there is none (the session ended or was
    revoked), the browser is sent to the login page and the caller returns no_update."""
    actor = current_actor()
    if actor is None:
        referrer = urlsplit(request.referrer or "/")
        path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
        set_props(APP_LOCATION_ID, {"href": login_url(path)})
    return actor


def redis_client() -> Redis | None:
    """The app's Redis client, or None when no REDIS_URL is set (runs then wait for the
    reconciler, which enqueues every pending run)."""
    url = get_settings().redis_url
    if url is None:
        return None
    client: Redis | None = current_app.config.get(REDIS_KEY)
    if client is None:
        client = redis_connection(url)
        current_app.config[REDIS_KEY] = client
    return client


def results_store() -> ResultsStore:
    return ResultsStore(get_settings().results_dir)

"""Who is making a web request: a signed session cookie (the browser) or an API token
(`Authorization: Bearer rbt_...`), and CSRF protection for what the cookie authorizes.

CSRF: Dash's renderer reads the `_csrf_token` cookie and sends it back in the
`X-CSRFToken` header on every callback; a POST (or other write) authorized by the session
cookie must carry that header with the cookie's value (double-submit). Token-authorized
requests carry no cookie, so they need no CSRF token.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import uuid

from flask import Flask, Response, current_app, g, redirect, request, session
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from db.session import session_scope
from services.setup import needs_setup
from services.users import Actor, authenticate_token, current_fingerprint, session_user

log = logging.getLogger(__name__)

#: Session key holding the signed-in user's UUID.
SESSION_USER_KEY = "user_uuid"
#: Session key holding the fingerprint of the password the session was signed in with
#: (services.users.session_fingerprint): a new password ends every older session.
SESSION_FINGERPRINT_KEY = "fp"
#: Cookie and header of the double-submit CSRF token (Dash 4's defaults).
CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
#: Flask config key of the session factory (set by webcontext.bind).
_FACTORY_KEY = "SESSION_FACTORY"
#: Where the first admin is created while the database holds no user.
SETUP_PATH = "/setup"
#: Flask config key set once a user exists: from then on the setup check costs nothing.
SETUP_DONE_KEY = "REPORTBUILDER_SETUP_DONE"
#: Paths never sent to /setup: the API, Dash's own routes (/_dash-*, /_reload-hash …),
#: static files, and the pages that do not need an admin.
_SETUP_EXEMPT = (
    "/api/",
    "/_",
    "/assets/",
    "/vendor/",
    "/healthz",
    "/download/",
    "/logout",
    SETUP_PATH,
    "/set-password",
)


class CSRFError(Exception):
    pass


def install(server: Flask, *, secure_cookies: bool) -> None:
    """Session cookie settings and the CSRF check, on the Flask server of the app."""
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        SESSION_COOKIE_NAME="reportbuilder_session",
    )

    @server.before_request
    def _check_csrf() -> Response | None:
        if request.method in _SAFE_METHODS or bearer_token():
            return None
        if SESSION_USER_KEY not in session:
            return None  # nothing the cookie would authorize (e.g. the login form)
        sent = request.headers.get(CSRF_HEADER, "")
        expected = request.cookies.get(CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(sent, expected):
            return Response(
                '{"error": {"code": "csrf", "message": "Missing or wrong CSRF token; '
                'reload the page."}}',
                status=403,
                mimetype="application/json",
            )
        return None

    @server.before_request
    def _lead_to_setup() -> BaseResponse | None:
        """While the database holds no user, every page leads to the first-run setup."""
        if request.method != "GET" or request.path.startswith(_SETUP_EXEMPT):
            return None
        if "." in request.path.rsplit("/", 1)[-1]:  # a file (favicon.ico, robots.txt)
            return None
        if setup_needed() and current_actor() is None:
            return redirect(SETUP_PATH)
        return None

    @server.after_request
    def _limit_referrer(response: Response) -> Response:
        # URLs of this site go to no other site (a set-password link given out in the
        # older `?token=` form, report ids); same-origin callbacks keep theirs
        # (webcontext.callback_actor reads it).
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @server.after_request
    def _set_csrf_cookie(response: Response) -> Response:
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(
                CSRF_COOKIE,
                secrets.token_urlsafe(32),
                httponly=False,  # the renderer must read it to send it back
                samesite="Strict",
                secure=secure_cookies,
            )
        return response


def setup_needed() -> bool:
    """True while the database holds no user (services.setup.needs_setup), asked of the
    database until the answer is no, then remembered for the life of the app."""
    if current_app.config.get(SETUP_DONE_KEY):
        return False
    try:
        with session_scope(current_app.config[_FACTORY_KEY]) as db:
            needed = needs_setup(session=db)
    except SQLAlchemyError as error:  # no schema yet, or the database is down: pages say so
        log.warning("cannot tell whether setup is needed: %s", type(error).__name__)
        return False
    if not needed:
        current_app.config[SETUP_DONE_KEY] = True
    return needed


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_actor() -> Actor | None:
    """The user behind this request, or None; looked up once per request."""
    if "actor" in g:
        actor: Actor | None = g.actor
        return actor
    actor = None
    token = bearer_token()
    with session_scope(current_app.config[_FACTORY_KEY]) as db:
        if token:
            actor = authenticate_token(session=db, token=token)
        elif SESSION_USER_KEY in session:
            try:
                actor = session_user(
                    session=db,
                    user_uuid=uuid.UUID(session[SESSION_USER_KEY]),
                    fingerprint=session.get(SESSION_FINGERPRINT_KEY),
                )
            except (ValueError, TypeError):
                actor = None
    g.actor = actor
    return actor


def session_values(user_uuid: uuid.UUID) -> dict[str, str]:
    """What a browser session signed in as `user_uuid` now holds (inside an app context)."""
    with session_scope(current_app.config[_FACTORY_KEY]) as db:
        fingerprint = current_fingerprint(session=db, user_uuid=user_uuid)
    return {SESSION_USER_KEY: str(user_uuid), SESSION_FINGERPRINT_KEY: fingerprint}


def sign_in(actor: Actor, *, fingerprint: str | None = None) -> None:
    """Sign this browser in as `actor`; `fingerprint` when the caller's own transaction
    changed the password and is not committed yet (else it is read from the database)."""
    if fingerprint is None:
        values = session_values(actor.id)
    else:
        values = {SESSION_USER_KEY: str(actor.id), SESSION_FINGERPRINT_KEY: fingerprint}
    session.clear()
    session.update(values)
    session.permanent = True
    g.actor = actor


def sign_out() -> None:
    session.clear()
    g.actor = None

"""Who is making a web request: a signed session cookie (the browser) or an API token
(`Authorization: Bearer rbt_...`), and CSRF protection for what the cookie authorizes.

CSRF: Dash's renderer reads the `_csrf_token` cookie and sends it back in the
`X-CSRFToken` header on every callback; a POST (or other write) authorized by the session
cookie must carry that header with the cookie's value (double-submit). Token-authorized
requests carry no cookie, so they need no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
import uuid

from flask import Flask, Response, current_app, g, request, session

from db.session import session_scope
from services.users import Actor, authenticate_token, get_actor

#: Session key holding the signed-in user's UUID.
SESSION_USER_KEY = "user_uuid"
#: Cookie and header of the double-submit CSRF token (Dash 4's defaults).
CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
#: Flask config key of the session factory (set by webcontext.bind).
_FACTORY_KEY = "SESSION_FACTORY"


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
                actor = get_actor(session=db, user_uuid=uuid.UUID(session[SESSION_USER_KEY]))
            except ValueError:
                actor = None
    g.actor = actor
    return actor


def sign_in(actor: Actor) -> None:
    session.clear()
    session[SESSION_USER_KEY] = str(actor.id)
    session.permanent = True
    g.actor = actor


def sign_out() -> None:
    session.clear()
    g.actor = None

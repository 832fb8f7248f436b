"""The browser's downloads: a run's whole result and a dashboard's data, as CSV or XLSX, at
plain URLs the pages link to (files stream, so these are Flask routes, not callbacks).

The API serves the same files through the same service functions and maps their errors
with the same function (api.errors), so a missing or expired result answers alike on both;
here in plain text, there in the API's JSON shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, redirect, request
from sqlalchemy.orm import Session

import webauth
import webcontext
from api.errors import from_domain_error
from api.responses import file_response
from services.dashboards import export_dashboard
from services.errors import DomainError
from services.exports import Download
from services.run_results import result_download
from services.users import Actor

#: Where a run's whole result is downloaded: /download/executions/<execution_id>.csv|.xlsx
EXECUTION_PATH = "/download/executions"
#: Where a dashboard's combined data is exported: /download/dashboards/<dashboard_id>.csv|.xlsx
DASHBOARD_PATH = "/download/dashboards"
_FORMAT = "<any(csv, xlsx):fmt>"


def register(server: Flask) -> None:
    """Serve the download routes on `server`."""
    server.add_url_rule(f"{EXECUTION_PATH}/<execution_id>.{_FORMAT}", view_func=download_execution)
    server.add_url_rule(f"{DASHBOARD_PATH}/<dashboard_id>.{_FORMAT}", view_func=download_dashboard)


def download_execution(execution_id: str, fmt: str) -> Any:
    return _send(
        lambda session, actor: result_download(
            session=session,
            actor=actor,
            store=webcontext.results_store(),
            execution_id=execution_id,
            format=fmt,
        )
    )


def download_dashboard(dashboard_id: str, fmt: str) -> Any:
    return _send(
        lambda session, actor: export_dashboard(
            session=session,
            actor=actor,
            store=webcontext.results_store(),
            dashboard_id=dashboard_id,
            format=fmt,
        )
    )


def _send(make: Callable[[Session, Actor], Download]) -> Any:
    """The file `make` builds for the signed-in user; without one, the sign-in page."""
    actor = webauth.current_actor()
    if actor is None:
        return redirect(webcontext.login_url(request.full_path.rstrip("?")))
    try:
        with webcontext.db_session() as session:
            download = make(session, actor)
    except DomainError as error:
        refusal = from_domain_error(error)
        return Response(refusal.message, status=refusal.status, mimetype="text/plain")
    return file_response(download)

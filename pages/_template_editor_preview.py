"""The template editor's preview: the SQL runs through the run queue on the chosen source
with each parameter's default, and the page polls until its rows and types are back.

pages/template_editor.py registers these callbacks for every app (components.callbacks).
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from components.callbacks import CallbackSet
from components.feedback import create_error_feedback
from components.template_editor import eid
from components.template_editor_panels import create_preview_progress, create_preview_table
from components.template_editor_read import read_definitions
from components.template_editor_rows import PARAM_FIELDS, param_states
from services.errors import DomainError, PermissionDenied, ValidationFailed
from services.template_preview import preview_result, start_preview
from webcontext import callback_actor, db_session, redis_client

#: Registered by pages/template_editor.py for every app (see components.callbacks).
callbacks = CallbackSet()


@callbacks.callback(
    output=dict(
        preview_id=Output(eid("preview-id"), "data"),
        poll=Output(eid("preview-poll"), "disabled"),
        result=Output(eid("preview-result"), "children"),
    ),
    inputs=dict(
        clicks=Input(eid("preview"), "n_clicks"),
        source=State(eid("source"), "value"),
        limit=State(eid("row-limit"), "value"),
        sql=State(eid("sql_template"), "value"),
        windowed=State(eid("windowed"), "value"),
        min_age=State(eid("min-age"), "data"),
        params=param_states(),
    ),
    prevent_initial_call=True,
)
def start_preview_run(
    clicks: int | None,
    source: str | None,
    limit: Any,
    sql: str | None,
    windowed: bool,
    min_age: int | None,
    params: list[list[Any]],
) -> dict[str, Any]:
    """Enqueue the preview with each parameter's default as its value, then poll."""
    actor = callback_actor()
    if not clicks or actor is None:
        raise PreventUpdate
    definitions = read_definitions(dict(zip(PARAM_FIELDS, params, strict=True)))
    redis = redis_client()
    try:
        if redis is None:
            raise PermissionDenied("Previews run on the queue, and no REDIS_URL is set.")
        with db_session() as session:
            preview_id = start_preview(
                session=session,
                actor=actor,
                redis=redis,
                instance_id=str(source or ""),
                sql_template=sql or "",
                parameter_definitions=definitions,
                values={d["name"]: d["default"] for d in definitions if "default" in d},
                row_limit=int(limit or 100),
                windowed=bool(windowed),
                min_data_age_days=int(min_age or 0),
            )
    except (DomainError, ValueError) as error:
        problem = (
            error if isinstance(error, DomainError) else ValidationFailed({"row_limit": str(error)})
        )
        return {"preview_id": None, "poll": True, "result": create_error_feedback(problem)}
    return {"preview_id": preview_id, "poll": False, "result": create_preview_progress("queued")}


@callbacks.callback(
    Output(eid("preview-result"), "children", allow_duplicate=True),
    Output(eid("preview-poll"), "disabled", allow_duplicate=True),
    Output(eid("columns"), "data"),
    Input(eid("preview-poll"), "n_intervals"),
    State(eid("preview-id"), "data"),
    prevent_initial_call=True,
)
def poll_preview(n_intervals: int | None, preview_id: str | None) -> Any:
    actor = callback_actor()
    redis = redis_client()
    if actor is None or redis is None or not preview_id:
        return no_update, True, no_update
    try:
        found = preview_result(redis=redis, actor=actor, preview_id=preview_id)
    except DomainError as error:
        return create_error_feedback(error), True, no_update
    if not found.done:
        return create_preview_progress(found.state), False, no_update
    return create_preview_table(found), True, [c.name for c in found.columns]

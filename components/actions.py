"""Action buttons: a click calls one service as the signed-in user, then the page says what
happened (a feedback alert) and redraws (a counter its live sections listen to).

Pages repeated this callback for each button (run now, cancel a run, retry or cancel a
backfill); `action_callback` declares one, `act` is its body for the shapes it does not
build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dash import ALL, Input, Output, State, no_update

from components.clicks import clicked_index
from components.feedback import create_error_feedback, create_feedback
from services.cancels import cancel_execution
from services.errors import DomainError
from services.users import Actor
from webcontext import callback_actor, db_session, redis_client

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: One service call on the clicked target (a report, run or backfill id) as the actor;
#: returns the sentence that tells the user it was done.
Perform = Callable[["Session", Actor, str], str]
#: `dash.callback`, or a `components.callbacks.CallbackSet`'s `callback`.
Register = Callable[..., Callable[[Callable[..., Any]], Any]]


def act(
    perform: Perform, target: str | None, refresh: int | None, *, refresh_on_error: bool = True
) -> tuple[Any, Any]:
    """The feedback and the next refresh count after `perform` on `target`; no target (a
    button drawn, not clicked) or no signed-in user changes nothing."""
    if target is None:
        return no_update, no_update
    actor = callback_actor()
    if actor is None:
        return no_update, no_update
    try:
        with db_session() as session:
            message = perform(session, actor, target)
    except DomainError as error:
        # A refused change may mean the page is stale (a run ended meanwhile): redraw it.
        redraw = (refresh or 0) + 1 if refresh_on_error else no_update
        return create_error_feedback(error), redraw
    return create_feedback(message), (refresh or 0) + 1


def cancel_one_run(session: Session, actor: Actor, execution_id: str) -> str:
    """Cancel a queued or running run (the report, run and runs pages' Cancel)."""
    cancel_execution(session=session, redis=redis_client(), actor=actor, execution_id=execution_id)
    return f"Run {execution_id} cancelled."


def action_callback(
    register: Register,
    perform: Perform,
    *,
    button: str,
    feedback: str,
    refresh: str,
    target: str | None = None,
    refresh_on_error: bool = True,
    duplicate: bool = True,
) -> Callable[..., tuple[Any, Any]]:
    """Declare the callback of the button with id `button` acting on the `target` store's
    value, or, without `target`, of the repeated buttons of type `button` acting on the
    clicked one's index; `duplicate` when other callbacks write the same outputs. Returns
    the callback function (tests call it)."""
    outputs = (
        Output(feedback, "children", allow_duplicate=duplicate),
        Output(refresh, "data", allow_duplicate=duplicate),
    )
    if target is None:

        def on_repeated(clicks: list[int | None], count: int | None) -> tuple[Any, Any]:
            return act(perform, clicked_index(button), count, refresh_on_error=refresh_on_error)

        register(
            *outputs,
            Input({"type": button, "index": ALL}, "n_clicks"),
            State(refresh, "data"),
            prevent_initial_call=True,
        )(on_repeated)
        return on_repeated

    def on_click(n_clicks: int | None, target_id: str, count: int | None) -> tuple[Any, Any]:
        chosen = target_id if n_clicks else None
        return act(perform, chosen, count, refresh_on_error=refresh_on_error)

    register(
        *outputs,
        Input(button, "n_clicks"),
        State(target, "data"),
        State(refresh, "data"),
        prevent_initial_call=True,
    )(on_click)
    return on_click

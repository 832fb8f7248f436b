"""Admin → Queues: queue counts, workers, the scheduler's pulse, failed jobs, late schedules."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component

from components.admin_nav import create_admin_tabs
from components.clicks import clicked_index
from components.feedback import create_error_feedback, create_feedback, create_forbidden_state
from components.format import format_datetime, format_duration, format_relative, plural
from components.navbar import create_icon
from components.page import create_page_header
from components.report_cards import create_card
from services.errors import DomainError, PermissionDenied
from services.monitoring import (
    SCHEDULER_STALE_AFTER,
    QueueOverview,
    queue_overview,
    requeue_job,
)
from webcontext import (
    callback_actor,
    current_actor,
    db_session,
    redis_client,
    sign_in_redirect,
)

dash.register_page(
    __name__, path="/admin/queues", name="Admin", title="Run queues · Report Builder", order=4
)

#: Milliseconds between two refreshes of the overview (always on: queues move by themselves).
REFRESH_MS = 5_000
#: A worker whose heartbeat is older than this is shown as silent: RQ refreshes an idle
#: worker's heartbeat well within its default 420 s time to live.
SILENT_WORKER_S = 480
#: Refusal shown to anyone but an admin.
FORBIDDEN = "Only admins can see the run queues. Ask an admin if you need to know more."


def layout(**_query: str) -> Component:
    actor = current_actor()
    if actor is None:
        return sign_in_redirect("/admin/queues")
    if not actor.is_admin:  # the service refuses too; this spares a Redis round trip
        return create_forbidden_state(FORBIDDEN, id="admin-queues-forbidden")
    return html.Div(
        [
            dcc.Interval(id="admin-queues-poll", interval=REFRESH_MS),
            dcc.Store(id="admin-queues-refresh", data=0),
            create_admin_tabs("/admin/queues"),
            create_page_header("Run queues", "Workers, queued and failed jobs, and the scheduler."),
            html.Div(id="admin-queues-feedback"),
            html.Div(id="admin-queues-overview"),
        ]
    )


@callback(
    Output("admin-queues-overview", "children"),
    Input("admin-queues-poll", "n_intervals"),
    Input("admin-queues-refresh", "data"),
)
def show_overview(n_intervals: int | None, refresh: int | None) -> Any:
    """Read the queues, workers and scheduler afresh (every 5 s)."""
    actor = callback_actor()
    if actor is None:
        return no_update
    redis = redis_client()
    if redis is None:
        return dbc.Alert(
            "No REDIS_URL is set for the web app, so it cannot see the queues.",
            color="warning",
        )
    try:
        with db_session() as session:
            overview = queue_overview(session=session, actor=actor, redis=redis)
    except PermissionDenied:
        return create_forbidden_state(FORBIDDEN, id="admin-queues-forbidden")
    except DomainError as error:
        return create_error_feedback(error)
    except OSError as error:  # redis.ConnectionError is one: Redis is down
        return dbc.Alert(f"Redis does not answer: {error}", color="danger")
    return create_overview(overview)


def create_overview(overview: QueueOverview) -> html.Div:
    return html.Div(
        [
            create_health_banner(overview),
            create_queue_counts(overview),
            dbc.Row(
                [
                    dbc.Col(
                        create_card(
                            "Workers",
                            create_workers(overview),
                            icon="cpu",
                            id="admin-queues-workers",
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        create_card(
                            "Schedules running late",
                            create_late_schedules(overview),
                            icon="alarm",
                            id="admin-queues-late",
                        ),
                        lg=5,
                    ),
                ],
                class_name="g-3 mb-3",
            ),
            create_card(
                "Failed jobs",
                create_failed_jobs(overview),
                icon="x-octagon",
                id="admin-queues-failed",
            ),
            html.P(
                f"Checked {format_datetime(overview.checked_at)}; refreshes every "
                f"{REFRESH_MS // 1000} s.",
                className="small text-body-secondary mt-3 mb-0",
            ),
        ]
    )


def unserved_queues(overview: QueueOverview) -> list[str]:
    listened = {queue for worker in overview.workers for queue in worker.queues}
    return [q.name for q in overview.queues if q.name not in listened]


def create_health_banner(overview: QueueOverview) -> html.Div:
    """Red when the scheduler's last tick is over a minute old or a queue has no worker."""
    problems: list[Component | str] = []
    tick = overview.scheduler_last_tick
    if tick is None:
        problems.append(
            html.Span(
                [
                    "The scheduler has never ticked: start ",
                    html.Code("reportbuilder scheduler"),
                    " (and a worker, which runs its heartbeat).",
                ]
            )
        )
    elif overview.checked_at - tick > SCHEDULER_STALE_AFTER:
        problems.append(
            f"The scheduler's last tick was {format_relative(tick, now=overview.checked_at)}: "
            "schedules are not starting. Check the scheduler process and the workers."
        )
    for queue in unserved_queues(overview):
        problems.append(f"No worker listens on the “{queue}” queue: its jobs wait.")
    if problems or not overview.scheduler_healthy:
        if not problems:
            problems.append("The scheduler or the workers are not healthy.")
        alert = dbc.Alert(
            [
                html.Div(
                    [
                        create_icon("exclamation-octagon-fill", class_name="me-2"),
                        html.Strong("Runs are not being processed normally."),
                    ],
                ),
                html.Ul([html.Li(p) for p in problems], className="mb-0 mt-1"),
            ],
            color="danger",
        )
        return html.Div(alert, id="admin-queues-banner", **{"data-healthy": "false"})
    alert = dbc.Alert(
        [
            create_icon("check-circle-fill", class_name="me-2"),
            f"Healthy: the scheduler ticked {format_relative(tick, now=overview.checked_at)} "
            f"and {plural(len(overview.workers), 'worker')} "
            f"{'serves' if len(overview.workers) == 1 else 'serve'} every queue.",
        ],
        color="success",
    )
    return html.Div(alert, id="admin-queues-banner", **{"data-healthy": "true"})


def create_queue_counts(overview: QueueOverview) -> dbc.Row:
    def count(label: str, value: int, color: str = "") -> html.Div:
        return html.Div(
            [
                html.Div(f"{value:,}", className=f"fs-4 fw-semibold {color}".strip()),
                html.Div(label, className="small text-body-secondary"),
            ],
            className="text-center",
        )

    return dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.H2(
                                [
                                    create_icon("stack", class_name="me-2 text-body-secondary"),
                                    queue.name,
                                ],
                                className="h6 mb-3",
                            ),
                            html.Div(
                                [
                                    count("queued", queue.queued),
                                    count("running", queue.started, "text-primary"),
                                    count("scheduled", queue.scheduled),
                                    count(
                                        "failed",
                                        queue.failed,
                                        "text-danger" if queue.failed else "",
                                    ),
                                ],
                                className="d-flex justify-content-between gap-2",
                            ),
                        ]
                    ),
                    class_name="shadow-sm h-100",
                    id={"type": "admin-queues-queue", "index": queue.name},
                ),
                md=6,
            )
            for queue in overview.queues
        ],
        class_name="g-3 mb-3",
    )


def create_workers(overview: QueueOverview) -> Component:
    if not overview.workers:
        return html.P(
            ["No worker is running. Start one with ", html.Code("reportbuilder worker"), "."],
            className="text-danger mb-0",
            id="admin-queues-no-workers",
        )
    rows = []
    for worker in overview.workers:
        age = worker.heartbeat_age_seconds
        silent = age is None or age > SILENT_WORKER_S
        rows.append(
            html.Tr(
                [
                    html.Td(html.Code(worker.name, className="small text-break")),
                    html.Td(
                        dbc.Badge(
                            worker.state,
                            color="primary" if worker.state == "busy" else "secondary",
                        )
                    ),
                    html.Td(html.Code(worker.current_job_id) if worker.current_job_id else "—"),
                    html.Td(", ".join(worker.queues), className="small"),
                    html.Td(
                        f"{format_duration(age)} ago" if age is not None else "never",
                        className="text-danger text-nowrap" if silent else "text-nowrap",
                    ),
                ]
            )
        )
    return html.Div(
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(h, scope="col", className="text-nowrap")
                            for h in ("Worker", "State", "Current job", "Queues", "Heartbeat")
                        ]
                    )
                ),
                html.Tbody(rows),
            ],
            size="sm",
            class_name="admin-table align-middle mb-0",
        ),
        className="table-responsive",
        id="admin-queues-worker-table",
    )


def create_late_schedules(overview: QueueOverview) -> Component:
    if not overview.late_schedules:
        return html.P(
            [
                create_icon("check-circle", class_name="text-success me-2"),
                "Every schedule started on time.",
            ],
            className="text-body-secondary mb-0",
            id="admin-queues-late-empty",
        )
    return html.Ul(
        [
            html.Li(
                [
                    dcc.Link(late.report_id, href=f"/reports/{late.report_id}"),
                    html.Span(
                        f" due {format_datetime(late.next_run_at)}, "
                        f"{format_duration(late.late_seconds)} late",
                        className="small text-danger",
                    ),
                ],
                className="list-group-item px-0",
            )
            for late in overview.late_schedules
        ],
        className="list-group list-group-flush",
        id="admin-queues-late-list",
    )


def create_failed_jobs(overview: QueueOverview) -> Component:
    if not overview.failed_jobs:
        return html.P(
            [create_icon("check-circle", class_name="text-success me-2"), "No failed jobs."],
            className="text-body-secondary mb-0",
            id="admin-queues-failed-empty",
        )
    return html.Div(
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(h, scope="col")
                            for h in ("Job", "Queue", "Function", "Error", "Failed")
                        ]
                        + [html.Th(html.Span("Actions", className="visually-hidden"))]
                    )
                ),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(html.Code(job.job_id, className="small")),
                                html.Td(job.queue),
                                html.Td(html.Code(job.func or "—", className="small")),
                                html.Td(job.exc_summary or "—", className="small text-danger"),
                                html.Td(
                                    format_relative(job.ended_at),
                                    title=format_datetime(job.ended_at),
                                    className="text-nowrap",
                                ),
                                html.Td(
                                    dbc.Button(
                                        [create_icon("arrow-repeat", class_name="me-1"), "Requeue"],
                                        id={"type": "admin-queues-requeue", "index": job.job_id},
                                        color="outline-primary",
                                        size="sm",
                                    ),
                                    className="text-end",
                                ),
                            ]
                        )
                        for job in overview.failed_jobs
                    ]
                ),
            ],
            size="sm",
            class_name="admin-table align-middle mb-0",
        ),
        className="table-responsive",
        id="admin-queues-failed-table",
    )


@callback(
    Output("admin-queues-feedback", "children"),
    Output("admin-queues-refresh", "data"),
    Input({"type": "admin-queues-requeue", "index": ALL}, "n_clicks"),
    State("admin-queues-refresh", "data"),
    prevent_initial_call=True,
)
def requeue(clicks: list[int | None], refresh: int | None) -> tuple[Any, Any]:
    """Put one failed job back on its queue."""
    job_id = clicked_index("admin-queues-requeue")
    if job_id is None:
        return no_update, no_update
    actor = callback_actor()
    redis = redis_client()
    if actor is None or redis is None:
        return no_update, no_update
    try:
        job = requeue_job(actor=actor, redis=redis, job_id=job_id)
    except DomainError as error:
        return create_error_feedback(error), (refresh or 0) + 1
    return create_feedback(f"Job {job.job_id} is back on the {job.queue} queue."), (
        refresh or 0
    ) + 1

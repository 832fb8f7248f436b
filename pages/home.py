"""Home: favorite dashboards first, then recent runs, what needs attention, what runs next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component

from components.dashboard_cards import create_dashboard_grid
from components.execution_table import report_href
from components.feedback import create_error_feedback
from components.format import format_datetime, format_relative, format_window
from components.navbar import create_icon
from components.page import create_empty_state, create_page_header
from components.progress import any_in_flight, create_poll_interval
from components.report_cards import create_card
from components.status import create_status_badge
from pages._context import callback_actor, current_actor, db_session, sign_in_redirect
from services.dashboards import DashboardSummary, list_dashboards
from services.errors import DomainError
from services.executions import ExecutionInfo, list_executions
from services.pages import MAX_LIMIT
from services.reports import ReportInfo, list_reports
from services.users import Actor

dash.register_page(__name__, path="/", name="Home", title="Report Builder", order=0)

#: How many of each list Home shows; each card links to the full list.
RECENT_RUNS = 8
FAILED_RUNS = 5
UPCOMING = 5
FAVORITES = 6
#: Failed runs older than this no longer "need attention" on Home (they stay on Runs).
ATTENTION_DAYS = 7


def layout(**_query: str) -> Component:
    actor = current_actor()
    if actor is None:
        return sign_in_redirect("/")
    since = (datetime.now(UTC) - timedelta(days=ATTENTION_DAYS)).date()
    with db_session() as session:
        favorites = list_dashboards(session=session, actor=actor, favorites_only=True)
        failed = list_executions(
            session=session, actor=actor, status="failed", start_date=since, limit=FAILED_RUNS
        ).items
        reports = list_reports(
            session=session, actor=actor, sort="next_run_at", descending=False, limit=MAX_LIMIT
        ).items
    upcoming = [r for r in reports if r.state == "active" and r.next_run_at][:UPCOMING]
    names = {r.report_id: r.name for r in reports}
    return create_home_layout(actor, favorites[:FAVORITES], failed, upcoming, names)


def create_home_layout(
    actor: Actor,
    favorites: list[DashboardSummary],
    failed: list[ExecutionInfo],
    upcoming: list[ReportInfo],
    report_names: dict[str, str],
) -> html.Div:
    new_report = dbc.Button(
        [create_icon("plus-lg", class_name="me-1"), "New report"],
        href="/report-builder",
        color="primary",
        id="home-new-report",
    )
    return html.Div(
        [
            create_poll_interval("home-poll"),
            dcc.Store(id="home-report-names", data=report_names),
            html.Div(
                [
                    create_page_header(
                        f"Welcome, {actor.name}",
                        "Your favorite dashboards, latest runs and what runs next.",
                    ),
                    new_report if actor.can_run else None,
                ],
                className="page-heading d-flex justify-content-between align-items-start "
                "flex-wrap gap-2",
            ),
            create_card(
                "Favorite dashboards",
                create_favorites(favorites),
                icon="star",
                id="home-favorites",
                actions=dcc.Link("All dashboards", href="/dashboards", className="small"),
            ),
            dbc.Row(
                [
                    dbc.Col(
                        create_card(
                            "Recent runs",
                            html.Div(id="home-recent-runs"),
                            icon="clock-history",
                            id="home-recent",
                            actions=dcc.Link("All runs", href="/runs", className="small"),
                        ),
                        lg=8,
                    ),
                    dbc.Col(
                        [
                            create_card(
                                "Needs attention",
                                create_failed_list(failed, report_names),
                                icon="exclamation-triangle",
                                id="home-attention",
                                full_height=False,
                            ),
                            html.Div(className="mb-3"),
                            create_card(
                                "Scheduled next",
                                create_upcoming_list(upcoming),
                                icon="calendar-week",
                                id="home-upcoming",
                                full_height=False,
                            ),
                        ],
                        lg=4,
                    ),
                ],
                class_name="g-3 mt-0",
            ),
        ]
    )


def create_favorites(favorites: list[DashboardSummary]) -> Component:
    if not favorites:
        return create_empty_state(
            [
                "No favorites yet. Open ",
                dcc.Link("Dashboards", href="/dashboards"),
                " and star (☆) the ones you check often: they show up here first.",
            ],
            icon="star",
            id="home-favorites-empty",
        )
    return create_dashboard_grid(favorites, id="home-favorites-grid", star_type=None, md=6, xl=4)


def create_failed_list(failed: list[ExecutionInfo], report_names: dict[str, str]) -> Component:
    if not failed:
        return html.P(
            [
                create_icon("check-circle", class_name="text-success me-2"),
                f"No failed runs in the last {ATTENTION_DAYS} days.",
            ],
            className="text-body-secondary mb-0",
            id="home-attention-empty",
        )
    return html.Ul(
        [
            html.Li(
                [
                    html.Div(
                        [
                            dcc.Link(
                                report_names.get(e.report_id, e.report_id),
                                href=report_href(e.report_id),
                            )
                            if e.report_id
                            else html.Span(e.template_id),
                            html.Span(
                                format_relative(e.completed_at or e.created_at),
                                title=format_datetime(e.completed_at or e.created_at),
                                className="small text-body-secondary",
                            ),
                        ],
                        className="d-flex justify-content-between gap-2",
                    ),
                    html.Div(
                        (e.error_message or "Failed without a message.")[:160],
                        className="small text-danger text-break",
                        title=e.error_message,
                    ),
                ],
                className="list-group-item px-0",
            )
            for e in failed
        ],
        className="list-group list-group-flush",
        id="home-attention-list",
    )


def create_upcoming_list(reports: list[ReportInfo]) -> Component:
    scheduled = [r for r in reports if r.next_run_at is not None]
    if not scheduled:
        return html.P(
            "Nothing scheduled. Choose a recurring run type in the Report Builder to run a "
            "report daily, weekly or monthly.",
            className="text-body-secondary mb-0",
            id="home-upcoming-empty",
        )
    return html.Ul(
        [
            html.Li(
                [
                    html.Div(
                        [
                            dcc.Link(
                                r.name, href=report_href(r.report_id), className="text-truncate"
                            ),
                            html.Span(
                                format_relative(r.next_run_at),
                                title=format_datetime(r.next_run_at),
                                className="small text-nowrap",
                            ),
                        ],
                        className="d-flex justify-content-between gap-2",
                    ),
                    html.Div(
                        [r.frequency.capitalize(), " · ", r.template_name],
                        className="small text-body-secondary",
                    ),
                ],
                className="list-group-item px-0",
            )
            for r in scheduled
        ],
        className="list-group list-group-flush",
        id="home-upcoming-list",
    )


@callback(
    Output("home-recent-runs", "children"),
    Output("home-poll", "disabled"),
    Input("home-poll", "n_intervals"),
    State("home-report-names", "data"),
)
def show_recent_runs(
    n_intervals: int | None, report_names: dict[str, str] | None
) -> tuple[Any, Any]:
    """The newest runs; polls every 2 s while one of them is in flight."""
    actor = callback_actor()
    if actor is None:
        return no_update, True
    try:
        with db_session() as session:
            runs = list_executions(session=session, actor=actor, limit=RECENT_RUNS).items
    except DomainError as error:
        return create_error_feedback(error), True
    if not runs:
        return (
            create_empty_state(
                [
                    "No runs yet. Pick a template in the ",
                    dcc.Link("Report Builder", href="/report-builder"),
                    ", fill in its parameters and run it.",
                ],
                icon="play-circle",
                id="home-recent-empty",
            ),
            True,
        )
    return create_recent_runs(runs, report_names or {}), not any_in_flight(r.status for r in runs)


def create_recent_runs(runs: list[ExecutionInfo], report_names: dict[str, str]) -> Component:
    """A compact list: report, status, window and when (the Runs page has the full table)."""
    return html.Ul(
        [
            html.Li(
                [
                    html.Div(
                        [
                            create_status_badge(r.status),
                            dcc.Link(
                                report_names.get(r.report_id, r.report_id),
                                href=report_href(r.report_id),
                                className="ms-2 text-truncate",
                            )
                            if r.report_id
                            else html.Span(f"{r.template_id} (ad hoc)", className="ms-2"),
                        ],
                        className="d-flex align-items-center",
                    ),
                    html.Div(
                        [
                            html.Span(
                                format_window(r.time_window_start, r.time_window_end),
                                className="me-3 d-none d-sm-inline",
                            ),
                            html.Span(
                                format_relative(r.started_at or r.created_at),
                                title=format_datetime(r.started_at or r.created_at),
                            ),
                        ],
                        className="small text-body-secondary text-nowrap",
                    ),
                ],
                className="list-group-item px-0 d-flex justify-content-between "
                "align-items-center gap-2",
                **{"data-status": r.status},
            )
            for r in runs
        ],
        className="list-group list-group-flush",
        id="home-recent-list",
    )

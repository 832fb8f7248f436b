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
from components.format import format_datetime, format_relative, format_window, plan_badge
from components.navbar import create_icon
from components.page import create_empty_state, create_page_header
from components.progress import IDLE_PLAN, create_poll_interval, poll_plan, register_poll_plan
from components.report_cards import create_card
from components.status import create_status_badge
from services.activity import activity, unresolved_failures
from services.dashboards import DashboardSummary, list_dashboards
from services.errors import DomainError
from services.executions import ExecutionInfo, list_executions
from services.paging import MAX_LIMIT
from services.reports import ReportInfo, list_reports
from services.users import Actor
from webcontext import callback_actor, current_actor, db_session, sign_in_redirect

dash.register_page(__name__, path="/", name="Home", title="Report Builder", order=0)

#: How many of each list Home shows; each card links to the full list.
RECENT_RUNS = 8
FAILED_RUNS = 5
UPCOMING = 5
FAVORITES = 6
#: Failed runs older than this no longer "need attention" on Home (they stay on Runs), nor
#: do those a later run of the same report and window has made good.
ATTENTION_DAYS = 7


def layout(**_query: str) -> Component:
    actor = current_actor()
    if actor is None:
        return sign_in_redirect("/")
    with db_session() as session:
        favorites = list_dashboards(session=session, actor=actor, favorites_only=True)
    return create_home_layout(actor, favorites[:FAVORITES])


def create_home_layout(actor: Actor, favorites: list[DashboardSummary]) -> html.Div:
    """The page; recent runs, failures and what runs next are drawn by refresh_sections."""
    new_report = dbc.Button(
        [create_icon("plus-lg", class_name="me-1"), "New report"],
        href="/report-builder",
        color="primary",
        id="home-new-report",
    )
    return html.Div(
        [
            create_poll_interval("home-poll", active=False),
            dcc.Store(id="home-poll-plan"),
            dcc.Store(id="home-signature"),
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
                                html.Div(id="home-attention-section"),
                                icon="exclamation-triangle",
                                id="home-attention",
                                full_height=False,
                            ),
                            html.Div(className="mb-3"),
                            create_card(
                                "Scheduled next",
                                html.Div(id="home-upcoming-section"),
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
                f"No failed runs to look at from the last {ATTENTION_DAYS} days.",
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
                        [plan_badge(r), " · ", r.template_name],
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
    Output("home-signature", "data"),
    Output("home-poll-plan", "data"),
    Input("home-poll", "n_intervals"),
    State("home-signature", "data"),
)
def check_for_changes(n_intervals: int | None, signature: str | None) -> tuple[Any, Any]:
    """Each tick's one request: a new signature redraws the live sections, and the plan
    says when to ask again (while a run is in flight, or when a schedule is due)."""
    actor = callback_actor()
    if actor is None:
        return no_update, IDLE_PLAN
    with db_session() as session:
        seen = activity(session=session, actor=actor)
    changed = seen.signature if seen.signature != signature else no_update
    return changed, poll_plan(active=seen.in_flight, wake_at=seen.wake_at)


register_poll_plan("home-poll", "home-poll-plan")


@callback(
    Output("home-recent-runs", "children"),
    Output("home-attention-section", "children"),
    Output("home-upcoming-section", "children"),
    Input("home-signature", "data"),
    prevent_initial_call=True,  # drawn once check_for_changes has the first signature
)
def refresh_sections(signature: str | None) -> tuple[Any, Any, Any]:
    """Recent runs, the failures still needing attention, and the schedules due next."""
    actor = callback_actor()
    if actor is None:
        return no_update, no_update, no_update
    since = (datetime.now(UTC) - timedelta(days=ATTENTION_DAYS)).date()
    try:
        with db_session() as session:
            runs = list_executions(session=session, actor=actor, limit=RECENT_RUNS).items
            failed = unresolved_failures(
                session=session, actor=actor, since=since, limit=FAILED_RUNS
            )
            reports = list_reports(
                session=session, actor=actor, sort="next_run_at", descending=False, limit=MAX_LIMIT
            ).items
    except DomainError as error:
        return create_error_feedback(error), no_update, no_update
    upcoming = [r for r in reports if r.state == "active" and r.next_run_at][:UPCOMING]
    names = {r.report_id: r.name for r in reports}
    return (
        create_recent_runs(runs, names),
        create_failed_list(failed, names),
        create_upcoming_list(upcoming),
    )


def create_recent_runs(runs: list[ExecutionInfo], report_names: dict[str, str]) -> Component:
    """A compact list: report, status, window and when (the Runs page has the full table)."""
    if not runs:
        return create_empty_state(
            [
                "No runs yet. Pick a template in the ",
                dcc.Link("Report Builder", href="/report-builder"),
                ", fill in its parameters and run it.",
            ],
            icon="play-circle",
            id="home-recent-empty",
        )
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

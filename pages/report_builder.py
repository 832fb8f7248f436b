"""Report Builder: pick a template (Templates tab), fill in its parameters and choose how
it runs in the four-step RunReportModal (pages/_builder_modal.py, pages/_builder_steps.py),
and find the reports made in the Reports tab (pages/_builder_reports.py).

Submitting creates the report and, as chosen, its schedule, a run now and a backfill;
every run is enqueued by the services, never run here. Then the browser lands on the
report's page.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from components import parameter_form
from components.filters import ANY, chosen
from components.ids import page_id
from components.page import create_page_header
from components.reports_table import create_reports_tab
from components.run_modal import create_run_modal
from components.template_grid import (
    count_text,
    create_template_filters,
    create_template_grid,
    narrow,
)
from pages import _builder_modal, _builder_reports, _builder_steps
from services.instances import InstanceInfo, list_instances
from services.templates import list_templates
from services.users import Actor
from webcontext import callback_actor, current_actor, db_session, sign_in_redirect

dash.register_page(
    __name__,
    path="/report-builder",
    name="Report Builder",
    title="Report Builder",
    order=1,
)

# Callbacks declared beside the page, for every app built (see components.callbacks); the
# parameter form's MATCH callbacks serve the report page's forms too.
parameter_form.callbacks.register()
_builder_modal.callbacks.register()
_builder_steps.callbacks.register()
_builder_reports.callbacks.register()

TABS = ("templates", "reports")


def layout(tab: str | None = None, **_query: str) -> Component:
    actor = current_actor()
    if actor is None:
        return sign_in_redirect("/report-builder")
    with db_session() as session:
        templates = list_templates(session=session, actor=actor)
        instances = list_instances(session=session, actor=actor)
    needs = {t.template_id: list(t.metadata_needs) for t in templates}
    return html.Div(
        [
            dcc.Location(id=page_id("location"), refresh="callback-nav"),
            dcc.Store(id=page_id("catalogue"), data=catalogue(actor, instances, needs)),
            dcc.Store(id=page_id("modal-state"), data={"step": 1}),
            dcc.Store(id=page_id("browser-timezone")),
            html.Div(
                [
                    create_page_header(
                        "Report Builder",
                        "Pick a template, fill in its parameters, and run it once, on a schedule "
                        "or as a backfill.",
                    ),
                    dbc.Button(
                        "New template",
                        href="/report-builder/templates/new",
                        color="secondary",
                        outline=True,
                        id=page_id("new-template"),
                    )
                    if actor.can_run
                    else None,
                ],
                className="d-flex justify-content-between align-items-start gap-2",
            ),
            *notices(actor, instances),
            dbc.Tabs(
                [
                    dbc.Tab(
                        create_templates_tab(
                            templates, instances, needs, can_run(actor, instances)
                        ),
                        tab_id="templates",
                        label="Templates",
                    ),
                    dbc.Tab(
                        html.Div(create_reports_tab(), className="pt-3"),
                        tab_id="reports",
                        label="Reports",
                    ),
                ],
                id=page_id("tabs"),
                active_tab=tab if tab in TABS else "templates",
            ),
            create_run_modal(),
        ]
    )


def can_run(actor: Actor, instances: list[InstanceInfo]) -> bool:
    return actor.can_run and bool(instances)


def catalogue(
    actor: Actor, instances: list[InstanceInfo], needs: dict[str, list[str]]
) -> dict[str, Any]:
    """What the page's callbacks look up without asking the database again."""
    return {
        "can_run": can_run(actor, instances),
        "needs": needs,
        "instances": {
            i.instance_id: {
                "name": i.name,
                "timezone": i.timezone,
                "data_lag_days": i.data_lag_days,
                "max_lookback_days": i.max_lookback_days,
                "max_concurrency": i.max_concurrency,
                "kinds": list(i.metadata_kinds),
            }
            for i in instances
        },
    }


def notices(actor: Actor, instances: list[InstanceInfo]) -> list[Component]:
    if not actor.can_run:
        return [
            dbc.Alert(
                "You can browse templates and read reports; creating and running them "
                "takes an analyst or admin account.",
                color="info",
                id=page_id("viewer-notice"),
            )
        ]
    if not instances:
        return [
            dbc.Alert(
                "No instance is available to you yet, so reports have nowhere to run. "
                "Ask an admin to grant you one.",
                color="warning",
                id=page_id("no-instance-notice"),
            )
        ]
    return []


def create_templates_tab(
    templates: list[Any], instances: list[InstanceInfo], needs: dict[str, list[str]], runs: bool
) -> html.Div:
    return html.Div(
        [
            create_template_filters(
                [t.category for t in templates],
                [t.report_type for t in templates],
                {i.instance_id: i.name for i in instances},
            ),
            html.P(
                count_text(len(templates), len(templates)) if templates else "",
                id=page_id("template-count"),
                className="small text-body-secondary mb-2",
            ),
            html.Div(
                create_template_grid(templates, can_run=runs, needs=needs),
                id=page_id("templates"),
            ),
        ],
        className="pt-3",
    )


# --- templates tab ----------------------------------------------------------------------


@callback(
    Output(page_id("templates"), "children"),
    Output(page_id("template-count"), "children"),
    Input(page_id("template-search"), "value"),
    Input(page_id("template-category"), "value"),
    Input(page_id("template-type"), "value"),
    Input(page_id("template-instance"), "value"),
    State(page_id("catalogue"), "data"),
    prevent_initial_call=True,
)
def filter_templates(
    search: str | None,
    category: str | None,
    report_type: str | None,
    instance_id: str | None,
    known: dict[str, Any],
) -> Any:
    """The cards matching the search and the filters."""
    actor = callback_actor()
    if actor is None:
        return no_update, no_update
    category, report_type, instance_id = chosen(category), chosen(report_type), chosen(instance_id)
    with db_session() as session:
        found = list_templates(session=session, actor=actor, search=search, category=category)
    instance = known["instances"].get(instance_id) if instance_id else None
    shown = narrow(
        found,
        report_type=report_type,
        instance_kinds=None if instance is None else instance["kinds"],
        needs=known["needs"],
    )
    grid = create_template_grid(
        shown,
        can_run=known["can_run"],
        needs=known["needs"],
        filtered=any((search, category, report_type, instance_id)),
    )
    return grid, count_text(len(shown), len(known["needs"]))


@callback(
    output={
        "search": Output(page_id("template-search"), "value"),
        "category": Output(page_id("template-category"), "value"),
        "report_type": Output(page_id("template-type"), "value"),
        "instance": Output(page_id("template-instance"), "value"),
    },
    inputs={"clicks": Input(page_id("template-clear"), "n_clicks")},
    prevent_initial_call=True,
)
def clear_template_filters(clicks: int | None) -> dict[str, str]:
    if not clicks:
        raise PreventUpdate
    return {"search": "", "category": ANY, "report_type": ANY, "instance": ANY}

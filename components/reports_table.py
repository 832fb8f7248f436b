"""The Reports tab's layout: filters, a dash-ag-grid of every report the user may see
(paged, sorted and filtered on the server: components.reports_grid), its empty state and
the delete dialog. Its callbacks are pages/_builder_reports.py's."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.filters import create_search_filter, create_select_filter
from components.ids import page_id
from components.navbar import create_icon
from components.page import create_empty_state
from components.progress import create_poll_interval
from components.reports_grid import DEFAULT_COLUMN, FREQUENCY_CHOICES, GRID_OPTIONS, column_defs
from services.reports import STATES

GRID_ID = page_id("reports-grid")


def create_reports_tab() -> html.Div:
    return html.Div(
        [
            dcc.Location(id=page_id("reports-location"), refresh="callback-nav"),
            dcc.Store(id=page_id("reports-refresh"), data=0),
            dcc.Store(id=page_id("reports-rows"), data={}),
            dcc.Store(id=page_id("reports-pending-delete")),
            # The live tab: see pages/_builder_reports.check_for_changes.
            dcc.Store(id=page_id("reports-poll-plan")),
            dcc.Store(id=page_id("reports-signature")),
            dcc.Store(id=page_id("reports-changed"), data=0),
            create_poll_interval(page_id("reports-poll"), active=False),
            create_report_filters(),
            html.Div(id=page_id("reports-feedback")),
            html.P(id=page_id("reports-count"), className="small text-body-secondary mb-2"),
            html.Div(
                create_empty_state(
                    [
                        "No reports yet. Open the ",
                        html.Button(
                            "Templates",
                            id=page_id("reports-to-templates"),
                            className="btn btn-link p-0 align-baseline",
                        ),
                        " tab, pick a template and press “Use template”: your report appears here.",
                    ],
                    icon="ui-checks",
                    id=page_id("reports-empty"),
                ),
                id=page_id("reports-empty-wrap"),
                className="d-none",
            ),
            html.Div(
                dag.AgGrid(
                    id=GRID_ID,
                    rowModelType="infinite",
                    columnDefs=column_defs(),
                    defaultColDef=DEFAULT_COLUMN,
                    getRowId="params.data.report_id",
                    dashGridOptions=GRID_OPTIONS,
                    className="rb-grid",
                    style={"width": "100%"},
                ),
                id=page_id("reports-grid-wrap"),
            ),
            create_delete_modal(),
        ]
    )


def create_report_filters() -> dbc.Row:
    def options(values: tuple[str, ...]) -> list[dict[str, str]]:
        return [{"label": v.capitalize(), "value": v} for v in values]

    widths = {"xs": 6, "md": 3, "lg": 2}
    return dbc.Row(
        [
            create_search_filter(
                page_id("reports-search"), "Report or template name…", xs=12, md=6, lg=4
            ),
            create_select_filter(
                page_id("reports-state"), "State", "Any state", options(STATES), **widths
            ),
            create_select_filter(
                page_id("reports-frequency"),
                "Frequency",
                "Any frequency",
                options(FREQUENCY_CHOICES),
                **widths,
            ),
        ],
        class_name="g-2 mb-3 align-items-end",
    )


def create_delete_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Delete the report?")),
            dbc.ModalBody(html.P(id=page_id("delete-text"), className="mb-0")),
            dbc.ModalFooter(
                [
                    dbc.Button("Keep it", id=page_id("delete-cancel"), color="link"),
                    dbc.Button(
                        [create_icon("trash", class_name="me-1"), "Delete"],
                        id=page_id("delete-confirm"),
                        color="danger",
                    ),
                ]
            ),
        ],
        id=page_id("delete-modal"),
        is_open=False,
    )

"""Home: the template catalogue, read from the database on every page load."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from components.navbar import create_icon
from components.page import create_empty_state, create_page_header
from pages._context import db_session
from services.templates import TemplateSummary, list_templates

dash.register_page(__name__, path="/", name="Home", title="Report Builder", order=0)

CARD_TYPE = "home-template-card"


def layout(**_query: str) -> html.Div:
    with db_session() as session:
        templates = list_templates(session=session)
    count = f"{len(templates)} template{'s' if len(templates) != 1 else ''}"
    return html.Div(
        [
            create_page_header(
                "Query templates",
                f"{count} to build reports from." if templates else None,
            ),
            create_template_grid(templates) if templates else _empty_state(),
        ]
    )


def create_template_grid(templates: list[TemplateSummary]) -> dbc.Row:
    return dbc.Row(
        [dbc.Col(create_template_card(t), md=6, xl=4) for t in templates],
        id="home-templates",
        class_name="g-4",
    )


#: Bootstrap Icons name for each report type; others get a generic chart.
REPORT_TYPE_ICONS: dict[str, str] = {
    "table": "table",
    "line": "graph-up",
    "area": "graph-up",
    "bar": "bar-chart",
    "kpi": "123",
    "pie": "pie-chart",
}


def create_template_card(template: TemplateSummary) -> dbc.Card:
    parameters = template.parameter_count
    facts = [
        _fact(
            REPORT_TYPE_ICONS.get(template.report_type, "bar-chart"),
            template.report_type.capitalize(),
            "Report type",
        ),
        _fact("sliders", f"{parameters} parameter{'s' if parameters != 1 else ''}", "Parameters"),
    ]
    if template.min_data_age_days:
        facts.append(
            _fact(
                "hourglass-split",
                f"Data ≥ {template.min_data_age_days} days old",
                "Report windows end at least this many days ago, so late data is counted.",
            )
        )
    return dbc.Card(
        [
            dbc.CardBody(
                [
                    html.Span(
                        template.category,
                        className="badge bg-primary-subtle text-primary-emphasis mb-2",
                    ),
                    html.H2(template.name, className="h5 card-title"),
                    html.P(
                        template.description or "No description.",
                        className="card-text text-body-secondary",
                    ),
                ]
            ),
            dbc.CardFooter(
                facts,
                class_name="d-flex flex-wrap column-gap-3 row-gap-1 small "
                "text-body-secondary bg-transparent",
            ),
        ],
        id={"type": CARD_TYPE, "index": template.template_id},
        class_name="template-card h-100 shadow-sm",
    )


def _fact(icon: str, text: str, title: str) -> html.Span:
    return html.Span(
        [create_icon(icon, class_name="me-1"), text], title=title, className="text-nowrap"
    )


def _empty_state() -> html.Div:
    return create_empty_state(
        [
            "No templates yet — run ",
            html.Code("reportbuilder seed-demo"),
            " to load the demo templates.",
        ],
        icon="journal-code",
        id="home-empty",
    )

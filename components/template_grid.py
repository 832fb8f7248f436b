"""TemplateGrid: the template catalogue as cards, with search and filters by category,
report type and the instance a template should run on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from components.filters import create_search_filter, create_select_filter
from components.format import plural
from components.ids import page_id, template_use_id
from components.navbar import create_icon
from components.page import create_empty_state
from services.templates import TemplateSummary, fits_instance

#: Bootstrap Icons name for each report type; others get a generic chart.
REPORT_TYPE_ICONS: dict[str, str] = {
    "table": "table",
    "time_series": "graph-up",
    "line": "graph-up",
    "area": "graph-up",
    "bar": "bar-chart",
    "kpi": "123",
    "pie": "pie-chart",
    "funnel": "funnel",
    "distribution": "bar-chart-steps",
}
#: What the metadata lists a template needs are called, for "needs … lists" hints.
METADATA_NAMES = {"campaigns": "campaign", "asins": "product"}


def report_type_label(report_type: str) -> str:
    return report_type.replace("_", " ").capitalize()


def create_template_filters(
    categories: Iterable[str], report_types: Iterable[str], instances: Mapping[str, str]
) -> dbc.Row:
    """Search box and the three filters; `instances` maps instance id → name."""
    widths = {"xs": 12, "sm": 4, "lg": 2}
    return dbc.Row(
        [
            create_search_filter(page_id("template-search"), "Name or description…", xs=12, lg=6),
            create_select_filter(
                page_id("template-category"),
                "Category",
                "All categories",
                [{"label": c, "value": c} for c in sorted(set(categories))],
                **widths,
            ),
            create_select_filter(
                page_id("template-type"),
                "Report type",
                "All types",
                [{"label": report_type_label(t), "value": t} for t in sorted(set(report_types))],
                **widths,
            ),
            create_select_filter(
                page_id("template-instance"),
                "Works on",
                "Any instance",
                [{"label": name, "value": key} for key, name in instances.items()],
                **widths,
            ),
        ],
        class_name="g-2 mb-3 align-items-end",
        id=page_id("template-filters"),
    )


def narrow(
    templates: list[TemplateSummary],
    *,
    report_type: str | None,
    instance_kinds: Iterable[str] | None,
    needs: Mapping[str, list[str]],
) -> list[TemplateSummary]:
    """The templates of a report type that fit an instance (None: any instance)."""
    kinds = None if instance_kinds is None else set(instance_kinds)
    return [
        t
        for t in templates
        if (not report_type or t.report_type == report_type)
        and (kinds is None or fits_instance(needs.get(t.template_id, []), kinds))
    ]


def count_text(shown: int, total: int) -> str:
    if shown == total:
        return f"{plural(total, 'template')}."
    return f"{shown} of {plural(total, 'template')} match."


def create_template_grid(
    templates: list[TemplateSummary],
    *,
    can_run: bool = True,
    needs: Mapping[str, list[str]] | None = None,
    filtered: bool = False,
) -> Any:
    """The cards, or an empty state that says what to do."""
    if not templates:
        if filtered:
            message: Any = [
                "No template matches these filters. ",
                html.Button(
                    "Clear the filters",
                    id=page_id("template-clear"),
                    className="btn btn-link p-0 align-baseline",
                ),
                " to see them all.",
            ]
        else:
            message = (
                "No templates yet. `reportbuilder seed-demo` loads the library's dozen; "
                "or write one with New template."
            )
        return create_empty_state(message, icon="search", id=page_id("templates-empty"))
    return dbc.Row(
        [
            dbc.Col(
                create_template_card(t, can_run=can_run, needs=(needs or {}).get(t.template_id)),
                xs=12,
                md=6,
                xl=4,
            )
            for t in templates
        ],
        class_name="g-3",
    )


def create_template_card(
    template: TemplateSummary, *, can_run: bool = True, needs: list[str] | None = None
) -> dbc.Card:
    count = template.parameter_count
    facts = [
        _fact(
            REPORT_TYPE_ICONS.get(template.report_type, "bar-chart"),
            report_type_label(template.report_type),
            "Report type",
        ),
        _fact("sliders", plural(count, "parameter"), "Parameters"),
    ]
    if template.min_data_age_days:
        facts.append(
            _fact(
                "hourglass-split",
                f"Data ≥ {template.min_data_age_days} days old",
                "Report windows end at least this many days ago, so late conversions count.",
            )
        )
    if needs:
        lists = " and ".join(METADATA_NAMES.get(kind, kind) for kind in needs)
        facts.append(_fact("list-check", f"Uses {lists} lists", "Options come from the instance"))
    return dbc.Card(
        [
            dbc.CardBody(
                [
                    html.Span(
                        template.category,
                        className="badge bg-primary-subtle text-primary-emphasis mb-2",
                    ),
                    html.Span(
                        "Unpublished",
                        className="badge bg-warning-subtle text-warning-emphasis mb-2 ms-1",
                        title="Visible to its author and admins until an admin publishes it.",
                    )
                    if not template.is_published
                    else None,
                    html.H2(template.name, className="h5 card-title"),
                    html.P(template.description, className="card-text text-body-secondary small"),
                    html.Ul(facts, className="list-unstyled small mb-0 d-flex flex-wrap gap-3"),
                ]
            ),
            dbc.CardFooter(
                [
                    dbc.Button(
                        [create_icon("play-circle", class_name="me-1"), "Use template"],
                        id=template_use_id(template.template_id),
                        color="primary",
                        size="sm",
                        disabled=not can_run,
                        title=None if can_run else "Viewers can read reports but not create them.",
                    ),
                    dbc.Button(
                        [create_icon("pencil", class_name="me-1"), "Edit"],
                        href=f"/report-builder/templates/{template.template_id}/edit",
                        color="secondary",
                        outline=True,
                        size="sm",
                        class_name="ms-2 template-edit",
                    )
                    if template.can_edit
                    else None,
                ],
                class_name="bg-transparent border-0 pt-0",
            ),
        ],
        class_name="template-card h-100 shadow-sm",
        id=f"{page_id('template')}-{template.template_id}",
    )


def _fact(icon: str, text: str, title: str) -> html.Li:
    return html.Li([create_icon(icon, class_name="me-1"), text], title=title)

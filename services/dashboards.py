"""Dashboards: generated for each report from its template's report_config."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db.models import WIDGET_TYPES, Dashboard, DashboardWidget, QueryTemplate
from services.errors import TemplateDefinitionError


def check_report_config(config: Any) -> list[dict[str, Any]]:
    """The widgets of a template's report_config; TemplateDefinitionError if malformed."""
    if not isinstance(config, dict):
        raise TemplateDefinitionError("report_config is a mapping with a widgets list")
    widgets = config.get("widgets", [])
    if not isinstance(widgets, list):
        raise TemplateDefinitionError("report_config.widgets is a list")
    for index, widget in enumerate(widgets):
        if not isinstance(widget, dict) or widget.get("type") not in WIDGET_TYPES:
            raise TemplateDefinitionError(
                f"widget {index + 1}: type must be one of {', '.join(WIDGET_TYPES)}"
            )
        if not isinstance(widget.get("config", {}), dict):
            raise TemplateDefinitionError(f"widget {index + 1}: config is a mapping")
    return widgets


def create_dashboard_for_report(
    *, session: Session, template: QueryTemplate, name: str, owner_uuid: Any
) -> Dashboard:
    dashboard = Dashboard(
        name=name,
        description=f"Generated from the template {template.name}.",
        owner_uuid=owner_uuid,
    )
    for position, widget in enumerate(check_report_config(template.report_config)):
        dashboard.widgets.append(
            DashboardWidget(
                widget_type=widget["type"],
                title=str(widget.get("title", "")),
                config=dict(widget.get("config", {})),
                position=position,
            )
        )
    session.add(dashboard)
    session.flush()
    return dashboard

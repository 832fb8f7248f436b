"""Who may see and change what. Every service asks here; pages and the API never decide.

- admins see and change everything;
- analysts see and change their own reports and runs, on instances granted to them;
- viewers read the reports on instances granted to them and run or change nothing.
Anything a user may not see is "not found", never "forbidden".
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select

from db.models import InstanceAccess, ReportDefinition, ReportExecution
from services.errors import PermissionDenied
from services.users import Actor


def granted_instances(actor: Actor) -> Select[Any]:
    return select(InstanceAccess.instance_uuid).where(InstanceAccess.user_uuid == actor.id)


def visible_reports(statement: Select[Any], actor: Actor) -> Select[Any]:
    """Restrict a query over ReportDefinition to what `actor` may see."""
    if actor.is_admin:
        return statement
    if actor.role == "viewer":
        return statement.where(ReportDefinition.instance_uuid.in_(granted_instances(actor)))
    return statement.where(
        ReportDefinition.owner_uuid == actor.id,
        ReportDefinition.instance_uuid.in_(granted_instances(actor)),
    )


def visible_executions(statement: Select[Any], actor: Actor) -> Select[Any]:
    """Restrict a query over ReportExecution to what `actor` may see."""
    if actor.is_admin:
        return statement
    own_reports = visible_reports(select(ReportDefinition.id), actor)
    conditions: list[ColumnElement[bool]] = [ReportExecution.report_uuid.in_(own_reports)]
    if actor.role != "viewer":
        conditions.append(ReportExecution.user_uuid == actor.id)
    return statement.where(
        or_(*conditions), ReportExecution.instance_uuid.in_(granted_instances(actor))
    )


def require_runner(actor: Actor) -> None:
    if not actor.can_run:
        raise PermissionDenied("Viewers can read reports but not run or change them.")


def may_edit(actor: Actor, owner_uuid: uuid.UUID | None) -> bool:
    """Owners and admins change a report; viewers change nothing."""
    return actor.can_run and (actor.is_admin or owner_uuid == actor.id)


def require_editor(actor: Actor, report: ReportDefinition) -> None:
    """The report is visible to `actor`; may they change it?"""
    require_runner(actor)
    if not may_edit(actor, report.owner_uuid):
        raise PermissionDenied("Only the report's owner or an admin can change it.")

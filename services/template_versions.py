"""Template versions: each save that changes what a template runs adds one; an execution
records the version it ran, and the worker renders that version's SQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import QueryTemplate, TemplateVersion, User
from services.template_checks import VERSIONED_FIELDS, TemplateContent


@dataclass(frozen=True)
class VersionInfo:
    """One saved version as the template page lists it: which, who and when."""

    version: int
    created_at: datetime
    created_by_name: str
    created_by_email: str
    is_latest: bool
    report_type: str
    parameter_count: int


def content_of(template: QueryTemplate | TemplateVersion) -> dict[str, Any]:
    """The versioned fields of a template row or a version row."""
    return {name: getattr(template, name) for name in VERSIONED_FIELDS}


def differs(template: QueryTemplate, content: TemplateContent) -> bool:
    """Would saving `content` change what the template runs?"""
    return content_of(template) != content.as_dict()


def apply_content(template: QueryTemplate, content: TemplateContent) -> None:
    for name, value in content.as_dict().items():
        setattr(template, name, value)


def record_version(
    *, session: Session, template: QueryTemplate, created_by: uuid.UUID | None
) -> TemplateVersion:
    """Save the template's current content as its version `template.version`. Flushes."""
    session.flush()  # a new template needs its id first
    row = TemplateVersion(
        template_uuid=template.id,
        version=template.version,
        created_by_uuid=created_by,
        **content_of(template),
    )
    session.add(row)
    session.flush()
    return row


def save_content(
    *,
    session: Session,
    template: QueryTemplate,
    content: TemplateContent,
    created_by: uuid.UUID | None,
) -> bool:
    """Give `template` this content as a new version when it differs; True if it did."""
    if not differs(template, content):
        return False
    apply_content(template, content)
    template.version = _latest(session, template.id) + 1
    record_version(session=session, template=template, created_by=created_by)
    return True


def _latest(session: Session, template_uuid: uuid.UUID) -> int:
    """The highest version saved (0 for none), whatever the template row says."""
    found = session.scalars(
        select(TemplateVersion.version)
        .where(TemplateVersion.template_uuid == template_uuid)
        .order_by(TemplateVersion.version.desc())
        .limit(1)
    ).first()
    return int(found or 0)


def version_row(
    *, session: Session, template_uuid: uuid.UUID, version: int
) -> TemplateVersion | None:
    return session.scalar(
        select(TemplateVersion).where(
            TemplateVersion.template_uuid == template_uuid, TemplateVersion.version == version
        )
    )


def list_versions(*, session: Session, template: QueryTemplate) -> list[VersionInfo]:
    """The template's versions, newest first, with who saved each and when."""
    rows = session.execute(
        select(TemplateVersion, User.name, User.email)
        .outerjoin(User, User.id == TemplateVersion.created_by_uuid)
        .where(TemplateVersion.template_uuid == template.id)
        .order_by(TemplateVersion.version.desc())
    ).all()
    return [
        VersionInfo(
            version=row[0].version,
            created_at=row[0].created_at,
            created_by_name=row.name
            or row.email
            or ("Template library" if template.owner_uuid is None else "A removed user"),
            created_by_email=row.email or "",
            is_latest=row[0].version == template.version,
            report_type=row[0].report_type,
            parameter_count=len(row[0].parameter_definitions or []),
        )
        for row in rows
    ]

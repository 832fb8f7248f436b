"""Small helpers that insert rows for tests: plain functions, a keyword-only `session`.

Each helper adds one row with sensible defaults, flushes (so generated ids and defaults are
filled in) and returns it; the caller commits when another connection must see the row.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from db.models import Instance, QueryTemplate, User


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def create_user(
    *, session: Session, email: str | None = None, role: str = "analyst", **fields: Any
) -> User:
    user = User(email=email or f"{_unique('user')}@example.com", role=role, **fields)
    session.add(user)
    session.flush()
    return user


def create_instance(
    *,
    session: Session,
    instance_id: str | None = None,
    name: str = "Test instance",
    engine: str = "duckdb",
    **fields: Any,
) -> Instance:
    # A placeholder, not an encrypted URL: tests that connect to the instance set their own.
    fields.setdefault("connection_url_encrypted", "not-a-real-encrypted-url")
    instance = Instance(
        instance_id=instance_id or _unique("inst"), name=name, engine=engine, **fields
    )
    session.add(instance)
    session.flush()
    return instance


def create_template(
    *,
    session: Session,
    template_id: str | None = None,
    name: str = "Test template",
    category: str = "General",
    sql_template: str = "SELECT 1 AS one",
    parameter_definitions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> QueryTemplate:
    template = QueryTemplate(
        template_id=template_id or _unique("tpl"),
        name=name,
        category=category,
        sql_template=sql_template,
        parameter_definitions=parameter_definitions or [],
        **fields,
    )
    session.add(template)
    session.flush()
    return template

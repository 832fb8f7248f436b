"""RQ job functions. Jobs receive plain values (ids), never ORM objects; everything else
they read from the database (DESIGN.md, Runs)."""

from __future__ import annotations

from typing import Any

from services import run_lifecycle
from services.template_preview import perform_preview
from workers.context import job_context


def run_execution(execution_id: str) -> dict[str, Any]:
    """Run one report execution to its end (DESIGN.md, Runs step 2); returns its outcome."""
    context = job_context()
    outcome = run_lifecycle.run_execution(
        session_factory=context.session_factory,
        store=context.store,
        redis=context.redis,
        secret_key=context.settings.secret_key,
        smtp_url=context.settings.smtp_url,
        execution_id=execution_id,
    )
    return {
        "execution_id": outcome.execution_id,
        "status": outcome.status,
        "row_count": outcome.row_count,
    }


def run_preview(
    instance_uuid: str, sql: str, binds: dict[str, Any], row_limit: int
) -> dict[str, Any]:
    """Run a template preview (services/template_preview.py): the first rows and their types."""
    context = job_context()
    return perform_preview(
        session_factory=context.session_factory,
        secret_key=context.settings.secret_key,
        instance_uuid=instance_uuid,
        sql=sql,
        binds=binds,
        row_limit=row_limit,
    )

"""A backfill whose segments ended some completed, some failed or cancelled is "partial".

Before, one cancelled segment made the whole backfill "cancelled" and one failed segment
made it "failed". Now "cancelled" means the backfill itself was cancelled, and "failed"
that no segment completed. Backfills that ended before this revision keep their status.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from db.ddl import add_updated_at_trigger, drop_updated_at_trigger

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLE = "report_data_collections"
BEFORE = ("pending", "running", "completed", "failed", "cancelled")
AFTER = (*BEFORE, "partial")


def _allow(statuses: tuple[str, ...]) -> None:
    allowed = ", ".join(f"'{s}'" for s in statuses)
    drop_updated_at_trigger(TABLE)  # SQLite's batch mode rebuilds the table without it
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_constraint(op.f(f"ck_{TABLE}_status"), type_="check")
        batch.create_check_constraint(op.f(f"ck_{TABLE}_status"), f"status IN ({allowed})")
    add_updated_at_trigger(TABLE)


def upgrade() -> None:
    _allow(AFTER)


def downgrade() -> None:
    op.execute(f"UPDATE {TABLE} SET status = 'failed' WHERE status = 'partial'")
    _allow(BEFORE)

"""The reports table's default order (newest change first) read from an index: the first
page of 10,000 reports no longer sorts them all (benchmarks/bench_api.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_report_definitions_updated_at",
        "report_definitions",
        [sa.text("updated_at DESC"), "report_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_report_definitions_updated_at", table_name="report_definitions")

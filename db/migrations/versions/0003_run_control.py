"""Run control: when a run was queued, the worker's heartbeat, retry backoff, and when a
backfill's notification went out.

- queued_at: NULL while a run is held back (a backfill segment waiting for the instance's
  concurrency limit, or a retry waiting out its backoff); set when it is enqueued.
- heartbeat_at: written every few seconds by the worker running it; the reconciler takes a
  running row whose heartbeat stopped for a run whose worker died.
- not_before: a held run is not released before this time (retry backoff).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from db.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ("queued_at", "heartbeat_at", "not_before"):
        op.add_column("report_executions", sa.Column(column, UTCDateTime(), nullable=True))
    # Runs that exist already were queued when they were created.
    op.execute("UPDATE report_executions SET queued_at = created_at")
    op.add_column("report_data_collections", sa.Column("notified_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would trip over the view and drop
    # the tables' triggers; nothing refers to these columns.
    for table, column in (
        ("report_data_collections", "notified_at"),
        ("report_executions", "not_before"),
        ("report_executions", "heartbeat_at"),
        ("report_executions", "queued_at"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")

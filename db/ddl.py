"""DDL the ORM cannot express portably, used by the migrations: updated_at triggers.

These functions are part of the migration history: change them only in ways that leave
old revisions producing the same schema.
"""

from __future__ import annotations

from alembic import op

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at = now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


#: Now, in the format SQLAlchemy writes SQLite timestamps (six digits of microseconds).
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"


def _dialect() -> str:
    return op.get_bind().dialect.name


def create_updated_at_function() -> None:
    """PostgreSQL needs one trigger function; SQLite triggers are self-contained."""
    if _dialect() == "postgresql":
        op.execute(_PG_FUNCTION)


def drop_updated_at_function() -> None:
    if _dialect() == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS set_updated_at()")


def add_updated_at_trigger(table: str) -> None:
    """Keep `updated_at` current on every UPDATE, also those that bypass the ORM."""
    name = f"trg_{table}_updated_at"
    if _dialect() == "postgresql":
        op.execute(
            f"CREATE TRIGGER {name} BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION set_updated_at()"
        )
    else:
        # The WHEN clause leaves alone an UPDATE that sets updated_at itself (the ORM does),
        # and keeps the trigger's own UPDATE from firing it again.
        op.execute(
            f"CREATE TRIGGER {name} AFTER UPDATE ON {table} FOR EACH ROW "
            "WHEN NEW.updated_at IS OLD.updated_at BEGIN "
            f"UPDATE {table} SET updated_at = {SQLITE_NOW} "
            "WHERE rowid = NEW.rowid; END"
        )


def drop_updated_at_trigger(table: str) -> None:
    name = f"trg_{table}_updated_at"
    if _dialect() == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")

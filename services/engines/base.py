"""The engine interface, and the pieces every engine shares."""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from services.sql_templates import Dialect

#: Rows per Arrow batch while streaming a result.
BATCH_ROWS = 50_000


class EngineError(Exception):
    """The engine refused or failed the query; the message is the engine's, made readable."""


class QueryTimeout(EngineError):
    pass


class QueryCancelled(EngineError):
    pass


@dataclass
class RunningQuery:
    """A query in flight: its engine-side id, and how to interrupt it from another thread."""

    engine_execution_id: str | None = None
    _interrupt: Callable[[], None] | None = field(default=None, repr=False)
    cancelled: threading.Event = field(default_factory=threading.Event, repr=False)

    def interrupt(self) -> None:
        self.cancelled.set()
        if self._interrupt is not None:
            self._interrupt()


class Engine(abc.ABC):
    """Runs read-only SQL on one instance."""

    dialect: Dialect

    def __init__(self, url: str) -> None:
        self.url = url

    @abc.abstractmethod
    def execute(
        self,
        sql: str,
        binds: dict[str, Any],
        timeout: float,
        running: RunningQuery | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Run `sql` with `binds` (in this engine's parameter style) and stream the result.

        `running` is filled in with the engine's id for the query and an interrupt hook,
        so another thread can `cancel` it. Raises QueryTimeout after `timeout` seconds.
        """

    def cancel(self, running: RunningQuery) -> None:
        """Stop a query started by `execute` in this process."""
        running.interrupt()

    def cancel_remote(self, engine_execution_id: str) -> bool:
        """Stop a query started by another process, where the engine allows it."""
        return False


class Deadline:
    """Interrupts a query when its time is up, from a timer thread."""

    def __init__(self, seconds: float, interrupt: Callable[[], None]) -> None:
        self.expired = threading.Event()
        self._timer = threading.Timer(seconds, self._fire, args=(interrupt,))
        self._timer.daemon = True

    def _fire(self, interrupt: Callable[[], None]) -> None:
        self.expired.set()
        interrupt()

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()


def timeout_message(seconds: float) -> str:
    return f"The query ran longer than the instance's limit of {seconds:g} seconds and was stopped."


CANCELLED_MESSAGE = "The query was cancelled."

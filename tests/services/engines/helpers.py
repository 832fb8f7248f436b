"""What the engine tests share: a whole result as a table, and a query run in a thread."""

from __future__ import annotations

import threading
from typing import Any

import pyarrow as pa

from services.engines import Engine, RunningQuery

#: Seconds a test waits for a stopped query's thread to end.
STOP_WAIT_S = 10


def table(engine: Engine, sql: str, binds: dict[str, Any] | None = None) -> pa.Table:
    return pa.Table.from_batches(list(engine.execute(sql, binds or {}, 30)))


class Background:
    """A query run to its end in a thread; `error` is what it raised."""

    def __init__(self, engine: Engine, sql: str, timeout: float) -> None:
        self.engine = engine
        self.running = RunningQuery()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(sql, timeout), daemon=True)
        self._thread.start()

    def _run(self, sql: str, timeout: float) -> None:
        try:
            list(self.engine.execute(sql, {}, timeout, self.running))
        except BaseException as error:
            self.error = error

    def ended(self) -> bool:
        return not self._thread.is_alive()

    def wait(self) -> BaseException | None:
        """The query's error once its thread has ended (fails when it runs on)."""
        self._thread.join(timeout=STOP_WAIT_S)
        assert not self._thread.is_alive(), "the query was not stopped"
        return self.error

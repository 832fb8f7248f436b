"""The queues workers serve and the way jobs reach them.

The names and helpers are defined in `services.runtime` (services enqueue too, and never
import workers); this module is the workers' side of the same contract.
"""

from __future__ import annotations

from services.runtime import (
    ALL_QUEUES,
    EXECUTIONS_QUEUE,
    MAINTENANCE_QUEUE,
    enqueue_by_name,
    redis_connection,
)

#: The queues `reportbuilder worker` serves, highest priority first.
WORKER_QUEUES: tuple[str, ...] = ALL_QUEUES

__all__ = [
    "EXECUTIONS_QUEUE",
    "MAINTENANCE_QUEUE",
    "WORKER_QUEUES",
    "enqueue_by_name",
    "redis_connection",
]

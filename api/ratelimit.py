"""Per-user rate limits: fixed windows counted in Redis (INCR, then EXPIRE on the window's key).

A window is one period long and aligned to the epoch, so every web process counts in the
same keys. When Redis cannot be reached the request goes through: limits protect the
queues, they must not take the API down with Redis.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

from api.errors import ApiError

log = logging.getLogger(__name__)

#: Prefix of every counter key in Redis.
KEY_PREFIX = "reportbuilder:ratelimit"


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    period_seconds: int
    #: What is limited, for the 429 message.
    what: str


#: The limits of issue 5, per user; backfills also per instance.
RUN_LIMIT = Limit("run", 10, 60, "runs per minute")
CREATE_REPORT_LIMIT = Limit("create_report", 20, 3600, "new reports per hour")
BACKFILL_LIMIT = Limit("backfill", 5, 86_400, "backfills per day on this instance")


@dataclass(frozen=True)
class LimitState:
    """What the X-RateLimit-* headers say after a request was counted."""

    limit: int
    remaining: int
    #: Unix time (seconds) when the window ends and the count starts again.
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimiter:
    """Counts requests per (limit, user, scope) in Redis; `enabled=False` counts nothing."""

    def __init__(
        self,
        redis: Redis | None,
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.enabled = enabled and redis is not None
        self.clock = clock

    def hit(self, limit: Limit, *, user: str, scope: str = "") -> LimitState | None:
        """Count one request; ApiError 429 when the window's allowance is used up."""
        if not self.enabled or self.redis is None:
            return None
        now = self.clock()
        window = int(now // limit.period_seconds)
        key = f"{KEY_PREFIX}:{limit.name}:{user}:{scope}:{window}"
        try:
            pipeline = self.redis.pipeline()
            pipeline.incr(key)
            pipeline.expire(key, limit.period_seconds + 1)
            count = int(pipeline.execute()[0])
        except RedisError as error:
            log.warning("rate limit not counted, Redis unavailable: %s", type(error).__name__)
            return None
        reset = (window + 1) * limit.period_seconds
        state = LimitState(limit=limit.count, remaining=max(0, limit.count - count), reset=reset)
        if count > limit.count:
            retry_after = max(1, int(reset - now + 0.999))
            raise ApiError(
                429,
                "rate_limited",
                f"Too many requests: at most {limit.count} {limit.what}. "
                f"Try again in {retry_after} s.",
                {"limit": limit.count, "period_seconds": limit.period_seconds},
                headers={**state.headers(), "Retry-After": str(retry_after)},
            )
        return state

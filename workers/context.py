"""What a job needs from the process it runs in: settings, a database session factory and
the results store, built once per process from the environment."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from db.session import make_engine, make_session_factory
from services.results import ResultsStore
from services.runtime import redis_connection
from settings import Settings, load_settings


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    session_factory: sessionmaker[Session]
    store: ResultsStore
    redis: Redis | None


@functools.cache
def job_context() -> JobContext:
    """Built on first use in each process (RQ forks a work horse per job)."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    return JobContext(
        settings=settings,
        session_factory=make_session_factory(engine),
        store=ResultsStore(settings.results_dir),
        redis=redis_connection(settings.redis_url) if settings.redis_url else None,
    )

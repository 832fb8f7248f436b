"""Fixtures for API tests: the real app (pages + API) on the test databases and Redis, the
service tests' world (users owner/other/viewer/admin, DuckDB instance `wh`, template
`numbers`) and an API token per user."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from api.routing import EXTENSION
from app import create_app
from services.results import ResultsStore
from services.users import create_api_token
from settings import Settings, load_settings
from tests.api.helpers import ApiClient
from tests.factories import TEST_SECRET_KEY, World

#: The time the rate limits see in tests: a whole day after it falls in the same windows
#: (minute, hour, day), so a test never straddles two windows.
PINNED_TIME = 1_800_000_000 // 86_400 * 86_400 + 30.0


@pytest.fixture
def app_settings(
    tmp_path: Path,
    database_url: str,
    redis_url: str,
    store: ResultsStore,
) -> Settings:
    return load_settings(
        {
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "RESULTS_DIR": str(store.root),
            "SECRET_KEY": TEST_SECRET_KEY,
        }
    )


@pytest.fixture
def server(app_settings: Settings, session_factory: sessionmaker[Session]) -> Flask:
    flask_app: Flask = create_app(app_settings, session_factory).server
    flask_app.extensions[EXTENSION].clock = lambda: PINNED_TIME
    return flask_app


@pytest.fixture
def tokens(session: Session, world: World) -> dict[str, str]:
    made = {
        role: create_api_token(session=session, email=f"{role}@example.com")
        for role in ("owner", "other", "viewer", "admin")
    }
    session.commit()
    return made


@pytest.fixture
def client(server: Flask, tokens: dict[str, str]) -> Iterator[ApiClient]:
    with server.test_client() as flask_client:
        yield ApiClient(flask_client, tokens)

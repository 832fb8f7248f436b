"""schemathesis against /api/openapi.json: generated requests never get a 5xx, and every
response matches the schema the document declares (status, content type, body).

Deterministic (derandomized, a fixed number of examples per operation) so that CI sees the
same requests every run. One app serves the whole module, on SQLite and on PostgreSQL, with
a report, a schedule, a backfill and their ids, so that some requests reach real objects.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

import api
from app import create_app
from db import migrate
from db.session import make_engine, make_session_factory
from services.users import create_api_token
from settings import load_settings
from tests.databases import SKIP_POSTGRES, create_postgres_database, drop_postgres_database
from tests.factories import TEST_SECRET_KEY, build_world

#: Examples hypothesis generates per operation; with ~35 operations on two databases this
#: keeps the module well under a minute.
MAX_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class Fuzzed:
    """The app under test, an admin's and an analyst's tokens, and ids of real objects."""

    def __init__(self, server: Flask, tokens: dict[str, str], ids: dict[str, str]) -> None:
        self.server = server
        self.tokens = tokens
        self.ids = ids
        self.turn = itertools.count()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fuzzed]:
    workdir = tmp_path_factory.mktemp("fuzz")
    if request.param == "postgresql":
        if SKIP_POSTGRES:
            pytest.skip("no PostgreSQL server binaries on this machine")
        url = create_postgres_database()
    else:
        url = f"sqlite:///{workdir / 'metadata.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        with factory() as session:
            tokens = _seed(session, workdir)
        settings_ = load_settings(
            {
                "DATA_DIR": str(workdir),
                "DATABASE_URL": url,
                "REDIS_URL": _redis_url(),
                "SECRET_KEY": TEST_SECRET_KEY,
                "RATE_LIMITS": "off",
            }
        )
        server = create_app(settings_, factory).server
        ids = _objects(server, tokens["owner"])
        yield Fuzzed(server, tokens, ids)
    finally:
        engine.dispose()
        if request.param == "postgresql":
            drop_postgres_database(url)


def _redis_url() -> str:
    from tests.databases import redis_test_url

    return redis_test_url()


def _seed(session: Session, workdir: Path) -> dict[str, str]:
    build_world(session, workdir)
    tokens = {
        role: create_api_token(session=session, email=f"{role}@example.com")
        for role in ("owner", "admin")
    }
    session.commit()
    return tokens


def _objects(server: Flask, token: str) -> dict[str, str]:
    """A report with a schedule and a backfill, made through the API; their ids by name."""
    client = server.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post(
        "/api/report-builder/reports",
        headers=headers,
        json={
            "template_id": "numbers",
            "instance_id": "wh",
            "name": "Fuzzed",
            "run": {"type": "recurring", "frequency": "daily", "execute_now": True},
        },
    ).json
    assert created is not None and "report_id" in created, created
    backfill = client.post(
        f"/api/report-builder/reports/{created['report_id']}/backfill",
        headers=headers,
        json={"segment": "monthly", "lookback_days": 60},
    ).json
    assert backfill is not None and "collection_id" in backfill, backfill
    return {
        "template_id": "numbers",
        "report_id": created["report_id"],
        "dashboard_id": created["dashboard_id"],
        "schedule_id": created["schedule_id"],
        "execution_id": created["execution_id"],
        "collection_id": backfill["collection_id"],
    }


# The document the app serves at /api/openapi.json (test_openapi.py checks they are equal),
# loaded at import: schemathesis's fixture-based loader does not run on pytest 9.
schema = schemathesis.openapi.from_dict(api.openapi_document())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_get_no_server_error_and_match_the_schema(
    case: Any, fuzzed: Fuzzed
) -> None:
    turn = next(fuzzed.turn)
    if case.path_parameters and turn % 2 == 0:  # every other request names real objects
        for name in case.path_parameters:
            if name in fuzzed.ids:
                case.path_parameters[name] = fuzzed.ids[name]
    role = "admin" if turn % 3 == 0 else "owner"
    response = case.call(
        app=fuzzed.server, headers={"Authorization": f"Bearer {fuzzed.tokens[role]}"}
    )
    case.validate_response(response, checks=CHECKS)

"""Alembic revisions on SQLite and PostgreSQL: from empty, from a baseline holding
workflow rows (archived, every row kept), downgrade and upgrade again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import db.models  # noqa: F401  (fills Base.metadata)
from db import migrate
from db.base import Base, JSONType, UTCDateTime
from db.session import make_engine

ARCHIVE_TABLES = {
    "archived_workflows",
    "archived_workflow_executions",
    "archived_collection_workflows",
}
REPORT_TABLES = {
    "report_definitions",
    "report_executions",
    "report_schedules",
    "dashboard_favorites",
}
WORKFLOW_TABLES = {"workflows", "workflow_executions"}
EXPRESSION_INDEXES = {"ix_report_definitions_updated_at"}


@pytest.fixture
def db_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def views(engine: Engine) -> set[str]:
    return set(inspect(engine).get_view_names())


def test_upgrade_from_empty_builds_the_whole_schema(
    empty_database_url: str, db_engine: Engine
) -> None:
    migrate.upgrade(empty_database_url)
    assert migrate.current_revision(db_engine) == migrate.head_revision()
    assert REPORT_TABLES <= tables(db_engine)
    assert not WORKFLOW_TABLES & tables(db_engine)
    assert views(db_engine) == {"report_runs_overview"}


def test_the_models_match_the_migrated_schema(empty_database_url: str, db_engine: Engine) -> None:
    migrate.upgrade(empty_database_url)
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (d[0] == "remove_table" and d[1].name in ARCHIVE_TABLES)
            # Alembic cannot compare an index on an expression (DESC) reflected from SQLite.
            and not (d[0] in {"add_index", "remove_index"} and d[1].name in EXPRESSION_INDEXES)
        ]
    assert differences == []


def test_downgrade_to_base_removes_everything(empty_database_url: str, db_engine: Engine) -> None:
    migrate.upgrade(empty_database_url)
    migrate.downgrade(empty_database_url, "base")
    assert tables(db_engine) == set()
    assert views(db_engine) == set()


# Baseline rows, written with the column types revision 0001 had.
def _t(table_name: str, /, **columns: Any) -> sa.TableClause:
    return sa.table(table_name, *(sa.column(c, t) for c, t in columns.items()))


U, S, J, T, N, D = sa.Uuid(), sa.String(), JSONType, UTCDateTime(), sa.Integer(), sa.Date()
USERS = _t(
    "users",
    id=U,
    user_id=S,
    email=S,
    name=S,
    role=S,
    is_active=sa.Boolean(),
    created_at=T,
    updated_at=T,
)
INSTANCES = _t(
    "instances",
    id=U,
    instance_id=S,
    name=S,
    description=S,
    engine=S,
    connection_url_encrypted=S,
    data_lag_days=N,
    max_lookback_days=N,
    max_concurrency=N,
    statement_timeout_seconds=N,
    max_attempts=N,
    timezone=S,
    metadata_queries=J,
    is_active=sa.Boolean(),
    created_at=T,
    updated_at=T,
)
WORKFLOWS = _t(
    "workflows",
    id=U,
    workflow_id=S,
    name=S,
    description=S,
    instance_uuid=U,
    user_uuid=U,
    template_uuid=U,
    sql_query=S,
    parameters=J,
    status=S,
    created_at=T,
    updated_at=T,
)
EXECUTIONS = _t(
    "workflow_executions",
    id=U,
    execution_id=S,
    workflow_uuid=U,
    status=S,
    engine_execution_id=S,
    parameters=J,
    output_location=S,
    row_count=N,
    error_message=S,
    started_at=T,
    completed_at=T,
    created_at=T,
    updated_at=T,
)
COLLECTIONS = _t(
    "report_data_collections",
    id=U,
    collection_id=S,
    workflow_uuid=U,
    instance_uuid=U,
    user_uuid=U,
    start_date=D,
    end_date=D,
    status=S,
    total_segments=N,
    completed_segments=N,
    failed_segments=N,
    created_at=T,
    updated_at=T,
)
NOW = datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
WORKFLOW_COUNT = 3
EXECUTIONS_PER_WORKFLOW = 4


def _seed_baseline(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    user = {
        "id": uuid.uuid4(),
        "user_id": "usr_00000001",
        "email": "legacy@example.com",
        "name": "Legacy",
        "role": "analyst",
        "is_active": True,
        "created_at": NOW,
        "updated_at": NOW,
    }
    instance = {
        "id": uuid.uuid4(),
        "instance_id": "amc1",
        "name": "AMC 1",
        "description": "",
        "engine": "duckdb",
        "connection_url_encrypted": "x",
        "data_lag_days": 2,
        "max_lookback_days": 365,
        "max_concurrency": 10,
        "statement_timeout_seconds": 300,
        "max_attempts": 3,
        "timezone": "UTC",
        "metadata_queries": {},
        "is_active": True,
        "created_at": NOW,
        "updated_at": NOW,
    }
    workflows = [
        {
            "id": uuid.uuid4(),
            "workflow_id": f"wf_{n}",
            "name": f"Workflow {n}",
            "description": "old",
            "instance_uuid": instance["id"],
            "user_uuid": user["id"],
            "template_uuid": None,
            "sql_query": f"SELECT {n}",
            "parameters": {"n": n},
            "status": "active",
            "created_at": NOW,
            "updated_at": NOW,
        }
        for n in range(WORKFLOW_COUNT)
    ]
    executions = [
        {
            "id": uuid.uuid4(),
            "execution_id": f"wfe_{w['workflow_id']}_{k}",
            "workflow_uuid": w["id"],
            "status": "completed" if k else "failed",
            "engine_execution_id": f"amc-{k}",
            "parameters": {"k": k},
            "output_location": f"s3://old/{k}",
            "row_count": 10 * k,
            "error_message": None if k else "boom",
            "started_at": NOW,
            "completed_at": NOW,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for w in workflows
        for k in range(EXECUTIONS_PER_WORKFLOW)
    ]
    collections = [
        {
            "id": uuid.uuid4(),
            "collection_id": "col_legacy01",
            "workflow_uuid": workflows[0]["id"],
            "instance_uuid": instance["id"],
            "user_uuid": user["id"],
            "start_date": date(2025, 1, 1),
            "end_date": date(2025, 3, 31),
            "status": "completed",
            "total_segments": 13,
            "completed_segments": 13,
            "failed_segments": 0,
            "created_at": NOW,
            "updated_at": NOW,
        }
    ]
    with engine.begin() as connection:
        connection.execute(sa.insert(USERS), [user])
        connection.execute(sa.insert(INSTANCES), [instance])
        connection.execute(sa.insert(WORKFLOWS), workflows)
        connection.execute(sa.insert(EXECUTIONS), executions)
        connection.execute(sa.insert(COLLECTIONS), collections)
    return {"workflows": workflows, "executions": executions, "collections": collections}


def _read(engine: Engine, table: sa.TableClause, order: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(table).order_by(sa.column(order))).mappings()
        return [dict(r) for r in rows]


def _archived(table: sa.TableClause) -> sa.TableClause:
    return _t(f"archived_{table.name}", **{c.name: c.type for c in table.columns})


def test_upgrade_from_baseline_archives_every_workflow_row(
    empty_database_url: str, db_engine: Engine
) -> None:
    migrate.upgrade(empty_database_url, "0001")
    seeded = _seed_baseline(db_engine)

    migrate.upgrade(empty_database_url)

    assert not WORKFLOW_TABLES & tables(db_engine)
    assert ARCHIVE_TABLES <= tables(db_engine)
    archived_workflows = _read(db_engine, _archived(WORKFLOWS), "workflow_id")
    assert archived_workflows == sorted(seeded["workflows"], key=lambda w: w["workflow_id"])
    archived_executions = _read(db_engine, _archived(EXECUTIONS), "execution_id")
    assert archived_executions == sorted(seeded["executions"], key=lambda e: e["execution_id"])
    # The backfill of a workflow stays, now without a report; its link is archived.
    collection = _t("report_data_collections", collection_id=S, report_uuid=U, segment_type=S)
    assert _read(db_engine, collection, "collection_id") == [
        {"collection_id": "col_legacy01", "report_uuid": None, "segment_type": None}
    ]


def test_downgrade_restores_the_workflows_and_upgrade_again_round_trips(
    empty_database_url: str, db_engine: Engine
) -> None:
    migrate.upgrade(empty_database_url, "0001")
    seeded = _seed_baseline(db_engine)
    migrate.upgrade(empty_database_url)

    migrate.downgrade(empty_database_url, "0001")

    assert not (REPORT_TABLES | ARCHIVE_TABLES) & tables(db_engine)
    assert _read(db_engine, WORKFLOWS, "workflow_id") == sorted(
        seeded["workflows"], key=lambda w: w["workflow_id"]
    )
    assert _read(db_engine, EXECUTIONS, "execution_id") == sorted(
        seeded["executions"], key=lambda e: e["execution_id"]
    )
    restored = _read(db_engine, COLLECTIONS, "collection_id")
    assert [c["workflow_uuid"] for c in restored] == [seeded["workflows"][0]["id"]]

    migrate.upgrade(empty_database_url)
    assert migrate.current_revision(db_engine) == migrate.head_revision()
    assert len(_read(db_engine, _archived(EXECUTIONS), "execution_id")) == (
        WORKFLOW_COUNT * EXECUTIONS_PER_WORKFLOW
    )


def test_revision_0006_keeps_every_row_that_refers_to_a_rebuilt_table(
    empty_database_url: str, db_engine: Engine
) -> None:
    """SQLite rebuilds `instances`, `users` and `report_executions` in 0006 (and back): no
    grant, run or backfill link may be lost on the way (foreign keys are off meanwhile)."""
    from sqlalchemy.orm import Session

    from db.models import InstanceAccess, ReportExecution
    from tests.factories import create_collection, create_execution, create_report

    migrate.upgrade(empty_database_url)
    with Session(db_engine) as session:
        report = create_report(session=session)
        session.add(InstanceAccess(user_uuid=report.owner_uuid, instance_uuid=report.instance_uuid))
        collection = create_collection(session=session, report=report)
        execution = create_execution(session=session, report=report, collection_uuid=collection.id)
        session.commit()
        execution_id, collection_uuid = execution.id, collection.id

    migrate.downgrade(empty_database_url, "0005")
    migrate.upgrade(empty_database_url)

    with Session(db_engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(InstanceAccess)) == 1
        kept = session.get_one(ReportExecution, execution_id)
        assert kept.collection_uuid == collection_uuid
        assert kept.report is not None
        assert kept.template_version is None  # runs made before versions existed


def test_revision_0006_gives_every_existing_template_its_version_1(
    empty_database_url: str, db_engine: Engine
) -> None:
    from sqlalchemy.orm import Session

    from db.models import QueryTemplate, TemplateVersion
    from tests.factories import create_template

    migrate.upgrade(empty_database_url)
    with Session(db_engine) as session:
        template = create_template(session=session, sql_template="SELECT 2 AS two")
        session.commit()
        template_uuid = template.id

    migrate.downgrade(empty_database_url, "0005")
    migrate.upgrade(empty_database_url)

    with Session(db_engine) as session:
        version = session.scalars(sa.select(TemplateVersion)).one()
        assert (version.template_uuid, version.version) == (template_uuid, 1)
        assert version.sql_template == "SELECT 2 AS two"
        assert session.get_one(QueryTemplate, template_uuid).version == 1

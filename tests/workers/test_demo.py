"""The demo warehouse, its instance and the template library (services/demo.py).

Every library template must run on the demo warehouse through the worker's job.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Instance, QueryTemplate
from services.demo import (
    DEMO_HISTORY_DAYS,
    LIBRARY_DIR,
    LibraryError,
    LibraryTemplate,
    build_demo_database,
    ensure_demo,
    load_library,
    read_library,
)
from settings import load_settings
from workers.jobs import run_sql_to_parquet

TODAY = date(2026, 3, 10)


def _rows(path: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            "SELECT * FROM campaign_daily ORDER BY day, campaign_id"
        ).fetchall()


def test_the_warehouse_holds_the_history_up_to_yesterday(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"

    assert build_demo_database(path, today=TODAY) is True

    with duckdb.connect(str(path), read_only=True) as connection:
        first, last, days, campaigns, negative = (
            connection.execute(
                "SELECT min(day), max(day), count(DISTINCT day), count(DISTINCT campaign_id), "
                "count(*) FILTER (WHERE impressions < 0 OR clicks < 0 OR spend < 0 OR sales < 0) "
                "FROM campaign_daily"
            ).fetchone()
            or ()
        )
    assert last == TODAY - timedelta(days=1)
    assert first == TODAY - timedelta(days=DEMO_HISTORY_DAYS)
    assert days == DEMO_HISTORY_DAYS
    assert campaigns == 6
    assert negative == 0
    assert [p.name for p in tmp_path.iterdir()] == ["demo.duckdb"]


def test_the_warehouse_is_the_same_every_time_it_is_built(tmp_path: Path) -> None:
    build_demo_database(tmp_path / "a.duckdb", today=TODAY)
    build_demo_database(tmp_path / "b.duckdb", today=TODAY)

    assert _rows(tmp_path / "a.duckdb") == _rows(tmp_path / "b.duckdb")


def test_an_existing_warehouse_gets_only_the_missing_days(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    build_demo_database(path, today=TODAY)
    before = _rows(path)

    assert build_demo_database(path, today=TODAY + timedelta(days=3)) is False

    after = _rows(path)
    assert after[: len(before)] == before
    assert len(after) == len(before) + 3 * 6
    build_demo_database(tmp_path / "fresh.duckdb", today=TODAY + timedelta(days=3))
    assert set(after) >= set(_rows(tmp_path / "fresh.duckdb"))


def test_ensure_demo_is_idempotent(tmp_path: Path, session: Session) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path)})

    first = ensure_demo(session=session, settings=settings, today=TODAY)
    session.commit()
    second = ensure_demo(session=session, settings=settings, today=TODAY)
    session.commit()

    assert (first.created_database, first.created_instance) == (True, True)
    assert (second.created_database, second.created_instance) == (False, False)
    assert first.template_ids == second.template_ids == ("campaign_performance", "daily_trend")
    instance = session.scalars(select(Instance)).one()
    assert instance.instance_id == "demo"
    assert instance.name == "Demo warehouse"
    assert instance.engine == "duckdb"
    assert instance.data_lag_days == 2
    assert instance.max_concurrency == 10
    assert instance.connection_url_encrypted == f"duckdb:///{tmp_path / 'demo.duckdb'}"
    assert session.scalar(select(func.count()).select_from(QueryTemplate)) == 2


def test_load_library_updates_a_template_that_changed(tmp_path: Path, session: Session) -> None:
    library = tmp_path / "library"
    shutil.copytree(LIBRARY_DIR, library)
    load_library(session=session, library_dir=library)
    spec = library / "daily_trend.yaml"
    spec.write_text(spec.read_text().replace("name: Daily trend", "name: Daily trend v2"))
    (library / "daily_trend.sql").write_text("SELECT 2 AS two")

    load_library(session=session, library_dir=library)
    session.commit()

    template = session.scalars(
        select(QueryTemplate).where(QueryTemplate.template_id == "daily_trend")
    ).one()
    assert template.name == "Daily trend v2"
    assert template.sql_template == "SELECT 2 AS two"
    assert session.scalar(select(func.count()).select_from(QueryTemplate)) == 2


@pytest.mark.parametrize(
    ("yaml_text", "sql", "message"),
    [
        ("name: No id", "SELECT 1", "id must be"),
        ("id: other_name\nname: X", "SELECT 1", "does not match"),
        ("id: broken\n", "SELECT 1", "name is required"),
        ("id: broken\nname: X\nreport_config: [1]", "SELECT 1", "report_config must be"),
        ("id: broken\nname: X\nmin_data_age_days: yes", "SELECT 1", "min_data_age_days"),
        ("id: broken\nname: X", None, "broken.sql is missing"),
        ("id: broken\nname: [unclosed", "SELECT 1", "not valid YAML"),
    ],
)
def test_a_malformed_library_file_is_reported_by_name(
    tmp_path: Path, yaml_text: str, sql: str | None, message: str
) -> None:
    (tmp_path / "broken.yaml").write_text(yaml_text)
    if sql is not None:
        (tmp_path / "broken.sql").write_text(sql)

    with pytest.raises(LibraryError, match=message):
        read_library(tmp_path)


@pytest.mark.parametrize("template", read_library(), ids=lambda t: t.template_id)
def test_every_library_template_runs_on_the_demo_warehouse(
    tmp_path: Path, template: LibraryTemplate
) -> None:
    database = tmp_path / "demo.duckdb"
    build_demo_database(database, today=TODAY)
    defaults = {
        definition["name"]: definition.get("default")
        for definition in template.parameter_definitions
        if definition["type"] != "date_range"
    }
    window = {"window_start": TODAY - timedelta(days=30), "window_end": TODAY - timedelta(days=2)}

    outcome = run_sql_to_parquet(
        str(database),
        template.sql_template,
        f"executions/exe_{template.template_id}.parquet",
        str(tmp_path / "results"),
        {**defaults, **window},
    )

    assert outcome["row_count"] > 0

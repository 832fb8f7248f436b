"""The template library (services/library.py): every file validates, bad files are refused
by name, and loading into the metadata database is an idempotent upsert."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import QueryTemplate
from services.errors import TemplateDefinitionError
from services.library import (
    LIBRARY_DIR,
    REPORT_TYPES,
    LibraryTemplate,
    load_library,
    read_library,
)
from services.parameters import parse_definitions
from services.sql_templates import PLACEHOLDER

LIBRARY = read_library()
#: Tables of ad events and conversions: every read of one is cut to the run's window.
FACT_TABLES = ("dsp_impressions", "dsp_clicks", "sponsored_ads_traffic", "conversions",
               "campaign_daily")  # fmt: skip
WINDOW_FILTER = re.compile(
    r"event_date >= CAST\(\{\{ window_start \}\} AS DATE\)\s+"
    r"AND (?:\w+\.)?event_date < CAST\(\{\{ window_end \}\} AS DATE\)"
)

GOOD_YAML = """\
id: broken
name: Broken
category: Tests
report_type: table
parameter_definitions:
  - {name: limit_to, type: integer, default: 5, min: 1, max: 10}
report_config:
  widgets:
    - {type: table, title: Rows, config: {columns: [x]}}
"""
GOOD_SQL = "SELECT 1 AS x WHERE 1 < {{ limit_to }}"


def test_the_library_holds_at_least_ten_templates() -> None:
    assert len(LIBRARY) >= 10
    assert [t.template_id for t in LIBRARY] == sorted(p.stem for p in LIBRARY_DIR.glob("*.yaml"))


@pytest.mark.parametrize("template", LIBRARY, ids=lambda t: t.template_id)
def test_every_library_template_is_complete(template: LibraryTemplate) -> None:
    definitions = parse_definitions(template.parameter_definitions)

    assert template.name and template.description and template.category
    assert template.report_type in REPORT_TYPES
    assert template.report_config["widgets"]
    for definition in definitions:
        if definition.required:
            assert definition.default is not None, f"{definition.name} has no default"
    assert template.ui_schema["order"] == [d.name for d in definitions]
    placeholders = {m.group(1) for m in PLACEHOLDER.finditer(template.sql_template)}
    assert placeholders - {"window_start", "window_end"} == {d.name for d in definitions}


@pytest.mark.parametrize("template", LIBRARY, ids=lambda t: t.template_id)
def test_every_read_of_a_fact_table_is_cut_to_the_window(template: LibraryTemplate) -> None:
    sql = template.sql_template
    reads = len(re.findall(rf"\bFROM ({'|'.join(FACT_TABLES)})\b", sql))

    assert reads > 0
    assert len(WINDOW_FILTER.findall(sql)) == reads


@pytest.mark.parametrize("template", LIBRARY, ids=lambda t: t.template_id)
def test_conversion_templates_wait_fourteen_days_for_attribution(
    template: LibraryTemplate,
) -> None:
    attributed = re.search(r"\bFROM conversions\b|product_sales|purchases", template.sql_template)

    assert template.min_data_age_days == (14 if attributed else 0)


def test_the_library_uses_every_kind_of_parameter() -> None:
    definitions = [d for t in LIBRARY for d in parse_definitions(t.parameter_definitions)]
    types = {d.type for d in definitions}

    assert {"text", "integer", "number", "enum", "boolean", "column", "multi_select",
            "campaign_ids", "asins", "date"} <= types  # fmt: skip
    assert any(d.type == "integer" and d.min is not None and d.max is not None for d in definitions)
    assert any(d.type == "text" and not d.required for d in definitions)
    assert any(d.type == "date" and not d.required and d.default is None for d in definitions)


def test_one_template_reads_only_the_small_daily_summary() -> None:
    light = [
        t
        for t in LIBRARY
        if "campaign_daily" in t.sql_template
        and not re.search(r"\bFROM (dsp_|sponsored_|conversions)", t.sql_template)
    ]

    assert any(t.template_id == "campaign_performance" for t in light)


def _write(library: Path, yaml_text: str | None, sql: str | None, stem: str = "broken") -> None:
    library.mkdir(exist_ok=True)
    if yaml_text is not None:
        (library / f"{stem}.yaml").write_text(yaml_text)
    if sql is not None:
        (library / f"{stem}.sql").write_text(sql)


def test_a_good_template_in_its_own_folder_reads(tmp_path: Path) -> None:
    _write(tmp_path, GOOD_YAML, GOOD_SQL)

    [template] = read_library(tmp_path)

    assert template.template_id == "broken"
    assert template.sql_template == GOOD_SQL
    assert template.min_data_age_days == 0


@pytest.mark.parametrize(
    ("yaml_text", "sql", "file", "message"),
    [
        (GOOD_YAML, "DELETE FROM campaigns", "broken.sql", "SELECT"),
        (GOOD_YAML, "SELECT 1; SELECT 2", "broken.sql", "exactly one SQL statement"),
        (GOOD_YAML, "SELECT 1; DROP TABLE campaigns", "broken.sql", "exactly one"),
        (GOOD_YAML, "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x", "broken.sql", ""),
        (GOOD_YAML, "SELECT * FROM t WHERE a = {{ nope }}", "broken.sql", "names no parameter"),
        (GOOD_YAML, "SELECT {{ limit_to.empty }}", "broken.sql", "only a list has"),
        (GOOD_YAML, "SELECT FROM WHERE (", "broken.sql", "does not parse"),
        (GOOD_YAML, "  ", "broken.sql", "empty SQL"),
        (GOOD_YAML.replace("type: integer", "type: integr"), GOOD_SQL, "broken.yaml",
         "unknown type"),
        (GOOD_YAML.replace("default: 5", "default: 50"), GOOD_SQL, "broken.yaml",
         "default of 'limit_to' is invalid"),
        (GOOD_YAML.replace("min: 1,", "minimum: 1,"), GOOD_SQL, "broken.yaml", "unknown keys"),
        (GOOD_YAML.replace("id: broken", "id: other_name"), GOOD_SQL, "broken.yaml",
         "does not match"),
        (GOOD_YAML.replace("id: broken\n", ""), GOOD_SQL, "broken.yaml", "id must be"),
        (GOOD_YAML.replace("name: Broken\n", ""), GOOD_SQL, "broken.yaml", "name is required"),
        (GOOD_YAML.replace("report_type: table\n", ""), GOOD_SQL, "broken.yaml",
         "report_type is required"),
        (GOOD_YAML.replace("report_type: table", "report_type: chart"), GOOD_SQL, "broken.yaml",
         "report_type must be one of"),
        (GOOD_YAML.replace("type: table, title", "type: gauge, title"), GOOD_SQL, "broken.yaml",
         "widget 1: type must be"),
        (GOOD_YAML + "min_data_age_days: yes\n", GOOD_SQL, "broken.yaml", "min_data_age_days"),
        (GOOD_YAML + "ui_schema: {order: [limit_to, ghost]}\n", GOOD_SQL, "broken.yaml",
         "names no parameter"),
        (GOOD_YAML + "ui_schema: {fields: {limit_to: {width: 13}}}\n", GOOD_SQL, "broken.yaml",
         "width is 1 to 12"),
        (GOOD_YAML + "owner: me\n", GOOD_SQL, "broken.yaml", "unknown fields"),
        ("id: broken\nname: [unclosed", GOOD_SQL, "broken.yaml", "not valid YAML"),
        ("- just\n- a list\n", GOOD_SQL, "broken.yaml", "mapping of fields"),
        (GOOD_YAML, None, "broken.yaml", "broken.sql is missing"),
        (None, GOOD_SQL, "broken.sql", "no YAML file"),
    ],
)  # fmt: skip
def test_a_bad_template_is_refused_with_the_file_named(
    tmp_path: Path, yaml_text: str | None, sql: str | None, file: str, message: str
) -> None:
    _write(tmp_path, yaml_text, sql)

    with pytest.raises(TemplateDefinitionError) as refused:
        read_library(tmp_path)

    assert str(refused.value).startswith(f"{file}: ")
    assert message in str(refused.value)


def test_loading_the_library_twice_changes_nothing(session: Session) -> None:
    first = load_library(session=session)
    session.commit()
    uuids = dict(session.execute(select(QueryTemplate.template_id, QueryTemplate.id)).all())

    second = load_library(session=session)
    session.commit()

    assert first == second == [t.template_id for t in LIBRARY]
    assert dict(session.execute(select(QueryTemplate.template_id, QueryTemplate.id)).all()) == uuids
    stored = session.scalars(
        select(QueryTemplate).where(QueryTemplate.template_id == "campaign_performance")
    ).one()
    expected = next(t for t in LIBRARY if t.template_id == "campaign_performance")
    assert stored.sql_template == expected.sql_template
    assert stored.parameter_definitions == expected.parameter_definitions
    assert stored.report_config == expected.report_config
    assert stored.ui_schema == expected.ui_schema
    assert stored.min_data_age_days == 14
    assert stored.is_public


def test_loading_again_updates_a_template_that_changed(tmp_path: Path, session: Session) -> None:
    library = tmp_path / "library"
    shutil.copytree(LIBRARY_DIR, library)
    load_library(session=session, library_dir=library)
    session.commit()
    spec = library / "daily_trend.yaml"
    spec.write_text(spec.read_text().replace("name: Daily and weekly trend", "name: Trend v2"))
    sql = library / "daily_trend.sql"
    sql.write_text(sql.read_text().replace("AS cpm", "AS cost_per_mille"))

    load_library(session=session, library_dir=library)
    session.commit()

    template = session.scalars(
        select(QueryTemplate).where(QueryTemplate.template_id == "daily_trend")
    ).one()
    assert template.name == "Trend v2"
    assert "AS cost_per_mille" in template.sql_template
    assert session.scalar(select(func.count()).select_from(QueryTemplate)) == len(LIBRARY)


def test_a_library_with_one_bad_template_loads_nothing(tmp_path: Path, session: Session) -> None:
    library = tmp_path / "library"
    shutil.copytree(LIBRARY_DIR, library)
    _write(library, GOOD_YAML, "SELECT 1; DELETE FROM campaigns")

    with pytest.raises(TemplateDefinitionError, match=r"^broken\.sql: "):
        load_library(session=session, library_dir=library)

    assert session.scalar(select(func.count()).select_from(QueryTemplate)) == 0

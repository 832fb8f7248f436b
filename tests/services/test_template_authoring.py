"""Templates written in the app: validation as field errors, versions, visibility, and runs
that render the version they recorded."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import QueryTemplate, ReportExecution, TemplateVersion
from services.errors import (
    Conflict,
    PermissionDenied,
    TemplateNotFound,
    ValidationFailed,
)
from services.executions import run_template
from services.library import load_library
from services.reports import create_report
from services.template_authoring import (
    create_template,
    delete_template,
    publish_template,
    slug_from_name,
    template_versions,
    update_template,
)
from services.templates import get_template, list_templates
from tests.factories import World, run_execution_now, session_factory_for

SQL = """
SELECT x, label FROM numbers
WHERE x < {{ below }} AND label <> {{ skip }}
  AND day >= CAST({{ window_start }} AS DATE) AND day < CAST({{ window_end }} AS DATE)
ORDER BY x
"""
DEFINITIONS: list[dict[str, Any]] = [
    {"name": "below", "type": "integer", "label": "Below", "default": 5, "min": 0},
    {"name": "skip", "type": "text", "label": "Skip", "default": "none"},
]


def values(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Small numbers",
        "description": "The first numbers.",
        "category": "Tests",
        "sql_template": SQL,
        "parameter_definitions": DEFINITIONS,
        "report_type": "table",
        "report_config": {"widgets": [{"type": "table", "title": "Rows", "config": {}}]},
    }
    base.update(changes)
    return base


def errors_of(failed: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return failed.value.errors


def test_an_analyst_creates_an_unpublished_template_at_version_1(
    session: Session, world: World
) -> None:
    made = create_template(session=session, actor=world.owner, values=values())

    assert made.template_id == "small_numbers"
    assert made.version == 1 and not made.is_published and made.can_edit
    row = session.scalars(
        select(QueryTemplate).where(QueryTemplate.template_id == "small_numbers")
    ).one()
    assert row.owner_uuid == world.owner.id
    [version] = session.scalars(
        select(TemplateVersion).where(TemplateVersion.template_uuid == row.id)
    )
    assert version.version == 1 and version.created_by_uuid == world.owner.id
    assert version.sql_template == SQL.strip()


def test_a_viewer_cannot_create_a_template(session: Session, world: World) -> None:
    with pytest.raises(PermissionDenied):
        create_template(session=session, actor=world.viewer, values=values())


def test_a_taken_template_id_is_a_conflict(session: Session, world: World) -> None:
    with pytest.raises(Conflict, match="taken"):
        create_template(session=session, actor=world.owner, values=values(template_id="numbers"))


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"sql_template": "DELETE FROM numbers"}, "sql_template", "SELECT"),
        ({"sql_template": "SELECT 1; SELECT 2"}, "sql_template", "exactly one"),
        ({"sql_template": SQL + " AND {{ ghost }}"}, "sql_template", "names no parameter"),
        (
            {"sql_template": SQL.replace("AND label <> {{ skip }}", "")},
            "parameter_definitions.1.name",
            "never uses {{ skip }}",
        ),
        (
            {"sql_template": "SELECT x FROM numbers WHERE x < {{ below }} AND '' <> {{ skip }}"},
            "sql_template",
            "not windowed",
        ),
        (
            {"parameter_definitions": [DEFINITIONS[0], {**DEFINITIONS[1], "type": "texty"}]},
            "parameter_definitions.1.type",
            "unknown type",
        ),
        (
            {"parameter_definitions": [{**DEFINITIONS[0], "default": -1}, DEFINITIONS[1]]},
            "parameter_definitions.0.default",
            "default",
        ),
        (
            {"parameter_definitions": [DEFINITIONS[0], {"name": "skip", "type": "option_list"}]},
            "parameter_definitions.1.options_source",
            "needs options_source",
        ),
        (
            {
                "parameter_definitions": [
                    DEFINITIONS[0],
                    {"name": "skip", "type": "option_list", "options_source": "Bad list"},
                ]
            },
            "parameter_definitions.1.options_source",
            "option list name",
        ),
        ({"report_type": "chart"}, "report_type", "must be one of"),
        ({"report_config": {"widgets": [{"type": "gauge"}]}}, "report_config", "widget 1"),
        ({"name": " "}, "name", "name"),
        ({"template_id": "Bad Id"}, "template_id", "lower-case"),
        ({"windowed": "yes"}, "windowed", "true or false"),
    ],
)
def test_a_bad_template_is_refused_with_the_field_named(
    session: Session, world: World, changes: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationFailed) as failed:
        create_template(session=session, actor=world.owner, values=values(**changes))

    assert words in errors_of(failed)[field]


def test_a_template_not_windowed_may_leave_the_window_out(session: Session, world: World) -> None:
    sql = "SELECT x FROM numbers WHERE x < {{ below }} AND label <> {{ skip }}"

    made = create_template(
        session=session, actor=world.owner, values=values(sql_template=sql, windowed=False)
    )

    assert made.windowed is False


def test_widgets_must_use_the_previews_columns(session: Session, world: World) -> None:
    config = {
        "widgets": [{"type": "bar", "title": "By label", "config": {"x": "label", "y": ["total"]}}]
    }

    with pytest.raises(ValidationFailed) as failed:
        create_template(
            session=session,
            actor=world.owner,
            values=values(report_config=config),
            preview_columns=["x", "label"],
        )

    assert "'total'" in errors_of(failed)["report_config.widgets.0"]
    ok = create_template(
        session=session,
        actor=world.owner,
        values=values(report_config=config, template_id="with_total"),
        preview_columns=["x", "label", "total"],
    )
    assert ok.report_config == config


def test_changing_the_sql_adds_a_version_and_renaming_does_not(
    session: Session, world: World
) -> None:
    create_template(session=session, actor=world.owner, values=values())

    renamed = update_template(
        session=session, actor=world.owner, template_id="small_numbers", changes={"name": "Tiny"}
    )
    changed = update_template(
        session=session,
        actor=world.owner,
        template_id="small_numbers",
        changes={"sql_template": SQL.replace("ORDER BY x", "ORDER BY x DESC")},
    )

    assert renamed.version == 1 and renamed.name == "Tiny"
    assert changed.version == 2
    versions = template_versions(session=session, actor=world.owner, template_id="small_numbers")
    assert [(v.version, v.created_by_email, v.is_latest) for v in versions] == [
        (2, "owner@example.com", True),
        (1, "owner@example.com", False),
    ]


def test_only_the_author_or_an_admin_changes_a_template(session: Session, world: World) -> None:
    create_template(session=session, actor=world.owner, values=values())
    publish_template(session=session, actor=world.admin, template_id="small_numbers")

    with pytest.raises(PermissionDenied, match="author or an admin"):
        update_template(
            session=session, actor=world.other, template_id="small_numbers", changes={"name": "X"}
        )
    by_admin = update_template(
        session=session, actor=world.admin, template_id="small_numbers", changes={"name": "Y"}
    )
    assert by_admin.name == "Y"


def test_library_templates_stay_as_they_are(session: Session, world: World) -> None:
    with pytest.raises(PermissionDenied, match="Library templates"):
        update_template(
            session=session, actor=world.admin, template_id="numbers", changes={"name": "Mine"}
        )
    with pytest.raises(PermissionDenied):
        delete_template(session=session, actor=world.admin, template_id="numbers")


def test_an_unpublished_template_is_seen_by_its_author_and_admins_only(
    session: Session, world: World
) -> None:
    create_template(session=session, actor=world.owner, values=values())

    def ids(actor: Any) -> set[str]:
        return {t.template_id for t in list_templates(session=session, actor=actor)}

    assert "small_numbers" in ids(world.owner) and "small_numbers" in ids(world.admin)
    assert "small_numbers" not in ids(world.other) and "small_numbers" not in ids(world.viewer)
    with pytest.raises(TemplateNotFound):
        get_template(session=session, template_id="small_numbers", actor=world.other)
    with pytest.raises(TemplateNotFound):
        create_report(
            session=session,
            actor=world.other,
            template_id="small_numbers",
            instance_id="wh",
            name="Not mine",
        )

    with pytest.raises(PermissionDenied, match="admin"):
        publish_template(session=session, actor=world.owner, template_id="small_numbers")
    publish_template(session=session, actor=world.admin, template_id="small_numbers")

    assert "small_numbers" in ids(world.other) and "small_numbers" in ids(world.viewer)
    summary = next(
        t
        for t in list_templates(session=session, actor=world.other)
        if t.template_id == "small_numbers"
    )
    assert summary.is_published and not summary.can_edit and summary.owner_name == "Owner"


def test_a_template_that_reports_use_cannot_be_deleted(session: Session, world: World) -> None:
    create_template(session=session, actor=world.owner, values=values())
    create_report(
        session=session, actor=world.owner, template_id="small_numbers", instance_id="wh", name="R"
    )

    with pytest.raises(Conflict, match="1 report use"):
        delete_template(session=session, actor=world.owner, template_id="small_numbers")


def test_deleting_an_unused_template_removes_it_and_its_versions(
    session: Session, world: World
) -> None:
    made = create_template(session=session, actor=world.owner, values=values())

    delete_template(session=session, actor=world.owner, template_id="small_numbers")

    assert session.get(QueryTemplate, made.uuid) is None
    assert (
        session.scalars(
            select(TemplateVersion).where(TemplateVersion.template_uuid == made.uuid)
        ).all()
        == []
    )


def test_a_run_renders_the_version_it_recorded(session: Session, world: World, store: Any) -> None:
    create_template(session=session, actor=world.owner, values=values())
    first = run_template(
        session=session,
        redis=None,
        actor=world.owner,
        template_id="small_numbers",
        instance_id="wh",
    )
    # A new version before the first run starts: the run still renders version 1.
    update_template(
        session=session,
        actor=world.owner,
        template_id="small_numbers",
        changes={"sql_template": SQL.replace("SELECT x, label", "SELECT x, label, 2 AS two")},
    )
    second = run_template(
        session=session,
        redis=None,
        actor=world.owner,
        template_id="small_numbers",
        instance_id="wh",
    )

    factory = session_factory_for(session)
    for info in (first, second):
        run_execution_now(session_factory=factory, store=store, execution_id=info.execution_id)

    assert (first.template_version, second.template_version) == (1, 2)
    session.expire_all()
    runs = {e.execution_id: e for e in session.scalars(select(ReportExecution))}
    assert runs[first.execution_id].status == runs[second.execution_id].status == "completed"
    assert store.read_table(runs[first.execution_id].output_location).column_names == ["x", "label"]
    assert store.read_table(runs[second.execution_id].output_location).column_names == [
        "x",
        "label",
        "two",
    ]


def test_loading_a_changed_library_adds_a_version(session: Session, tmp_path: Any) -> None:
    import shutil

    from services.library import LIBRARY_DIR

    library = tmp_path / "library"
    shutil.copytree(LIBRARY_DIR, library)
    load_library(session=session, library_dir=library)
    session.commit()
    load_library(session=session, library_dir=library)  # unchanged: no new version
    sql = library / "daily_trend.sql"
    sql.write_text(sql.read_text().replace("AS cpm", "AS cost_per_mille"))

    load_library(session=session, library_dir=library)
    session.commit()

    template = session.scalars(
        select(QueryTemplate).where(QueryTemplate.template_id == "daily_trend")
    ).one()
    versions = session.scalars(
        select(TemplateVersion.version).where(TemplateVersion.template_uuid == template.id)
    ).all()
    assert template.version == 2 and sorted(versions) == [1, 2]


def test_a_slug_is_made_from_the_name() -> None:
    assert slug_from_name("Sales by day!") == "sales_by_day"
    assert slug_from_name("2024 numbers") == "t_2024_numbers"
    assert slug_from_name("é") == "t_template"

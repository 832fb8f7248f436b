"""`reportbuilder templates import` / `export`: the library's YAML format, both ways."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli import main
from db.models import QueryTemplate, TemplateVersion

SPEC = """\
id: sales_by_day
name: Sales by day
description: Sales per day of the window.
category: Sales
report_type: time_series
parameter_definitions:
  - {name: region, type: text, label: Region, default: north}
report_config:
  widgets:
    - {type: line, title: Sales, config: {x: day, y: [sales]}}
"""
SQL = """\
SELECT day, SUM(amount) AS sales FROM sales
WHERE region = {{ region }} AND day >= {{ window_start }} AND day < {{ window_end }}
GROUP BY day
"""


def invoke(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["templates", *args], env={"DATABASE_URL": database_url})


def versions(session: Session, template_id: str) -> list[int]:
    session.expire_all()
    template = session.scalars(
        select(QueryTemplate).where(QueryTemplate.template_id == template_id)
    ).one()
    return sorted(
        session.scalars(
            select(TemplateVersion.version).where(TemplateVersion.template_uuid == template.id)
        )
    )


def test_import_export_round_trip_adds_a_version_on_change(
    session: Session, database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "sales_by_day.yaml").write_text(SPEC)
    (tmp_path / "sales_by_day.sql").write_text(SQL)

    created = invoke(database_url, "import", str(tmp_path / "sales_by_day.yaml"))
    assert created.exit_code == 0, created.output
    assert "sales_by_day: saved as version 1" in created.output

    exported = invoke(database_url, "export", "sales_by_day")
    assert exported.exit_code == 0, exported.output
    spec = yaml.safe_load(exported.output)
    assert spec["id"] == "sales_by_day" and spec["sql_template"] == SQL.strip()
    assert spec["windowed"] is True and spec["report_type"] == "time_series"

    # The export, changed and imported back (SQL inline), is version 2.
    spec["sql_template"] = SQL.replace("SUM(amount)", "SUM(amount) * 1.0").strip()
    inline = tmp_path / "elsewhere" / "changed.yaml"
    inline.parent.mkdir()
    inline.write_text(yaml.safe_dump(spec))
    updated = invoke(database_url, "import", str(inline))
    assert updated.exit_code == 0, updated.output
    assert "saved as version 2" in updated.output
    assert versions(session, "sales_by_day") == [1, 2]

    again = invoke(database_url, "import", str(inline))
    assert "unchanged at version 2" in again.output

    folder = tmp_path / "out"
    written = invoke(database_url, "export", "sales_by_day", "--dir", str(folder))
    assert written.exit_code == 0, written.output
    assert (folder / "sales_by_day.sql").read_text().strip() == spec["sql_template"]
    on_disk = yaml.safe_load((folder / "sales_by_day.yaml").read_text())
    assert "sql_template" not in on_disk
    assert on_disk["parameter_definitions"] == spec["parameter_definitions"]


def test_an_invalid_file_exits_2_with_the_problem_named(database_url: str, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(SPEC.replace("id: sales_by_day", "id: bad") + f"sql_template: {SQL!r}\n")
    spec.write_text(spec.read_text().replace("{{ region }}", "{{ ghost }}"))

    result = invoke(database_url, "import", str(spec))

    assert result.exit_code == 2
    assert "names no parameter" in result.output


def test_a_library_template_cannot_be_imported_over(
    session: Session, database_url: str, tmp_path: Path
) -> None:
    session.add(
        QueryTemplate(
            template_id="sales_by_day", name="Library", sql_template="SELECT 1", report_type="table"
        )
    )
    session.commit()
    (tmp_path / "sales_by_day.yaml").write_text(SPEC)
    (tmp_path / "sales_by_day.sql").write_text(SQL)

    result = invoke(database_url, "import", str(tmp_path / "sales_by_day.yaml"))

    assert result.exit_code == 1 and "Library templates" in result.output


def test_export_of_an_unknown_template_fails(database_url: str) -> None:
    result = invoke(database_url, "export", "nope")

    assert result.exit_code == 1 and "not found" in result.output

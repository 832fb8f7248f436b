"""`reportbuilder instances add|list|test|remove` on a real SQLite metadata database and a
real MariaDB warehouse."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.engine import make_url

from cli import main
from db.models import Instance
from db.session import make_engine, make_session_factory
from services.reports import create_report
from services.secrets import decrypt_url
from services.users import system_actor
from tests.databases import migrated_sqlite_url
from tests.factories import TEST_SECRET_KEY, create_template
from tests.warehouses import mariadb_warehouse_fixture  # noqa: F401  (fixture)

PASSWORD = "Cli-s3cret-pw"


@pytest.fixture
def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    return migrated_sqlite_url(request, tmp_path)


def invoke(database_url: str, *args: str, stdin: str | None = None) -> Result:
    env = {"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET_KEY}
    return CliRunner().invoke(main, list(args), env=env, input=stdin)


def stored_url(database_url: str, instance_id: str) -> str:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            instance = session.scalars(
                select(Instance).where(Instance.instance_id == instance_id)
            ).one()
            return decrypt_url(instance.connection_url_encrypted, secret_key=TEST_SECRET_KEY)
    finally:
        engine.dispose()


def test_add_from_fields_with_the_password_on_stdin_then_list_and_test(
    database_url: str, mariadb_warehouse: str
) -> None:
    parsed = make_url(mariadb_warehouse)
    added = invoke(
        database_url,
        "instances",
        "add",
        "Shop DB",
        "--engine",
        "mysql",
        "--host",
        str(parsed.host),
        "--port",
        str(parsed.port),
        "--database",
        str(parsed.database),
        "--user",
        str(parsed.username),
        "--password-stdin",
        "--timezone",
        "Europe/Paris",
        "--lag-days",
        "1",
        "--max-lookback-days",
        "90",
        "--max-concurrency",
        "2",
        "--timeout",
        "60",
        "--option-list",
        "campaigns=SELECT id AS value, name AS label FROM campaigns",
        stdin=PASSWORD + "\n",
    )

    assert added.exit_code == 0, added.output
    assert "added mysql source shop_db (Shop DB)" in added.output
    assert make_url(stored_url(database_url, "shop_db")).password == PASSWORD
    listed = invoke(database_url, "instances", "list")
    assert listed.exit_code == 0
    assert "shop_db" in listed.output and f"127.0.0.1:3306/{parsed.database}" in listed.output
    as_json = json.loads(invoke(database_url, "instances", "list", "--json").output)
    assert as_json[0]["option_lists"] == {
        "campaigns": "SELECT id AS value, name AS label FROM campaigns"
    }
    assert PASSWORD not in listed.output + json.dumps(as_json)
    tested = invoke(database_url, "instances", "test", "shop_db")
    assert tested.exit_code == 1  # root has no password here: the one given is refused
    assert "Access denied" in tested.output and PASSWORD not in tested.output


def test_add_from_a_url_and_test_it(database_url: str, mariadb_warehouse: str) -> None:
    added = invoke(
        database_url,
        "instances",
        "add",
        "Shop",
        "--engine",
        "mysql",
        "--id",
        "shop",
        "--url",
        mariadb_warehouse,
    )
    assert added.exit_code == 0, added.output

    tested = invoke(database_url, "instances", "test", "shop")

    assert tested.exit_code == 0, tested.output
    assert tested.output.startswith("ok: shop answered in ")


def test_a_refused_connection_exits_1_with_the_reason(database_url: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    invoke(
        database_url,
        "instances",
        "add",
        "Down",
        "--engine",
        "postgresql",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database",
        "d",
        "--user",
        "u",
    )

    tested = invoke(database_url, "instances", "test", "down", "--json")

    assert tested.exit_code == 1
    assert json.loads(tested.stdout)["error"].startswith(f"Cannot reach 127.0.0.1:{port}")


def test_field_errors_are_printed_one_per_line_with_exit_2(database_url: str) -> None:
    result = invoke(
        database_url,
        "instances",
        "add",
        "Bad",
        "--engine",
        "mysql",
        "--database",
        "shop",
        "--max-lookback-days",
        "400",
        "--option-list",
        "campaigns=DELETE FROM campaigns",
    )

    assert result.exit_code == 2
    lines = set(result.output.strip().splitlines())
    assert "connection.host: This field is required." in lines
    assert any(line.startswith("max_lookback_days: ") for line in lines)
    assert any(line.startswith("option_lists.campaigns: ") for line in lines)


def test_remove_is_refused_while_reports_use_the_source(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "warehouse.db"
    path.touch()
    assert (
        invoke(
            database_url, "instances", "add", "Files", "--engine", "sqlite", "--database", str(path)
        ).exit_code
        == 0
    )
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        create_template(session=session, template_id="t")
        session.commit()
        create_report(
            session=session,
            actor=system_actor(session=session),
            template_id="t",
            instance_id="files",
            name="Uses it",
        )
        session.commit()
    engine.dispose()

    refused = invoke(database_url, "instances", "remove", "files")
    assert refused.exit_code == 1
    assert "1 report uses this source; delete or move them first." in refused.output
    assert invoke(database_url, "instances", "remove", "nope").exit_code == 2


def test_remove_an_unused_source(database_url: str) -> None:
    invoke(
        database_url,
        "instances",
        "add",
        "Spare",
        "--engine",
        "duckdb",
        "--database",
        "/tmp/spare.duckdb",
    )

    removed = invoke(database_url, "instances", "remove", "spare")

    assert removed.exit_code == 0 and removed.output == "removed spare\n"
    assert "No data sources yet" in invoke(database_url, "instances", "list").output


def test_add_refuses_the_metadata_database_as_a_source(database_url: str) -> None:
    metadata = make_url(database_url).database
    assert metadata is not None

    result = invoke(
        database_url, "instances", "add", "Meta", "--engine", "sqlite", "--database", metadata
    )

    assert result.exit_code == 2
    assert "connection.database: This is the metadata database" in result.output

"""Data sources (services/data_sources.py, services/source_checks.py) on SQLite and PostgreSQL
metadata, against real MariaDB, PostgreSQL and SQLite warehouses."""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from db.models import Instance, QueryTemplate, ReportExecution
from services import source_checks
from services.data_sources import (
    create_source,
    delete_source,
    get_source,
    list_sources,
    update_source,
)
from services.errors import Conflict, InstanceNotFound, PermissionDenied, ValidationFailed
from services.instances import metadata_options
from services.reports import create_report
from services.secrets import decrypt_url
from services.users import grant_instance
from tests.factories import TEST_SECRET_KEY, World
from tests.warehouses import (  # noqa: F401  (fixtures)
    mariadb_warehouse_fixture,
    postgres_warehouse_fixture,
)

PASSWORD = "Sup3r-s3cret-pw"


def _fields(url: str, **changes: Any) -> dict[str, Any]:
    parsed = make_url(url)
    fields = {
        "host": parsed.host,
        "port": parsed.port,
        "database": parsed.database,
        "user": parsed.username,
        "password": parsed.password or "",
    }
    return {**fields, **changes}


def _create(session: Session, world: World, **values: Any) -> Any:
    return create_source(
        session=session, actor=world.admin, secret_key=TEST_SECRET_KEY, values=values
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _stored_url(session: Session, instance_id: str) -> str:
    instance = session.scalars(select(Instance).where(Instance.instance_id == instance_id)).one()
    return decrypt_url(instance.connection_url_encrypted, secret_key=TEST_SECRET_KEY)


def test_an_admin_adds_a_mariadb_source_from_fields_and_the_secret_stays_hidden(
    session: Session, world: World, mariadb_warehouse: str
) -> None:
    source = _create(
        session,
        world,
        name="Shop DB",
        engine="mysql",
        connection=_fields(mariadb_warehouse, password=PASSWORD, options={"charset": "utf8mb4"}),
        timezone="Europe/Paris",
        data_lag_days=1,
        max_lookback_days=90,
        option_lists={"campaigns": "SELECT id AS value, name AS label FROM campaigns"},
    )
    session.commit()

    assert source.instance_id == "shop_db"
    assert (source.engine, source.host, source.user) == ("mysql", "127.0.0.1", "root")
    assert source.has_password and source.options == {"charset": "utf8mb4"}
    assert source.option_lists == {"campaigns": "SELECT id AS value, name AS label FROM campaigns"}
    assert PASSWORD not in repr(source)
    instance = session.scalars(select(Instance).where(Instance.instance_id == "shop_db")).one()
    assert PASSWORD not in instance.connection_url_encrypted
    assert make_url(_stored_url(session, "shop_db")).password == PASSWORD
    assert (
        _create(
            session, world, name="Shop DB", engine="sqlite", connection={"database": "/tmp/x.db"}
        ).instance_id
        == "shop_db_2"
    )


def test_anyone_but_an_admin_is_refused(session: Session, world: World) -> None:
    for actor in (world.owner, world.viewer):
        with pytest.raises(PermissionDenied):
            create_source(session=session, actor=actor, secret_key=TEST_SECRET_KEY, values={})
        with pytest.raises(PermissionDenied):
            list_sources(session=session, actor=actor, secret_key=TEST_SECRET_KEY)
        with pytest.raises(PermissionDenied):
            delete_source(session=session, actor=actor, instance_id="wh")
        with pytest.raises(PermissionDenied):
            source_checks.test_source(
                session=session, actor=actor, secret_key=TEST_SECRET_KEY, instance_id="wh"
            )


def test_every_invalid_field_is_named_at_once(session: Session, world: World) -> None:
    with pytest.raises(ValidationFailed) as failed:
        _create(
            session,
            world,
            name="",
            engine="mysql",
            connection={"port": "x", "database": "shop"},
            timezone="Mars/Base",
            max_lookback_days=400,
            max_concurrency=0,
            option_lists={"campaigns": "DELETE FROM campaigns", "Bad Name": "SELECT 1"},
        )

    errors = failed.value.errors
    assert set(errors) == {
        "name",
        "connection.port",
        "connection.host",
        "connection.user",
        "timezone",
        "max_lookback_days",
        "max_concurrency",
        "option_lists.campaigns",
        "option_lists.Bad Name",
    }
    assert "365" in errors["max_lookback_days"]
    with pytest.raises(ValidationFailed) as failed:
        _create(session, world, name="X", engine="oracle", connection={"url": "oracle://x"})
    assert set(failed.value.errors) == {"engine"}
    with pytest.raises(ValidationFailed) as failed:
        _create(session, world, name="X", engine="mysql", connection={"url": "postgresql://h/d"})
    assert "mysql+pymysql" in failed.value.errors["connection.url"]
    with pytest.raises(ValidationFailed) as failed:
        _create(session, world, name="X", engine="sqlite", connection={"database": "rel.db"})
    assert "absolute path" in failed.value.errors["connection.database"]
    with pytest.raises(ValidationFailed) as failed:
        _create(
            session,
            world,
            name="X",
            instance_id="wh",
            engine="sqlite",
            connection={"database": "/x.db"},
        )
    assert "exists already" in failed.value.errors["instance_id"]


def test_an_edit_without_a_password_keeps_the_stored_one(
    session: Session, world: World, mariadb_warehouse: str
) -> None:
    _create(
        session,
        world,
        instance_id="shop",
        name="Shop",
        engine="mysql",
        connection=_fields(mariadb_warehouse, password=PASSWORD),
    )

    changed = update_source(
        session=session,
        actor=world.admin,
        secret_key=TEST_SECRET_KEY,
        instance_id="shop",
        values={"connection": _fields(mariadb_warehouse, password=""), "max_concurrency": 3},
    )

    stored = make_url(_stored_url(session, "shop"))
    assert (stored.host, stored.password, stored.database) == (
        make_url(mariadb_warehouse).host,
        PASSWORD,
        make_url(mariadb_warehouse).database,
    )
    assert changed.max_concurrency == 3 and changed.name == "Shop"
    update_source(
        session=session,
        actor=world.admin,
        secret_key=TEST_SECRET_KEY,
        instance_id="shop",
        values={"connection": {"url": ""}, "name": "Shop 2"},
    )
    assert make_url(_stored_url(session, "shop")).password == PASSWORD
    update_source(
        session=session,
        actor=world.admin,
        secret_key=TEST_SECRET_KEY,
        instance_id="shop",
        values={"connection": {"url": mariadb_warehouse}},
    )
    assert _stored_url(session, "shop") == mariadb_warehouse
    with pytest.raises(ValidationFailed) as failed:
        update_source(
            session=session,
            actor=world.admin,
            secret_key=TEST_SECRET_KEY,
            instance_id="shop",
            values={"engine": "postgresql"},
        )
    assert "postgresql" in failed.value.errors["connection"]


def test_deleting_a_source_that_reports_use_is_refused_with_their_count(
    session: Session, world: World
) -> None:
    for name in ("First", "Second"):
        create_report(
            session=session, actor=world.owner, template_id="numbers", instance_id="wh", name=name
        )

    with pytest.raises(Conflict, match=r"^2 reports use this source; delete or move them first"):
        delete_source(session=session, actor=world.admin, instance_id="wh")
    assert (
        get_source(
            session=session, actor=world.admin, secret_key=TEST_SECRET_KEY, instance_id="wh"
        ).report_count
        == 2
    )


def test_deleting_an_unused_source_removes_it_and_its_ad_hoc_runs(
    session: Session, world: World
) -> None:
    instance = session.scalars(select(Instance).where(Instance.instance_id == "wh")).one()
    template_uuid = session.scalars(select(QueryTemplate.id)).first()
    session.add(
        ReportExecution(template_uuid=template_uuid, instance_uuid=instance.id, status="completed")
    )
    session.flush()

    delete_source(session=session, actor=world.admin, instance_id="wh")
    session.commit()

    assert session.scalars(select(Instance)).all() == []
    assert session.scalars(select(ReportExecution)).all() == []
    with pytest.raises(InstanceNotFound):
        delete_source(session=session, actor=world.admin, instance_id="wh")


def test_the_connection_test_answers_ok_with_a_latency(
    session: Session, world: World, mariadb_warehouse: str
) -> None:
    _create(
        session,
        world,
        instance_id="shop",
        name="Shop",
        engine="mysql",
        connection={"url": mariadb_warehouse},
    )

    check = source_checks.test_source(
        session=session, actor=world.admin, secret_key=TEST_SECRET_KEY, instance_id="shop"
    )

    assert check.ok and check.error is None and check.latency_ms > 0


@pytest.mark.parametrize("kind", ["mysql", "postgresql"])
def test_a_refused_connection_says_where(session: Session, world: World, kind: str) -> None:
    port = _free_port()
    _create(
        session,
        world,
        instance_id="down",
        name="Down",
        engine=kind,
        connection={
            "host": "127.0.0.1",
            "port": port,
            "database": "d",
            "user": "u",
            "password": PASSWORD,
        },
    )

    check = source_checks.test_source(
        session=session, actor=world.admin, secret_key=TEST_SECRET_KEY, instance_id="down"
    )

    assert not check.ok
    assert check.error is not None and check.error.startswith(
        f"Cannot reach 127.0.0.1:{port}: connection refused"
    )
    assert PASSWORD not in check.error


def test_wrong_credentials_and_databases_are_said_in_words(
    session: Session, world: World, mariadb_warehouse: str, postgres_warehouse: str
) -> None:
    cases = {
        "mysql": (
            _fields(mariadb_warehouse, user="nobody", password=PASSWORD),
            "Access denied for user 'nobody'",
        ),
        "mysql_db": (
            _fields(mariadb_warehouse, database="no_such_db"),
            "Database 'no_such_db' does not exist.",
        ),
        "postgresql": (
            _fields(postgres_warehouse, database="no_such_db"),
            "Database 'no_such_db' does not exist.",
        ),
    }
    for key, (connection, expected) in cases.items():
        engine = key.split("_")[0]
        _create(
            session,
            world,
            instance_id=key.replace("_", "-"),
            name=key,
            engine=engine,
            connection=connection,
        )
        check = source_checks.test_source(
            session=session,
            actor=world.admin,
            secret_key=TEST_SECRET_KEY,
            instance_id=key.replace("_", "-"),
        )
        assert not check.ok and check.error is not None
        assert expected in check.error, check.error
        assert PASSWORD not in check.error


def test_unsaved_form_values_can_be_tested(
    session: Session, world: World, mariadb_warehouse: str
) -> None:
    _create(
        session,
        world,
        instance_id="shop",
        name="Shop",
        engine="mysql",
        connection=_fields(mariadb_warehouse, database="no_such_db"),
    )

    check = source_checks.test_source(
        session=session,
        actor=world.admin,
        secret_key=TEST_SECRET_KEY,
        instance_id="shop",
        values={"connection": {"database": make_url(mariadb_warehouse).database}},
    )

    assert check.ok, check.error
    assert make_url(_stored_url(session, "shop")).database == "no_such_db"


def test_a_missing_sqlite_file_is_said_plainly(
    session: Session, world: World, tmp_path: Path
) -> None:
    _create(
        session,
        world,
        instance_id="file",
        name="File",
        engine="sqlite",
        connection={"database": str(tmp_path / "missing.db")},
    )

    check = source_checks.test_source(
        session=session, actor=world.admin, secret_key=TEST_SECRET_KEY, instance_id="file"
    )

    assert check.error is not None and "does not exist" in check.error


def test_the_schema_lists_tables_columns_and_types_for_granted_users(
    session: Session, world: World, mariadb_warehouse: str
) -> None:
    _create(
        session,
        world,
        instance_id="shop",
        name="Shop",
        engine="mysql",
        connection={"url": mariadb_warehouse},
    )
    session.commit()
    grant_instance(session=session, email=world.owner.email, instance_id="shop")
    session.commit()

    schema = source_checks.source_schema(
        session=session, actor=world.owner, secret_key=TEST_SECRET_KEY, instance_id="shop"
    )

    (table,) = schema.tables
    assert table.name == "campaigns" and not schema.truncated
    assert [(c.name, c.type) for c in table.columns][:3] == [
        ("id", "int(11)"),
        ("name", "varchar(100)"),
        ("spend", "decimal(10,2)"),
    ]
    with pytest.raises(InstanceNotFound):
        source_checks.source_schema(
            session=session, actor=world.other, secret_key=TEST_SECRET_KEY, instance_id="shop"
        )


def test_the_schema_of_postgresql_sqlite_and_duckdb_sources(
    session: Session,
    world: World,
    postgres_warehouse: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "many.db"
    with sqlite3.connect(path) as connection:
        for index in range(5):
            connection.execute(f"CREATE TABLE t{index} (id INTEGER, label TEXT)")
    connection.close()
    _create(
        session,
        world,
        instance_id="pg",
        name="PG",
        engine="postgresql",
        connection={"url": postgres_warehouse},
    )
    _create(
        session,
        world,
        instance_id="lite",
        name="Lite",
        engine="sqlite",
        connection={"database": str(path)},
    )

    def schema(instance_id: str) -> Any:
        return source_checks.source_schema(
            session=session, actor=world.admin, secret_key=TEST_SECRET_KEY, instance_id=instance_id
        )

    assert [(t.schema, t.name) for t in schema("pg").tables] == [("public", "campaigns")]
    assert ("spend", "numeric") in [(c.name, c.type) for c in schema("pg").tables[0].columns]
    assert [t.name for t in schema("wh").tables] == ["numbers"]
    monkeypatch.setattr(source_checks, "MAX_SCHEMA_TABLES", 3)
    lite = schema("lite")
    assert [t.name for t in lite.tables] == ["t0", "t1", "t2"] and lite.truncated
    assert [(c.name, c.type) for c in lite.tables[0].columns] == [
        ("id", "INTEGER"),
        ("label", "TEXT"),
    ]


def test_an_option_list_feeds_pickers_from_a_mariadb_source(
    session: Session, world: World, mariadb_warehouse: str
) -> None:
    _create(
        session,
        world,
        instance_id="shop",
        name="Shop",
        engine="mysql",
        connection={"url": mariadb_warehouse},
        option_lists={
            "campaigns": "SELECT id AS value, name AS label FROM campaigns "
            "WHERE name LIKE CONCAT('%', {{ search }}, '%') ORDER BY id"
        },
    )

    options = metadata_options(
        session=session,
        actor=world.admin,
        secret_key=TEST_SECRET_KEY,
        instance_id="shop",
        kind="campaigns",
        search="Sum",
    )

    assert [(o.value, o.label) for o in options] == [("2", "Summer sale")]


SECRET_OPTION = "Opt-s3cret"
NEW_TARGET = "Enter the password again: the connection target changed."


def _postgres_source(session: Session, world: World) -> None:
    _create(
        session,
        world,
        instance_id="pg",
        name="PG",
        engine="postgresql",
        connection={
            "host": "db.internal",
            "port": 5432,
            "database": "shop",
            "user": "reader",
            "password": PASSWORD,
            "options": {"sslmode": "require", "sslpassword": SECRET_OPTION},
        },
    )


def _update(session: Session, world: World, **values: Any) -> Any:
    return update_source(
        session=session,
        actor=world.admin,
        secret_key=TEST_SECRET_KEY,
        instance_id="pg",
        values=values,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"host": "attacker.example"},
        {"port": 6543},
        {"user": "someone"},
        {"database": "other"},
    ],
)
def test_a_new_connection_target_needs_the_password_again(
    session: Session, world: World, change: dict[str, Any]
) -> None:
    _postgres_source(session, world)
    connection = {"host": "db.internal", "port": 5432, "database": "shop", "user": "reader"}

    with pytest.raises(ValidationFailed) as failed:
        _update(session, world, connection={**connection, **change, "password": ""})
    assert failed.value.errors["connection.password"] == NEW_TARGET
    with pytest.raises(ValidationFailed) as failed:
        source_checks.test_source(
            session=session,
            actor=world.admin,
            secret_key=TEST_SECRET_KEY,
            instance_id="pg",
            values={"connection": {**connection, **change}},
        )
    assert failed.value.errors["connection.password"] == NEW_TARGET
    assert make_url(_stored_url(session, "pg")).host == "db.internal"

    # With the password given again, the secret options are not carried either.
    with pytest.raises(ValidationFailed) as failed:
        _update(session, world, connection={**connection, **change, "password": "new-pw"})
    assert "sslpassword" in failed.value.errors["connection.options"]
    _update(
        session,
        world,
        connection={
            **connection,
            **change,
            "password": "new-pw",
            "options": {"sslmode": "require", "sslpassword": "other"},
        },
    )
    stored = make_url(_stored_url(session, "pg"))
    assert (stored.password, stored.query["sslpassword"]) == ("new-pw", "other")


def test_changing_the_engine_needs_the_password_again(session: Session, world: World) -> None:
    _postgres_source(session, world)

    with pytest.raises(ValidationFailed) as failed:
        _update(
            session,
            world,
            engine="mysql",
            connection={"host": "db.internal", "database": "shop", "user": "reader"},
        )
    assert failed.value.errors == {"connection.password": NEW_TARGET}


def test_a_url_without_a_password_never_borrows_the_stored_one(
    session: Session, world: World
) -> None:
    _postgres_source(session, world)

    _update(session, world, connection={"url": "postgresql+psycopg://reader@attacker.example/x"})

    stored = make_url(_stored_url(session, "pg"))
    assert (stored.host, stored.password, dict(stored.query)) == ("attacker.example", None, {})


def test_an_edit_keeps_the_hidden_secret_options(session: Session, world: World) -> None:
    _postgres_source(session, world)
    shown = get_source(
        session=session, actor=world.admin, secret_key=TEST_SECRET_KEY, instance_id="pg"
    )
    assert shown.options == {"sslmode": "require"}

    _update(
        session,
        world,
        connection={
            "host": "db.internal",
            "port": 5432,
            "database": "shop",
            "user": "reader",
            "options": {"sslmode": "verify-full"},
        },
    )

    stored = make_url(_stored_url(session, "pg"))
    assert dict(stored.query) == {"sslmode": "verify-full", "sslpassword": SECRET_OPTION}
    assert stored.password == PASSWORD


def test_url_options_are_checked_like_field_options(session: Session, world: World) -> None:
    for connection, field in (
        ({"url": "mysql+pymysql://u:p@h/db?read_timeout=abc"}, "connection.url"),
        ({"url": "mysql+pymysql://u:p@h/db?nonsense=1"}, "connection.url"),
        (
            {"host": "h", "database": "db", "user": "u", "options": {"read_timeout": "abc"}},
            "connection.options",
        ),
    ):
        with pytest.raises(ValidationFailed) as failed:
            _create(session, world, name="My", engine="mysql", connection=connection)
        assert set(failed.value.errors) == {field}, connection


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_a_file_source_may_not_be_the_metadata_database_nor_relative(
    session: Session, world: World, tmp_path: Path, kind: str
) -> None:
    metadata = tmp_path / "metadata.db"
    metadata.touch()
    metadata_url = f"sqlite:///{metadata}"
    linked = tmp_path / "link.db"
    linked.symlink_to(metadata)
    cases = [
        ({"database": str(metadata)}, "connection.database", "metadata"),
        ({"database": str(linked)}, "connection.database", "metadata"),
        ({"url": f"{kind}:///{metadata}"}, "connection.url", "metadata"),
        ({"url": f"{kind}:///relative.db"}, "connection.url", "absolute path"),
    ]
    for connection, field, words in cases:
        with pytest.raises(ValidationFailed) as failed:
            create_source(
                session=session,
                actor=world.admin,
                secret_key=TEST_SECRET_KEY,
                metadata_url=metadata_url,
                values={"name": "Meta", "engine": kind, "connection": connection},
            )
        assert words in failed.value.errors[field], connection
    with pytest.raises(ValidationFailed) as failed:
        source_checks.test_source(
            session=session,
            actor=world.admin,
            secret_key=TEST_SECRET_KEY,
            metadata_url=metadata_url,
            instance_id=None,
            values={"engine": kind, "connection": {"database": str(metadata)}},
        )
    assert "metadata" in failed.value.errors["connection.database"]

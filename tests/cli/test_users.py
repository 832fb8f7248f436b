"""`reportbuilder users`: list, set-role, disable, enable, grant and reset-password, on a
real SQLite metadata database, acting as the command line's own admin."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli import main
from db.models import User
from db.session import make_engine, make_session_factory
from services.user_admin import set_password_with_token
from services.users import SYSTEM_EMAIL, authenticate_password, create_user
from tests.databases import migrated_sqlite_url
from tests.factories import create_instance

PASSWORD = "a-good-password"


@pytest.fixture
def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> str:
    url = migrated_sqlite_url(request, tmp_path)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        create_instance(session=session, instance_id="sales")
        create_instance(session=session, instance_id="ops")
        create_user(session=session, email="root@example.com", role="admin", password=PASSWORD)
        create_user(
            session=session, email="ana@example.com", role="analyst", name="Ana", password=PASSWORD
        )
        session.commit()
    engine.dispose()
    return url


@pytest.fixture
def session(database_url: str) -> Session:
    engine = make_engine(database_url)
    return make_session_factory(engine)()


def _invoke(database_url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["users", *args], env={"DATABASE_URL": database_url})


def _row(session: Session, email: str) -> User:
    session.expire_all()
    return session.scalars(select(User).where(User.email == email)).one()


def test_list_shows_every_user_but_the_command_lines_account(database_url: str) -> None:
    table = _invoke(database_url, "list")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["EMAIL", "NAME", "ROLE", "STATE", "SOURCES", "PASSWORD", "TOKEN"]
    assert any(line.startswith("ana@example.com") and "analyst" in line for line in lines)

    listed = json.loads(_invoke(database_url, "list", "--json").stdout)
    assert {user["email"] for user in listed} == {"root@example.com", "ana@example.com"}
    assert SYSTEM_EMAIL not in table.stdout


def test_set_role_disable_and_enable(database_url: str, session: Session) -> None:
    assert _invoke(database_url, "set-role", "ana@example.com", "viewer").exit_code == 0
    assert _row(session, "ana@example.com").role == "viewer"

    disabled = _invoke(database_url, "disable", "ana@example.com")
    assert disabled.exit_code == 0, disabled.output
    assert "disabled" in disabled.stdout
    assert (
        authenticate_password(session=session, email="ana@example.com", password=PASSWORD) is None
    )

    assert _invoke(database_url, "enable", "ana@example.com").exit_code == 0
    assert authenticate_password(session=session, email="ana@example.com", password=PASSWORD)


def test_the_last_admin_who_can_sign_in_is_refused_with_a_clear_message(database_url: str) -> None:
    result = _invoke(database_url, "set-role", "root@example.com", "analyst")
    assert result.exit_code == 2
    assert "last admin who can sign in; make another admin first" in result.stderr

    assert _invoke(database_url, "disable", "root@example.com").exit_code == 2


def test_unknown_users_roles_and_sources_are_refused(database_url: str) -> None:
    assert "not found" in _invoke(database_url, "disable", "nobody@example.com").stderr
    assert _invoke(database_url, "set-role", "ana@example.com", "boss").exit_code == 2
    unknown = _invoke(database_url, "grant", "ana@example.com", "nowhere")
    assert unknown.exit_code == 2
    assert "instance_ids: No such data source: nowhere." in unknown.stderr


def test_grant_adds_sources(database_url: str) -> None:
    assert _invoke(database_url, "grant", "ana@example.com", "sales").exit_code == 0
    both = _invoke(database_url, "grant", "ana@example.com", "ops")
    assert both.exit_code == 0
    assert both.stdout.strip() == "ana@example.com: sources ops, sales"


def test_reset_password_prints_a_link_that_sets_a_new_password(
    database_url: str, session: Session
) -> None:
    result = _invoke(database_url, "reset-password", "ana@example.com")

    assert result.exit_code == 0, result.output
    path = result.stdout.strip()
    assert path.startswith("/set-password#token=")
    assert "shown once" in result.stderr
    assert (
        authenticate_password(session=session, email="ana@example.com", password=PASSWORD) is None
    )
    set_password_with_token(
        session=session, token=path.split("token=", 1)[1], password="brand-new-pass"
    )
    assert authenticate_password(
        session=session, email="ana@example.com", password="brand-new-pass"
    )


def test_list_says_a_link_is_pending_until_it_expires(database_url: str, session: Session) -> None:
    assert _invoke(database_url, "reset-password", "ana@example.com").exit_code == 0
    pending = _invoke(database_url, "list").stdout
    assert "link pending (expires 20" in pending and "link sent" not in pending

    _row(session, "ana@example.com").password_token_expires_at = datetime.now(UTC) - timedelta(
        minutes=1
    )
    session.commit()
    assert "link expired" in _invoke(database_url, "list").stdout

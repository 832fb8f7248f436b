"""The first run: setup is open while nobody can sign in, and closes for good after."""

from __future__ import annotations

import contextlib
import threading
from unittest import mock

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import User
from db.session import session_scope
from services import setup
from services.errors import ParameterError, SetupDone
from services.setup import create_first_admin, needs_setup
from services.users import authenticate_password, create_user, system_actor

PASSWORD = "a-good-password"


def test_an_empty_database_needs_setup_even_with_the_command_lines_account(
    session: Session,
) -> None:
    assert needs_setup(session=session)
    system_actor(session=session)
    assert needs_setup(session=session)


@pytest.mark.parametrize(
    ("password", "is_active"),
    [(None, True), (PASSWORD, False), (None, False)],
    ids=["token-only", "disabled", "disabled-without-password"],
)
def test_any_user_but_the_command_lines_closes_setup(
    session: Session, password: str | None, is_active: bool
) -> None:
    create_user(session=session, email="ana@example.com", role="admin", password=password)
    session.scalars(select(User).where(User.email == "ana@example.com")).one().is_active = is_active
    session.commit()

    assert not needs_setup(session=session)
    with pytest.raises(SetupDone):
        create_first_admin(session=session, email="eve@example.com", password=PASSWORD, name="Eve")


def test_setup_never_tells_whether_an_email_is_taken(session: Session) -> None:
    create_user(session=session, email="ana@example.com", role="viewer")
    session.commit()
    with pytest.raises(SetupDone) as refused:
        create_first_admin(session=session, email="ana@example.com", password=PASSWORD, name="A")
    assert "ana@example.com" not in str(refused.value)


def test_two_setups_at_once_make_one_admin(session_factory: sessionmaker[Session]) -> None:
    """Both pass the "nobody yet" check before either writes; only one admin may result."""
    with session_factory() as probe:
        if probe.get_bind().dialect.name != "sqlite":
            pytest.skip("PostgreSQL serializes setups with an advisory lock")
    both_checked = threading.Barrier(2, timeout=10)
    real_needs_setup = setup.needs_setup

    def needs_setup_then_wait(*, session: Session) -> bool:
        needed = real_needs_setup(session=session)
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait()
        return needed

    outcomes: list[object] = []

    def attempt(email: str) -> None:
        try:
            with session_scope(session_factory) as session:
                outcomes.append(
                    create_first_admin(session=session, email=email, password=PASSWORD, name="X")
                )
        except Exception as error:  # the outcome under test
            outcomes.append(error)

    with mock.patch.object(setup, "needs_setup", needs_setup_then_wait):
        threads = [threading.Thread(target=attempt, args=(f"{n}@example.com",)) for n in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Actor", "SetupDone"]
    with session_factory() as session:
        assert len(session.scalars(select(User)).all()) == 1


def test_the_first_admin_can_sign_in_and_setup_closes(session: Session) -> None:
    admin = create_first_admin(
        session=session, email="Root@Example.com", password=PASSWORD, name="Root"
    )
    session.commit()

    assert admin.is_admin
    assert authenticate_password(session=session, email="root@example.com", password=PASSWORD)
    assert not needs_setup(session=session)
    with pytest.raises(SetupDone):
        create_first_admin(session=session, email="eve@example.com", password=PASSWORD, name="Eve")


def test_a_user_with_a_password_closes_setup(session: Session) -> None:
    create_user(session=session, email="ana@example.com", role="viewer", password=PASSWORD)
    assert not needs_setup(session=session)


@pytest.mark.parametrize(
    ("email", "password", "name", "field"),
    [
        ("not-an-email", PASSWORD, "Root", "email"),
        ("root@example.com", "short", "Root", "password"),
        ("root@example.com", PASSWORD, " ", "name"),
    ],
)
def test_setup_reports_field_errors(
    session: Session, email: str, password: str, name: str, field: str
) -> None:
    with pytest.raises(ParameterError) as refused:
        create_first_admin(session=session, email=email, password=password, name=name)
    assert refused.value.field == field
    assert needs_setup(session=session)

"""Users: roles, passwords, API tokens, and the command line's own account."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import User
from services.errors import ParameterError, UserExists
from services.secrets import hash_api_token
from services.users import (
    SYSTEM_EMAIL,
    authenticate_password,
    authenticate_token,
    create_api_token,
    create_user,
    system_actor,
)


def test_a_password_is_stored_hashed_and_checked(session: Session) -> None:
    create_user(session=session, email=" Ana@Example.com ", role="analyst", password="s3cret-pass")
    session.commit()
    stored = session.scalars(select(User)).one()
    assert stored.email == "ana@example.com"
    assert stored.password_hash and "s3cret-pass" not in stored.password_hash
    assert authenticate_password(session=session, email="ANA@example.com", password="s3cret-pass")
    assert authenticate_password(session=session, email="ana@example.com", password="wrong") is None
    assert authenticate_password(session=session, email="bob@example.com", password="x") is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"role": "superuser"}, "role"),
        ({"password": "short"}, "password"),
        ({"email": SYSTEM_EMAIL}, "email"),
    ],
)
def test_invalid_users_are_field_errors(
    session: Session, fields: dict[str, str], field: str
) -> None:
    values = {"email": "ana@example.com", "role": "analyst", **fields}
    with pytest.raises(ParameterError) as refused:
        create_user(session=session, **values)
    assert refused.value.field == field


def test_an_email_is_used_once(session: Session) -> None:
    create_user(session=session, email="ana@example.com", role="analyst")
    with pytest.raises(UserExists):
        create_user(session=session, email="ANA@example.com", role="viewer")


def test_an_api_token_is_shown_once_stored_hashed_and_replaced_by_the_next(
    session: Session,
) -> None:
    create_user(session=session, email="ana@example.com", role="analyst")
    first = create_api_token(session=session, email="ana@example.com")
    stored = session.scalars(select(User)).one()
    assert stored.api_token_hash == hash_api_token(first) != first
    assert authenticate_token(session=session, token=first) is not None
    second = create_api_token(session=session, email="ana@example.com")
    assert authenticate_token(session=session, token=first) is None
    actor = authenticate_token(session=session, token=second)
    assert actor is not None and actor.email == "ana@example.com"
    assert authenticate_token(session=session, token="") is None


def test_the_command_line_account_is_an_admin_that_takes_no_token(session: Session) -> None:
    actor = system_actor(session=session)
    assert actor.is_admin and actor.email == SYSTEM_EMAIL
    assert system_actor(session=session) == actor  # created once
    with pytest.raises(ParameterError):
        create_api_token(session=session, email=SYSTEM_EMAIL)

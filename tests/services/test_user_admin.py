"""People as admins manage them: grants, one-time links, the last admin, own passwords."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import User
from db.session import session_scope
from services.errors import LastAdmin, ParameterError, PermissionDenied
from services.secrets import hash_api_token
from services.user_admin import (
    admin_create_user,
    change_own_password,
    list_users,
    reset_password,
    revoke_token,
    set_password_with_token,
    update_user,
)
from services.users import (
    SYSTEM_EMAIL,
    Actor,
    authenticate_password,
    check_password,
    create_api_token,
    create_user,
    get_actor,
    session_fingerprint,
    session_user,
    system_actor,
)
from tests.factories import create_instance

PASSWORD = "a-good-password"


@pytest.fixture
def admin(session: Session) -> Actor:
    create_instance(session=session, instance_id="sales")
    create_instance(session=session, instance_id="ops")
    actor = create_user(
        session=session, email="root@example.com", role="admin", password=PASSWORD, name="Root"
    )
    session.commit()
    return actor


def _row(session: Session, email: str) -> User:
    return session.scalars(select(User).where(User.email == email)).one()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 8"),
        ("ana@example.com", "e-mail"),
        ("aaaaaaaaaaaa", "Use more than one distinct character."),
    ],
)
def test_passwords_follow_one_set_of_rules(password: str, message: str) -> None:
    with pytest.raises(ParameterError) as refused:
        check_password(password, email="ana@example.com")
    assert refused.value.field == "password"
    assert message in refused.value.message


def test_only_admins_manage_users(session: Session, admin: Actor) -> None:
    analyst = create_user(session=session, email="ana@example.com", role="analyst")
    with pytest.raises(PermissionDenied):
        list_users(session=session, actor=analyst)
    with pytest.raises(PermissionDenied):
        admin_create_user(
            session=session,
            actor=analyst,
            email="x@example.com",
            name="X",
            role="admin",
            password=PASSWORD,
        )
    with pytest.raises(PermissionDenied):
        update_user(session=session, actor=analyst, user_id=analyst.user_id, role="admin")


def test_the_list_shows_grants_password_and_token_but_never_the_system_account(
    session: Session, admin: Actor
) -> None:
    system_actor(session=session)
    admin_create_user(
        session=session,
        actor=admin,
        email="ana@example.com",
        name="Ana",
        role="analyst",
        password=PASSWORD,
        instance_ids=["sales"],
    )
    create_api_token(session=session, email="ana@example.com")

    users = {user.email: user for user in list_users(session=session, actor=admin)}

    assert SYSTEM_EMAIL not in users
    assert users["ana@example.com"].instance_ids == ("sales",)
    assert users["ana@example.com"].has_password and users["ana@example.com"].has_token
    assert not users["root@example.com"].has_token


def test_a_user_without_password_gets_a_one_time_link_stored_hashed(
    session: Session, admin: Actor
) -> None:
    created = admin_create_user(
        session=session,
        actor=admin,
        email="bo@example.com",
        name="Bo",
        role="viewer",
        password=None,
    )
    assert created.link is not None
    assert created.link.path == f"/set-password#token={created.link.token}"
    row = _row(session, "bo@example.com")
    assert row.password_hash is None
    assert row.password_token_hash == hash_api_token(created.link.token)
    assert created.link.token not in str(row.password_token_hash)

    set_password_with_token(session=session, token=created.link.token, password=PASSWORD)

    assert authenticate_password(session=session, email="bo@example.com", password=PASSWORD)
    with pytest.raises(ParameterError, match="used or replaced"):
        set_password_with_token(session=session, token=created.link.token, password=PASSWORD)


def test_an_expired_link_is_refused(session: Session, admin: Actor) -> None:
    created = admin_create_user(
        session=session,
        actor=admin,
        email="bo@example.com",
        name="Bo",
        role="viewer",
        password=None,
    )
    assert created.link is not None
    _row(session, "bo@example.com").password_token_expires_at = datetime.now(UTC) - timedelta(
        minutes=1
    )
    session.flush()
    with pytest.raises(ParameterError, match="expired"):
        set_password_with_token(session=session, token=created.link.token, password=PASSWORD)


def test_unknown_sources_are_a_field_error(session: Session, admin: Actor) -> None:
    with pytest.raises(ParameterError) as refused:
        admin_create_user(
            session=session,
            actor=admin,
            email="ana@example.com",
            name="Ana",
            role="analyst",
            password=PASSWORD,
            instance_ids=["nowhere"],
        )
    assert refused.value.field == "instance_ids"


def test_instance_ids_replace_the_grants(session: Session, admin: Actor) -> None:
    created = admin_create_user(
        session=session,
        actor=admin,
        email="ana@example.com",
        name="Ana",
        role="analyst",
        password=PASSWORD,
        instance_ids=["sales"],
    )
    updated = update_user(
        session=session, actor=admin, user_id=created.user.user_id, instance_ids=["ops"]
    )
    assert updated.instance_ids == ("ops",)
    cleared = update_user(session=session, actor=admin, user_id="ana@example.com", instance_ids=[])
    assert cleared.instance_ids == ()


def test_the_last_admin_who_can_sign_in_cannot_be_demoted_or_disabled(
    session: Session, admin: Actor
) -> None:
    system_actor(session=session)  # the command line's admin does not count
    create_user(session=session, email="tokenonly@example.com", role="admin")  # no password
    other = create_user(session=session, email="ana@example.com", role="analyst", password=PASSWORD)

    with pytest.raises(LastAdmin, match="last admin who can sign in; make another admin first"):
        update_user(session=session, actor=admin, user_id=admin.user_id, role="analyst")
    with pytest.raises(LastAdmin):
        update_user(session=session, actor=system_actor(session=session), user_id=admin.user_id,
                    is_active=False)  # fmt: skip

    update_user(session=session, actor=admin, user_id=other.user_id, role="admin")
    demoted = update_user(session=session, actor=admin, user_id=admin.user_id, role="analyst")
    assert demoted.role == "analyst"


def test_nobody_disables_their_own_account(session: Session, admin: Actor) -> None:
    create_user(session=session, email="ana@example.com", role="admin", password=PASSWORD)
    with pytest.raises(ParameterError) as refused:
        update_user(session=session, actor=admin, user_id=admin.user_id, is_active=False)
    assert refused.value.field == "is_active"


def test_disabling_stops_the_users_session_and_token_at_once(
    session: Session, admin: Actor
) -> None:
    ana = create_user(session=session, email="ana@example.com", role="analyst", password=PASSWORD)
    token = create_api_token(session=session, email="ana@example.com")
    update_user(session=session, actor=admin, user_id=ana.user_id, is_active=False)

    assert get_actor(session=session, user_uuid=ana.id) is None
    assert authenticate_password(session=session, email=ana.email, password=PASSWORD) is None
    from services.users import authenticate_token

    assert authenticate_token(session=session, token=token) is None


def test_a_reset_stops_the_old_password_and_gives_a_new_link(
    session: Session, admin: Actor
) -> None:
    ana = create_user(session=session, email="ana@example.com", role="analyst", password=PASSWORD)
    link = reset_password(session=session, actor=admin, user_id=ana.user_id)

    assert authenticate_password(session=session, email=ana.email, password=PASSWORD) is None
    set_password_with_token(session=session, token=link.token, password="another-password")
    assert authenticate_password(session=session, email=ana.email, password="another-password")


def test_revoking_a_token_stops_it(session: Session, admin: Actor) -> None:
    from services.users import authenticate_token

    ana = create_user(session=session, email="ana@example.com", role="analyst")
    token = create_api_token(session=session, email="ana@example.com")
    revoke_token(session=session, actor=admin, user_id=ana.user_id)
    assert authenticate_token(session=session, token=token) is None


def test_changing_ones_own_password_needs_the_current_one(session: Session, admin: Actor) -> None:
    with pytest.raises(ParameterError) as wrong:
        change_own_password(
            session=session, actor=admin, current_password="nope", new_password="new-password-1"
        )
    assert wrong.value.field == "current_password"
    with pytest.raises(ParameterError) as weak:
        change_own_password(
            session=session, actor=admin, current_password=PASSWORD, new_password="short"
        )
    assert weak.value.field == "new_password"

    change_own_password(
        session=session, actor=admin, current_password=PASSWORD, new_password="new-password-1"
    )
    assert authenticate_password(session=session, email=admin.email, password="new-password-1")


def test_an_email_longer_than_the_column_is_a_field_error(session: Session) -> None:
    email = "a" * 64 + "@" + "b" * 255 + ".com"  # 324 characters: the column holds 320
    with pytest.raises(ParameterError) as refused:
        create_user(session=session, email=email, role="viewer")
    assert refused.value.field == "email"
    assert "320" in refused.value.message


def test_an_admin_cannot_reset_the_last_admin_who_can_sign_in(
    session: Session, admin: Actor
) -> None:
    with pytest.raises(LastAdmin):
        reset_password(session=session, actor=admin, user_id=admin.user_id)
    assert authenticate_password(session=session, email=admin.email, password=PASSWORD)

    # The command line stays the way back in (an admin who forgot the password).
    link = reset_password(session=session, actor=system_actor(session=session),
                          user_id=admin.user_id)  # fmt: skip
    assert link.email == admin.email


def _fingerprint_of(session: Session, actor: Actor) -> str:
    return session_fingerprint(session.get_one(User, actor.id).password_hash)


def test_a_password_reset_or_change_ends_the_sessions_signed_in_before(
    session: Session, admin: Actor
) -> None:
    ana = create_user(session=session, email="ana@example.com", role="analyst", password=PASSWORD)
    before = _fingerprint_of(session, ana)
    assert session_user(session=session, user_uuid=ana.id, fingerprint=before) == ana
    assert session_user(session=session, user_uuid=ana.id, fingerprint=None) is None

    change_own_password(
        session=session, actor=ana, current_password=PASSWORD, new_password="new-password-1"
    )
    assert session_user(session=session, user_uuid=ana.id, fingerprint=before) is None
    after_change = _fingerprint_of(session, ana)
    assert session_user(session=session, user_uuid=ana.id, fingerprint=after_change) == ana

    link = reset_password(session=session, actor=admin, user_id=ana.user_id)
    assert session_user(session=session, user_uuid=ana.id, fingerprint=after_change) is None
    set_password_with_token(session=session, token=link.token, password="new-password-2")
    assert session_user(session=session, user_uuid=ana.id, fingerprint=after_change) is None
    assert session_fingerprint(None) == session_fingerprint("")


def test_two_admins_demoting_each_other_at_once_keep_one_without_deadlock(
    session_factory: sessionmaker[Session],
) -> None:
    """Both lock before either writes: the second waits for the first and is then refused
    (before, each locked the other's row and PostgreSQL aborted one with a deadlock)."""
    with session_scope(session_factory) as session:
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite serializes writers; row locks are PostgreSQL's")
        one = create_user(session=session, email="one@example.com", role="admin",
                          password=PASSWORD)  # fmt: skip
        two = create_user(session=session, email="two@example.com", role="admin",
                          password=PASSWORD)  # fmt: skip
    both_locked = threading.Barrier(2, timeout=2)
    engine = session_factory.kw["bind"]

    def wait_after_lock(conn: object, cursor: object, statement: str, *_: object) -> None:
        if "FOR UPDATE" in statement:
            with contextlib.suppress(threading.BrokenBarrierError):
                both_locked.wait()

    outcomes: list[str] = []

    def demote(actor: Actor, target: Actor) -> None:
        try:
            with session_scope(session_factory) as session:
                update_user(session=session, actor=actor, user_id=target.user_id, role="viewer")
            outcomes.append("demoted")
        except Exception as error:  # the outcome under test
            outcomes.append(type(error).__name__)

    event.listen(engine, "after_cursor_execute", wait_after_lock)
    try:
        threads = [
            threading.Thread(target=demote, args=(one, two)),
            threading.Thread(target=demote, args=(two, one)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        event.remove(engine, "after_cursor_execute", wait_after_lock)

    assert sorted(outcomes) == ["LastAdmin", "demoted"]

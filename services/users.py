"""Users, roles, passwords and API tokens; the `Actor` every service call is made as."""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import ROLES, Instance, InstanceAccess, User
from services.errors import (
    InstanceNotFound,
    ParameterError,
    UserExists,
    UserNotFound,
)
from services.secrets import hash_api_token, hash_password, new_api_token, verify_password

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
#: Longest e-mail address (the width of users.email).
MAX_EMAIL_LENGTH = 320
#: Shortest password accepted.
MIN_PASSWORD_LENGTH = 8
#: The account the `reportbuilder` command acts as: an admin that cannot sign in.
SYSTEM_EMAIL = "system@reportbuilder.local"
#: The password rules, as every form that asks for a password shows them (`check_password`).
PASSWORD_RULES = (
    f"At least {MIN_PASSWORD_LENGTH} characters, not your e-mail address, "
    "and not one character repeated."
)


@dataclass(frozen=True)
class Actor:
    """The signed-in user a service acts for."""

    id: uuid.UUID
    user_id: str
    email: str
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_run(self) -> bool:
        """Viewers read; analysts and admins run and change reports."""
        return self.role in {"admin", "analyst"}


def check_password(password: str, *, email: str = "", field: str = "password") -> None:
    """Refuse a password that breaks PASSWORD_RULES, as a field error on `field`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ParameterError(field, f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if email and password.strip().lower() == email.strip().lower():
        raise ParameterError(field, "Use something other than your e-mail address.")
    if len(set(password)) == 1:
        raise ParameterError(field, "Use more than one distinct character.")


def actor_of(user: User) -> Actor:
    return Actor(id=user.id, user_id=user.user_id, email=user.email, name=user.name, role=user.role)


def create_user(
    *,
    session: Session,
    email: str,
    role: str,
    password: str | None = None,
    name: str = "",
    instance_ids: Iterable[str] = (),
) -> Actor:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise ParameterError("email", "Enter an e-mail address such as ana@example.com.")
    if len(email) > MAX_EMAIL_LENGTH:
        raise ParameterError("email", f"Use an address of at most {MAX_EMAIL_LENGTH} characters.")
    if role not in ROLES:
        raise ParameterError("role", f"Choose one of: {', '.join(ROLES)}.")
    if password is not None:
        check_password(password, email=email)
    if email == SYSTEM_EMAIL:
        raise ParameterError("email", "This address belongs to the reportbuilder command.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserExists(f"A user with the e-mail {email} exists already.")
    user = User(
        email=email,
        name=name or email.split("@")[0],
        role=role,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    for instance_id in instance_ids:
        grant_instance(session=session, email=email, instance_id=instance_id)
    return actor_of(user)


def _user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise UserNotFound(email)
    return user


def grant_instance(*, session: Session, email: str, instance_id: str) -> None:
    user = _user_by_email(session, email)
    instance = session.scalar(select(Instance).where(Instance.instance_id == instance_id))
    if instance is None:
        raise InstanceNotFound(instance_id)
    if session.get(InstanceAccess, (user.id, instance.id)) is None:
        session.add(InstanceAccess(user_uuid=user.id, instance_uuid=instance.id))
        session.flush()


def create_api_token(*, session: Session, email: str) -> str:
    """A new API token for the user (replacing any previous one); shown once."""
    user = _user_by_email(session, email)
    if user.email == SYSTEM_EMAIL:
        raise ParameterError("email", "The reportbuilder command's account takes no token.")
    token = new_api_token()
    user.api_token_hash = hash_api_token(token)
    session.flush()
    return token


def revoke_api_token(*, session: Session, user: Actor) -> None:
    row = session.get(User, user.id)
    if row is not None:
        row.api_token_hash = None
        session.flush()


def authenticate_password(*, session: Session, email: str, password: str) -> Actor | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active or not verify_password(password, user.password_hash):
        return None
    return actor_of(user)


def authenticate_token(*, session: Session, token: str) -> Actor | None:
    if not token:
        return None
    user = session.scalar(select(User).where(User.api_token_hash == hash_api_token(token)))
    if user is None or not user.is_active:
        return None
    return actor_of(user)


def get_actor(*, session: Session, user_uuid: uuid.UUID) -> Actor | None:
    user = session.get(User, user_uuid)
    return actor_of(user) if user is not None and user.is_active else None


def session_fingerprint(password_hash: str | None) -> str:
    """What a browser session remembers of the password it was signed in with: a new
    password (or a reset, which removes it) changes it and so ends every older session.
    A digest of the hash, which is itself salted: it tells nothing about the password."""
    digest = hashlib.sha256(b"reportbuilder-session:" + (password_hash or "").encode())
    return digest.hexdigest()[:32]


def current_fingerprint(*, session: Session, user_uuid: uuid.UUID) -> str:
    """The fingerprint a session signed in now gets (`session_fingerprint`)."""
    return session_fingerprint(
        session.scalar(select(User.password_hash).where(User.id == user_uuid))
    )


def session_user(
    *, session: Session, user_uuid: uuid.UUID, fingerprint: str | None
) -> Actor | None:
    """The active user of a browser session, if the password has not changed since it was
    signed in; None otherwise (a session without a fingerprint is from before the check)."""
    user = session.get(User, user_uuid)
    if user is None or not user.is_active or not fingerprint:
        return None
    expected = session_fingerprint(user.password_hash)
    if not hmac.compare_digest(fingerprint, expected):
        return None
    return actor_of(user)


def system_actor(*, session: Session) -> Actor:
    """The command line's own admin account, created on first use (no password, no token).

    Commits the new account at once: when another process creates it first, the rollback
    that follows must discard nothing of the caller's work.
    """
    user = session.scalar(select(User).where(User.email == SYSTEM_EMAIL))
    if user is None:
        try:
            user = User(email=SYSTEM_EMAIL, name="reportbuilder command", role="admin")
            session.add(user)
            session.commit()
        except IntegrityError:  # another process created it first
            session.rollback()
            user = session.scalars(select(User).where(User.email == SYSTEM_EMAIL)).one()
    return actor_of(user)

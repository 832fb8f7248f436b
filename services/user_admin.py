"""People, as admins manage them: list, create, change role and grants, disable, reset a
password with a one-time link, revoke a token; and a user changing their own password.

The rule that keeps the product usable: at least one active admin who can sign in (has a
password) remains; the command line's own account does not count.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ROLES, Instance, InstanceAccess, User
from services.errors import LastAdmin, ParameterError, PermissionDenied, UserNotFound
from services.secrets import hash_api_token, hash_password, verify_password
from services.users import (
    SYSTEM_EMAIL,
    Actor,
    actor_of,
    check_password,
    create_user,
)

#: Where a one-time set-password link leads (the web app's page); the token is in the URL's
#: fragment, which browsers send to no server (no access log, no Referer).
SET_PASSWORD_PATH = "/set-password"
#: How long a set-password link works.
LINK_LIFETIME = timedelta(hours=72)
#: Longest display name.
MAX_NAME_LENGTH = 200
#: The roles a user may have, most powerful first (for pickers).
ROLE_NAMES: tuple[str, ...] = tuple(ROLES)


@dataclass(frozen=True)
class UserSummary:
    """One row of the Users page and of `GET /api/admin/users`."""

    user_id: str
    email: str
    name: str
    role: str
    is_active: bool
    instance_ids: tuple[str, ...]
    has_password: bool
    has_token: bool
    #: A set-password link was made and not used yet (it may have expired).
    link_pending: bool
    link_expires_at: datetime | None
    created_at: datetime

    @property
    def link_expired(self) -> bool:
        expires_at = self.link_expires_at
        return expires_at is not None and _aware(expires_at) < _now()


@dataclass(frozen=True)
class PasswordLink:
    """A one-time set-password link: the token is shown once and stored only hashed."""

    user_id: str
    email: str
    token: str
    expires_at: datetime

    @property
    def path(self) -> str:
        return f"{SET_PASSWORD_PATH}#token={self.token}"


@dataclass(frozen=True)
class CreatedUser:
    user: UserSummary
    #: Set when no password was given: the link the new user sets one with.
    link: PasswordLink | None


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every one stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can manage users.")


def _find(session: Session, ref: str) -> User:
    """A user by slug (`usr_…`), UUID or e-mail; never the command line's account."""
    ref = ref.strip()
    condition = User.email == ref.lower() if "@" in ref else User.user_id == ref
    with contextlib.suppress(ValueError):
        condition = condition | (User.id == uuid.UUID(ref))
    user = session.scalar(select(User).where(condition, User.email != SYSTEM_EMAIL))
    if user is None:
        raise UserNotFound(ref)
    return user


def _grants(session: Session, user_uuids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    rows = session.execute(
        select(InstanceAccess.user_uuid, Instance.instance_id)
        .join(Instance, Instance.id == InstanceAccess.instance_uuid)
        .where(InstanceAccess.user_uuid.in_(list(user_uuids)))
        .order_by(Instance.instance_id)
    )
    grants: dict[uuid.UUID, list[str]] = {}
    for user_uuid, instance_id in rows:
        grants.setdefault(user_uuid, []).append(instance_id)
    return grants


def _summary(user: User, instance_ids: Sequence[str]) -> UserSummary:
    return UserSummary(
        user_id=user.user_id,
        email=user.email,
        name=user.name,
        role=user.role,
        is_active=user.is_active,
        instance_ids=tuple(instance_ids),
        has_password=user.password_hash is not None,
        has_token=user.api_token_hash is not None,
        link_pending=user.password_token_hash is not None,
        link_expires_at=user.password_token_expires_at,
        created_at=user.created_at,
    )


def _summary_of(session: Session, user: User) -> UserSummary:
    return _summary(user, _grants(session, [user.id]).get(user.id, []))


def _instances(session: Session, instance_ids: Iterable[str]) -> list[Instance]:
    wanted = list(dict.fromkeys(i.strip() for i in instance_ids if i.strip()))
    found = {
        instance.instance_id: instance
        for instance in session.scalars(select(Instance).where(Instance.instance_id.in_(wanted)))
    }
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise ParameterError("instance_ids", f"No such data source: {', '.join(unknown)}.")
    return [found[i] for i in wanted]


def _new_link(user: User) -> PasswordLink:
    token = secrets.token_urlsafe(32)
    expires_at = _now() + LINK_LIFETIME
    user.password_token_hash = hash_api_token(token)
    user.password_token_expires_at = expires_at
    return PasswordLink(user_id=user.user_id, email=user.email, token=token, expires_at=expires_at)


def can_sign_in_admin(user: User) -> bool:
    return (
        user.role == "admin"
        and user.is_active
        and user.password_hash is not None
        and user.email != SYSTEM_EMAIL
    )


def _check_not_last_admin(session: Session, user: User, *, stays_sign_in_admin: bool) -> None:
    """Refuse a change that leaves no active admin who can sign in."""
    if not can_sign_in_admin(user) or stays_sign_in_admin:
        return
    # Lock every sign-in-capable admin row, the target too, in one statement and in one
    # order (PostgreSQL): two concurrent changes then queue instead of each locking the
    # other's row first and deadlocking, and the second sees the first's outcome.
    admins = session.scalars(
        select(User.id)
        .where(
            User.role == "admin",
            User.is_active.is_(True),
            User.password_hash.is_not(None),
            User.email != SYSTEM_EMAIL,
        )
        .order_by(User.id)
        .with_for_update()
    ).all()
    if not [admin_id for admin_id in admins if admin_id != user.id]:
        raise LastAdmin(
            f"{user.name or user.email} is the last admin who can sign in; "
            "make another admin first."
        )


def list_users(*, session: Session, actor: Actor) -> list[UserSummary]:
    """Every user but the command line's account, by name."""
    _require_admin(actor)
    users = session.scalars(
        select(User).where(User.email != SYSTEM_EMAIL).order_by(func.lower(User.name), User.email)
    ).all()
    grants = _grants(session, [user.id for user in users])
    return [_summary(user, grants.get(user.id, [])) for user in users]


def get_user(*, session: Session, actor: Actor, user_id: str) -> UserSummary:
    _require_admin(actor)
    return _summary_of(session, _find(session, user_id))


def admin_create_user(
    *,
    session: Session,
    actor: Actor,
    email: str,
    name: str,
    role: str,
    password: str | None,
    instance_ids: Iterable[str] = (),
) -> CreatedUser:
    """A new user with a first password, or (no password) a one-time set-password link."""
    _require_admin(actor)
    if len(name) > MAX_NAME_LENGTH:
        raise ParameterError("name", f"Use at most {MAX_NAME_LENGTH} characters.")
    instances = _instances(session, instance_ids)
    created = create_user(
        session=session,
        email=email,
        role=role,
        password=password or None,
        name=name.strip(),
        instance_ids=[instance.instance_id for instance in instances],
    )
    user = session.get_one(User, created.id)
    link = None if password else _new_link(user)
    session.flush()
    return CreatedUser(user=_summary_of(session, user), link=link)


def update_user(
    *,
    session: Session,
    actor: Actor,
    user_id: str,
    role: str | None = None,
    is_active: bool | None = None,
    instance_ids: Iterable[str] | None = None,
    name: str | None = None,
) -> UserSummary:
    """Change what is given; `instance_ids` replaces the grants."""
    _require_admin(actor)
    user = _find(session, user_id)
    if role is not None and role not in ROLES:
        raise ParameterError("role", f"Choose one of: {', '.join(ROLES)}.")
    if name is not None and not (0 < len(name.strip()) <= MAX_NAME_LENGTH):
        raise ParameterError("name", f"Give a name of 1 to {MAX_NAME_LENGTH} characters.")
    if is_active is False and user.id == actor.id:
        raise ParameterError("is_active", "You cannot disable your own account.")
    instances = _instances(session, instance_ids) if instance_ids is not None else None
    _check_not_last_admin(
        session,
        user,
        stays_sign_in_admin=(role if role is not None else user.role) == "admin"
        and (is_active if is_active is not None else user.is_active),
    )
    if role is not None:
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    if name is not None:
        user.name = name.strip()
    if instances is not None:
        wanted = {instance.id for instance in instances}
        current = {
            row.instance_uuid: row
            for row in session.scalars(
                select(InstanceAccess).where(InstanceAccess.user_uuid == user.id)
            )
        }
        for instance_uuid, row in current.items():
            if instance_uuid not in wanted:
                session.delete(row)
        for instance_uuid in wanted - current.keys():
            session.add(InstanceAccess(user_uuid=user.id, instance_uuid=instance_uuid))
    session.flush()
    return _summary_of(session, user)


def reset_password(*, session: Session, actor: Actor, user_id: str) -> PasswordLink:
    """A new one-time link; the user's password (and every session signed in with it) stops
    working now. The last admin who can sign in keeps theirs, except from the command line:
    that is the way back in for an admin who forgot it."""
    _require_admin(actor)
    user = _find(session, user_id)
    if actor.email != SYSTEM_EMAIL:
        _check_not_last_admin(session, user, stays_sign_in_admin=False)
    user.password_hash = None
    link = _new_link(user)
    session.flush()
    return link


def revoke_token(*, session: Session, actor: Actor, user_id: str) -> None:
    _require_admin(actor)
    user = _find(session, user_id)
    user.api_token_hash = None
    session.flush()


def set_password_with_token(*, session: Session, token: str, password: str) -> Actor:
    """Set the password a one-time link is for, and use the link up."""
    user = (
        session.scalar(select(User).where(User.password_token_hash == hash_api_token(token)))
        if token
        else None
    )
    if user is None or not user.is_active:
        raise ParameterError(
            "token", "This link is not valid: it was used or replaced. Ask an admin for a new one."
        )
    expires_at = user.password_token_expires_at
    if expires_at is not None and _aware(expires_at) < _now():
        raise ParameterError("token", "This link has expired. Ask an admin for a new one.")
    check_password(password, email=user.email)
    user.password_hash = hash_password(password)
    user.password_token_hash = None
    user.password_token_expires_at = None
    session.flush()
    return actor_of(user)


def change_own_password(
    *, session: Session, actor: Actor, current_password: str, new_password: str
) -> None:
    user = session.get(User, actor.id)
    if user is None or not user.is_active or user.email == SYSTEM_EMAIL:
        raise PermissionDenied("This account has no password to change.")
    if not verify_password(current_password, user.password_hash):
        raise ParameterError("current_password", "This is not your current password.")
    check_password(new_password, email=user.email, field="new_password")
    if verify_password(new_password, user.password_hash):
        raise ParameterError("new_password", "Choose a password other than the current one.")
    user.password_hash = hash_password(new_password)
    session.flush()

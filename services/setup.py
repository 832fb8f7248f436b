"""The first run: while the database holds no user, the web app asks for the first admin."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db.models import User
from services.errors import ParameterError, SetupDone
from services.user_admin import MAX_NAME_LENGTH
from services.users import SYSTEM_EMAIL, Actor, create_user

#: PostgreSQL advisory lock key taken while the first admin is created (two setups at once
#: would otherwise both see an empty table).
_SETUP_LOCK_KEY = 0x5E7A9


def needs_setup(*, session: Session) -> bool:
    """True while the database holds no user at all, active or not, with a password or not
    (the command line's own account does not count)."""
    return _users(session) == 0


def _users(session: Session) -> int:
    return (
        session.scalar(select(func.count()).select_from(User).where(User.email != SYSTEM_EMAIL))
        or 0
    )


def create_first_admin(*, session: Session, email: str, password: str, name: str) -> Actor:
    """The first admin, with a password; refused with `SetupDone` once any user exists."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SETUP_LOCK_KEY})
    if not needs_setup(session=session):
        raise SetupDone()
    if not 0 < len(name.strip()) <= MAX_NAME_LENGTH:
        raise ParameterError("name", f"Enter your name (at most {MAX_NAME_LENGTH} characters).")
    admin = create_user(
        session=session, email=email, role="admin", password=password, name=name.strip()
    )
    # SQLite has no advisory lock: two setups may both have seen an empty table. The second
    # to write sees the first's row here (SQLite serializes writers) and its transaction is
    # rolled back by the caller.
    if _users(session) > 1:
        raise SetupDone()
    return admin

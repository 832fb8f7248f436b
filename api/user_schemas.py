"""Request and response schemas of the people endpoints: users (admins), setup, own password.

Roles and passwords are checked by the services (one set of rules, shown as field errors);
the bounds here are about transport.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.inputs import Body

#: Longest e-mail address the database stores.
MAX_EMAIL = 320
#: Longest password accepted (hashing cost stays bounded).
MAX_PASSWORD = 1_000
#: Most data sources granted in one request.
MAX_GRANTS = 500


class UserOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    is_active: bool
    instance_ids: list[str] = Field(description="Data sources granted (admins may use all).")
    has_password: bool
    has_token: bool
    set_password_link_pending: bool = Field(
        description="A set-password link was issued and not used yet."
    )
    created_at: datetime


class UserList(BaseModel):
    users: list[UserOut]


class CreatedUserOut(UserOut):
    set_password_url: str | None = Field(
        description="When no password was given: the one-time set-password link (a path on "
        "this site), shown once."
    )
    set_password_expires_at: datetime | None


class PasswordLinkOut(BaseModel):
    user_id: str
    set_password_url: str = Field(description="The one-time link (a path on this site).")
    expires_at: datetime


class CreateUserBody(Body):
    email: str = Field(min_length=1, max_length=MAX_EMAIL)
    name: str = Field("", max_length=200)
    role: str = Field(max_length=16, description="admin, analyst or viewer.")
    password: str | None = Field(
        None,
        max_length=MAX_PASSWORD,
        description="A first password; leave it out to get a set-password link instead.",
    )
    instance_ids: list[str] = Field(default_factory=list, max_length=MAX_GRANTS)


class UpdateUserBody(Body):
    """Only the fields given change; `instance_ids` replaces the grants."""

    role: str | None = Field(None, max_length=16)
    is_active: bool | None = None
    instance_ids: list[str] | None = Field(None, max_length=MAX_GRANTS)
    name: str | None = Field(None, max_length=200)


class SetupBody(Body):
    email: str = Field(min_length=1, max_length=MAX_EMAIL)
    password: str = Field(max_length=MAX_PASSWORD)
    name: str = Field(min_length=1, max_length=200)


class SetupOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: str


class ChangePasswordBody(Body):
    current_password: str = Field(max_length=MAX_PASSWORD)
    new_password: str = Field(max_length=MAX_PASSWORD)

"""People: users (admins, under /api/admin/users), the first-run setup (no authentication)
and a user's own password."""

from __future__ import annotations

from typing import Any

import webauth
from api.parsing import changes_of
from api.routing import Call, Router
from api.user_schemas import (
    ChangePasswordBody,
    CreatedUserOut,
    CreateUserBody,
    PasswordLinkOut,
    SetupBody,
    SetupOut,
    UpdateUserBody,
    UserList,
    UserOut,
)
from services.setup import create_first_admin
from services.user_admin import (
    PasswordLink,
    UserSummary,
    admin_create_user,
    change_own_password,
    list_users,
    reset_password,
    revoke_token,
    update_user,
)
from services.users import current_fingerprint

router = Router("/admin", "users")
account_router = Router("", "account")


def user_out(user: UserSummary) -> UserOut:
    return UserOut.model_validate(_fields(user))


def _fields(user: UserSummary) -> dict[str, Any]:
    return {
        "user_id": user.user_id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "is_active": user.is_active,
        "instance_ids": list(user.instance_ids),
        "has_password": user.has_password,
        "has_token": user.has_token,
        "set_password_link_pending": user.link_pending,
        "created_at": user.created_at,
    }


def _link_out(link: PasswordLink) -> PasswordLinkOut:
    return PasswordLinkOut(
        user_id=link.user_id, set_password_url=link.path, expires_at=link.expires_at
    )


@router.route("GET", "/users", "List users", response=UserList)
def list_users_view(call: Call) -> UserList:
    """Every user with role, state, granted data sources, and whether a password or an API
    token is set (never the secrets). Admins only."""
    users = list_users(session=call.session, actor=call.actor)
    return UserList(users=[user_out(user) for user in users])


@router.route(
    "POST",
    "/users",
    "Create a user",
    status=201,
    response=CreatedUserOut,
    body=CreateUserBody,
    errors=(409,),
)
def create_user_view(call: Call) -> CreatedUserOut:
    """A new user with a first password, or without one: then `set_password_url` is a
    one-time link (valid 72 hours) shown only in this answer. 409 when the e-mail is taken.
    Admins only."""
    body = call.body_as(CreateUserBody)
    created = admin_create_user(
        session=call.session,
        actor=call.actor,
        email=body.email,
        name=body.name,
        role=body.role,
        password=body.password,
        instance_ids=body.instance_ids,
    )
    link = created.link
    return CreatedUserOut.model_validate(
        {
            **_fields(created.user),
            "set_password_url": link.path if link else None,
            "set_password_expires_at": link.expires_at if link else None,
        }
    )


@router.route(
    "PATCH",
    "/users/{user_id}",
    "Change a user",
    response=UserOut,
    body=UpdateUserBody,
    errors=(409,),
)
def update_user_view(call: Call) -> UserOut:
    """Change role, name, active state or granted data sources (`instance_ids` replaces the
    grants). A disabled user's sessions and token stop working at once. 409 when the change
    would leave no active admin who can sign in. Admins only."""
    changes = changes_of(call.body_as(UpdateUserBody))
    user = update_user(
        session=call.session, actor=call.actor, user_id=call.path["user_id"], **changes
    )
    return user_out(user)


@router.route(
    "POST", "/users/{user_id}/reset-password", "Reset a user's password", response=PasswordLinkOut
)
def reset_password_view(call: Call) -> PasswordLinkOut:
    """The user's password stops working; answers a new one-time set-password link, shown
    once. Admins only."""
    link = reset_password(session=call.session, actor=call.actor, user_id=call.path["user_id"])
    return _link_out(link)


@router.route("DELETE", "/users/{user_id}/token", "Revoke a user's API token", status=204)
def revoke_token_view(call: Call) -> None:
    """Requests sending the user's API token are refused from now on. Admins only."""
    revoke_token(session=call.session, actor=call.actor, user_id=call.path["user_id"])


@account_router.route(
    "POST",
    "/setup",
    "Create the first admin",
    status=201,
    response=SetupOut,
    body=SetupBody,
    errors=(409,),
    public=True,
)
def setup_view(call: Call) -> SetupOut:
    """First run only, without authentication: creates the first admin while no user can
    sign in; 409 once one can."""
    body = call.body_as(SetupBody)
    actor = create_first_admin(
        session=call.session, email=body.email, password=body.password, name=body.name
    )
    return SetupOut(user_id=actor.user_id, email=actor.email, name=actor.name, role=actor.role)


@account_router.route(
    "POST", "/me/password", "Change your own password", status=204, body=ChangePasswordBody
)
def change_password_view(call: Call) -> None:
    """Needs the current password; the new one follows the password rules. Every browser
    session of the user ends, except the one making this request."""
    body = call.body_as(ChangePasswordBody)
    change_own_password(
        session=call.session,
        actor=call.actor,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    if webauth.bearer_token() is None:  # the browser session asking: keep it signed in
        fingerprint = current_fingerprint(session=call.session, user_uuid=call.actor.id)
        webauth.sign_in(call.actor, fingerprint=fingerprint)

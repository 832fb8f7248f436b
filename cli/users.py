"""Users and API tokens: `create-user`, `create-token`, and the `users` group (list,
set-role, disable, enable, grant, reset-password), acting as the command line's admin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cli import (
    cli_settings,
    main,
)
from cli.common_io import FieldErrors, InputError, echo_json, open_metadata, text_table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from services.user_admin import UserSummary
    from services.users import Actor

T = TypeVar("T")


def _check_role(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from db.models import ROLES

    if value not in ROLES:
        raise click.BadParameter(f"choose one of: {', '.join(ROLES)}", ctx=ctx, param=param)
    return value


def _prompt_password() -> str:
    from services.errors import ParameterError
    from services.users import PASSWORD_RULES, check_password

    def long_enough(value: str) -> str:
        try:
            check_password(value)
        except ParameterError as failure:
            raise click.UsageError(failure.message) from None
        return value

    click.echo(f"Password rules: {PASSWORD_RULES}", err=True)

    password: str = click.prompt(
        "Password", hide_input=True, confirmation_prompt=True, value_proc=long_enough
    )
    return password


@main.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    metavar="admin|analyst|viewer",
    callback=_check_role,
    help="Admins manage everything; analysts run and change their own reports; viewers read.",
)
@click.option(
    "--password",
    metavar="PASSWORD",
    help="The password. Prompted for (hidden, twice) when not given; prefer the prompt, "
    "as a command line is visible to others on the machine.",
)
@click.option(
    "--no-password",
    is_flag=True,
    help="No password: the account signs in with an API token only (see create-token).",
)
@click.option(
    "--name", default="", metavar="NAME", help="Display name (default: the part of EMAIL before @)."
)
@click.option(
    "--instance",
    "instance_ids",
    multiple=True,
    metavar="INSTANCE_ID",
    help="Grant access to this instance (repeatable); admins may use every instance.",
)
def create_user_command(
    email: str,
    role: str,
    password: str | None,
    no_password: bool,
    name: str,
    instance_ids: tuple[str, ...],
) -> None:
    """Create a user of the web app and the API."""
    from db.session import session_scope
    from services.errors import InstanceNotFound, ParameterError, UserExists
    from services.users import SYSTEM_EMAIL, create_user

    if password is not None and no_password:
        raise click.UsageError("--password and --no-password exclude each other.")
    if email.strip().lower() == SYSTEM_EMAIL:
        raise InputError(f"{SYSTEM_EMAIL} is reserved for the reportbuilder command itself.")
    settings = cli_settings()
    with open_metadata(settings) as sessions:
        if password is None and not no_password:
            password = _prompt_password()
        try:
            with session_scope(sessions) as session:
                user = create_user(
                    session=session,
                    email=email,
                    role=role,
                    password=password,
                    name=name,
                    instance_ids=instance_ids,
                )
        except ParameterError as failure:
            raise FieldErrors({failure.field: failure.message}) from None
        except InstanceNotFound as failure:
            raise FieldErrors({"instance": str(failure)}) from None
        except UserExists as failure:
            raise InputError(str(failure)) from None
    granted = f"; instances: {', '.join(instance_ids)}" if instance_ids else ""
    click.echo(f"created {user.role} {user.email} ({user.user_id}){granted}")


@main.command("create-token")
@click.argument("email")
def create_token_command(email: str) -> None:
    """Print a new API token for EMAIL, replacing the previous one.

    The token is shown once and stored hashed; only the token goes to stdout, so
    `TOKEN=$(reportbuilder create-token ana@example.com)` works.
    """
    from db.session import session_scope
    from services.errors import UserNotFound
    from services.users import SYSTEM_EMAIL, create_api_token

    if email.strip().lower() == SYSTEM_EMAIL:
        raise InputError(f"{SYSTEM_EMAIL} is the command's own account; it has no API token.")
    settings = cli_settings()
    with open_metadata(settings) as sessions:
        try:
            with session_scope(sessions) as session:
                token = create_api_token(session=session, email=email)
        except UserNotFound as failure:
            raise InputError(str(failure)) from None
    click.echo(token)
    click.echo(
        f"API token for {email.strip().lower()}: shown once; any previous token stops working.",
        err=True,
    )


@main.group("users")
def users_group() -> None:
    """Manage users: list, change role, disable or enable, reset a password, grant sources."""


def _as_admin(action: Callable[[Session, Actor], T]) -> T:
    """Run `action` as the command line's own admin account, mapping refusals to exit 2."""
    from db.session import session_scope
    from services.errors import Conflict, NotFound, ParameterError
    from services.users import system_actor

    settings = cli_settings()
    with open_metadata(settings) as sessions:
        try:
            with session_scope(sessions) as session:
                return action(session, system_actor(session=session))
        except ParameterError as failure:
            raise FieldErrors({failure.field: failure.message}) from None
        except (NotFound, Conflict) as failure:
            raise InputError(str(failure)) from None


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per user, in a list.")
def users_list_command(as_json: bool) -> None:
    """Every user with role, state, granted sources, and whether a password or token is set."""
    from services.user_admin import list_users

    users = _as_admin(lambda session, admin: list_users(session=session, actor=admin))
    if as_json:
        echo_json([{**asdict(user), "instance_ids": list(user.instance_ids)} for user in users])
        return
    rows = [
        (
            user.email,
            user.name,
            user.role,
            "active" if user.is_active else "disabled",
            ",".join(user.instance_ids) or "-",
            _password_state(user),
            "yes" if user.has_token else "no",
        )
        for user in users
    ]
    headers = ("EMAIL", "NAME", "ROLE", "STATE", "SOURCES", "PASSWORD", "TOKEN")
    click.echo(text_table(headers, rows) if rows else "no users yet")


def _password_state(user: UserSummary) -> str:
    if user.has_password:
        return "yes"
    if not user.link_pending:
        return "no"
    if user.link_expired:
        return "link expired"
    expires = f"{user.link_expires_at:%Y-%m-%d %H:%M} UTC" if user.link_expires_at else "never"
    return f"link pending (expires {expires})"


def _update(email: str, **changes: Any) -> None:
    from services.user_admin import update_user

    user = _as_admin(
        lambda session, admin: update_user(session=session, actor=admin, user_id=email, **changes)
    )
    state = "active" if user.is_active else "disabled"
    sources = ", ".join(user.instance_ids) or "none"
    click.echo(f"{user.email}: {user.role}, {state}; sources: {sources}")


@users_group.command("set-role")
@click.argument("email")
@click.argument("role", metavar="admin|analyst|viewer", callback=_check_role)
def users_set_role_command(email: str, role: str) -> None:
    """Give EMAIL the role ROLE (the last admin who can sign in keeps theirs)."""
    _update(email, role=role)


@users_group.command("disable")
@click.argument("email")
def users_disable_command(email: str) -> None:
    """Disable EMAIL: their sessions and API token stop working at once."""
    _update(email, is_active=False)


@users_group.command("enable")
@click.argument("email")
def users_enable_command(email: str) -> None:
    """Enable EMAIL again."""
    _update(email, is_active=True)


@users_group.command("grant")
@click.argument("email")
@click.argument("instance_ids", nargs=-1, required=True, metavar="INSTANCE_ID...")
def users_grant_command(email: str, instance_ids: tuple[str, ...]) -> None:
    """Let EMAIL use these data sources too (added to the ones granted already)."""
    from services.user_admin import get_user, update_user

    def grant(session: Session, admin: Actor) -> Any:
        current = get_user(session=session, actor=admin, user_id=email).instance_ids
        return update_user(
            session=session,
            actor=admin,
            user_id=email,
            instance_ids=[*current, *instance_ids],
        )

    user = _as_admin(grant)
    click.echo(f"{user.email}: sources {', '.join(user.instance_ids)}")


@users_group.command("reset-password")
@click.argument("email")
def users_reset_password_command(email: str) -> None:
    """Stop EMAIL's password and print a one-time set-password link path (valid 72 hours).

    Open it on the web app's address, e.g. http://127.0.0.1:8050/set-password#token=...
    """
    from services.user_admin import reset_password

    link = _as_admin(
        lambda session, admin: reset_password(session=session, actor=admin, user_id=email)
    )
    click.echo(link.path)
    click.echo(
        f"Set-password link for {link.email}: shown once, valid until "
        f"{link.expires_at:%Y-%m-%d %H:%M} UTC; the old password no longer works.",
        err=True,
    )

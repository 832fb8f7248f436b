"""Users and API tokens: `create-user`, `create-token`."""

from __future__ import annotations

import click

from cli import (
    cli_settings,
    main,
)
from cli.common_io import FieldErrors, InputError, open_metadata


def _check_role(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from db.models import ROLES

    if value not in ROLES:
        raise click.BadParameter(f"choose one of: {', '.join(ROLES)}", ctx=ctx, param=param)
    return value


def _prompt_password() -> str:
    from services.users import MIN_PASSWORD_LENGTH

    def long_enough(value: str) -> str:
        if len(value) < MIN_PASSWORD_LENGTH:
            raise click.UsageError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
        return value

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
    from services.errors import InstanceNotFound, ParameterError
    from services.users import SYSTEM_EMAIL, UserExists, create_user

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
    from services.users import SYSTEM_EMAIL, UserNotFound, create_api_token

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

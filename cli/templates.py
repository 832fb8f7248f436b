"""Templates: `templates` lists them; `templates import FILE.yaml` and `templates export ID`
move one in and out in the library's YAML format."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import yaml

from cli import (
    cli_settings,
    main,
)
from cli.common_io import FieldErrors, InputError, echo_json, open_metadata, text_table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from services.users import Actor

T = TypeVar("T")


@main.group("templates", invoke_without_command=True)
@click.option("--search", help="Only templates whose id, name or description contains this.")
@click.option("--category", help="Only templates of this category.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON list of templates with their parameter definitions.",
)
@click.pass_context
def templates_command(
    ctx: click.Context, search: str | None, category: str | None, as_json: bool
) -> None:
    """List the templates: what `reportbuilder execute` can run.

    `templates import FILE.yaml` adds or updates one; `templates export ID` prints one.
    """
    if ctx.invoked_subcommand is not None:
        return
    from services.errors import DomainError
    from services.templates import get_template, list_templates

    settings = cli_settings()
    with open_metadata(settings) as sessions, sessions() as session:
        summaries = list_templates(session=session, actor=None, search=search, category=category)
        if not as_json:
            if not summaries:
                click.echo("no templates (`reportbuilder seed-demo` loads the library)", err=True)
                return
            rows = [
                (s.template_id, s.name, s.category, s.report_type, str(s.parameter_count))
                for s in summaries
            ]
            click.echo(text_table(("ID", "NAME", "CATEGORY", "REPORT TYPE", "PARAMETERS"), rows))
            return
        listing = []
        for summary in summaries:
            try:
                detail = get_template(session=session, template_id=summary.template_id)
            except DomainError as error:
                raise click.ClickException(f"template {summary.template_id}: {error}") from None
            listing.append(
                {
                    "template_id": detail.template_id,
                    "name": detail.name,
                    "category": detail.category,
                    "report_type": detail.report_type,
                    "description": detail.description,
                    "min_data_age_days": detail.min_data_age_days,
                    "parameter_definitions": detail.parameter_definitions,
                }
            )
    echo_json(listing)


@contextmanager
def _refusals() -> Iterator[None]:
    """Service refusals as the command's exit codes: 2 for invalid input, 1 otherwise."""
    from services.errors import (
        Conflict,
        NotFound,
        ParameterError,
        PermissionDenied,
        TemplateDefinitionError,
        ValidationFailed,
    )

    try:
        yield
    except ValidationFailed as failure:
        raise FieldErrors(failure.errors) from None
    except ParameterError as failure:
        raise FieldErrors({failure.field: failure.message}) from None
    except TemplateDefinitionError as failure:
        raise InputError(str(failure)) from None
    except (NotFound, Conflict, PermissionDenied) as failure:
        raise click.ClickException(str(failure)) from None


def _as_admin(action: Callable[[Session, Actor], T]) -> T:
    """Run `action` as the command line's own admin account, in one committed session."""
    from db.session import session_scope
    from services.users import system_actor

    settings = cli_settings()
    with open_metadata(settings) as sessions, _refusals(), session_scope(sessions) as session:
        return action(session, system_actor(session=session))


@templates_command.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish it: visible to everyone at once.")
def templates_import_command(file: Path, publish: bool) -> None:
    """Create or update the template FILE.yaml describes (the library's format).

    Its SQL is the `sql_template` key, or FILE.sql beside it. Saving a changed SQL,
    parameters or widgets over an existing template adds a version; library templates
    are refused.

    \b
    Exit codes:
      0  created, updated or unchanged
      1  refused (a library template, an unknown template)
      2  the file is not a valid template: one `field: message` line per problem
    """
    from services.library import read_template
    from services.template_authoring import import_template, publish_template

    with _refusals():
        template = read_template(file, in_library=False)
    spec: dict[str, Any] = asdict(template)
    spec["id"] = spec.pop("template_id")

    def save(session: Session, actor: Actor) -> str:
        saved, new_version = import_template(session=session, actor=actor, spec=spec)
        if publish:
            publish_template(session=session, actor=actor, template_id=saved.template_id)
        state = "saved as version" if new_version else "unchanged at version"
        return f"{saved.template_id}: {state} {saved.version}"

    click.echo(_as_admin(save))


@templates_command.command("export")
@click.argument("template_id", metavar="ID")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write ID.yaml and ID.sql into this folder (the library's layout) instead.",
)
def templates_export_command(template_id: str, folder: Path | None) -> None:
    """Print the template ID as YAML, its SQL inline (`sql_template`); `templates import`
    reads it back."""
    from services.template_authoring import template_spec

    spec = _as_admin(
        lambda session, actor: template_spec(session=session, actor=actor, template_id=template_id)
    )
    if folder is None:
        click.echo(dump_yaml(spec), nl=False)
        return
    folder.mkdir(parents=True, exist_ok=True)
    sql = spec.pop("sql_template")
    (folder / f"{spec['id']}.yaml").write_text(dump_yaml(spec), encoding="utf-8")
    (folder / f"{spec['id']}.sql").write_text(sql.rstrip() + "\n", encoding="utf-8")
    click.echo(f"wrote {folder / (spec['id'] + '.yaml')} and {spec['id']}.sql", err=True)


class _Dumper(yaml.SafeDumper):
    """Multi-line text (SQL, descriptions) as literal blocks, readable as in the library."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def dump_yaml(spec: dict[str, Any]) -> str:
    return yaml.dump(spec, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)

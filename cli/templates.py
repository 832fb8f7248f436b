"""The template library: `templates`."""

from __future__ import annotations

import click

from cli import (
    cli_settings,
    main,
)
from cli.common_io import echo_json, open_metadata, text_table


@main.command("templates")
@click.option("--search", help="Only templates whose id, name or description contains this.")
@click.option("--category", help="Only templates of this category.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON list of templates with their parameter definitions.",
)
def templates_command(search: str | None, category: str | None, as_json: bool) -> None:
    """List the template library: what `reportbuilder execute` can run."""
    from services.errors import DomainError
    from services.templates import get_template, list_templates

    settings = cli_settings()
    with open_metadata(settings) as sessions, sessions() as session:
        summaries = list_templates(session=session, search=search, category=category)
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

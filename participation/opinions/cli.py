"""``flask opinions …`` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from participation.consultations.models import Consultation
from participation.core.errors import DomainError
from participation.extensions import db
from participation.opinions.counters import recount_counters
from participation.opinions.operations import import_file
from participation.opinions.reimports import file_sha256

opinions_cli = AppGroup("opinions", help="Work with opinions.")


@opinions_cli.command("import")
@click.option("--consultation", "consultation_id", type=int, required=True)
@click.option("--locale", default="zh_CN", show_default=True, help="Language of error messages.")
@click.option("--allow-duplicates", is_flag=True,
              help="Import even if the file was imported before or repeats recorded opinions.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_opinions(consultation_id: int, locale: str, allow_duplicates: bool,
                    path: Path) -> None:
    """Import offline opinions from a CSV or XLSX file: every row, or none on any error.

    A file imported before, or rows identical to recorded opinions, are refused with an
    explanation unless --allow-duplicates is given.
    """
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise click.ClickException(f"No consultation {consultation_id}.")
    data = path.read_bytes()
    with force_locale(locale):
        try:
            outcome = import_file(consultation, path.name, data,
                                  confirmed_sha256=file_sha256(data) if allow_duplicates
                                  else None)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(f"{error.message} Nothing was imported.") from None
        if not outcome.result.ok:
            db.session.rollback()
            for error in outcome.result.errors:
                click.echo(error.message, err=True)
            raise click.ClickException(
                f"{len(outcome.result.errors)} error(s); nothing was imported.")
        if not outcome.imported:
            db.session.rollback()
            for message in outcome.duplicates.messages:
                click.echo(message, err=True)
            raise click.ClickException("Nothing was imported. To import the file anyway, run"
                                       " the command again with --allow-duplicates.")
    db.session.commit()
    click.echo(f"Imported {len(outcome.created)} opinions into consultation {consultation_id}.")


@opinions_cli.command("recount")
def recount() -> None:
    """Recompute every opinion counter from COUNT(*) and print what was corrected."""
    corrected = recount_counters()
    for mismatch in corrected:
        click.echo(f"{mismatch.table} {mismatch.row_id} {mismatch.column}: "
                   f"{mismatch.stored} -> {mismatch.counted}")
    db.session.commit()
    click.echo(f"{len(corrected)} counter(s) corrected." if corrected
               else "Every counter agrees with the opinions.")


# The workspace's commands register on the same group.
from participation.opinions import workspace_cli as _workspace_cli  # noqa: E402,F401

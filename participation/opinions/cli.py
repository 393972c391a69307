"""``flask opinions …`` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from participation.consultations.models import Consultation
from participation.extensions import db
from participation.opinions.operations import import_file, recount_counters

opinions_cli = AppGroup("opinions", help="Work with opinions.")


@opinions_cli.command("import")
@click.option("--consultation", "consultation_id", type=int, required=True)
@click.option("--locale", default="zh_CN", show_default=True, help="Language of error messages.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_opinions(consultation_id: int, locale: str, path: Path) -> None:
    """Import offline opinions from a CSV or XLSX file: every row, or none on any error."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise click.ClickException(f"No consultation {consultation_id}.")
    with force_locale(locale):
        result, created = import_file(consultation, path.name, path.read_bytes())
        if not result.ok:
            db.session.rollback()
            for error in result.errors:
                click.echo(error.message, err=True)
            raise click.ClickException(f"{len(result.errors)} error(s); nothing was imported.")
    db.session.commit()
    click.echo(f"Imported {len(created)} opinions into consultation {consultation_id}.")


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

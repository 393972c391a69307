"""``flask opinions export``, ``apply-classification`` and ``cite-articles``."""

from __future__ import annotations

from pathlib import Path

import click
from flask_babel import force_locale

from participation.consultations.models import Consultation
from participation.extensions import db
from participation.opinions import classification_sheets as sheets
from participation.opinions.articles import backfill_cited_nodes
from participation.opinions.cli import opinions_cli


def _consultation(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise click.ClickException(f"No consultation {consultation_id}.")
    return consultation


@opinions_cli.command("export")
@click.option("--consultation", "consultation_id", type=int, required=True)
@click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]), default="csv",
              show_default=True)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_opinions(consultation_id: int, file_format: str, path: Path) -> None:
    """Export a consultation's opinions with their classification (original text: for
    officials only) to a CSV or XLSX file, streamed in bounded memory."""
    consultation = _consultation(consultation_id)
    with force_locale("zh_CN"), path.open("wb") as out:
        if file_format == "csv":
            for chunk in sheets.csv_chunks(consultation):
                out.write(chunk)
        else:
            with sheets.xlsx_file(consultation) as handle:
                while block := handle.read(1 << 20):
                    out.write(block)
    click.echo(f"Exported the opinions of consultation {consultation_id} to {path}.")


@opinions_cli.command("apply-classification")
@click.option("--consultation", "consultation_id", type=int, required=True)
@click.option("--locale", default="zh_CN", show_default=True, help="Language of error messages.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def apply_classification(consultation_id: int, locale: str, path: Path) -> None:
    """Apply an edited export's topic, stance, disposition and reason columns: every row,
    or none when any row has an error."""
    consultation = _consultation(consultation_id)
    with force_locale(locale):
        result = sheets.apply_classification(consultation, path.name, path.read_bytes())
        if not result.ok:
            db.session.rollback()
            for problem in result.errors:
                click.echo(problem.message, err=True)
            raise click.ClickException(f"{result.error_count} error(s); nothing was changed.")
    db.session.commit()
    click.echo(f"Applied {path.name}: {result.updated} opinion(s) changed"
               + (f", new topics: {', '.join(result.new_topics)}" if result.new_topics else "")
               + ".")


@opinions_cli.command("cite-articles")
@click.option("--consultation", "consultation_id", type=int, default=None)
def cite_articles(consultation_id: int | None) -> None:
    """Find the cited article of opinions inserted in bulk without it."""
    found = backfill_cited_nodes(consultation_id)
    db.session.commit()
    click.echo(f"{found} opinion(s) cite an article.")

"""``flask opinions …`` commands."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from participation.consultations.models import Consultation
from participation.extensions import db
from participation.opinions.counters import recount_counters
from participation.opinions.grouping.cli import group_opinions
from participation.opinions.imports.checking import error_from_json, errors_csv, read_error_file
from participation.opinions.imports.running import ImportProgress, new_import, run_import
from participation.opinions.models import ImportState

opinions_cli = AppGroup("opinions", help="Work with opinions.")
opinions_cli.add_command(group_opinions)


class _BarProgress(ImportProgress):
    """Progress bars on the terminal (standard error), one per pass."""

    LABELS = {ImportState.CHECKING: "Checking rows", ImportState.STORING: "Storing rows"}
    FOLLOW_UP = "Preparing them for grouping"

    def __init__(self) -> None:
        self.bar = None
        self.done = 0

    def phase(self, record, state, total) -> None:
        super().phase(record, state, total)
        self.close()
        self.done = 0
        self.bar = click.progressbar(length=total or 0, label=self.LABELS.get(state, ""),
                                     file=sys.stderr, show_pos=True, width=30)
        self.bar.__enter__()

    def follow_up(self, total: int):
        self.close()
        self.done = 0
        self.bar = click.progressbar(length=total, label=self.FOLLOW_UP, file=sys.stderr,
                                     show_pos=True, width=30)
        self.bar.__enter__()
        return self.rows

    def rows(self, done: int, total: int | None) -> None:
        if self.bar is None:
            return
        if total and total != self.bar.length:
            self.bar.length = total
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@opinions_cli.command("import")
@click.option("--consultation", "consultation_id", type=int, required=True)
@click.option("--locale", default="zh_CN", show_default=True, help="Language of error messages.")
@click.option("--allow-duplicates", is_flag=True,
              help="Import even if the file was imported before or repeats recorded opinions.")
@click.option("--errors", "errors_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every error to this CSV file (line, column, message).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_opinions(consultation_id: int, locale: str, allow_duplicates: bool,
                    errors_path: Path | None, path: Path) -> None:
    """Import offline opinions from a CSV or XLSX file (up to 1,000,000 rows): every row,
    or none on any error. The same two passes as the import page, with progress bars.

    A file imported before, or rows identical to recorded opinions, are refused with an
    explanation unless --allow-duplicates is given.
    """
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise click.ClickException(f"No consultation {consultation_id}.")
    with path.open("rb") as handle:
        sha256, _size = _sha256(handle)
    record = new_import(consultation, path.name, sha256)
    record.confirmed = allow_duplicates
    db.session.commit()  # the attempt is kept, as the page keeps it
    progress = _BarProgress()
    with force_locale(locale):
        try:
            outcome = run_import(record, path, progress=progress)
        finally:
            progress.close()
        record = outcome.record
        if record.encoding:
            click.echo(f"Read as {record.encoding}.", err=True)
        if record.state == ImportState.REFUSED:
            db.session.commit()
            _report_errors(record, errors_path)
            raise click.ClickException(f"{record.error_count} error(s); nothing was imported.")
        if record.state == ImportState.UNCONFIRMED:
            record.state = ImportState.DISCARDED
            db.session.commit()
            for message in outcome.duplicates.messages:
                click.echo(message, err=True)
            raise click.ClickException("Nothing was imported. To import the file anyway, run"
                                       " the command again with --allow-duplicates.")
    db.session.commit()
    click.echo(f"Imported {record.row_count} opinions into consultation {consultation_id}.")


def _sha256(handle) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := handle.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _report_errors(record, errors_path: Path | None) -> None:
    """The first errors on the terminal; every one in ``errors_path`` when given."""
    for data in record.first_errors or []:
        click.echo(error_from_json(data).message, err=True)
    if record.error_count > len(record.first_errors or []):
        click.echo(f"… {record.error_count - len(record.first_errors)} more.", err=True)
    if errors_path is not None and record.error_file:
        with errors_path.open("wb") as out:
            for chunk in errors_csv(read_error_file(record.error_file)):
                out.write(chunk)
        click.echo(f"Every error: {errors_path}", err=True)


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

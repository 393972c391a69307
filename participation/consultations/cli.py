"""``flask drafts …`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from participation.consultations.docx_text import DraftFileError, docx_lines
from participation.consultations.outline import outline_to_dicts, parse_outline

drafts_cli = AppGroup("drafts", help="Work with draft texts.")


@drafts_cli.command("outline")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def outline(path: Path) -> None:
    """Print the structure parsed from a draft (.txt in UTF-8 or GBK, or .docx) as JSON."""
    data = path.read_bytes()
    if path.suffix.lower() == ".docx":
        try:
            text = "\n".join(docx_lines(data))
        except DraftFileError as error:
            raise click.ClickException(str(error.message)) from error
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", errors="replace")
    click.echo(json.dumps(outline_to_dicts(parse_outline(text)), ensure_ascii=False, indent=2))

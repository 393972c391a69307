"""``flask meetings``: checking a published draw."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from participation.meetings.lottery import verify_kit

meetings_cli = AppGroup("meetings", help="Decision meetings and their lotteries.")


@meetings_cli.command("verify-draw")
@click.argument("kit", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_draw(kit: Path) -> None:
    """Redo the draw from the verification KIT (JSON) alone and say whether it matches."""
    try:
        data = json.loads(kit.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        click.echo(f"{kit} is not a JSON verification kit: {error}", err=True)
        sys.exit(1)
    verification = verify_kit(data if isinstance(data, dict) else {})
    for category, result in verification.recomputed.items():
        click.echo(f"{category}: selected {', '.join(result.selected) or '-'}; "
                   f"reserve {', '.join(result.reserve) or '-'}")
    if verification.ok:
        click.echo("The kit verifies: the commitment matches the secret and the result "
                   "matches the draw.")
        return
    for problem in verification.problems:
        click.echo(f"MISMATCH: {problem}", err=True)
    click.echo("The kit does not verify.", err=True)
    sys.exit(1)

"""``flask workdays``: working-day arithmetic and the stored schedules."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import AppGroup

from participation.core.workdays.calendar import ScheduleMissing, add_working_days, known_years
from participation.extensions import db

workdays_cli = AppGroup("workdays", help="Working days on the State Council's holiday schedule.")


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


@workdays_cli.command("add")
@click.argument("start")
@click.argument("count", type=click.IntRange(min=1))
def add_command(start: str, count: int) -> None:
    """Print the COUNT-th working day after START (an ISO date, e.g. 2026-09-28)."""
    day = _iso_date(start)
    try:
        click.echo(add_working_days(day, count).isoformat())
    except ScheduleMissing as missing:
        click.echo(f"The holiday schedule of {missing.year} has not been entered: "
                   f"{count} working days after {day.isoformat()} reach {missing.year}. "
                   f"Enter the State Council's notice for {missing.year} first.", err=True)
        sys.exit(1)


@workdays_cli.command("years")
def years_command() -> None:
    """List the years whose schedule is stored."""
    years = known_years()
    click.echo(", ".join(str(year) for year in years) if years else "none")


@workdays_cli.command("seed")
def seed_command() -> None:
    """Store the years the chinese-calendar package knows and the table does not."""
    from participation.core.workdays.seed import seed

    added = seed(db.session.connection())
    db.session.commit()
    click.echo(f"added {len(added)} years" + (f": {added[0]}–{added[-1]}" if added else ""))

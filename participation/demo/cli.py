"""``flask demo load``: the demo town, for trying the platform out."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from participation.demo import loader
from participation.extensions import db

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has data.")
def load(if_empty: bool) -> None:
    """Load the demo town with this year's catalogue, consultations and opinions."""
    if not loader.is_empty():
        if not if_empty:
            raise click.ClickException("The database already has data.")
        click.echo("The database already has data; demo data not loaded again.")
        accounts = loader.existing_demo_accounts()
    else:
        accounts = loader.load_demo()
        db.session.commit()
        click.echo("Demo data loaded.")
    if accounts:
        click.echo(f"Demo accounts (password: {loader.DEMO_PASSWORD}):")
        for login, role in accounts.items():
            click.echo(f"  {login:40} {role}")

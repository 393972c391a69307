"""``flask users …`` commands."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from participation.accounts import operations
from participation.accounts.models import Government, Role
from participation.core.errors import DomainError
from participation.extensions import db

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create-admin")
@click.option("--government", "slug", required=True, help="Government slug, e.g. qinghe.")
@click.option("--government-name", default=None,
              help="Full name; creates the government when it does not exist yet.")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.password_option(help="At least 8 characters (prompted when omitted).")
def create_admin(slug: str, government_name: str | None, email: str, display_name: str,
                 password: str) -> None:
    """Create an administrator of a government (and the government if needed)."""
    government = db.session.scalar(sa.select(Government).where(Government.slug == slug))
    if government is None:
        if not government_name:
            raise click.ClickException(
                f"No government '{slug}': pass --government-name to create it.")
        government = operations.create_government(slug, government_name)
    try:
        user = operations.find_user(email)
        if user is None:
            user = operations.create_official(government, email, display_name, password)
        operations.grant_role(user, government, Role.ADMINISTRATOR, None)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Administrator {email} of {government.name} is ready.")

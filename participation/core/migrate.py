"""Flask-Migrate, loaded when something migrates rather than at every start-up.

Flask-Migrate imports Alembic (with Mako and Pygments: about 50 ms), which only the
``flask db …`` commands and the code that migrates (tests, benchmarks) need, never a
web worker nor any other command. :func:`init_app` therefore registers a ``db`` group
that loads Flask-Migrate's own when one of its commands is looked up, and
``app.extensions["migrate"]`` (read by ``flask_migrate.upgrade()`` and by
``migrations/env.py``) is filled in the first time it is read. The commands, their
options and ``flask_migrate``'s functions are the same as with ``Migrate(app, db)``.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

_COMMAND = "db"


class _Extensions(dict):
    """``app.extensions`` that sets Flask-Migrate up when ``"migrate"`` is first read."""

    def __init__(self, items: dict[str, Any], app: Flask, db: SQLAlchemy,
                 options: dict[str, Any]) -> None:
        super().__init__(items)
        self._app, self._db, self._options = app, db, options

    def __missing__(self, key: str) -> Any:
        if key != "migrate":
            raise KeyError(key)
        from flask_migrate import Migrate

        Migrate(command=_COMMAND).init_app(self._app, self._db, **self._options)
        return dict.__getitem__(self, key)


class _LazyGroup(click.Group):
    """The ``db`` group: Flask-Migrate's, imported when its options or commands are
    first needed (``flask --help`` lists it by its help text alone)."""

    def __init__(self) -> None:
        super().__init__(_COMMAND, help="Perform database migrations.")
        self._loaded = False

    def _load(self) -> None:
        if not self._loaded:
            from flask_migrate.cli import db

            self.params, self.callback, self.commands = db.params, db.callback, db.commands
            self.help = db.help
            self._loaded = True

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        self._load()
        return super().get_params(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        self._load()
        return super().invoke(ctx)


def init_app(app: Flask, db: SQLAlchemy, **options: Any) -> None:
    """What ``Migrate(app, db, **options)`` does, without importing Flask-Migrate yet."""
    app.extensions = _Extensions(app.extensions, app, db, options)
    app.cli.add_command(_LazyGroup())

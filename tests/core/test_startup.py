"""Start-up: every command and web worker builds the app, so libraries only some
commands or pages need are loaded when first used, and the migration commands still
work (Flask-Migrate is loaded when one of them is looked up)."""

from __future__ import annotations

import json
import subprocess
import sys

from participation import ROOT

# Loaded at first use, never by create_app (each costs 15–100 ms of every start-up).
LOADED_ON_FIRST_USE = ("alembic", "flask_migrate", "cryptography", "icalendar", "zxcvbn",
                       "bleach", "segno", "openpyxl", "docx")


def test_building_the_app_loads_no_library_it_does_not_need_yet(tmp_path):
    url = f"sqlite:///{tmp_path / 'startup.sqlite3'}"
    script = (
        "import json, sys\n"
        "from participation import create_app\n"
        f"create_app({{'SQLALCHEMY_DATABASE_URI': {url!r}, 'SECRET_KEY': 'x'}})\n"
        f"print(json.dumps([m for m in {LOADED_ON_FIRST_USE + ('psycopg',)!r}"
        " if m in sys.modules]))\n")
    loaded = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    # psycopg too: SQLite never needs it.
    assert json.loads(loaded.splitlines()[-1]) == []


def test_the_migration_commands_load_flask_migrate_when_used(runner):
    listed = runner.invoke(args=["--help"])
    assert "Perform database migrations." in listed.output
    assert "upgrade" in runner.invoke(args=["db", "--help"]).output

    # Alembic prints the heads to the process's own stdout; a failure exits with 1.
    result = runner.invoke(args=["db", "heads"])

    assert result.exit_code == 0, result.output

"""The migrations run forward and back on the test database's engine type."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from participation import create_app
from participation.extensions import db
from tests.conftest import make_config, scratch_database_url


@pytest.mark.no_db_transaction
def test_every_migration_downgrades_and_upgrades_again(tmp_path):
    url = scratch_database_url(tmp_path, "migrations")
    app = create_app(make_config(url, tmp_path))
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"opinion", "consultation", "decision", "audit_entry"} <= tables
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("consultation")}
        assert "public_opinion_count" in columns
        db.engine.dispose()


def _in_list_checks(connection) -> list[str]:
    """The CHECKs of more than one value written as an IN list, in the stored SQL."""
    import re

    found = []
    for name, sql in connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table'"):
        found += [f"{name}: {check}" for check in
                  re.findall(r"CHECK \(\w+ IN \('[^)]*', [^)]*\)\)", sql or "")]
    return found


def _refuses_unknown_channel(connection) -> bool:
    """Whether SQLite refuses an opinion of an unknown channel by its enum CHECK (the
    foreign keys off: the scratch database holds no consultation)."""
    import sqlite3

    raw = sqlite3.connect(connection.engine.url.database, isolation_level=None)
    columns = ("receipt_number, government_id, consultation_id, channel, received_at, "
               "body, consent_to_publish, is_late, moderation_state, created_at, "
               "updated_at, disposition_overridden, report_count, submitter_kind")
    row = "'R{n}', 1, 1, '{channel}', '2026-01-01', 'b', 0, 0, 'published', " \
          "'2026-01-01', '2026-01-01', 0, 0, 'person'"
    try:
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("BEGIN")
        raw.execute(f"INSERT INTO opinion ({columns}) VALUES "  # noqa: S608 - constants
                    f"({row.format(n=1, channel='letter')})")
        try:
            raw.execute(f"INSERT INTO opinion ({columns}) VALUES "  # noqa: S608
                        f"({row.format(n=2, channel='pigeon')})")
        except sqlite3.IntegrityError as error:
            return "ck_opinion_channel" in str(error)
        return False
    finally:
        raw.execute("ROLLBACK")
        raw.close()


@pytest.mark.no_db_transaction
def test_sqlite_enum_checks_become_comparisons_and_still_refuse(tmp_path):
    url = scratch_database_url(tmp_path, "enum_checks")
    if not url.startswith("sqlite"):
        pytest.skip("the rewrite is of SQLite's stored table SQL only")
    app = create_app(make_config(url, tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            assert _in_list_checks(connection) == []
        downgrade(revision="5d3e9a1b7c42")  # as databases migrated before it stored them
        with db.engine.connect() as connection:
            legacy = _in_list_checks(connection)
            assert any(check.startswith("opinion: CHECK (channel IN ('online'")
                       for check in legacy)
            assert _refuses_unknown_channel(connection)
        upgrade()
        with db.engine.connect() as connection:
            assert _in_list_checks(connection) == []
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert _refuses_unknown_channel(connection)
        db.engine.dispose()

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

"""Pooled PostgreSQL connections: one the server closed while it waited in the pool is
replaced before use (the visitor never sees the error), and one used a moment ago is not
checked again (no extra round trip per request)."""

from __future__ import annotations

import os

import psycopg
import pytest
import sqlalchemy as sa

from participation.config import engine_options
from participation.core import database
from tests.conftest import scratch_database_url

pytestmark = pytest.mark.skipif(
    not os.environ.get("PARTICIPATION_TEST_DATABASE_URL"),
    reason="PostgreSQL only: set PARTICIPATION_TEST_DATABASE_URL (make test does)")


@pytest.fixture
def engine(tmp_path):
    database.configure_engine_events()
    url = scratch_database_url(tmp_path, "pool")
    engine = sa.create_engine(url, **engine_options(url))
    yield engine
    engine.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


def _terminate(engine, pid: int) -> None:
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_the_server_closed_while_idle_is_replaced(engine, monkeypatch):
    pid = _backend_pid(engine)
    _terminate(engine, pid)
    monkeypatch.setattr(database, "PING_IDLE_SECONDS", 0.0)
    assert _backend_pid(engine) != pid  # a new connection, and no error


def test_a_connection_used_a_moment_ago_is_not_pinged(engine):
    _backend_pid(engine)
    pings = []
    real = psycopg.Cursor.execute

    def counting(self, query, *args, **kwargs):
        if query == "SELECT 1":
            pings.append(query)
        return real(self, query, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(psycopg.Cursor, "execute", counting)
        _backend_pid(engine)
        assert pings == []
        patch.setattr(database, "PING_IDLE_SECONDS", 0.0)
        _backend_pid(engine)
        assert pings == ["SELECT 1"]

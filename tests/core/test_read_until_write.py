"""PostgreSQL, in a request that only reads (GET, HEAD, OPTIONS): no transaction until
the first write, so a page that only reads costs no BEGIN and ROLLBACK round trips; the
first write begins the transaction, which still commits or rolls back as one."""

from __future__ import annotations

import os

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from psycopg.pq import TransactionStatus

from participation.config import engine_options
from participation.core import database
from tests.conftest import scratch_database_url

pytestmark = pytest.mark.skipif(
    not os.environ.get("PARTICIPATION_TEST_DATABASE_URL"),
    reason="PostgreSQL only: set PARTICIPATION_TEST_DATABASE_URL (make test does)")


@pytest.fixture
def engine(tmp_path):
    database.configure_engine_events()
    url = scratch_database_url(tmp_path, "reads")
    engine = sa.create_engine(url, **engine_options(url))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS note (body text)")
        connection.exec_driver_sql("TRUNCATE note")
    yield engine
    engine.dispose()


@pytest.fixture
def commands(monkeypatch):
    """The transaction commands psycopg sends (BEGIN, COMMIT, ROLLBACK)."""
    sent: list[bytes] = []
    real = psycopg.Connection._exec_command

    def recording(self, command, *args, **kwargs):
        sent.append(bytes(command) if isinstance(command, bytes | bytearray) else command)
        return real(self, command, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "_exec_command", recording)
    return sent


def _status(connection) -> TransactionStatus:
    return connection.connection.dbapi_connection.info.transaction_status


def test_a_reading_request_sends_no_begin_nor_rollback(engine, commands):
    with Flask(__name__).test_request_context("/", method="GET"):
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM note").scalar() == 0
            assert _status(connection) == TransactionStatus.IDLE  # no transaction open
            connection.rollback()
    assert not [c for c in commands if c in (b"BEGIN", b"ROLLBACK", b"COMMIT")]


def test_the_first_write_of_a_reading_request_begins_a_transaction(engine):
    with Flask(__name__).test_request_context("/", method="GET"):
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            connection.execute(sa.text("INSERT INTO note (body) VALUES ('kept?')"))
            assert _status(connection) == TransactionStatus.INTRANS
            connection.rollback()  # the request failed: nothing it wrote stays
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM note").scalar() == 0
        # The connection went back to the pool as a normal one.
        assert connection.connection.dbapi_connection.autocommit is False


def test_a_row_lock_in_a_reading_request_is_held_in_a_transaction(engine):
    with Flask(__name__).test_request_context("/", method="GET"):
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT body FROM note FOR UPDATE")
            assert _status(connection) == TransactionStatus.INTRANS
            connection.rollback()


def test_a_writing_request_reads_inside_its_transaction(engine, commands):
    with Flask(__name__).test_request_context("/", method="POST"):
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM note")
            assert _status(connection) == TransactionStatus.INTRANS
            connection.commit()
    assert commands[:1] == [b"BEGIN"]

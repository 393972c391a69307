"""Model mixins, column helpers and engine settings shared by every domain."""

from __future__ import annotations

import enum
import fcntl
import os
import threading
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.pool import Pool

_engine_events_configured = False


def utcnow() -> datetime:
    """Current time as naive UTC: every timestamp column stores naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


class TimestampMixin:
    """``created_at`` and ``updated_at`` in naive UTC, set by the database session."""

    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime, nullable=False, default=utcnow, comment="when the row was created (UTC)"
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime,
        nullable=False,
        default=utcnow,
        onupdate=utcnow,
        comment="when the row last changed (UTC)",
    )


def enum_column(enum_class: type[enum.Enum], **kwargs) -> sa.Enum:
    """A portable enum column storing the member *values* as short strings with a CHECK."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
        create_constraint=True,
        name=kwargs.pop("name", enum_class.__name__.lower()),
        **kwargs,
    )


def configure_engine_events() -> None:
    """SQLite: WAL journal, foreign keys, busy timeout, and explicit transactions.

    pysqlite's own transaction handling breaks SAVEPOINTs, so the driver is put in
    autocommit mode and SQLAlchemy's ``begin`` emits ``BEGIN`` itself: ``BEGIN IMMEDIATE``
    for requests that change state, so concurrent writers queue on the busy timeout
    instead of failing when a read transaction is upgraded to a write.
    """
    global _engine_events_configured
    if _engine_events_configured:
        return
    _engine_events_configured = True

    @event.listens_for(Engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        if not _is_sqlite(dbapi_connection):
            return
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(Engine, "begin")
    def _sqlite_begin(connection) -> None:
        if connection.dialect.name != "sqlite":
            return
        if _writing_request():
            _take_writer_turn(connection)
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    @event.listens_for(Engine, "commit")
    @event.listens_for(Engine, "rollback")
    def _sqlite_end(connection) -> None:
        if connection.dialect.name == "sqlite":
            _end_writer_turn(connection.info)

    @event.listens_for(Pool, "checkin")
    def _sqlite_checkin(_dbapi_connection, record) -> None:
        # A connection returned without commit or rollback events still ends its turn.
        _end_writer_turn(record.info)


# SQLite lets one writer in at a time and makes the others retry with growing sleeps, so
# under steady writes one worker can starve. Writers of this database therefore queue on an
# operating-system lock file next to it (woken as soon as the lock is free). A thread that
# already holds the lock (a second connection inside one request) does not queue again.
_writer = threading.local()


def _writer_lock_path(connection) -> str | None:
    database = connection.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + "-writer.lock"


def _take_writer_turn(connection) -> None:
    path = _writer_lock_path(connection)
    if path is None:
        return
    depth = getattr(_writer, "depth", 0)
    if depth == 0:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _writer.fd = fd
    _writer.depth = depth + 1
    connection.info["writer_turn"] = True


def _end_writer_turn(info: dict) -> None:
    if not info.pop("writer_turn", False):
        return
    _writer.depth -= 1
    if _writer.depth == 0:
        fcntl.flock(_writer.fd, fcntl.LOCK_UN)
        os.close(_writer.fd)


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


def _writing_request() -> bool:
    from flask import has_request_context, request

    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")

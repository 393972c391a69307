"""Model mixins, column helpers and engine settings shared by every domain."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

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
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing_request() else "BEGIN")


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


def _writing_request() -> bool:
    from flask import has_request_context, request

    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")

"""Model mixins, column helpers and engine settings shared by every domain."""

from __future__ import annotations

import enum
import fcntl
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.pool import Pool
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

_engine_events_configured = False
# A pooled PostgreSQL connection idle for longer is checked before it is used again.
PING_IDLE_SECONDS = 10.0


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


@compiles(sa.CheckConstraint, "sqlite")
def _sqlite_check_constraint(constraint: sa.CheckConstraint, compiler, **kw) -> str:
    """On SQLite an enum's CHECK is written ``x = 'a' OR x = 'b' OR …`` instead of
    ``x IN ('a', 'b', …)``: SQLite builds a temporary index of an IN list of more than two
    constants each time a statement runs, that is once for every row an ``executemany``
    inserts (15 µs a row on ``opinion``, with its ten enum columns: 15 s of a million-row
    import). The two say the same; PostgreSQL keeps the IN (``= ANY (ARRAY[…])``).
    Migrated databases were rewritten to match (migration ``9c4e2f7a1d36``)."""
    text = constraint.sqltext
    right = getattr(text, "right", None)
    if not (isinstance(text, BinaryExpression) and text.operator is operators.in_op
            and isinstance(right, BindParameter) and right.expanding
            and isinstance(right.value, (list, tuple)) and len(right.value) > 1):
        return compiler.visit_check_constraint(constraint, **kw)
    sql = compiler.sql_compiler
    column = sql.process(text.left, include_table=False, literal_binds=True)
    check = " OR ".join(f"{column} = {sql.render_literal_value(value, sa.String())}"
                        for value in right.value)
    name = compiler.preparer.format_constraint(constraint) \
        if constraint.name is not None else None
    head = f"CONSTRAINT {name} " if name is not None else ""
    return f"{head}CHECK ({check}){compiler.define_constraint_deferrability(constraint)}"


class WriterBusy(Exception):  # noqa: N818 - reads as what the visitor is told
    """Another request kept the database's writer turn longer than the timeout."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"the SQLite writer turn was not free within {waited:.1f} s")
        self.waited = waited


DEFAULT_WRITER_TIMEOUT = 5.0  # seconds; SQLITE_WRITER_TIMEOUT in the configuration
COMMAND_BUSY_TIMEOUT_MS = 30000  # SQLite's busy timeout outside requests (commands, jobs)
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT)\b", re.IGNORECASE)
# What needs a transaction on PostgreSQL besides a write: row locks (also in text SQL),
# transaction-scoped advisory locks, SET LOCAL, LOCK TABLE, COPY.
_NEEDS_TRANSACTION = re.compile(
    r"\bFOR\s+(UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b|_xact_lock|\bSET\s+LOCAL\b"
    r"|^\s*(LOCK|COPY|WITH)\b",
    re.IGNORECASE,
)
READ_UNTIL_WRITE = "autocommit_until_write"


def configure_engine_events() -> None:
    """SQLite: WAL journal, foreign keys, busy timeout, and explicit transactions.

    pysqlite's own transaction handling breaks SAVEPOINTs, so the driver is put in
    autocommit mode and SQLAlchemy's ``begin`` emits ``BEGIN`` itself. In a request that
    may change state the transaction starts lazily: reads run without one, and just
    before the first write (``INSERT``/``UPDATE``/``DELETE`` or a ``SAVEPOINT``) the
    connection takes the writer turn and emits ``BEGIN IMMEDIATE``; a ``SELECT`` made
    ``with_for_update()`` (a row lock on PostgreSQL, ignored by SQLite) counts as a first
    write, so what it reads cannot change before the request writes. Slow work done
    before writing (password hashing, parsing, rendering) therefore never holds the turn,
    and writers queue on it instead of failing when a read transaction is upgraded.
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
        cursor.execute(f"PRAGMA busy_timeout={COMMAND_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(Engine, "begin")
    def _sqlite_begin(connection) -> None:
        if connection.dialect.name != "sqlite":
            _read_until_write(connection)
            return
        if _writing_request():
            connection.info["begin_before_write"] = True  # see _sqlite_first_write
        else:
            connection.exec_driver_sql("BEGIN")

    @event.listens_for(Engine, "before_cursor_execute")
    def _sqlite_first_write(connection, cursor, statement, _parameters, _context,
                            _executemany) -> None:
        info = connection.info
        if info.get(READ_UNTIL_WRITE) and _needs_transaction(statement, _context):
            # The first write of a reading request: psycopg begins the transaction
            # right before this statement.
            del info[READ_UNTIL_WRITE]
            cursor.connection.autocommit = False
            return
        if not info.get("begin_before_write"):
            return
        if not _WRITE.match(statement) and not _locks_rows(_context):
            return
        _take_writer_turn(connection)
        dbapi_connection = cursor.connection
        try:
            # A request waits for SQLite's own lock no longer than for the queue.
            dbapi_connection.execute(f"PRAGMA busy_timeout={int(_writer_timeout() * 1000)}")
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
            finally:
                dbapi_connection.execute(f"PRAGMA busy_timeout={COMMAND_BUSY_TIMEOUT_MS}")
        except BaseException as error:
            _end_writer_turn(connection.info)
            if "database is locked" in str(error):
                # A process outside the queue (a CLI command) kept SQLite's own write
                # lock past the busy timeout.
                raise WriterBusy(_writer_timeout()) from error
            raise
        connection.info.pop("begin_before_write", None)

    @event.listens_for(Engine, "commit")
    @event.listens_for(Engine, "rollback")
    def _sqlite_end(connection) -> None:
        if connection.dialect.name == "sqlite":
            connection.info.pop("begin_before_write", None)
            _end_writer_turn(connection.info)
        elif connection.info.pop(READ_UNTIL_WRITE, False):
            connection.connection.dbapi_connection.autocommit = False

    @event.listens_for(Pool, "checkin")
    def _sqlite_checkin(dbapi_connection, record) -> None:
        # A connection returned without commit or rollback events still ends its turn.
        if record.info.pop(READ_UNTIL_WRITE, False) and dbapi_connection is not None:
            dbapi_connection.autocommit = False
        record.info.pop("begin_before_write", None)
        _end_writer_turn(record.info)
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(Pool, "checkout")
    def _ping_idle(dbapi_connection, record, _proxy) -> None:
        # A connection that waited in the pool for a while may have been closed by the
        # server (a restart, an idle timeout): it is checked before use, and replaced
        # when dead. One that was in use a moment ago is not (pool_pre_ping would cost
        # every request a round trip).
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < PING_IDLE_SECONDS:
            return
        if _is_sqlite(dbapi_connection):
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
        except Exception as error:
            raise sa.exc.DisconnectionError() from error


# SQLite lets one writer in at a time and makes the others retry with growing sleeps, so
# under steady writes one worker can starve. Writers of this database therefore queue on an
# operating-system lock file next to it, polled every few milliseconds, for at most
# SQLITE_WRITER_TIMEOUT seconds (then WriterBusy: a "busy, try again" answer). A thread
# that already holds the lock (a second connection inside one request) does not queue
# again.
_writer = threading.local()


def _writer_timeout() -> float:
    from flask import current_app, has_app_context

    if has_app_context():
        return float(current_app.config.get("SQLITE_WRITER_TIMEOUT", DEFAULT_WRITER_TIMEOUT))
    return DEFAULT_WRITER_TIMEOUT


def writer_lock_path(database: str | None) -> str | None:
    """The lock file that queues the writers of the SQLite file ``database``."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + "-writer.lock"


def _take_writer_turn(connection) -> None:
    path = writer_lock_path(connection.engine.url.database)
    if path is None:
        return
    depth = getattr(_writer, "depth", 0)
    if depth == 0:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        timeout = _writer_timeout()
        deadline = time.monotonic() + timeout
        pause = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise WriterBusy(timeout) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.02)
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


def _needs_transaction(statement: str, context) -> bool:
    """Whether a statement of a reading request must run in a transaction: a write, a
    row lock; for SQL written by hand (text, driver SQL), what the text says."""
    if _WRITE.match(statement):
        return True
    compiled = getattr(context, "compiled", None)
    target = getattr(compiled, "statement", None)
    if target is not None and not isinstance(target, sa.TextClause):
        # SQLAlchemy built it: no need to scan its (long) text.
        return bool(compiled.isinsert or compiled.isupdate or compiled.isdelete
                    or getattr(target, "_for_update_arg", None) is not None)
    return _NEEDS_TRANSACTION.search(statement) is not None


def _locks_rows(context) -> bool:
    """True for a statement compiled from a ``with_for_update()`` select."""
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


_background = threading.local()


@contextmanager
def writer_turn_on_first_write() -> Iterator[None]:
    """Outside requests (background workers): transactions begin as in a writing
    request, taking the SQLite writer turn at their first write, so two workers queue
    instead of failing when a read transaction would have to become a write one."""
    previous = getattr(_background, "lazy", False)
    _background.lazy = True
    try:
        yield
    finally:
        _background.lazy = previous


def _read_until_write(connection) -> None:
    """PostgreSQL, in a request that only reads (GET, HEAD, OPTIONS): no transaction
    until the first write. psycopg's connection goes into autocommit, so a page that
    only reads costs no BEGIN and ROLLBACK round trips; the first write (or row lock)
    turns autocommit off and psycopg begins the transaction before it. Under READ
    COMMITTED every statement reads its own snapshot anyway, so the reads see what they
    would have seen inside a transaction."""
    if connection.dialect.driver != "psycopg" or not _reading_request():
        return
    dbapi_connection = connection.connection.dbapi_connection
    if dbapi_connection is None or dbapi_connection.autocommit:
        return
    from psycopg.pq import TransactionStatus

    if dbapi_connection.info.transaction_status != TransactionStatus.IDLE:
        return
    dbapi_connection.autocommit = True
    connection.info[READ_UNTIL_WRITE] = True


def _reading_request() -> bool:
    from flask import has_request_context, request

    return (
        has_request_context()
        and request.method in ("GET", "HEAD", "OPTIONS")
        and not getattr(_background, "lazy", False)
    )


def _writing_request() -> bool:
    from flask import has_request_context, request

    if getattr(_background, "lazy", False):
        return True
    return has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")

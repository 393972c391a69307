"""Storing an import: the valid rows, inserted as they are checked, in one transaction.

Each row goes through :func:`~participation.opinions.operations.written_fields` (as
``written_fields_for``, which reads the consultation and its word list once: personal
data masked, initial moderation state) and the cited article's detection
(:func:`~participation.opinions.articles.cited_fields_for`, the same rule as
``cited_fields``) exactly like an opinion given online, and becomes a plain tuple of
database values (each column's own SQLAlchemy bind processor, so the stored values are
those an ORM insert stores). No ORM object and no SQLAlchemy statement per row:

- on PostgreSQL the tuples stream into ``COPY opinion (…) FROM STDIN`` on the session's
  connection; the server inserts (indexes, foreign keys) while this process prepares the
  next rows;
- on SQLite ``executemany`` of one prepared ``INSERT`` runs for :data:`BATCH` rows at a
  time on the session's connection, on the command's own thread (a writer thread beside
  it cost more CPU and memory than it saved: see :func:`_executemany`).

Nothing commits here: the caller's one transaction (a savepoint of it) keeps all the rows
or none; a unique index that refuses a row raises SQLAlchemy's ``IntegrityError`` as an
ORM insert would. The counters of the source and of each article are updated once per
article at the end by the caller.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from participation.consultations.models import Consultation
from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions.articles import cited_fields_for
from participation.opinions.imports import foreign_keys
from participation.opinions.imports.checking import ValidRow
from participation.opinions.models import (
    Channel,
    ModerationState,
    Opinion,
    OpinionImport,
    SubmitterKind,
)
from participation.opinions.operations import written_fields_for
from participation.opinions.receipts import new_receipt_numbers

#: Rows per batch (one ``executemany`` on SQLite; one block of receipt numbers).
BATCH = 2000
#: Rows between two progress reports (a multiple of BATCH).
PROGRESS_EVERY = 10_000
#: SQLite page cache during the inserts, in KiB (96 MB: with the grouping's worker
#: process beside this one, a million-row import stays within its 500 MB; 128 MB was
#: 2 s faster and 40 MB larger).
SQLITE_CACHE_KIB = 98304


@dataclass
class Stored:
    """What was inserted: the count, the id range and, per article (None:
    the whole draft), the opinions and public opinions added."""

    count: int = 0
    first_id: int | None = None
    last_id: int | None = None
    per_node: dict[int | None, list[int]] = field(default_factory=dict)


#: ``observer.stored(texts, senders, first_id)`` after each batch is stored: the
#: batch's bodies, their senders ``(contact, display name, channel)`` and the id of its
#: first row (its ids are consecutive), or None where the ids are not known yet
#: (PostgreSQL's ``COPY``). Observers come from ``signals.opinions_importing``.
Observer = Any


def store_rows(record: OpinionImport, consultation: Consultation, rows: Iterator[ValidRow], *,
               actor_id: int | None,
               progress: Callable[[int, int | None], None] | None = None,
               observers: tuple[Observer, ...] = ()) -> Stored:
    """Insert each of ``rows`` (from :meth:`~.checking.FileCheck.valid_rows`) as an
    opinion of ``record``, telling ``observers`` of each batch; flushes, never commits."""
    table = Opinion.__table__
    connection = db.session.connection()  # in the caller's savepoint
    dialect = connection.dialect
    stored = Stored()
    moment = utcnow()
    constant = {
        "government_id": consultation.government_id,
        "decision_id": consultation.decision_id,
        "consultation_id": consultation.id,
        "draft_version_id": consultation.draft_version_id,
        "recorded_by_id": actor_id,
        "import_id": record.id,
        "created_at": moment,
        "updated_at": moment,
        "disposition_overridden": False,
    }
    # What the write hooks read of the consultation (and its word list) is read once,
    # now: the ORM object expires at each commit of a progress report.
    written = written_fields_for(consultation)
    closes_at = consultation.closes_at
    cite = cited_fields_for(consultation.draft_version_id)
    channels = {channel.value: channel for channel in Channel}
    kinds = {kind.value: kind for kind in SubmitterKind}
    published = ModerationState.PUBLISHED
    per_node = stored.per_node

    def hooks(body: str, name: str | None) -> dict[str, Any]:
        fields = written(body, name)
        fields.update(cite(body))
        return fields

    first = next(rows, None)
    if first is not None:
        # The columns of each row: those of the file, then whatever the write hooks
        # return (their keys, so that a column they gain is stored too).
        derived = list(hooks(first[5], first[6]))
        columns = [*constant, "receipt_number", "node_id", "channel", "reference",
                   "received_at", "body", "display_name", "contact", "consent_to_publish",
                   "is_late", "submitter_kind", *derived]
        processors = [(index, process) for index, name in enumerate(columns)
                      if (process := _bind_processor(table.c[name], dialect))]
        # The columns every row shares are processed once here (on SQLite the two
        # timestamps are formatted as text: 2 µs a row), the others in each row.
        head = list(constant.values())
        for index, process in processors:
            if index < len(head):
                head[index] = process(head[index])
        processors = [(index, process) for index, process in processors
                      if index >= len(head)]
        # PostgreSQL may check the foreign keys once per value (:mod:`.foreign_keys`):
        # the values of the keys that vary by row are collected as the rows are built.
        keys = foreign_keys.key_checks(table, columns) if dialect.name == "postgresql" \
            else []
        for check in keys:
            if check.column in constant:
                check.values.add(constant[check.column])
        row_keys = [(check.index, check.values) for check in keys
                    if check.column not in constant]

        def batches() -> Iterator[tuple[list[tuple], list[str], list[tuple]]]:
            batch: list[tuple] = []
            texts: list[str] = []
            senders: list[tuple] = []
            receipts: Iterator[str] = iter(())
            for _line, reference, channel, received_at, article_id, body, name, contact, \
                    consent, submitter_kind in itertools.chain((first,), rows):
                fields = hooks(body, name)
                if not batch:
                    receipts = iter(new_receipt_numbers(BATCH))
                if observers:
                    texts.append(body)
                    senders.append((contact, name, channel))
                values = [*head, next(receipts), article_id, channels[channel], reference,
                          received_at, body, name, contact, consent, received_at >= closes_at,
                          kinds[submitter_kind], *[fields[key] for key in derived]]
                for index, seen in row_keys:
                    seen.add(values[index])
                for index, process in processors:
                    values[index] = process(values[index])
                batch.append(tuple(values))
                counts = per_node.get(article_id)
                if counts is None:
                    counts = per_node[article_id] = [0, 0]
                counts[0] += 1
                counts[1] += consent and fields["moderation_state"] == published
                stored.count += 1
                if len(batch) >= BATCH:
                    yield batch, texts, senders
                    batch, texts, senders = [], [], []
                    if progress and stored.count % PROGRESS_EVERY == 0:
                        progress(stored.count, None)
            if batch:
                yield batch, texts, senders

        def told(texts: list[str], senders: list[tuple], first_id: int | None) -> None:
            for observer in observers:
                observer.stored(texts, senders, first_id)

        if dialect.name == "postgresql":
            _copy(connection, table, columns, batches(), keys, told if observers else None)
        else:
            _executemany(connection, columns, batches(), told if observers else None)
    stored.first_id, stored.last_id = db.session.execute(
        sa.select(sa.func.min(table.c.id), sa.func.max(table.c.id))
        .where(table.c.import_id == record.id)).one()
    if progress:
        progress(stored.count, None)
    return stored


def _bind_processor(column: sa.Column, dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy does to a value of ``column`` before the driver sees it (the
    dialect's own type: SQLite's datetimes as text, enums as their values), JSON as its
    text (:func:`_json_text`)."""
    if isinstance(column.type, sa.JSON):
        return _json_text
    return column.type.dialect_impl(dialect).bind_processor(dialect)


#: JSON texts of values whose members are all empty (``{"masked": {}, "spans": [], …}``:
#: what most opinions store), by their keys and member types.
_EMPTY_JSON: dict[tuple, str] = {}
#: The last such value and its text: most rows repeat it, and comparing two small dicts
#: costs a tenth of working out the key (about 3 s of a million-row import).
_LAST_EMPTY: list = [None, None]


def _json_text(value: Any) -> str:
    """The text SQLAlchemy's JSON type stores for ``value`` on either database
    (``json.dumps``; None is JSON ``null``, as ``none_as_null`` is off), with the usual
    values from a cache: encoding every row's findings again cost about 15 µs a row."""
    if value is None:
        return "null"
    if value == _LAST_EMPTY[0] and type(value) is dict:
        return _LAST_EMPTY[1]
    if type(value) is dict and not any(value.values()):
        key = tuple((name, type(member)) for name, member in value.items())
        if all(kind in (dict, list) for _name, kind in key):
            text = _EMPTY_JSON.get(key)
            if text is None:
                text = _EMPTY_JSON[key] = json.dumps(value)
            _LAST_EMPTY[:] = [{name: type(member)() for name, member in value.items()}, text]
            return text
    return json.dumps(value)


Told = Callable[[list[str], list[tuple], int | None], None]


def _copy(connection: sa.Connection, table: sa.Table, names: list[str],
          batches: Iterator[tuple[list[tuple], list[str], list[tuple]]],
          keys: list[foreign_keys.KeyCheck], told: Told | None) -> None:
    """PostgreSQL: every row through one ``COPY … FROM STDIN`` in the transaction; the
    foreign keys checked once per value after it when the session may
    (:mod:`.foreign_keys`), else by their triggers row by row."""
    from psycopg.copy import QueuedLibpqWriter  # PostgreSQL only: not loaded on SQLite

    raw = connection.connection.driver_connection
    dbapi = connection.dialect.dbapi
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    try:
        with raw.cursor() as cursor:
            once = foreign_keys.may_check_once(cursor, table)
            if once:
                role = foreign_keys.skip_triggers(cursor)
            # The rows go to the server from a thread of psycopg's (QueuedLibpqWriter), so
            # preparing the next rows here never waits for the socket: the server's
            # inserts and this process's work overlap.
            with cursor.copy(statement, writer=QueuedLibpqWriter(cursor)) as copy:
                for batch, texts, senders in batches:
                    for row in batch:
                        copy.write_row(row)
                    if told:
                        told(texts, senders, None)
            if once:
                foreign_keys.restore_triggers(cursor, role)
                foreign_keys.check_keys(cursor, table.name, keys)
    except dbapi.IntegrityError as error:
        raise IntegrityError(statement, None, error) from error


def _executemany(connection: sa.Connection, names: list[str],
                 batches: Iterator[tuple[list[tuple], list[str], list[tuple]]],
                 told: Told | None) -> None:
    """SQLite: one prepared ``INSERT`` per batch on the session's connection.

    The batches used to be inserted by a writer thread while the next one was prepared
    (SQLite releases the GIL inside each row's step). Measured on 2 cores shared with
    other work (2026-12-04, a million rows, load 1.3–2.9), the two threads hardly ever
    ran side by side (the process's CPU time stayed about its wall time), the thread cost
    about 10 s of CPU more, and the process stayed larger: 573–630 MB resident instead of
    460 MB (the bar is 500 MB; probably the writer thread's own allocator arena, which
    kept its memory apart from the main thread's)."""
    raw = connection.connection.driver_connection
    dbapi = connection.dialect.dbapi
    # The names are the table's own columns, never input.
    statement = (f"INSERT INTO opinion ({', '.join(names)}) "  # noqa: S608
                 f"VALUES ({', '.join('?' * len(names))})")
    with _bulk_writes(raw):
        cursor = raw.cursor()
        try:
            for batch, texts, senders in batches:
                cursor.executemany(statement, batch)
                if told:
                    # One writer: the batch's rows took the ids up to the last one.
                    last = raw.execute("SELECT last_insert_rowid()").fetchone()[0]
                    told(texts, senders, last - len(batch) + 1)
        except dbapi.IntegrityError as error:
            raise IntegrityError(statement, None, error) from error
        finally:
            cursor.close()


@contextmanager
def _bulk_writes(raw) -> Iterator[None]:
    """On SQLite, a larger page cache while the rows go in (the opinion table's indexes
    are updated at every row); the previous size afterwards."""
    previous = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA cache_size = {int(previous)}")

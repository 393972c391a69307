"""Noticing a re-import before it happens: the same file again, or rows already recorded.

Rows without a reference cannot be refused as duplicates (two people may well send the same
words on the same day), so :func:`find_duplicates` only reports them: a file imported before
into the consultation (same SHA-256), rows identical to an opinion already recorded (same
channel, received time, text and name) and rows repeating an earlier row of the file. The
import page and ``flask opinions import`` then ask before importing them again.

At a million rows nothing is compared as text in memory: each row is reduced to a 64-bit
hash (:func:`row_hash`), the file's hashes and those of the recorded opinions received in
the file's time span (streamed from SQL) are compared as numpy arrays.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import format_datetime, gettext, ngettext

from participation.extensions import db

# numpy is imported where it is used: every process of the app imports this module (the
# import task is registered at start-up), few of them import a file.
from participation.opinions.models import Channel, ImportState, Opinion, OpinionImport

#: Recorded references also kept as a set of hashes, at most.
SET_KEPT = 50_000
#: Rows fetched per round trip when streaming recorded opinions.
_FETCH = 5000
#: Line numbers quoted in one message; more are summarised with "…".
_LINES_SHOWN = 30
#: Line numbers kept per kind of duplicate (for the audit log and the messages).
LINES_KEPT = 1000


def row_hash(channel: str, received_at: datetime, body: str, name: str | None) -> int:
    """What makes two opinions identical, as a 64-bit number: channel (its code), received
    time (naive UTC), text and name. Valid within one process only (Python's hash)."""
    return hash((channel, received_at, body, name))


def reference_hash(channel: str, reference: str) -> int:
    return hash((channel, reference))


class ReferenceIndex:
    """The (channel, reference) pairs already recorded for a consultation, as a sorted
    array of 64-bit hashes (8 bytes per opinion). Two different references share a hash
    with a probability of about 5 in 100 million for a million rows on each side; such a
    row would be refused as already imported (and the official would see its line)."""

    def __init__(self, consultation_id: int) -> None:
        import numpy as np

        self.consultation_id = consultation_id
        hashes = array("q")
        rows = db.session.execute(
            sa.select(Opinion.channel, Opinion.reference)
            .where(Opinion.consultation_id == consultation_id,
                   Opinion.reference.is_not(None))
            .execution_options(yield_per=_FETCH))
        for channel, reference in rows.tuples():
            hashes.append(reference_hash(channel.value, reference))
        self._hashes = np.sort(np.frombuffer(hashes, dtype=np.int64)) if hashes \
            else np.empty(0, dtype=np.int64)
        # Up to SET_KEPT hashes are also kept as a set: a look-up per row then costs a
        # tenth of numpy's (a few MB at most; beyond, the sorted array alone).
        self._set = frozenset(hashes) if len(hashes) <= SET_KEPT else None

    def __len__(self) -> int:
        return len(self._hashes)

    def __contains__(self, key: object) -> bool:
        if not len(self._hashes) or not isinstance(key, tuple):
            return False
        channel, reference = key
        value = reference_hash(channel, reference)
        if self._set is not None:
            return value in self._set
        position = int(self._hashes.searchsorted(value))
        return position < len(self._hashes) and int(self._hashes[position]) == value


class RowHashes:
    """The hash and line of every valid row of a file, 16 bytes per row."""

    def __init__(self) -> None:
        self.hashes = array("q")
        self.lines = array("q")
        self.first: datetime | None = None
        self.last: datetime | None = None

    def add(self, line: int, received_at: datetime, value: int) -> None:
        self.hashes.append(value)
        self.lines.append(line)
        if self.first is None or received_at < self.first:
            self.first = received_at
        if self.last is None or received_at > self.last:
            self.last = received_at


def _recorded_hashes(consultation_id: int, first: datetime, last: datetime, import_id: int,
                     own_ids: tuple[int, int] | None = None):
    """The hashes of the opinions recorded in the time span, but those of the import
    ``import_id`` (stored already, in the transaction that asks, with the ids
    ``own_ids`` when given)."""
    import numpy as np

    hashes = array("q")
    query = (
        sa.select(Opinion.channel, Opinion.received_at, Opinion.body, Opinion.display_name)
        .where(Opinion.consultation_id == consultation_id,
               # Every channel named: a range of the (consultation, channel, received
               # time, id) index per channel.
               Opinion.channel.in_(list(Channel)),
               Opinion.received_at.between(first, last),
               sa.or_(Opinion.import_id.is_(None), Opinion.import_id != import_id)))
    if own_ids is not None and db.session.get_bind().dialect.name == "sqlite":
        # SQLite has one writer: from its first row to its commit the import is the only
        # one, so every id of its range is its own. The id is in the index read (consultation,
        # channel, received time, id): its own rows, the whole span at a million, are skipped there
        # instead of read from the table to test their import (2-7 s at a million).
        # PostgreSQL's ids of one COPY may interleave with another session's.
        query = query.where(sa.not_(Opinion.id.between(*own_ids)))
    rows = db.session.execute(query.execution_options(yield_per=_FETCH))
    for channel, received_at, body, name in rows.tuples():
        hashes.append(row_hash(channel.value, received_at, body, name))
    return np.frombuffer(hashes, dtype=np.int64) if hashes else np.empty(0, dtype=np.int64)


@dataclass
class Duplicates:
    """What an import would repeat; empty when nothing would be imported twice."""

    earlier_imports: list[OpinionImport] = field(default_factory=list)
    identical_count: int = 0  # rows like a recorded opinion
    identical_lines: list[int] = field(default_factory=list)  # the first LINES_KEPT
    repeated_count: int = 0  # rows like an earlier row of the file
    repeated_lines: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.earlier_imports or self.identical_count or self.repeated_count)

    def as_json(self) -> dict:
        """The JSON stored on the import (read back with :meth:`from_json`)."""
        return {"earlier_imports": [earlier.id for earlier in self.earlier_imports],
                "identical_count": self.identical_count,
                "identical_lines": self.identical_lines,
                "repeated_count": self.repeated_count,
                "repeated_lines": self.repeated_lines}

    @classmethod
    def from_json(cls, data: dict | None) -> Duplicates:
        data = data or {}
        ids = data.get("earlier_imports") or []
        earlier = list(db.session.scalars(sa.select(OpinionImport).where(
            OpinionImport.id.in_(ids)).order_by(OpinionImport.id))) if ids else []
        return cls(earlier_imports=earlier,
                   identical_count=data.get("identical_count", 0),
                   identical_lines=data.get("identical_lines", []),
                   repeated_count=data.get("repeated_count", 0),
                   repeated_lines=data.get("repeated_lines", []))

    @property
    def messages(self) -> list[str]:
        """The explanation shown before asking to import anyway (translated when read)."""
        messages = [
            gettext("This file was already imported on %(date)s (“%(filename)s”, %(count)d"
                    " opinions).", date=format_datetime(earlier.created_at, "yyyy-MM-dd HH:mm"),
                    filename=earlier.filename, count=earlier.row_count)
            for earlier in self.earlier_imports
        ]
        if self.identical_count:
            messages.append(ngettext(
                "%(num)d row is identical to an opinion already recorded: line %(lines)s.",
                "%(num)d rows are identical to opinions already recorded: lines %(lines)s.",
                self.identical_count,
                lines=_lines(self.identical_lines, self.identical_count)))
        if self.repeated_count:
            messages.append(ngettext(
                "%(num)d row repeats an earlier row of the file: line %(lines)s.",
                "%(num)d rows repeat an earlier row of the file: lines %(lines)s.",
                self.repeated_count, lines=_lines(self.repeated_lines, self.repeated_count)))
        if self.identical_count or self.repeated_count:
            messages.append(gettext("Identical means the same channel, time received, text"
                                    " and name."))
        return messages


def _lines(lines: list[int], count: int) -> str:
    shown = ", ".join(str(line) for line in lines[:_LINES_SHOWN])
    return shown + (", …" if count > _LINES_SHOWN else "")


def earlier_imports(record: OpinionImport) -> list[OpinionImport]:
    """The imports of the same file (SHA-256) into the record's consultation, but itself."""
    return list(db.session.scalars(
        sa.select(OpinionImport).where(OpinionImport.consultation_id == record.consultation_id,
                                       OpinionImport.sha256 == record.sha256,
                                       OpinionImport.state == ImportState.IMPORTED,
                                       OpinionImport.id != record.id)
        .order_by(OpinionImport.id)))


def find_duplicates(record: OpinionImport, rows: RowHashes,
                    own_ids: tuple[int, int] | None = None) -> Duplicates:
    """What importing the valid rows hashed in ``rows`` (a file without errors) into the
    record's consultation would repeat; ``record`` itself is not an earlier import, and
    its own rows, when already stored in the asking transaction (``own_ids``: their
    first and last id), are not recorded ones."""
    duplicates = Duplicates(earlier_imports=earlier_imports(record))
    if not rows.hashes:
        return duplicates
    import numpy as np

    hashes = np.frombuffer(rows.hashes, dtype=np.int64)
    lines = np.frombuffer(rows.lines, dtype=np.int64)
    recorded = _recorded_hashes(record.consultation_id, rows.first, rows.last, record.id,
                                own_ids)
    identical = np.isin(hashes, recorded) if len(recorded) else np.zeros(len(hashes), bool)
    _unique, first_index = np.unique(hashes, return_index=True)
    repeated = np.ones(len(hashes), dtype=bool)
    repeated[first_index] = False
    repeated &= ~identical
    duplicates.identical_count = int(identical.sum())
    duplicates.identical_lines = lines[identical][:LINES_KEPT].tolist()
    duplicates.repeated_count = int(repeated.sum())
    duplicates.repeated_lines = lines[repeated][:LINES_KEPT].tolist()
    return duplicates

"""Noticing a re-import before it happens: the same file again, or rows already recorded.

Rows without a reference cannot be refused as duplicates (two people may well send the same
words on the same day), so :func:`find_duplicates` only reports them: a file imported before
into the consultation (same SHA-256), rows identical to an opinion already recorded (same
channel, received time, text and name) and rows repeating an earlier row of the file. The
import page and ``flask opinions import`` then ask before importing them again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import format_datetime, gettext, ngettext

from participation.core.sanitize import plain_text
from participation.core.timeutil import local_to_utc
from participation.extensions import db
from participation.opinions.imports import ImportResult, ImportRow
from participation.opinions.models import Channel, Opinion, OpinionImport

#: Received times looked up per query (well below every database's parameter limit).
_CHUNK = 500
#: Line numbers quoted in one message; more are summarised with "…".
_LINES_SHOWN = 30

Key = tuple[str, datetime, str, str | None]


def file_sha256(data: bytes) -> str:
    """The hex SHA-256 of an uploaded file, which identifies it across imports."""
    return hashlib.sha256(data).hexdigest()


def row_key(row: ImportRow) -> Key:
    """What makes two opinions identical: channel, received time (UTC), text and name."""
    return (row.channel, local_to_utc(row.received_at), plain_text(row.body), row.name)


@dataclass
class Duplicates:
    """What an import would repeat; empty when nothing would be imported twice."""

    earlier_imports: list[OpinionImport] = field(default_factory=list)
    identical_lines: list[int] = field(default_factory=list)  # like a recorded opinion
    repeated_lines: list[int] = field(default_factory=list)  # like an earlier row of the file

    def __bool__(self) -> bool:
        return bool(self.earlier_imports or self.identical_lines or self.repeated_lines)

    @property
    def messages(self) -> list[str]:
        """The explanation shown before asking to import anyway (translated when read)."""
        messages = [
            gettext("This file was already imported on %(date)s (“%(filename)s”, %(count)d"
                    " opinions).", date=format_datetime(earlier.created_at, "yyyy-MM-dd HH:mm"),
                    filename=earlier.filename, count=earlier.row_count)
            for earlier in self.earlier_imports
        ]
        if self.identical_lines:
            messages.append(ngettext(
                "%(num)d row is identical to an opinion already recorded: line %(lines)s.",
                "%(num)d rows are identical to opinions already recorded: lines %(lines)s.",
                len(self.identical_lines), lines=_lines(self.identical_lines)))
        if self.repeated_lines:
            messages.append(ngettext(
                "%(num)d row repeats an earlier row of the file: line %(lines)s.",
                "%(num)d rows repeat an earlier row of the file: lines %(lines)s.",
                len(self.repeated_lines), lines=_lines(self.repeated_lines)))
        if self.identical_lines or self.repeated_lines:
            messages.append(gettext("Identical means the same channel, time received, text"
                                    " and name."))
        return messages


def _lines(lines: list[int]) -> str:
    shown = ", ".join(str(line) for line in lines[:_LINES_SHOWN])
    return shown + (", …" if len(lines) > _LINES_SHOWN else "")


def _recorded_keys(consultation_id: int, received: Iterable[datetime]) -> set[Key]:
    moments = sorted(set(received))
    keys: set[Key] = set()
    for start in range(0, len(moments), _CHUNK):
        rows = db.session.execute(
            sa.select(Opinion.channel, Opinion.received_at, Opinion.body, Opinion.display_name)
            .where(Opinion.consultation_id == consultation_id,
                   Opinion.received_at.in_(moments[start:start + _CHUNK]))
        ).tuples()
        keys.update((Channel(channel).value, at, body, name) for channel, at, body, name in rows)
    return keys


def find_duplicates(consultation_id: int, sha256: str, result: ImportResult) -> Duplicates:
    """What importing ``result`` (a file without errors) into the consultation would repeat."""
    duplicates = Duplicates(earlier_imports=list(db.session.scalars(
        sa.select(OpinionImport).where(OpinionImport.consultation_id == consultation_id,
                                       OpinionImport.sha256 == sha256)
        .order_by(OpinionImport.id))))
    keys = [(row.line, row_key(row)) for row in result.rows]
    recorded = _recorded_keys(consultation_id, (key[1] for _line, key in keys))
    seen: set[Key] = set()
    for line, key in keys:
        if key in recorded:
            duplicates.identical_lines.append(line)
        elif key in seen:
            duplicates.repeated_lines.append(line)
        seen.add(key)
    return duplicates

"""The second pass of an import: the rows of a file found valid, inserted in batches.

Each row goes through :func:`~participation.opinions.operations.written_fields` (personal
data masked, initial moderation state) exactly like an opinion given online, then into
one Core ``INSERT`` executed for :data:`BATCH` rows at a time (``executemany``), without
an ORM object per row. Nothing commits here: the caller's one transaction keeps all the
rows or none. The counters of the source and of each article are updated once per
article at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from participation.consultations.models import Consultation
from participation.core.database import utcnow
from participation.core.sanitize import plain_text
from participation.core.timeutil import local_to_utc
from participation.extensions import db
from participation.opinions.imports.reading import FileInfo, Source
from participation.opinions.imports.rows import FileProblem, parse_stream
from participation.opinions.models import Channel, ModerationState, Opinion, OpinionImport
from participation.opinions.operations import written_fields
from participation.opinions.receipts import new_receipt_number

#: Rows per INSERT round trip.
BATCH = 2000
#: Rows between two progress reports.
PROGRESS_EVERY = 10_000


class FileChanged(Exception):
    """The file read differently in the second pass (it was changed on disk)."""


@dataclass
class Stored:
    """What the second pass inserted: the count, the id range and, per article (None:
    the whole draft), the opinions and public opinions added."""

    count: int = 0
    first_id: int | None = None
    last_id: int | None = None
    per_node: dict[int | None, list[int]] = field(default_factory=dict)


def store_rows(record: OpinionImport, consultation: Consultation, filename: str,
               source: Source, info: FileInfo, *,
               resolve_article: Callable[[str], int | None], now: datetime,
               actor_id: int | None,
               progress: Callable[[int, int | None], None] | None = None) -> Stored:
    """Insert every row of the checked file ``source`` as an opinion of ``record``;
    flushes, never commits. Raises :class:`FileChanged` if a row is no longer valid."""
    parsed = parse_stream(filename, source, info, resolve_article=resolve_article,
                          now=now, check_references=False)
    if parsed.rows is None or parsed.file_errors:
        raise FileChanged
    table = Opinion.__table__
    insert = sa.insert(table)
    stored = Stored()
    batch: list[dict[str, Any]] = []
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
    closes_at = consultation.closes_at
    channels = {channel.value: channel for channel in Channel}
    try:
        for _line, row, errors in parsed.rows:
            if row is None or errors:
                raise FileChanged
            received_at = local_to_utc(row.received_at)
            body = plain_text(row.body)
            values = {
                **constant,
                "receipt_number": new_receipt_number(),
                "node_id": row.article_id,
                "channel": channels[row.channel],
                "reference": row.reference,
                "received_at": received_at,
                "body": body,
                "display_name": row.name,
                "contact": row.contact,
                "consent_to_publish": row.consent_to_publish,
                "is_late": received_at >= closes_at,
            }
            values.update(written_fields(consultation, body, row.name))
            batch.append(values)
            counts = stored.per_node.setdefault(row.article_id, [0, 0])
            counts[0] += 1
            counts[1] += int(row.consent_to_publish
                             and values["moderation_state"] == ModerationState.PUBLISHED)
            stored.count += 1
            if len(batch) >= BATCH:
                db.session.execute(insert, batch)
                batch = []
            if progress and stored.count % PROGRESS_EVERY == 0:
                progress(stored.count, None)
    except FileProblem:
        raise FileChanged from None
    if batch:
        db.session.execute(insert, batch)
    stored.first_id, stored.last_id = db.session.execute(
        sa.select(sa.func.min(table.c.id), sa.func.max(table.c.id))
        .where(table.c.import_id == record.id)).one()
    if progress:
        progress(stored.count, None)
    return stored

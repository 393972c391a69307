"""The second pass of an import: the rows found valid (spilled by the first pass),
inserted in batches.

Each row goes through :func:`~participation.opinions.operations.written_fields` (personal
data masked, initial moderation state) and the cited article's detection
(:func:`~participation.opinions.articles.cited_fields`) exactly like an opinion given
online, then into one Core ``INSERT`` executed for :data:`BATCH` rows at a time
(``executemany``), without an ORM object per row. Nothing commits here: the caller's
one transaction keeps all the rows or none. The counters of the source and of each
article are updated once per article at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from participation.consultations.models import Consultation
from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions.articles import cited_fields
from participation.opinions.imports.checking import Spill
from participation.opinions.models import Channel, ModerationState, Opinion, OpinionImport
from participation.opinions.operations import written_fields
from participation.opinions.receipts import new_receipt_number

#: Rows per INSERT round trip.
BATCH = 2000
#: Rows between two progress reports (a multiple of BATCH).
PROGRESS_EVERY = 10_000
#: SQLite page cache during the inserts, in KiB.
SQLITE_CACHE_KIB = 65536


@dataclass
class Stored:
    """What the second pass inserted: the count, the id range and, per article (None:
    the whole draft), the opinions and public opinions added."""

    count: int = 0
    first_id: int | None = None
    last_id: int | None = None
    per_node: dict[int | None, list[int]] = field(default_factory=dict)


def store_rows(record: OpinionImport, consultation: Consultation, spill: Spill, *,
               actor_id: int | None,
               progress: Callable[[int, int | None], None] | None = None) -> Stored:
    """Insert every row spilled by the first pass as an opinion of ``record``; flushes,
    never commits."""
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
    version_id = consultation.draft_version_id
    channels = {channel.value: channel for channel in Channel}
    published = ModerationState.PUBLISHED
    per_node = stored.per_node
    with _bulk_writes():
        for _line, reference, channel, received_at, article_id, body, name, contact, consent \
                in spill.rows():
            values = {
                **constant,
                "receipt_number": new_receipt_number(),
                "node_id": article_id,
                "channel": channels[channel],
                "reference": reference,
                "received_at": received_at,
                "body": body,
                "display_name": name,
                "contact": contact,
                "consent_to_publish": consent,
                "is_late": received_at >= closes_at,
            }
            values.update(written_fields(consultation, body, name))
            values.update(cited_fields(version_id, body))
            batch.append(values)
            counts = per_node.get(article_id)
            if counts is None:
                counts = per_node[article_id] = [0, 0]
            counts[0] += 1
            counts[1] += consent and values["moderation_state"] == published
            stored.count += 1
            if len(batch) >= BATCH:
                db.session.execute(insert, batch)
                batch = []
                if progress and stored.count % PROGRESS_EVERY == 0:
                    progress(stored.count, None)
        if batch:
            db.session.execute(insert, batch)
    stored.first_id, stored.last_id = db.session.execute(
        sa.select(sa.func.min(table.c.id), sa.func.max(table.c.id))
        .where(table.c.import_id == record.id)).one()
    if progress:
        progress(stored.count, None)
    return stored


@contextmanager
def _bulk_writes() -> Iterator[None]:
    """On SQLite, a larger page cache while the rows go in (the opinion table's indexes
    are updated at every row); the previous size afterwards."""
    if db.session.get_bind().dialect.name != "sqlite":
        yield
        return
    previous = db.session.execute(sa.text("PRAGMA cache_size")).scalar()
    db.session.execute(sa.text(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}"))
    try:
        yield
    finally:
        db.session.execute(sa.text(f"PRAGMA cache_size = {int(previous)}"))

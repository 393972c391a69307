"""Opinions waiting to be grouped: written by the request that records an opinion (one
row, no grouping work), grouped by ``flask jobs worker`` within a second or so.

With ``GROUPING_INLINE`` (tests, and anyone who wants it) the opinion is grouped in the
recording transaction instead. Several workers may run on several hosts: each takes a
batch with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite lets one writer in at a time),
deletes it and groups it in one transaction, so a worker that dies mid-batch leaves the
batch queued for the next one. Opinions already fingerprinted meanwhile (a full
regrouping, say) are skipped.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from participation.core.jobs import register_worker_step
from participation.extensions import db
from participation.opinions.grouping.models import GroupingQueueEntry, OpinionFingerprint

log = logging.getLogger(__name__)

_q = GroupingQueueEntry.__table__.c
_QUEUE = sa.insert(GroupingQueueEntry.__table__)
# A batch holds SQLite's single writer turn while it is grouped: kept short there.
BATCH = {"postgresql": 100, "sqlite": 20}


def queue_opinion(opinion) -> None:
    """Group ``opinion`` now (``GROUPING_INLINE``) or leave it to the worker."""
    if opinion.consultation_id is None:
        return
    if current_app.config.get("GROUPING_INLINE"):
        from participation.opinions.grouping.incremental import group_opinion

        group_opinion(opinion)
        return
    db.session.flush()
    db.session.connection().execute(_QUEUE, {"opinion_id": opinion.id,
                                             "consultation_id": opinion.consultation_id})


def group_queued(limit: int | None = None) -> int:
    """Group one batch of queued opinions, oldest first, and commit; how many were
    taken from the queue."""
    from participation.opinions.grouping.incremental import group_opinion
    from participation.opinions.models import Opinion

    dialect = db.session.get_bind().dialect.name
    batch = (sa.select(_q.opinion_id).order_by(_q.opinion_id)
             .limit(limit or BATCH.get(dialect, 20)).with_for_update(skip_locked=True))
    # The transaction starts with this write, so SQLite never upgrades a reader.
    taken = sorted(db.session.scalars(
        sa.delete(GroupingQueueEntry.__table__).where(_q.opinion_id.in_(batch))
        .returning(_q.opinion_id)).all())
    if not taken:
        db.session.commit()
        return 0
    done = set(db.session.scalars(sa.select(OpinionFingerprint.opinion_id).where(
        OpinionFingerprint.opinion_id.in_(taken))))
    for opinion in db.session.scalars(sa.select(Opinion).where(
            Opinion.id.in_([i for i in taken if i not in done])).order_by(Opinion.id)):
        try:
            with db.session.begin_nested():
                group_opinion(opinion)
        except Exception:  # one opinion's failure must not keep the others waiting
            log.exception("grouping opinion %s failed; a full regrouping will place it",
                          opinion.id)
    db.session.commit()
    return len(taken)


def queued_count(consultation_id: int) -> int:
    """Opinions of a consultation still waiting to be grouped."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(
        GroupingQueueEntry.__table__).where(_q.consultation_id == consultation_id)) or 0


@register_worker_step("grouping")
def _group_step() -> int:
    return group_queued()

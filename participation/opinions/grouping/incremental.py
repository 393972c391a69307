"""Grouping one opinion as it arrives (``signals.opinion_received``), and the opinions
of one import (``signals.opinions_imported``: inline when small, as a background task
when large)."""

from __future__ import annotations

import sqlalchemy as sa

from participation.core.tasks import Task, enqueue, register_task, report_progress
from participation.extensions import db
from participation.opinions.grouping import engine
from participation.opinions.grouping.models import GroupKind, OpinionBand, OpinionFingerprint
from participation.opinions.grouping.normalise import exact_key, normalise
from participation.opinions.grouping.regroup import regroup
from participation.opinions.grouping.store import store_fingerprints
from participation.opinions.models import Opinion, OpinionGroup

# Imports of at most this many opinions are grouped in the importing transaction; larger
# ones by a background task after it commits.
INLINE_IMPORT_LIMIT = 2_000
REGROUP_TASK = "opinions.regroup"
_CANDIDATES = 20  # groups, and ungrouped opinions, compared at most


def _join(opinion: Opinion, group: OpinionGroup) -> None:
    """Add ``opinion`` to ``group``: inherit its disposition, count it (and its person,
    unless that person already has an opinion in the group)."""
    person = db.session.scalar(sa.select(OpinionFingerprint.person_key).where(
        OpinionFingerprint.opinion_id == opinion.id))
    repeated = db.session.scalar(
        sa.select(Opinion.id).join(OpinionFingerprint,
                                   OpinionFingerprint.opinion_id == Opinion.id)
        .where(Opinion.group_id == group.id, OpinionFingerprint.person_key == person,
               Opinion.id != opinion.id).limit(1)) is not None
    opinion.group_id = group.id
    if not opinion.disposition_overridden:
        opinion.disposition = group.disposition
        opinion.disposition_reason = group.disposition_reason
    db.session.execute(
        sa.update(OpinionGroup).where(OpinionGroup.id == group.id)
        .values(opinion_count=OpinionGroup.opinion_count + 1,
                people_count=OpinionGroup.people_count + (0 if repeated else 1))
        )
    db.session.flush()
    db.session.expire(group, ["opinion_count", "people_count"])


def _pair(opinion: Opinion, other_id: int) -> OpinionGroup:
    """A new automatic group of an earlier ungrouped opinion and this one."""
    group = OpinionGroup(consultation_id=opinion.consultation_id, kind=GroupKind.AUTOMATIC,
                         representative_opinion_id=other_id, summary="",
                         opinion_count=1, people_count=1)
    db.session.add(group)
    db.session.flush()
    other = db.session.get(Opinion, other_id)
    other.group_id = group.id
    if not other.disposition_overridden:
        other.disposition = other.disposition_reason = None
    _join(opinion, group)
    return group


def group_opinion(opinion: Opinion) -> OpinionGroup | None:
    """Fingerprint a new opinion and put it where it belongs: with an exact copy (after
    normalisation), else into the candidate group (sharing an LSH band) whose
    representative rapidfuzz confirms best, else with the best confirmed ungrouped
    opinion (a new automatic group of two). Opinions an official split out (pinned) are
    not paired again automatically. Returns the group, or None. Flushes."""
    if opinion.consultation_id is None:
        return None
    norm = normalise(opinion.body)
    bands = store_fingerprints([opinion], [norm], replace=False)[0].tolist()
    cid = opinion.consultation_id
    member = sa.select(Opinion.id, Opinion.group_id).join(
        OpinionFingerprint, OpinionFingerprint.opinion_id == Opinion.id).where(
        Opinion.consultation_id == cid, Opinion.id != opinion.id,
        sa.or_(Opinion.group_id.is_not(None), OpinionFingerprint.pinned.is_(False)))
    copy = db.session.execute(
        member.where(OpinionFingerprint.exact_key == exact_key(norm))
        .order_by(sa.case((Opinion.group_id.is_(None), 1), else_=0), Opinion.id)
        .limit(1)).first()
    if copy is not None:
        if copy.group_id is not None:
            group = db.session.get(OpinionGroup, copy.group_id)
            _join(opinion, group)
            return group
        return _pair(opinion, copy.id)
    banded = sa.select(OpinionBand.opinion_id).where(
        OpinionBand.consultation_id == cid, OpinionBand.band_hash.in_(bands))
    group_ids = list(db.session.scalars(
        sa.select(Opinion.group_id).where(Opinion.id.in_(banded),
                                          Opinion.group_id.is_not(None))
        .distinct().limit(_CANDIDATES)))
    scored: list[tuple[float, int, OpinionGroup | None]] = []
    if group_ids:
        for group_id, body in db.session.execute(
                sa.select(OpinionGroup.id, Opinion.body).join(
                    Opinion, Opinion.id == OpinionGroup.representative_opinion_id)
                .where(OpinionGroup.id.in_(group_ids))):
            scored.append((engine.similarity(opinion.body, body), group_id, None))
    alone = db.session.execute(
        member.where(Opinion.id.in_(banded), Opinion.group_id.is_(None))
        .with_only_columns(Opinion.id, Opinion.body).order_by(Opinion.id)
        .limit(_CANDIDATES)).all()
    best = max(scored, key=lambda s: (s[0], -s[1]), default=None)
    best_alone = max(((engine.similarity(opinion.body, r.body), r.id) for r in alone),
                     key=lambda s: (s[0], -s[1]), default=None)
    if best is not None and best[0] >= engine.CONFIRM_SCORE and (
            best_alone is None or best[0] >= best_alone[0]):
        group = db.session.get(OpinionGroup, best[1])
        _join(opinion, group)
        return group
    if best_alone is not None and best_alone[0] >= engine.CONFIRM_SCORE:
        return _pair(opinion, best_alone[1])
    return None


def group_imported(consultation, first_id: int, last_id: int, actor_id: int | None = None
                   ) -> Task | None:
    """Group the opinions an import created (ids ``first_id`` … ``last_id``): at once
    when they are few, otherwise queue a background task (returned) that does it after
    the import commits."""
    if last_id - first_id + 1 <= INLINE_IMPORT_LIMIT:
        regroup(consultation, opinion_ids=(first_id, last_id))
        return None
    return enqueue(REGROUP_TASK, {"consultation_id": consultation.id,
                                  "opinion_ids": [first_id, last_id]},
                   created_by_id=actor_id, government_id=consultation.government_id)


@register_task(REGROUP_TASK)
def run_regroup_task(task: Task) -> None:
    """The background task: a full regrouping (payload ``consultation_id``) or the
    grouping of one import (``opinion_ids``: [first, last])."""
    from participation.consultations.models import Consultation
    from participation.opinions.grouping.operations import regroup_consultation

    consultation = db.session.get(Consultation, task.payload["consultation_id"])
    if consultation is None:
        raise ValueError(f"no consultation {task.payload['consultation_id']}")
    ids = task.payload.get("opinion_ids")

    def progress(done: int, total: int) -> None:
        report_progress(task, done, total)

    if ids:
        regroup(consultation, opinion_ids=(int(ids[0]), int(ids[1])), progress=progress)
    else:
        regroup_consultation(consultation, actor_id=task.created_by_id, progress=progress)

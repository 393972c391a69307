"""Grouping many opinions at once: a whole consultation on demand, or the opinions of one
import together with the recorded opinions they resemble.

The rule that keeps officials' work (tested in tests/opinions/test_grouping_regroup.py):
an opinion moves only when it is *free*: not pinned (an official added it to a group or
split it out of one) and not a member of a *kept* group (manual, that is merged, split,
named, added to or created by an official, or carrying a disposition). Kept groups are
never dissolved, renamed or merged with each other; free opinions that say the same as a
kept group's members join it (and inherit its disposition). Automatic groups are rebuilt
from the free opinions: a group keeps its id when most of its members stay together, and
is deleted when fewer than two remain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from participation.extensions import db
from participation.opinions.grouping import engine
from participation.opinions.grouping.models import GroupKind, OpinionBand, OpinionFingerprint
from participation.opinions.grouping.normalise import exact_key, person_key
from participation.opinions.grouping.store import (
    FINGERPRINT_COLUMNS,
    chunks,
    move_many,
    store_fingerprints,
    tidy_groups,
    write_fingerprint_rows,
)
from participation.opinions.models import Opinion, OpinionGroup

Progress = Callable[[int, int], None]
LOAD_BATCH = 20_000


@dataclass
class RegroupResult:
    """What a regrouping did."""

    opinions: int = 0
    moved: int = 0
    groups_created: int = 0
    touched_groups: set[int] = field(default_factory=set)


def _fingerprint_missing(consultation_id: int, ids: list[int] | None,
                         progress: Progress | None, total: int) -> None:
    missing = (sa.select(Opinion.id).outerjoin(
        OpinionFingerprint, OpinionFingerprint.opinion_id == Opinion.id)
        .where(Opinion.consultation_id == consultation_id,
               OpinionFingerprint.opinion_id.is_(None)).order_by(Opinion.id))
    if ids is not None:
        missing = missing.where(Opinion.id.between(ids[0], ids[1]))
    todo = list(db.session.scalars(missing))
    for first in range(0, len(todo), LOAD_BATCH):
        part = todo[first:first + LOAD_BATCH]
        rows = db.session.execute(sa.select(*FINGERPRINT_COLUMNS).where(
            Opinion.consultation_id == consultation_id,
            Opinion.id.between(part[0], part[-1]))).all()
        wanted = set(part)
        store_fingerprints([r for r in rows if r.id in wanted], replace=False)
        if progress:
            progress(min(first + LOAD_BATCH, len(todo)), total)


def _neighbours(consultation_id: int, first: int, last: int) -> set[int]:
    """Recorded opinions sharing an exact key or a band hash with the range's opinions."""
    found: set[int] = set()
    hashes = list(db.session.scalars(sa.select(OpinionBand.band_hash).where(
        OpinionBand.consultation_id == consultation_id,
        OpinionBand.opinion_id.between(first, last)).distinct()))
    for part in chunks(hashes):
        found.update(db.session.scalars(sa.select(OpinionBand.opinion_id).where(
            OpinionBand.consultation_id == consultation_id,
            OpinionBand.band_hash.in_(part)).distinct()))
    keys = list(db.session.scalars(sa.select(OpinionFingerprint.exact_key).where(
        OpinionFingerprint.opinion_id.between(first, last),
        OpinionFingerprint.consultation_id == consultation_id).distinct()))
    for part in chunks(keys):
        found.update(db.session.scalars(sa.select(OpinionFingerprint.opinion_id).where(
            OpinionFingerprint.consultation_id == consultation_id,
            OpinionFingerprint.exact_key.in_(part))))
    return found


_LOADED = (Opinion.id, Opinion.body, Opinion.group_id, OpinionFingerprint.pinned,
           OpinionFingerprint.opinion_id.label("fingerprinted"),
           # Who sent it, for the person key of a fingerprint written here.
           Opinion.author_id, Opinion.contact, Opinion.display_name, Opinion.channel)


def _load(consultation_id: int, ids: set[int] | None) -> list:
    query = (sa.select(*_LOADED).outerjoin(
        OpinionFingerprint, OpinionFingerprint.opinion_id == Opinion.id)
        .where(Opinion.consultation_id == consultation_id).order_by(Opinion.id))
    if ids is None:
        return db.session.execute(query).all()
    rows = []
    for part in chunks(sorted(ids)):
        rows.extend(db.session.execute(query.where(Opinion.id.in_(part))).all())
    return rows


def _fingerprint_loaded(consultation_id: int, rows: list, prepared: engine.Prepared,
                        progress: Progress | None, total: int) -> None:
    """Write the missing fingerprints of a full regrouping from what :func:`engine.prepare`
    computed for the grouping (nothing is normalised or hashed twice; the band rows are
    built from the band matrix in numpy)."""
    missing = [i for i, r in enumerate(rows) if r.fingerprinted is None]
    step = LOAD_BATCH * 5
    for first in range(0, len(missing), step):
        part = missing[first:first + step]
        chosen = [rows[i] for i in part]
        exact = [exact_key(prepared.both[i][0]) for i in part]
        people = [person_key(r.id, r.author_id, r.contact, r.display_name, str(r.channel))
                  for r in chosen]
        write_fingerprint_rows(consultation_id, [r.id for r in chosen], exact, people,
                               prepared.bands[prepared.distinct_of[np.asarray(part)]])
        if progress:
            progress(total + min(first + len(part), len(missing)) * total // len(missing),
                     total * 3)


def _most(counts: Counter) -> int:
    """The group with most members here (the oldest on a tie)."""
    return min(counts, key=lambda group_id: (-counts[group_id], group_id))


def regroup(consultation, *, opinion_ids: tuple[int, int] | None = None,
            progress: Progress | None = None) -> RegroupResult:
    """Group the consultation's opinions (all of them, or those of the id range
    ``opinion_ids`` with the recorded opinions they resemble) by the rule of this
    module. Writes fingerprints that are missing, moves free opinions, creates, recounts
    and deletes groups; flushes (``progress`` may commit between its steps)."""
    cid = consultation.id
    total = int(db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(
        Opinion.consultation_id == cid)) or 0) if opinion_ids is None else \
        opinion_ids[1] - opinion_ids[0] + 1
    full = opinion_ids is None
    if not full:  # the neighbours of an import are found through its fingerprints
        _fingerprint_missing(cid, list(opinion_ids), progress, total * 3)
    wanted = None if full else (_neighbours(cid, *opinion_ids)
                                | set(range(opinion_ids[0], opinion_ids[1] + 1)))
    rows = _load(cid, wanted)
    result = RegroupResult(opinions=len(rows))
    if not rows:
        return result
    prepared = engine.prepare([r.body for r in rows])
    if progress:
        progress(total, total * 3)
    if full:
        _fingerprint_loaded(cid, rows, prepared, progress, total)
    kept = {g.id: g for g in db.session.scalars(sa.select(OpinionGroup).where(
        OpinionGroup.consultation_id == cid,
        sa.or_(OpinionGroup.kind == GroupKind.MANUAL, OpinionGroup.disposition.is_not(None))))}
    labels = engine.group_prepared(prepared)
    if progress:
        progress(total * 2, total * 3)
    new_range = opinion_ids or (0, 0)

    def movable(row) -> bool:
        if row.pinned or (row.group_id is not None and row.group_id in kept):
            return False
        return full or row.group_id is None or new_range[0] <= row.id <= new_range[1]

    order = np.argsort(labels, kind="stable")
    boundaries = np.flatnonzero(np.diff(labels[order])) + 1
    target_of: dict[int, int | None] = {}  # free opinion id -> group id (None: no group)
    to_create: list[list[int]] = []
    claimed: set[int] = set()  # automatic groups already rebuilt by a cluster
    for members in np.split(order, boundaries):
        cluster = [rows[i] for i in members.tolist()]
        free = [r for r in cluster if movable(r)]
        if not free:
            continue
        fixed = [r for r in cluster if not movable(r) and r.group_id is not None]
        kept_here = Counter(r.group_id for r in fixed if r.group_id in kept)
        # Recorded members of automatic groups that stay (only when grouping an import).
        anchored = Counter(r.group_id for r in fixed if r.group_id not in kept)
        reusable = Counter(r.group_id for r in free
                           if r.group_id is not None and r.group_id not in claimed)
        if kept_here:
            target = _most(kept_here)
        elif anchored:
            target = _most(anchored)
        elif len(free) >= 2 and reusable:
            target = _most(reusable)
            claimed.add(target)
        elif len(free) >= 2:
            to_create.append([r.id for r in free])
            continue
        else:
            target = None
        for r in free:
            target_of[r.id] = target
    groups_new = [OpinionGroup(consultation_id=cid, kind=GroupKind.AUTOMATIC,
                               representative_opinion_id=members[0], summary="")
                  for members in to_create]
    db.session.add_all(groups_new)
    db.session.flush()
    for group, members in zip(groups_new, to_create, strict=True):
        for opinion_id in members:
            target_of[opinion_id] = group.id
    result.groups_created = len(groups_new)
    current = {r.id: r.group_id for r in rows}
    by_target: dict[int | None, list[int]] = {}
    for opinion_id, target in target_of.items():
        if current[opinion_id] != target:
            by_target.setdefault(target, []).append(opinion_id)
    groups: dict[int, OpinionGroup] = {}
    for part in chunks([t for t in by_target if t is not None]):
        groups.update((g.id, g) for g in db.session.scalars(
            sa.select(OpinionGroup).where(OpinionGroup.id.in_(part))))
    touched = move_many(by_target, groups)
    touched.update(t for t in by_target if t is not None)
    result.moved = sum(len(ids) for ids in by_target.values())
    if full:  # a full regrouping also repairs every group's counts and representative
        touched |= set(db.session.scalars(sa.select(OpinionGroup.id).where(
            OpinionGroup.consultation_id == cid)))
    tidy_groups(touched)
    result.touched_groups = touched
    if progress:
        progress(total * 3, total * 3)
    return result

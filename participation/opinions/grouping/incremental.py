"""Grouping one opinion as it arrives (``signals.opinion_received``), and the opinions
of one import (``signals.opinions_imported``: inline when small, as a background task
when large)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import sqlalchemy as sa

from participation.core.tasks import Task, enqueue
from participation.extensions import db
from participation.opinions.grouping import engine
from participation.opinions.grouping.models import GroupKind, OpinionBand, OpinionFingerprint
from participation.opinions.grouping.normalise import exact_key, normalise, person_key
from participation.opinions.grouping.regroup import fingerprint_missing, regroup
from participation.opinions.grouping.tasks import REGROUP_TASK
from participation.opinions.models import (
    Disposition,
    Opinion,
    OpinionGroup,
    OpinionMembership,
)

# Imports of at most this many opinions are grouped in the importing transaction; larger
# ones by a background task after it commits.
INLINE_IMPORT_LIMIT = 2_000
_CANDIDATES = 20  # groups, and ungrouped opinions, compared at most
_BANDED = 200  # opinions sharing a band looked at, at most

# Core statements built once: an opinion arriving costs a few indexed look-ups, without
# building and caching ORM statements each time (the 5 ms budget of the issue).
_o = Opinion.__table__.c
_f = OpinionFingerprint.__table__.c
_b = OpinionBand.__table__.c
_g = OpinionGroup.__table__.c
_m = OpinionMembership.__table__.c
_INSERT_FINGERPRINT = sa.insert(OpinionFingerprint.__table__)
_INSERT_BAND = sa.insert(OpinionBand.__table__)
_INSERT_MEMBER = sa.insert(OpinionMembership.__table__)
_MEMBER_OF = sa.select(_m.group_id).where(_m.opinion_id == sa.bindparam("oid"))
_EXACT_COPY = (
    sa.select(_f.opinion_id, _m.group_id, _g.disposition, _g.disposition_reason)
    .select_from(OpinionFingerprint.__table__
                 .outerjoin(OpinionMembership.__table__, _m.opinion_id == _f.opinion_id)
                 .outerjoin(OpinionGroup.__table__, _g.id == _m.group_id))
    .where(_f.consultation_id == sa.bindparam("cid"), _f.exact_key == sa.bindparam("key"),
           _f.opinion_id != sa.bindparam("oid"),
           sa.or_(_m.group_id.is_not(None), _f.pinned.is_(False)))
    .order_by(sa.case((_m.group_id.is_(None), 1), else_=0), _f.opinion_id).limit(1))
_BANDED_IDS = (
    sa.select(_b.opinion_id).where(_b.consultation_id == sa.bindparam("cid"),
                                   _b.band_hash.in_(sa.bindparam("bands", expanding=True)),
                                   _b.opinion_id != sa.bindparam("oid"))
    .distinct().limit(_BANDED))
_BANDED_ROWS = (
    sa.select(_o.id, _m.group_id, _o.body, _f.pinned)
    .select_from(Opinion.__table__.join(OpinionFingerprint.__table__,
                                        _f.opinion_id == _o.id)
                 .outerjoin(OpinionMembership.__table__, _m.opinion_id == _o.id))
    .where(_o.id.in_(sa.bindparam("ids", expanding=True))).order_by(_o.id))
_REPRESENTATIVES = (
    sa.select(_g.id, _o.body, _g.disposition, _g.disposition_reason)
    .select_from(OpinionGroup.__table__.join(Opinion.__table__,
                                             _o.id == _g.representative_opinion_id))
    .where(_g.id.in_(sa.bindparam("gids", expanding=True))))
_SAME_PERSON = (
    sa.select(_f.opinion_id)
    .select_from(OpinionFingerprint.__table__.join(OpinionMembership.__table__,
                                                   _m.opinion_id == _f.opinion_id))
    .where(_f.consultation_id == sa.bindparam("cid"), _f.person_key == sa.bindparam("person"),
           _m.group_id == sa.bindparam("gid"), _f.opinion_id != sa.bindparam("oid"))
    .limit(1))
_COUNT_MEMBER = (
    sa.update(OpinionGroup.__table__).where(_g.id == sa.bindparam("gid"))
    .values(opinion_count=_g.opinion_count + 1,
            people_count=_g.people_count + sa.bindparam("new_person")))


def _join(opinion: Opinion, group, person: str) -> int:
    """Add ``opinion`` to ``group`` (a row with ``group_id``, ``disposition`` and
    ``disposition_reason``): inherit its disposition, count it (and its person, unless
    that person already has an opinion in the group). Returns the group's id."""
    connection = db.session.connection()
    repeated = connection.execute(_SAME_PERSON, {
        "cid": opinion.consultation_id, "person": person, "gid": group.group_id,
        "oid": opinion.id}).first() is not None
    _enter(connection, opinion, group.group_id)
    if not opinion.disposition_overridden:
        opinion.disposition = Disposition(group.disposition) if group.disposition else None
        opinion.disposition_reason = group.disposition_reason
    connection.execute(_COUNT_MEMBER, {"gid": group.group_id,
                                       "new_person": 0 if repeated else 1})
    loaded = db.session.identity_map.get(db.session.identity_key(OpinionGroup, group.group_id))
    if loaded is not None:
        db.session.expire(loaded, ["opinion_count", "people_count"])
    return group.group_id


def _enter(connection: sa.Connection, opinion: Opinion, group_id: int) -> None:
    """Make ``opinion`` (in no group) a member of the group."""
    connection.execute(_INSERT_MEMBER, {"opinion_id": opinion.id, "group_id": group_id})
    db.session.expire(opinion, ["group_id"])


class _Target(NamedTuple):
    group_id: int
    disposition: str | None = None
    disposition_reason: str | None = None


def _pair(opinion: Opinion, other_id: int, person: str) -> int:
    """A new automatic group of an earlier ungrouped opinion and this one; its id."""
    group = OpinionGroup(consultation_id=opinion.consultation_id, kind=GroupKind.AUTOMATIC,
                         representative_opinion_id=other_id, summary="",
                         opinion_count=1, people_count=1)
    # The earlier opinion is locked (PostgreSQL): a concurrent arrival that grouped it
    # meanwhile is joined instead of starting a second group with it.
    other = db.session.get(Opinion, other_id, with_for_update=True, populate_existing=True)
    # Read after the lock, in a statement of its own: it sees a group given meanwhile.
    joined = db.session.connection().scalar(_MEMBER_OF, {"oid": other_id})
    if joined is not None:
        row = db.session.get(OpinionGroup, joined)
        return _join(opinion, _Target(row.id, row.disposition, row.disposition_reason),
                     person)
    db.session.add(group)
    db.session.flush()
    _enter(db.session.connection(), other, group.id)
    if not other.disposition_overridden:
        other.disposition = other.disposition_reason = None
    db.session.flush()  # the look-ups of _join are Core statements
    return _join(opinion, _Target(group.id), person)


def _fingerprint(opinion: Opinion, norm: str) -> tuple[str, list[int]]:
    """Write the new opinion's fingerprint and bands; its person key and band hashes."""
    from participation.opinions.grouping import minhash

    row = minhash.band_hashes(minhash.signatures([norm]))
    bands = sorted(set(row[0].tolist()))
    person = person_key(opinion.id, opinion.author_id, opinion.contact, opinion.display_name,
                        str(opinion.channel))
    connection = db.session.connection()
    connection.execute(_INSERT_FINGERPRINT, {
        "opinion_id": opinion.id, "consultation_id": opinion.consultation_id,
        "exact_key": exact_key(norm), "person_key": person, "pinned": False,
        "bands": minhash.to_bytes(row)[0]})
    connection.execute(_INSERT_BAND, [
        {"consultation_id": opinion.consultation_id, "band_hash": h, "opinion_id": opinion.id}
        for h in bands])
    return person, bands


def group_opinion(opinion: Opinion) -> int | None:
    """Fingerprint a new opinion and put it where it belongs: with an exact copy (after
    normalisation), else into the candidate group (sharing an LSH band) whose
    representative rapidfuzz confirms best, else with the best confirmed ungrouped
    opinion (a new automatic group of two). Opinions an official split out (pinned) are
    not paired again automatically. Returns the group's id, or None. Flushes."""
    if opinion.consultation_id is None:
        return None
    db.session.flush()
    norm = normalise(opinion.body)
    person, bands = _fingerprint(opinion, norm)
    cid = opinion.consultation_id
    connection = db.session.connection()
    copy = connection.execute(_EXACT_COPY, {"cid": cid, "key": exact_key(norm),
                                            "oid": opinion.id}).first()
    if copy is not None:
        if copy.group_id is not None:
            return _join(opinion, copy, person)
        return _pair(opinion, copy.opinion_id, person)
    ids = list(connection.scalars(_BANDED_IDS, {"cid": cid, "bands": bands,
                                                "oid": opinion.id}))
    if not ids:
        return None
    rows = connection.execute(_BANDED_ROWS, {"ids": ids}).all()
    group_ids = list(dict.fromkeys(r.group_id for r in rows if r.group_id is not None))
    groups = {row.id: row for row in connection.execute(
        _REPRESENTATIVES, {"gids": group_ids[:_CANDIDATES]})} if group_ids else {}
    scored = [(engine.similarity(opinion.body, row.body), gid) for gid, row in groups.items()]
    alone = [r for r in rows if r.group_id is None and not r.pinned][:_CANDIDATES]
    best = max(scored, key=lambda s: (s[0], -s[1]), default=None)
    best_alone = max(((engine.similarity(opinion.body, r.body), r.id) for r in alone),
                     key=lambda s: (s[0], -s[1]), default=None)
    if best is not None and best[0] >= engine.CONFIRM_SCORE and (
            best_alone is None or best[0] >= best_alone[0]):
        row = groups[best[1]]
        return _join(opinion, _Target(row.id, row.disposition, row.disposition_reason),
                     person)
    if best_alone is not None and best_alone[0] >= engine.CONFIRM_SCORE:
        return _pair(opinion, best_alone[1], person)
    return None


def group_imported(consultation, first_id: int, last_id: int, actor_id: int | None = None,
                   progress: Callable[[int, int], None] | None = None,
                   prepared=None) -> Task | None:
    """Group the opinions an import created (ids ``first_id`` … ``last_id``): at once
    when they are few, otherwise queue a background task (returned) that does it after
    the import commits. Either way they are fingerprinted in the import's transaction
    (normalised, hashed, their band rows written): the grouping after it, the task or
    ``flask opinions group``, only reads their keys and bands (``progress(done,
    total)`` as they are written). ``prepared``: the import's
    :class:`~.prepare.ImportFingerprints`, which computed them while the rows were
    stored; what it did not cover is fingerprinted from the rows."""
    if last_id - first_id + 1 <= INLINE_IMPORT_LIMIT:
        if prepared is not None:
            prepared.close()
        regroup(consultation, opinion_ids=(first_id, last_id))
        return None
    complete = prepared is not None and prepared.finish(first_id, last_id, progress)
    if not complete:
        fingerprint_missing(consultation.id, first_id, last_id, progress,
                            last_id - first_id + 1)
    return enqueue(REGROUP_TASK, {"consultation_id": consultation.id,
                                  "opinion_ids": [first_id, last_id]},
                   created_by_id=actor_id, government_id=consultation.government_id)

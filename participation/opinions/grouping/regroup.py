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

import queue
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from participation.extensions import db
from participation.opinions.grouping import engine
from participation.opinions.grouping.models import GroupKind, OpinionBand, OpinionFingerprint
from participation.opinions.grouping.normalise import (
    exact_key,
    normalise,
    normalise_many,
)
from participation.opinions.grouping.store import (
    BandRows,
    chunks,
    move_many,
    person_keys,
    set_fingerprint_bands,
    sqlite_page_cache,
    store_fingerprints,
    tidy_groups,
    write_band_rows,
    write_fingerprint_rows,
)
from participation.opinions.models import Opinion, OpinionGroup

Progress = Callable[[int, int], None]
#: Opinions fingerprinted at a time by :func:`fingerprint_missing` (an import's, after
#: its rows: its memory bound, 500 MB at a million rows, holds the hashing's arrays).
LOAD_BATCH = 10_000
#: SQLite's page cache meanwhile (small for the same reason; the band rows of a part go
#: in in key order).
MISSING_CACHE_KIB = 32 * 1024


@dataclass
class RegroupResult:
    """What a regrouping did."""

    opinions: int = 0
    moved: int = 0
    groups_created: int = 0
    touched_groups: set[int] = field(default_factory=set)


# The opinions of an id range without a fingerprint, as text SQL (no result processing;
# ``channel`` comes back as its string, which is what the person key uses).
_MISSING = sa.text(
    "SELECT o.id, o.consultation_id, o.body, o.author_id, o.contact, o.display_name, "
    "o.channel FROM opinion AS o LEFT OUTER JOIN opinion_fingerprint AS f "
    "ON f.opinion_id = o.id WHERE o.consultation_id = :cid AND o.id BETWEEN :first AND "
    ":last AND f.opinion_id IS NULL ORDER BY o.id LIMIT :limit")


def fingerprint_missing(consultation_id: int, first_id: int, last_id: int,
                        progress: Progress | None = None, total: int = 0) -> int:
    """Write the fingerprint and band rows of the consultation's opinions with ids
    ``first_id`` … ``last_id`` that have none, :data:`LOAD_BATCH` at a time (bounded
    memory at a million; their band rows gathered and written sorted: :class:`BandRows`);
    returns how many. ``progress(done, total)`` after each batch."""
    connection = db.session.connection()
    done = 0
    band_rows = BandRows(connection)
    with sqlite_page_cache(MISSING_CACHE_KIB, connection):
        while first_id <= last_id:
            rows = connection.execute(_MISSING, {"cid": consultation_id, "first": first_id,
                                                 "last": last_id, "limit": LOAD_BATCH}).all()
            if not rows:
                break
            store_fingerprints(rows, band_rows=band_rows)
            done += len(rows)
            first_id = rows[-1].id + 1
            if progress:
                progress(done, total)
        band_rows.flush()
    return done


_o = Opinion.__table__.c
_f = OpinionFingerprint.__table__.c
_b = OpinionBand.__table__.c
_RANGE_BANDS = (
    sa.select(_f.bands, _o.body)
    .select_from(OpinionFingerprint.__table__.join(Opinion.__table__, _o.id == _f.opinion_id))
    .where(_f.consultation_id == sa.bindparam("cid"),
           _f.opinion_id.between(sa.bindparam("first"), sa.bindparam("last"))))
_SHARING_BANDS = (
    sa.select(_b.opinion_id).where(_b.consultation_id == sa.bindparam("cid"),
                                   _b.band_hash.in_(sa.bindparam("hashes", expanding=True)))
    .distinct())


def _neighbours(consultation_id: int, first: int, last: int) -> set[int]:
    """Recorded opinions sharing an exact key or a band hash with the range's opinions."""
    from participation.opinions.grouping import minhash

    connection = db.session.connection()
    rows = connection.execute(_RANGE_BANDS, {"cid": consultation_id, "first": first,
                                             "last": last}).all()
    bands = minhash.from_bytes([r.bands for r in rows if r.bands is not None])
    older = [normalise(r.body) for r in rows if r.bands is None]  # fingerprinted before
    if older:
        bands = np.concatenate([bands, minhash.band_hashes(minhash.signatures(older))])
    found: set[int] = set()
    for part in chunks(np.unique(bands).tolist()):
        found.update(connection.scalars(_SHARING_BANDS, {"cid": consultation_id,
                                                         "hashes": list(part)}))
    keys = list(db.session.scalars(sa.select(OpinionFingerprint.exact_key).where(
        OpinionFingerprint.opinion_id.between(first, last),
        OpinionFingerprint.consultation_id == consultation_id).distinct()))
    for part in chunks(keys):
        found.update(db.session.scalars(sa.select(OpinionFingerprint.opinion_id).where(
            OpinionFingerprint.consultation_id == consultation_id,
            OpinionFingerprint.exact_key.in_(part))))
    return found


# An import whose opinions are at least this share (1/n) of the consultation's finds
# its neighbours among all opinions read at once (:func:`_near`).
NEIGHBOURS_IN_MEMORY = 10


def _opinion_count(consultation_id: int) -> int:
    return int(db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(
        Opinion.consultation_id == consultation_id)) or 0)


def _near(rows: list, first: int, last: int) -> np.ndarray:
    """Which of the consultation's ``rows`` (:data:`_LOAD`) are in the id range or
    recorded opinions sharing an exact key or a band hash with one in it: what
    :func:`_neighbours` asks the database, from the rows' fingerprints."""
    from participation.opinions.grouping import minhash

    count = len(rows)
    ids = np.fromiter((r.id for r in rows), dtype=np.int64, count=count)
    printed = np.fromiter((r.fingerprinted is not None for r in rows), dtype=bool,
                          count=count)
    keys = np.fromiter((r.exact_key or 0 for r in rows), dtype=np.int64, count=count)
    bands = np.zeros((count, minhash.BANDS), dtype=np.int64)
    stored = [i for i, r in enumerate(rows) if r.bands is not None]
    bands[stored] = minhash.from_bytes([rows[i].bands for i in stored])
    older = [i for i, r in enumerate(rows) if r.bands is None and r.fingerprinted is not None]
    if older:  # fingerprinted before bands were stored
        bands[older] = minhash.band_hashes(minhash.signatures(
            [normalise(rows[i].body) for i in older]))
    inside = (ids >= first) & (ids <= last)
    near = printed & (np.isin(bands, np.unique(bands[inside & printed])).any(axis=1)
                      | np.isin(keys, keys[inside & printed]))
    return inside | near


# What a regrouping reads of each opinion, as text SQL compiled once: no result
# processing of 100,000 rows (through the ORM they took a second). ``pinned`` comes back
# as 0/1 on SQLite, ``channel`` as its string.
_LOAD_SQL = (
    "SELECT o.id, o.body, m.group_id, f.pinned, f.opinion_id AS fingerprinted, "
    "f.exact_key, f.bands, "
    # Who sent it, for the person key of a fingerprint written here.
    "o.author_id, o.contact, o.display_name, o.channel, "
    "o.disposition, o.disposition_reason, o.disposition_overridden "
    "FROM opinion AS o LEFT OUTER JOIN opinion_fingerprint AS f ON f.opinion_id = o.id "
    "LEFT OUTER JOIN opinion_membership AS m ON m.opinion_id = o.id "
    "WHERE o.consultation_id = :cid{ids} ORDER BY o.id")
_LOAD = sa.text(_LOAD_SQL.format(ids=""))
_LOAD_IDS = sa.text(_LOAD_SQL.format(ids=" AND o.id IN :ids")).bindparams(
    sa.bindparam("ids", expanding=True))


def _load(consultation_id: int, ids: set[int] | None) -> list:
    connection = db.session.connection()
    if ids is None:
        return connection.execute(_LOAD, {"cid": consultation_id}).all()
    rows = []
    for part in chunks(sorted(ids)):
        rows.extend(connection.execute(_LOAD_IDS, {"cid": consultation_id,
                                                   "ids": list(part)}).all())
    return rows


#: Opinions normalised and hashed at a time by :func:`_prepare`; each part's
#: fingerprints are written while the next is hashed.
PREPARE_CHUNK = 20_000


def _prepare(rows: list, writing: _Fingerprinting) -> engine.Prepared:
    """The texts ready for grouping: exact keys and band hashes read from the
    fingerprints, computed (normalised, hashed) only for the opinions without them,
    :data:`PREPARE_CHUNK` at a time, each part handed to ``writing`` as it is done."""
    from participation.opinions.grouping import minhash

    count = len(rows)
    keys = np.empty(count, dtype=np.int64)
    bands = np.empty((count, minhash.BANDS), dtype=np.int64)
    stored = [i for i, r in enumerate(rows) if r.bands is not None]
    fresh = [i for i, r in enumerate(rows) if r.bands is None]
    if stored:
        keys[stored] = [rows[i].exact_key for i in stored]
        bands[stored] = minhash.from_bytes([rows[i].bands for i in stored])
    normalised: dict[int, tuple[str, str]] = {}
    for first in range(0, len(fresh), PREPARE_CHUNK):
        part = fresh[first:first + PREPARE_CHUNK]
        both = normalise_many([rows[i].body for i in part])
        part_keys = np.fromiter((exact_key(plain) for plain, _ in both), dtype=np.int64,
                                count=len(part))
        # Campaigns repeat texts: each distinct one is hashed once.
        distinct_of, firsts = engine.first_appearance(part_keys)
        part_bands = minhash.band_hashes(minhash.signatures(
            [both[i][0] for i in firsts.tolist()]))[distinct_of]
        keys[part] = part_keys
        bands[part] = part_bands
        normalised.update(zip(part, both, strict=True))
        writing.add(part, part_keys, part_bands)
    return engine.prepare_known([r.body for r in rows], keys, bands, normalised)


def _plan(rows: list, labels: np.ndarray, movable: Callable, kept: dict
          ) -> tuple[dict[int, int | None], list[list[int]]]:
    """Where each free opinion goes, by the rule of this module: ``({opinion id: group id
    or None}, [opinion ids of each group to create])``."""
    order = np.argsort(labels, kind="stable")
    boundaries = np.flatnonzero(np.diff(labels[order])) + 1
    target_of: dict[int, int | None] = {}  # free opinion id -> group id (None: no group)
    to_create: list[list[int]] = []
    claimed: set[int] = set()  # automatic groups already rebuilt by a cluster
    starts = np.concatenate(([0], boundaries)).astype(np.int64)
    ends = np.append(boundaries, len(order)).astype(np.int64)
    grouped = np.fromiter((r.group_id is not None for r in rows), dtype=bool, count=len(rows))
    # An opinion alone in its cluster and in no group stays where it is: only the other
    # clusters are looked at one by one (most of 100,000 opinions are alone).
    looked_at = np.flatnonzero((ends - starts > 1) | grouped[order[starts]])
    for start, end in zip(starts[looked_at].tolist(), ends[looked_at].tolist(), strict=True):
        cluster = [rows[i] for i in order[start:end].tolist()]
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
    return target_of, to_create


class _Fingerprinting:
    """Write what :func:`_prepare` computes, part by part (:meth:`add`): the fingerprints
    and band rows (eight per opinion) of opinions that have none, and the band hashes of
    fingerprints written before they were stored. When there are many, on a thread of
    their own while the block goes on hashing and grouping (the database's work, and on
    SQLite the B-tree inserts, release the GIL; the block must not use the database
    meanwhile). The first row is written by the caller's thread: the transaction's first
    write takes SQLite's writer turn, a per-thread lock."""

    THREADED = 5_000

    def __init__(self, consultation_id: int, rows: list) -> None:
        self.consultation_id = consultation_id
        self.rows = rows
        self.threaded = sum(r.bands is None for r in rows) >= self.THREADED
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.parts: queue.Queue = queue.Queue(maxsize=4)  # bounded memory at a million

    def add(self, part: list[int], keys: np.ndarray, bands: np.ndarray) -> None:
        """Write (or queue) the fingerprints of the rows at these indexes."""
        if self.error is not None:
            raise self.error
        if not self.threaded:
            self._write(part, keys, bands, None)
            return
        if self.thread is None:
            self._write(part[:1], keys[:1], bands[:1], None)
            part, keys, bands = part[1:], keys[1:], bands[1:]
            # On the session's connection, which the caller's thread leaves alone.
            self.thread = threading.Thread(target=self._run, name="fingerprints",
                                           args=(db.session.connection(),))
            self.thread.start()
        self.parts.put((part, keys, bands))

    def _run(self, connection: sa.Connection) -> None:
        while (item := self.parts.get()) is not None:
            if self.error is None:
                try:
                    self._write(*item, connection)
                except BaseException as error:  # re-raised in the caller's thread
                    self.error = error

    def _write(self, part: list[int], keys: np.ndarray, bands: np.ndarray,
               connection: sa.Connection | None) -> None:
        rows = self.rows
        new = [j for j, i in enumerate(part) if rows[i].fingerprinted is None]
        older = [j for j, i in enumerate(part) if rows[i].fingerprinted is not None]
        if older:  # fingerprinted before band hashes were stored: their band rows exist
            set_fingerprint_bands([rows[part[j]].id for j in older], bands[older],
                                  connection)
        if not new:
            return
        chosen = [rows[part[j]] for j in new]
        ids = [r.id for r in chosen]
        write_fingerprint_rows(
            self.consultation_id, ids, keys[new].tolist(),
            person_keys(chosen), bands[new], band_rows=False, connection=connection)
        write_band_rows(self.consultation_id, ids, bands[new], connection)

    def __enter__(self) -> _Fingerprinting:
        return self

    def __exit__(self, *_exc) -> None:
        if self.thread is not None:
            self.parts.put(None)
            self.thread.join()
        if self.error is not None:
            raise self.error


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
    total = _opinion_count(cid) if opinion_ids is None else \
        opinion_ids[1] - opinion_ids[0] + 1
    full = opinion_ids is None
    if not full:  # the neighbours of an import are found through its fingerprints
        fingerprint_missing(cid, *opinion_ids, progress, total * 3)
    if full:
        rows = _load(cid, None)
    elif total * NEIGHBOURS_IN_MEMORY >= _opinion_count(cid):
        # A large import among few recorded opinions: one read of them all and the
        # neighbours found in numpy, not a query per 500 band hashes.
        rows = _load(cid, None)
        rows = [r for r, near in zip(rows, _near(rows, *opinion_ids), strict=True) if near]
    else:
        rows = _load(cid, _neighbours(cid, *opinion_ids)
                     | set(range(opinion_ids[0], opinion_ids[1] + 1)))
    result = RegroupResult(opinions=len(rows))
    if not rows:
        return result
    kept = {g.id: g for g in db.session.scalars(sa.select(OpinionGroup).where(
        OpinionGroup.consultation_id == cid,
        sa.or_(OpinionGroup.kind == GroupKind.MANUAL, OpinionGroup.disposition.is_not(None))))}
    new_range = opinion_ids or (0, 0)

    def movable(row) -> bool:
        if row.pinned or (row.group_id is not None and row.group_id in kept):
            return False
        return full or row.group_id is None or new_range[0] <= row.id <= new_range[1]

    # Fingerprints are written while the texts are hashed and grouped; nothing else may
    # use the database (nor ``progress`` commit) meanwhile.
    with _Fingerprinting(cid, rows) as writing:
        labels = engine.group_prepared(_prepare(rows, writing))
        target_of, to_create = _plan(rows, labels, movable, kept)
    if progress:
        progress(total * 2, total * 3)
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
    touched = move_many(by_target, groups, known={
        r.id: (r.group_id, r.disposition, r.disposition_reason, bool(r.disposition_overridden))
        for r in rows})
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

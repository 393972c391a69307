"""Writing what grouping knows: fingerprints and bands, members moving between groups
(with the inherited disposition), and the groups' counts."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

import sqlalchemy as sa

from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions.grouping.models import OpinionBand, OpinionFingerprint
from participation.opinions.grouping.normalise import person_key
from participation.opinions.models import Opinion, OpinionGroup, OpinionMembership, in_group

if TYPE_CHECKING:
    import numpy as np

CHUNK = 500  # ids per IN (…) list
BULK_CACHE_KIB = 256 * 1024  # SQLite page cache while bulk-inserting
_OPINION = Opinion.__table__
_GROUP = OpinionGroup.__table__
_FINGERPRINT = OpinionFingerprint.__table__
_BAND = OpinionBand.__table__
_MEMBER = OpinionMembership.__table__


def chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for first in range(0, len(values), size):
        yield values[first:first + size]


FINGERPRINT_COLUMNS = (Opinion.id, Opinion.consultation_id, Opinion.body, Opinion.author_id,
                       Opinion.contact, Opinion.display_name, Opinion.channel)


def store_fingerprints(rows: Sequence, *, band_rows: BandRows | None = None) -> np.ndarray:
    """Write the fingerprint and band rows of opinions that have none, given as rows of
    :data:`FINGERPRINT_COLUMNS` or :class:`Opinion` objects; returns their band hashes
    (len(rows), BANDS). The keys are those the import's worker computes
    (:func:`~.worker.prepare_batch`: each distinct text hashed once). ``band_rows``: the
    band rows go there (written later, sorted with those of other parts) instead of at
    once."""
    import numpy as np

    from participation.opinions.grouping import minhash
    from participation.opinions.grouping.worker import prepare_batch

    if not rows:
        return np.empty((0, minhash.BANDS), dtype=np.int64)
    exact, people, bands = prepare_batch(
        [r.body for r in rows], [(r.contact, r.display_name, str(r.channel)) for r in rows])
    # An account's opinions are one person whatever they sign (prepare_batch's texts come
    # from imports, which have no account).
    people = [f"a{r.author_id}" if r.author_id is not None else key or f"o{r.id}"
              for r, key in zip(rows, people, strict=True)]
    _bulk_insert(_FINGERPRINT.name, _FINGERPRINT_FIELDS, list(zip(
        [r.id for r in rows], [r.consultation_id for r in rows], exact.tolist(), people,
        itertools.repeat(False), minhash.to_bytes(bands), strict=False)))
    if band_rows is not None:
        band_rows.add(rows[0].consultation_id, [r.id for r in rows], bands)
    else:
        write_band_rows([r.consultation_id for r in rows], [r.id for r in rows], bands)
    return bands


_FINGERPRINT_FIELDS = ("opinion_id", "consultation_id", "exact_key", "person_key", "pinned",
                       "bands")
_BAND_FIELDS = ("consultation_id", "band_hash", "opinion_id")


def person_keys(rows: Sequence) -> list[str]:
    """The :func:`~.normalise.person_key` of each row (``id``, ``author_id``,
    ``contact``, ``display_name``, ``channel``), each distinct sender worked out once: a
    caller or letter writer often sends many."""
    known: dict[tuple, str | None] = {}
    keys = []
    for r in rows:
        if r.author_id is not None or not (r.contact or r.display_name):
            keys.append(person_key(r.id, r.author_id, r.contact, r.display_name,
                                   str(r.channel)))
            continue
        sender = (r.contact, r.display_name, str(r.channel))
        key = known.get(sender, "")
        if key == "":
            key = person_key(0, None, *sender)
            key = known[sender] = None if key == "o0" else key
        keys.append(key or f"o{r.id}")
    return keys


def write_fingerprint_rows(consultation_id: int, ids: Sequence[int], exact: Sequence[int],
                           people: Sequence[str], bands: np.ndarray, *,
                           band_rows: bool = True,
                           connection: sa.Connection | None = None) -> None:
    """The fingerprint rows from what a full regrouping computed: per opinion its
    id, exact key, person key and row of band hashes (``bands``: len(ids) × BANDS); the
    band rows too unless ``band_rows`` is false (:func:`write_band_rows` then); on
    ``connection`` (default: the session's)."""
    from participation.opinions.grouping import minhash

    if not len(ids):
        return
    _bulk_insert(_FINGERPRINT.name, _FINGERPRINT_FIELDS,
                 list(zip(ids, itertools.repeat(consultation_id), exact, people,
                          itertools.repeat(False), minhash.to_bytes(bands), strict=False)),
                 connection=connection)
    if band_rows:
        write_band_rows(consultation_id, ids, bands, connection)


def write_band_rows(consultation: int | Sequence[int], ids: Sequence[int],
                    bands: np.ndarray, connection: sa.Connection | None = None) -> None:
    """The band rows of these opinions (one per distinct hash of each row of ``bands``;
    ``consultation``: one id for all, or one per opinion), inserted in key order: into
    the clustered key they are nearly appended, not scattered."""
    import numpy as np

    count, width = bands.shape
    if not count:
        return
    owners = np.repeat(np.asarray(ids, dtype=np.int64), width)
    hashes = bands.reshape(-1)
    if isinstance(consultation, int):
        order = np.lexsort((owners, hashes))
        cids = None
    else:
        cids = np.repeat(np.asarray(consultation, dtype=np.int64), width)
        order = np.lexsort((owners, hashes, cids))
        cids = cids[order]
    hashes, owners = hashes[order], owners[order]
    keep = np.ones(len(hashes), dtype=bool)  # a hash twice in one row: one band row
    keep[1:] = (hashes[1:] != hashes[:-1]) | (owners[1:] != owners[:-1])
    if cids is not None:
        keep[1:] |= cids[1:] != cids[:-1]
    hashes, owners = hashes[keep], owners[keep]
    if cids is not None:
        cids = cids[keep]
    # The rows as Python tuples a part at a time: all at once, the two million rows of
    # a :class:`BandRows` part took 200 MB.
    for first in range(0, len(hashes), _BAND_PART):
        last = first + _BAND_PART
        owner = itertools.repeat(consultation) if cids is None else cids[first:last].tolist()
        _bulk_insert(_BAND.name, _BAND_FIELDS,
                     list(zip(owner, hashes[first:last].tolist(), owners[first:last].tolist(),
                              strict=False)),
                     integers=True, connection=connection)


#: Band rows turned into tuples and inserted at a time by :func:`write_band_rows`.
_BAND_PART = 100_000


class BandRows:
    """Band rows gathered from parts of a large batch of opinions (an import's million)
    and written sorted, :data:`SORTED_OPINIONS` opinions at a time.

    The band table's key starts with the hash, so each part's rows land all over it:
    written part by part (10,000 opinions), every part touched most of the table's pages
    again. Gathered into larger parts, each pass over the table touches each page about
    once (about 20 MB of arrays per pass: 250,000 opinions at a time was no faster and
    added 50 MB to a million-row import)."""

    SORTED_OPINIONS = 100_000

    def __init__(self, connection: sa.Connection | None = None) -> None:
        self.connection = connection
        self.pending: list[tuple[int, list[int], np.ndarray]] = []
        self.count = 0

    def add(self, consultation_id: int, ids: Sequence[int], bands: np.ndarray) -> None:
        self.pending.append((consultation_id, list(ids), bands))
        self.count += len(ids)
        if self.count >= self.SORTED_OPINIONS:
            self.flush()

    def flush(self) -> None:
        """Write the band rows gathered so far."""
        import numpy as np

        if not self.pending:
            return
        cids = [cid for cid, _ids, _bands in self.pending]
        ids = [i for _cid, part, _bands in self.pending for i in part]
        bands = np.concatenate([part for _cid, _ids, part in self.pending])
        consultation: int | list[int] = cids[0] if len(set(cids)) == 1 else [
            cid for cid, part, _bands in self.pending for _ in part]
        self.pending, self.count = [], 0
        write_band_rows(consultation, ids, bands, self.connection)


_SET_BANDS = "UPDATE opinion_fingerprint SET bands = {mark} WHERE opinion_id = {mark}"


def set_fingerprint_bands(ids: Sequence[int], bands: np.ndarray,
                          connection: sa.Connection | None = None) -> None:
    """Fill in ``bands`` of fingerprints written before it was stored (their band rows
    exist: the hashes are the same); on ``connection`` (default: the session's)."""
    from participation.opinions.grouping import minhash

    if not len(ids):
        return
    connection = connection or db.session.connection()
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    connection.exec_driver_sql(_SET_BANDS.format(mark=mark),
                               list(zip(minhash.to_bytes(bands), ids, strict=True)))


def _bulk_insert(table: str, columns: Sequence[str], rows: list[tuple], *,
                 integers: bool = False, connection: sa.Connection | None = None) -> None:
    """Insert ``rows`` (tuples of ``columns``) in bulk; ``integers``: every value is an
    int (COPY's text is then written directly, 100,000 rows at a time)."""
    if not rows:
        return
    connection = connection or db.session.connection()
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            if integers:
                line = "\t".join("%d" for _ in columns) + "\n"
                for part in chunks(rows, 100_000):
                    copy.write("".join(line % row for row in part))
            else:
                for row in rows:
                    copy.write_row(row)
        cursor.close()
        return
    marks = ", ".join("?" for _ in columns)
    # Rows go into two B-trees in random order: with SQLite's default 2 MB page cache a
    # million band rows thrash it (11 s instead of 3 s).
    with sqlite_page_cache(BULK_CACHE_KIB, connection):
        for part in chunks(rows, 100_000):  # the writer hook sees each INSERT
            connection.exec_driver_sql(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                list(part))


#: Set while a block holds SQLite's page cache at a size of its own.
_CACHE_HELD: ContextVar[bool] = ContextVar("sqlite_page_cache_held", default=False)


@contextmanager
def keep_page_cache() -> Iterator[None]:
    """Inside the block :func:`sqlite_page_cache` leaves SQLite's page cache as it is:
    for writes in the middle of work that set a size of its own (an import's inserts)."""
    token = _CACHE_HELD.set(True)
    try:
        yield
    finally:
        _CACHE_HELD.reset(token)


@contextmanager
def sqlite_page_cache(kib: int, connection: sa.Connection | None = None) -> Iterator[None]:
    """SQLite's page cache at ``kib`` KiB for the block, the previous size after it; inside
    a block that already holds one (an import keeps its memory bound), left as it is."""
    connection = connection or db.session.connection()
    if connection.dialect.name != "sqlite" or _CACHE_HELD.get():
        yield
        return
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{int(kib)}")
    token = _CACHE_HELD.set(True)
    try:
        yield
    finally:
        _CACHE_HELD.reset(token)
        connection.exec_driver_sql(f"PRAGMA cache_size={int(previous)}")


def inherit(group: OpinionGroup) -> None:
    """Members whose disposition is not overridden take the group's disposition and
    reason (both None when the group has none)."""
    db.session.execute(
        sa.update(Opinion).where(in_group(group.id), Opinion.disposition_overridden.is_(False))
        .values(disposition=group.disposition, disposition_reason=group.disposition_reason),
        execution_options={"synchronize_session": "fetch"})


def move(opinion_ids: Sequence[int], group: OpinionGroup | None, *,
         pin: bool | None = None) -> set[int]:
    """Put these opinions into ``group`` (None: into no group). They inherit its
    disposition (or lose the inherited one); ``pin`` sets their pinned flag. Returns the
    ids of the groups they left (to recount). Counts are not updated here."""
    return move_many({group.id if group else None: list(opinion_ids)},
                     {group.id: group} if group else {}, pin=pin)


def move_many(targets: dict[int | None, list[int]], groups: dict[int, OpinionGroup], *,
              pin: bool | None = None, known: dict[int, tuple] | None = None) -> set[int]:
    """:func:`move` for many target groups at once (``{group id or None: opinion ids}``;
    ``groups`` holds the target groups). The group ids are set in bulk
    (:func:`_set_group_ids`); the inherited disposition by one UPDATE per distinct
    disposition and 500 opinions, only on the rows where it changes. ``known``: what
    the caller read of every moving opinion in this transaction, ``{id: (group id,
    disposition, reason, overridden)}``, so that nothing is read again and opinions
    whose disposition stays are not touched."""
    ids = [i for members in targets.values() for i in members]
    if not ids:
        return set()
    connection = db.session.connection()
    o, m = _OPINION.c, _MEMBER.c
    if known is not None:
        current = {i: known[i][0] for i in ids}
    else:
        current = dict.fromkeys(ids)
        for part in chunks(sorted(ids)):
            current.update((row[0], row[1]) for row in connection.execute(
                sa.select(m.opinion_id, m.group_id).where(m.opinion_id.in_(part))))
    left = set(current.values()) - {None}
    _set_group_ids(connection, targets, current)
    inherited: dict[tuple[str | None, str | None], list[int]] = {}
    for gid, members in targets.items():
        group = groups.get(gid) if gid is not None else None
        disposition = group.disposition.value if group and group.disposition else None
        reason = group.disposition_reason if group else None
        if known is not None:
            members = [i for i in members if not known[i][3]
                       and (known[i][1], known[i][2]) != (disposition, reason)]
        inherited.setdefault((disposition, reason), []).extend(members)
    for (disposition, reason), members in inherited.items():
        for part in chunks(sorted(members)):
            # Only the rows whose inherited disposition changes (SQLite rewrites the
            # disposition indexes of every row an UPDATE sets it on); members whose
            # disposition an official overrode keep theirs.
            connection.execute(sa.update(_OPINION).where(
                o.id.in_(part), o.disposition_overridden.is_(False),
                sa.or_(o.disposition.is_distinct_from(disposition),
                       o.disposition_reason.is_distinct_from(reason)))
                .values(disposition=disposition, disposition_reason=reason))
    if pin is not None:
        for part in chunks(ids):
            connection.execute(sa.update(_FINGERPRINT).where(
                _FINGERPRINT.c.opinion_id.in_(part)).values(pinned=pin))
    expire_opinions(ids)
    return left - {gid for gid in targets if gid is not None}


#: Memberships per statement when they are written from arrays on PostgreSQL.
_ARRAY_CHUNK = 20_000
_UPSERT_MEMBERS = {
    # An opinion grouped meanwhile by an arriving one (another transaction) is moved,
    # not refused by the primary key.
    "postgresql": ("INSERT INTO opinion_membership (opinion_id, group_id) "
                   "SELECT * FROM unnest(%(ids)s::integer[], %(groups)s::integer[]) "
                   "ON CONFLICT (opinion_id) DO UPDATE SET group_id = EXCLUDED.group_id"),
    "sqlite": ("INSERT INTO opinion_membership (opinion_id, group_id) VALUES (?, ?) "
               "ON CONFLICT (opinion_id) DO UPDATE SET group_id = excluded.group_id"),
}


def _set_group_ids(connection: sa.Connection, targets: dict[int | None, list[int]],
                   current: dict[int, int | None]) -> None:
    """Each opinion's membership to its target (``current``: the group each is in now, or
    None): the rows of those leaving every group deleted, 500 at a time; those of the
    others written in key order, on PostgreSQL one ``INSERT … FROM unnest(…) ON CONFLICT
    DO UPDATE`` per 20,000, on SQLite one prepared upsert run for every row in C. Narrow
    rows: on ``opinion`` each move rewrote a wide row and its thirty index entries."""
    m = _MEMBER.c
    leaving = sorted(i for i in targets.get(None, ()) if current.get(i) is not None)
    for part in chunks(leaving):
        connection.execute(sa.delete(_MEMBER).where(m.opinion_id.in_(part)))
    pairs = sorted((opinion_id, gid) for gid, members in targets.items() if gid is not None
                   for opinion_id in members)
    if not pairs:
        return
    if connection.dialect.name == "postgresql":
        for part in chunks(pairs, _ARRAY_CHUNK):
            connection.exec_driver_sql(_UPSERT_MEMBERS["postgresql"],
                                       {"ids": [i for i, _ in part],
                                        "groups": [g for _, g in part]})
        return
    connection.exec_driver_sql(_UPSERT_MEMBERS["sqlite"], pairs)


def expire_opinions(ids: Iterable[int]) -> None:
    """Forget the loaded state of these opinions (changed by Core UPDATEs)."""
    wanted = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Opinion) and obj.id in wanted:
            db.session.expire(obj)


def _group_stats(ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    """``{group id: (opinions, people, lowest member id)}`` for groups with members."""
    m, f = _MEMBER.c, _FINGERPRINT.c
    people = sa.func.count(sa.distinct(sa.func.coalesce(
        f.person_key, sa.literal("o") + sa.cast(m.opinion_id, sa.String))))
    return {row[0]: (row[1], row[2], row[3]) for row in db.session.connection().execute(
        sa.select(m.group_id, sa.func.count(m.opinion_id), people, sa.func.min(m.opinion_id))
        .select_from(_MEMBER.outerjoin(_FINGERPRINT, f.opinion_id == m.opinion_id))
        .where(m.group_id.in_(ids)).group_by(m.group_id))}


def tidy_groups(group_ids: Iterable[int], *, keep_manual: bool = True) -> None:
    """Recount these groups (people: distinct person keys; a member without a
    fingerprint is one person), give each a representative that is a member (its first
    member when it has none or lost it), and delete the automatic ones left with fewer
    than two members (their last member leaves too). Manual groups stay even when small
    (``keep_manual``); an empty group is always deleted. Set-based: a few statements per
    500 groups."""
    db.session.flush()  # changes to loaded groups first: they are expired below
    connection = db.session.connection()
    g, m = _GROUP.c, _MEMBER.c
    for part in chunks(sorted(set(group_ids))):
        stats = _group_stats(part)
        current = {row[0]: (row[1], row[2]) for row in connection.execute(
            sa.select(g.id, g.kind, g.representative_opinion_id).where(g.id.in_(part)))}
        reps = [rep for _kind, rep in current.values() if rep is not None]
        member_of = {row[0]: row[1] for row in connection.execute(
            sa.select(m.opinion_id, m.group_id).where(m.opinion_id.in_(reps)))} if reps else {}
        doomed, updates = [], []
        for gid, (kind, rep) in current.items():
            count, people, first = stats.get(gid, (0, 0, None))
            if count == 0 or (count < 2 and not (keep_manual and kind == "manual")):
                doomed.append(gid)
                continue
            if rep is None or member_of.get(rep) != gid:
                rep = first
            updates.append({"gid": gid, "count": count, "people": people, "rep": rep})
        if updates:
            connection.execute(
                sa.update(_GROUP).where(g.id == sa.bindparam("gid")).values(
                    opinion_count=sa.bindparam("count"), people_count=sa.bindparam("people"),
                    representative_opinion_id=sa.bindparam("rep"), updated_at=utcnow()),
                updates)
        if doomed:
            members = list(connection.scalars(
                sa.delete(_MEMBER).where(m.group_id.in_(doomed)).returning(m.opinion_id)))
            expire_opinions(members)
            connection.execute(sa.delete(_GROUP).where(g.id.in_(doomed)))
        for obj in list(db.session.identity_map.values()):
            if isinstance(obj, OpinionGroup) and obj.id in current:
                if obj.id in doomed:
                    db.session.expunge(obj)
                else:
                    db.session.expire(obj)

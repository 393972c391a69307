"""Writing what grouping knows: fingerprints and bands, members moving between groups
(with the inherited disposition), and the groups' counts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from participation.extensions import db
from participation.opinions.grouping.models import OpinionBand, OpinionFingerprint
from participation.opinions.grouping.normalise import exact_key, normalise, person_key
from participation.opinions.models import Opinion, OpinionGroup

if TYPE_CHECKING:
    import numpy as np

CHUNK = 500  # ids per IN (…) list


def chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for first in range(0, len(values), size):
        yield values[first:first + size]


FINGERPRINT_COLUMNS = (Opinion.id, Opinion.consultation_id, Opinion.body, Opinion.author_id,
                       Opinion.contact, Opinion.display_name, Opinion.channel)


def store_fingerprints(rows: Sequence, normalised: Sequence[str] | None = None, *,
                       replace: bool = True) -> np.ndarray:
    """Write the fingerprint and band rows of opinions given as rows of
    :data:`FINGERPRINT_COLUMNS` or :class:`Opinion` objects (replacing earlier ones, unless
    ``replace`` is false for opinions just written); returns their band hashes
    (len(rows), BANDS)."""
    import numpy as np

    from participation.opinions.grouping import minhash

    if not rows:
        return np.empty((0, minhash.BANDS), dtype=np.int64)
    norms = list(normalised) if normalised is not None else [normalise(r.body) for r in rows]
    bands = minhash.band_hashes(minhash.signatures(norms))
    ids = [r.id for r in rows] if replace else []
    for part in chunks(ids):
        db.session.execute(sa.delete(OpinionBand).where(OpinionBand.opinion_id.in_(part)))
        db.session.execute(sa.delete(OpinionFingerprint)
                           .where(OpinionFingerprint.opinion_id.in_(part)))
    db.session.execute(sa.insert(OpinionFingerprint), [
        {"opinion_id": r.id, "consultation_id": r.consultation_id,
         "exact_key": exact_key(norm), "pinned": False,
         "person_key": person_key(r.id, r.author_id, r.contact, r.display_name,
                                  str(r.channel))}
        for r, norm in zip(rows, norms, strict=True)])
    band_rows = []
    for r, hashes in zip(rows, bands.tolist(), strict=True):
        # One row per distinct hash (two equal bands of one text would collide).
        band_rows.extend({"consultation_id": r.consultation_id, "band_hash": h,
                          "opinion_id": r.id} for h in set(hashes))
    db.session.execute(sa.insert(OpinionBand), band_rows)
    return bands


def recount_groups(group_ids: Iterable[int]) -> None:
    """Set ``opinion_count`` and ``people_count`` of these groups from their members
    (people: distinct person keys; a member without a fingerprint is one person)."""
    ids = sorted(set(group_ids))
    for part in chunks(ids):
        people = sa.func.count(sa.distinct(sa.func.coalesce(
            OpinionFingerprint.person_key, sa.literal("o") + sa.cast(Opinion.id, sa.String))))
        counts = {row.group_id: (row.opinions, row.people) for row in db.session.execute(
            sa.select(Opinion.group_id, sa.func.count(Opinion.id).label("opinions"),
                      people.label("people"))
            .outerjoin(OpinionFingerprint, OpinionFingerprint.opinion_id == Opinion.id)
            .where(Opinion.group_id.in_(part)).group_by(Opinion.group_id))}
        db.session.execute(sa.update(OpinionGroup),
                           [{"id": gid, "opinion_count": counts.get(gid, (0, 0))[0],
                             "people_count": counts.get(gid, (0, 0))[1]} for gid in part])
    db.session.expire_all()


def inherit(group: OpinionGroup, opinion_ids: Sequence[int] | None = None) -> None:
    """Members (all, or ``opinion_ids``) whose disposition is not overridden take the
    group's disposition and reason (both None when the group has none)."""
    query = sa.update(Opinion).where(Opinion.group_id == group.id,
                                     Opinion.disposition_overridden.is_(False))
    values = {"disposition": group.disposition, "disposition_reason": group.disposition_reason}
    if opinion_ids is None:
        db.session.execute(query.values(**values))
        return
    for part in chunks(list(opinion_ids)):
        db.session.execute(query.where(Opinion.id.in_(part)).values(**values)
                           )


def move(opinion_ids: Sequence[int], group: OpinionGroup | None, *,
         pin: bool | None = None) -> set[int]:
    """Put these opinions into ``group`` (None: into no group). They inherit its
    disposition (or lose the inherited one); ``pin`` sets their pinned flag. Returns the
    ids of the groups they left (to recount). Flushes; counts are not updated here."""
    ids = list(opinion_ids)
    left: set[int] = set()
    for part in chunks(ids):
        left.update(gid for gid in db.session.scalars(
            sa.select(Opinion.group_id).where(Opinion.id.in_(part),
                                              Opinion.group_id.is_not(None)).distinct()))
        db.session.execute(
            sa.update(Opinion).where(Opinion.id.in_(part))
            .values(group_id=group.id if group else None))
        inherited = {"disposition": group.disposition if group else None,
                     "disposition_reason": group.disposition_reason if group else None}
        db.session.execute(
            sa.update(Opinion).where(Opinion.id.in_(part),
                                     Opinion.disposition_overridden.is_(False))
            .values(**inherited))
        if pin is not None:
            db.session.execute(
                sa.update(OpinionFingerprint).where(OpinionFingerprint.opinion_id.in_(part))
                .values(pinned=pin))
    if group is not None:
        left.discard(group.id)
    expire_opinions(ids)
    return left


def expire_opinions(ids: Iterable[int]) -> None:
    """Forget the loaded state of these opinions (changed by bulk UPDATEs)."""
    wanted = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Opinion) and obj.id in wanted:
            db.session.expire(obj)


def tidy_groups(group_ids: Iterable[int], *, keep_manual: bool = True) -> None:
    """Recount these groups, give each a representative (its first member when it has
    none or lost it), and delete the automatic ones left with fewer than two members
    (their last member leaves too). Manual groups stay even when small (``keep_manual``);
    an empty group is always deleted."""
    ids = sorted(set(group_ids))
    if not ids:
        return
    recount_groups(ids)
    for group in db.session.scalars(sa.select(OpinionGroup).where(OpinionGroup.id.in_(ids))):
        small = group.opinion_count < 2 and not (keep_manual and group.kind == "manual")
        if group.opinion_count == 0 or small:
            db.session.execute(sa.update(Opinion).where(Opinion.group_id == group.id)
                               .values(group_id=None)
                               )
            db.session.delete(group)
            continue
        member = None
        if group.representative_opinion_id is not None:
            member = db.session.scalar(sa.select(Opinion.id).where(
                Opinion.id == group.representative_opinion_id,
                Opinion.group_id == group.id))
        if member is None:
            group.representative_opinion_id = db.session.scalar(
                sa.select(sa.func.min(Opinion.id)).where(Opinion.group_id == group.id))
    db.session.flush()

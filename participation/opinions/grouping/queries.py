"""Reading groups: the list of a consultation, members, and candidates to add."""

from __future__ import annotations

import sqlalchemy as sa

from participation.extensions import db
from participation.opinions.grouping.normalise import normalise
from participation.opinions.models import Opinion, OpinionGroup, in_group

CANDIDATE_POOL = 3_000  # latest opinions of the article compared at most
CANDIDATES_SHOWN = 20
CANDIDATE_SCORE = 0.3


def groups_query(consultation, *, minimum: int = 0) -> sa.Select:
    """The consultation's groups, largest first (only those of ``minimum`` opinions)."""
    query = sa.select(OpinionGroup).where(OpinionGroup.consultation_id == consultation.id)
    if minimum:
        query = query.where(OpinionGroup.opinion_count >= minimum)
    return query.order_by(OpinionGroup.opinion_count.desc(), OpinionGroup.id)


def representatives(groups) -> dict[int, Opinion]:
    """``{group id: representative opinion}`` for these groups (one query)."""
    ids = [g.representative_opinion_id for g in groups if g.representative_opinion_id]
    if not ids:
        return {}
    opinions = {o.id: o for o in db.session.scalars(sa.select(Opinion).where(
        Opinion.id.in_(ids)))}
    return {g.id: opinions[g.representative_opinion_id] for g in groups
            if g.representative_opinion_id in opinions}


def members_query(group: OpinionGroup) -> sa.Select:
    return sa.select(Opinion).where(in_group(group.id))


def _bigrams(text: str) -> set[str]:
    value = normalise(text)
    return {value[i:i + 2] for i in range(max(len(value) - 1, 1))}


def candidates(group: OpinionGroup, representative: Opinion | None) -> list[tuple[Opinion,
                                                                                   float]]:
    """Opinions on the representative's article (or on the whole draft) that are not in
    the group and share much of its wording (Dice coefficient of their character pairs:
    the same point in other words keeps most of its key terms), best first: at most
    :data:`CANDIDATES_SHOWN` of the latest :data:`CANDIDATE_POOL`."""
    if representative is None:
        return []
    node = (Opinion.node_id == representative.node_id if representative.node_id is not None
            else Opinion.node_id.is_(None))
    pool = db.session.scalars(
        sa.select(Opinion).where(Opinion.consultation_id == group.consultation_id, node,
                                 ~in_group(group.id))
        .order_by(Opinion.id.desc()).limit(CANDIDATE_POOL)).all()
    wanted = _bigrams(representative.body)
    scored = []
    for opinion in pool:
        theirs = _bigrams(opinion.body)
        score = 2 * len(wanted & theirs) / max(1, len(wanted) + len(theirs))
        if score >= CANDIDATE_SCORE:
            scored.append((opinion, score))
    scored.sort(key=lambda pair: (-pair[1], -pair[0].id))
    return scored[:CANDIDATES_SHOWN]

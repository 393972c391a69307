"""Read side of the classification workspace: its filters and the selection a bulk action
works on (the ticked opinions, or every opinion the filter matches).

Every filter maps to one indexed condition (``ix_opinion_ws_*``: consultation, the
column, id), so any combination answers from an index with keyset pages by id; the
article filter reads ``coalesce(cited_node_id, node_id)``: the article the text cites,
else the one the person chose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from participation.consultations.models import Consultation
from participation.extensions import db
from participation.opinions.models import (
    Channel,
    Disposition,
    ModerationState,
    Opinion,
    Stance,
    in_any_group,
    in_group,
)

NONE = "none"  # the filter value "not given yet" (no topic, stance, disposition, group)
ANY = "any"  # the group filter value "in any group"


def statements_taken_by(consultation: Consultation) -> bool:
    """Whether ``consultation`` handles its decision's statements by representatives
    (opinions whose source is a meeting): the decision's latest consultation does, so
    each statement is classified and reported once."""
    latest = db.session.scalar(
        sa.select(Consultation.id).where(Consultation.decision_id == consultation.decision_id)
        .order_by(Consultation.opens_at.desc(), Consultation.id.desc()).limit(1))
    return latest == consultation.id


def statements_condition(decision_id: int):
    """SQL: the statements by representatives about a decision (indexed:
    ``ix_opinion_statements``)."""
    return sa.and_(Opinion.decision_id == decision_id, Opinion.meeting_id.is_not(None))


def open_day_opinions_condition(decision_id: int):
    """SQL: the opinions heard at the open days linked to a decision (their
    questionnaires' open answers)."""
    return sa.and_(Opinion.decision_id == decision_id, Opinion.consultation_id.is_(None),
                   Opinion.open_day_id.is_not(None))


def taken_condition(decision_id: int):
    """SQL: every opinion about a decision that came from another source than a
    consultation (statements at meetings, opinions heard at open days); exactly one
    source is set, so this is ``consultation_id IS NULL`` (the partial index
    ``ix_opinion_other_sources``: a decision's 100,000 consultation opinions are never
    read to find none)."""
    return sa.and_(Opinion.decision_id == decision_id, Opinion.consultation_id.is_(None))


def in_workspace(consultation: Consultation):
    """SQL: the opinions the consultation's workspace handles: its own, and the
    decision's statements by representatives and opinions heard at its open days when it
    takes them (only when there are any, so the usual condition stays a plain indexed
    equality)."""
    own = Opinion.consultation_id == consultation.id
    if not statements_taken_by(consultation):
        return own
    taken = taken_condition(consultation.decision_id)
    if db.session.scalar(sa.select(Opinion.id).where(taken).limit(1)) is None:
        return own
    return sa.or_(own, taken)


def handling_consultation(opinion: Opinion) -> Consultation | None:
    """The consultation whose workspace classifies the opinion: its source, or for a
    statement by a representative or an opinion heard at an open day its decision's
    latest consultation (None: no decision, or the decision was never consulted on)."""
    if opinion.consultation_id is not None:
        return opinion.consultation
    return latest_consultation(opinion.decision_id)


def latest_consultation(decision_id: int | None) -> Consultation | None:
    """The decision's latest consultation (the one taking its other sources' opinions);
    None without a decision or when it was never consulted on."""
    if decision_id is None:
        return None
    return db.session.scalar(
        sa.select(Consultation).where(Consultation.decision_id == decision_id)
        .order_by(Consultation.opens_at.desc(), Consultation.id.desc()).limit(1))


def article_of():
    """SQL: the article an opinion is about (cited, else chosen)."""
    return sa.func.coalesce(Opinion.cited_node_id, Opinion.node_id)


@dataclass(frozen=True)
class WorkspaceFilters:
    """What the workspace is narrowed to; None means no filter. ``topic`` and ``group``
    are ids or :data:`NONE` (``group`` also :data:`ANY`); ``stance`` and ``disposition``
    are members or :data:`NONE`."""

    node_id: int | None = None
    channel: Channel | None = None
    topic: int | str | None = None
    stance: Stance | str | None = None
    disposition: Disposition | str | None = None
    group: int | str | None = None
    moderation_state: ModerationState | None = None
    late: bool | None = None
    text: str = ""

    def conditions(self) -> list[Any]:
        """The SQL conditions of the filters (the consultation's condition not included)."""
        where: list[Any] = []
        if self.node_id is not None:
            where.append(article_of() == self.node_id)
        if self.channel is not None:
            where.append(Opinion.channel == self.channel)
        if self.topic is not None:
            where.append(Opinion.topic_id.is_(None) if self.topic == NONE
                         else Opinion.topic_id == self.topic)
        if self.stance is not None:
            where.append(Opinion.stance.is_(None) if self.stance == NONE
                         else Opinion.stance == self.stance)
        if self.disposition is not None:
            where.append(Opinion.disposition.is_(None) if self.disposition == NONE
                         else Opinion.disposition == self.disposition)
        if self.group is not None:
            if self.group == NONE:
                where.append(~in_any_group())
            elif self.group == ANY:
                where.append(in_any_group())
            else:
                where.append(in_group(self.group))
        if self.moderation_state is not None:
            where.append(Opinion.moderation_state == self.moderation_state)
        if self.late is not None:
            where.append(Opinion.is_late.is_(self.late))
        if self.text:
            where.append(Opinion.body.contains(self.text, autoescape=True))
        return where

    def describe(self) -> dict[str, Any]:
        """The filters that are set, as JSON values (for the audit log)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {name: getattr(value, "value", value) for name, value in values.items()
                if value is not None and value != ""}

    @property
    def is_empty(self) -> bool:
        return not self.describe()


@dataclass(frozen=True)
class Selection:
    """The opinions a bulk action works on: ``ids`` ticked on the page (only those of the
    consultation count), or, when ``ids`` is None, every opinion matching ``filters``.

    ``consultation`` None: opinions no consultation handles (an open day's without a
    consulted decision, handled on the open day's page), by ``ids`` only."""

    consultation: Consultation | None
    filters: WorkspaceFilters = field(default_factory=WorkspaceFilters)
    ids: tuple[int, ...] | None = None

    def id_query(self) -> sa.Select:
        """``SELECT opinion.id`` of the selection, for ``UPDATE … WHERE id IN (…)``."""
        if self.consultation is None:
            return sa.select(Opinion.id).where(Opinion.consultation_id.is_(None),
                                               Opinion.id.in_(self.ids or (0,)))
        query = sa.select(Opinion.id).where(in_workspace(self.consultation))
        if self.ids is not None:
            return query.where(Opinion.id.in_(self.ids or (0,)))
        return query.where(*self.filters.conditions())

    def count(self) -> int:
        """How many opinions the selection holds."""
        return db.session.scalar(sa.select(sa.func.count()).select_from(
            self.id_query().subquery())) or 0

    def describe(self) -> dict[str, Any]:
        """The selection for the audit log: the ids ticked, or the filter."""
        if self.ids is not None:
            return {"ids": sorted(self.ids)}
        return {"filter": self.filters.describe()}


def workspace_query(consultation: Consultation, filters: WorkspaceFilters) -> sa.Select:
    """The consultation's opinions matching ``filters``, newest first (by id)."""
    return (sa.select(Opinion)
            .options(selectinload(Opinion.node), selectinload(Opinion.cited_node),
                     selectinload(Opinion.topic), selectinload(Opinion.suggested_topic))
            .where(in_workspace(consultation), *filters.conditions())
            .order_by(Opinion.id.desc()))


def count_matching(consultation: Consultation, filters: WorkspaceFilters,
                   cap: int | None = None) -> int:
    """How many of the consultation's opinions match ``filters``; with ``cap``, counting
    stops after ``cap + 1`` (a page need not count 90,000 rows to say "more than 10,000";
    a bulk action's confirmation counts them all)."""
    query = Selection(consultation, filters).id_query()
    if cap is not None:
        query = query.limit(cap + 1)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0

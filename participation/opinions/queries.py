"""Read-side queries of opinions: public lists, the officials' received list, receipts."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from participation.consultations.models import Consultation, DraftNode, DraftVersion
from participation.consultations.queries import node_lineage_ids
from participation.extensions import db
from participation.opinions.models import Channel, Opinion
from participation.opinions.receipts import RECEIPT_LENGTH, normalise_receipt_number


def count_by_channel(consultation: Consultation) -> dict[Channel, int]:
    """How many opinions the consultation received through each channel."""
    return dict(db.session.execute(
        sa.select(Opinion.channel, sa.func.count(Opinion.id))
        .where(Opinion.consultation_id == consultation.id).group_by(Opinion.channel)
    ).tuples().all())


def find_by_receipt(number: str) -> Opinion | None:
    """The opinion with this receipt number (as typed), or None."""
    normalised = normalise_receipt_number(number)
    if len(normalised.replace("-", "")) != RECEIPT_LENGTH:
        return None
    return db.session.scalar(sa.select(Opinion).where(Opinion.receipt_number == normalised))


def public_opinion_total(consultation: Consultation, node: DraftNode | None) -> int | None:
    """The number of public opinions when a counter knows it (the whole consultation),
    so that long lists need not be counted on every page."""
    return consultation.public_opinion_count if node is None else None


def public_opinions_query(consultation: Consultation, node: DraftNode | None = None):
    """Opinions any visitor may read for a consultation (and article, with the opinions
    given on the matching articles of earlier versions), newest first."""
    query = sa.select(Opinion).options(selectinload(Opinion.node)).where(
        Opinion.consultation_id == consultation.id, Opinion.is_public)
    if node is not None:
        query = query.where(Opinion.node_id.in_(node_lineage_ids(node)))
    return query.order_by(Opinion.id.desc())


@dataclass(frozen=True)
class ReceivedOpinionFilters:
    """What an official narrows the received-opinion list to (None / "" = everything)."""

    channel: Channel | None = None
    node: DraftNode | None = None  # an article of the current version
    text: str = ""  # a substring of the body
    oldest_first: bool = False


def article_choices(consultation: Consultation) -> list[DraftNode]:
    """The commentable articles of the consultation's current version, in order."""
    return list(db.session.scalars(
        sa.select(DraftNode).where(DraftNode.version_id == consultation.draft_version_id,
                                   DraftNode.kind.in_(DraftNode.COMMENTABLE_KINDS))
        .order_by(DraftNode.position)))


def received_opinions_query(consultation: Consultation, filters: ReceivedOpinionFilters):
    """Every opinion the consultation received (all channels, public or not) that matches
    ``filters``, sorted by received time (newest first unless ``oldest_first``).

    An article matches the opinions given on it and those given on the article of the
    same label in an earlier version of the draft."""
    query = sa.select(Opinion).options(selectinload(Opinion.node)).where(
        Opinion.consultation_id == consultation.id)
    if filters.channel is not None:
        query = query.where(Opinion.channel == filters.channel)
    if filters.node is not None:
        same_article = sa.select(DraftNode.id).join(
            DraftVersion, DraftVersion.id == DraftNode.version_id).where(
            DraftVersion.draft_id == consultation.draft_id,
            DraftNode.kind == filters.node.kind, DraftNode.label == filters.node.label)
        query = query.where(sa.or_(Opinion.node_id == filters.node.id,
                                   Opinion.node_id.in_(same_article)))
    if filters.text:
        query = query.where(Opinion.body.contains(filters.text, autoescape=True))
    if filters.oldest_first:
        return query.order_by(Opinion.received_at.asc(), Opinion.id.asc())
    return query.order_by(Opinion.received_at.desc(), Opinion.id.desc())


def count_received(consultation: Consultation, filters: ReceivedOpinionFilters) -> int:
    """How many received opinions match ``filters`` (the list's total when filtered)."""
    query = received_opinions_query(consultation, filters).order_by(None).options()
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0

"""Read-side queries of moderation: which consultations a moderator handles, the queue
of opinions awaiting review, and the reports of the opinions shown."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from participation.accounts.models import Role
from participation.accounts.queries import unit_and_descendants
from participation.catalogue.models import Decision
from participation.consultations.models import Consultation
from participation.extensions import db
from participation.opinions.models import ModerationState, Opinion
from participation.opinions.moderation_models import NOT_PUBLISHED, OpinionReport


def moderated_unit_ids(user, government_id: int) -> set[int] | None:
    """The units of the government whose opinions ``user`` moderates (a moderator role on
    the unit or an enclosing one); None means every unit (an administrator)."""
    unit_ids: set[int] = set()
    for membership in user.memberships:
        if membership.government_id != government_id:
            continue
        if membership.role == Role.ADMINISTRATOR:
            return None
        if membership.role == Role.MODERATOR and membership.unit_id is not None:
            unit_ids.update(unit_and_descendants(membership.unit_id))
    return unit_ids


def moderated_consultations(user, government_id: int) -> sa.Select:
    """The ids of the consultations whose opinions ``user`` moderates (a subquery)."""
    query = (sa.select(Consultation.id)
             .join(Decision, Decision.id == Consultation.decision_id)
             .where(Consultation.government_id == government_id))
    units = moderated_unit_ids(user, government_id)
    if units is not None:
        query = query.where(Decision.unit_id.in_(sorted(units) or [-1]))
    return query


@dataclass(frozen=True)
class QueueCount:
    """One row of the queue's summary: a consultation and its opinions in review."""

    consultation: Consultation
    pending: int


def queue_counts(user, government_id: int) -> list[QueueCount]:
    """Per consultation the user moderates, how many opinions await review (those with
    at least one), most first."""
    rows = db.session.execute(
        sa.select(Opinion.consultation_id, sa.func.count(Opinion.id))
        .where(Opinion.consultation_id.in_(moderated_consultations(user, government_id)),
               Opinion.moderation_state == ModerationState.PENDING, NOT_PUBLISHED)
        .group_by(Opinion.consultation_id)).tuples().all()
    counts = [QueueCount(db.session.get(Consultation, consultation_id), number)
              for consultation_id, number in rows]
    return sorted(counts, key=lambda c: (-c.pending, c.consultation.id))


def queue_query(user, government_id: int, state: ModerationState = ModerationState.PENDING,
                consultation: Consultation | None = None) -> sa.Select:
    """The opinions in ``state`` (pending by default) of the consultations the user
    moderates, or of one of them, newest first (keyset pages by id)."""
    query = sa.select(Opinion).options(selectinload(Opinion.node),
                                       selectinload(Opinion.consultation)).where(
        Opinion.moderation_state == state, NOT_PUBLISHED)
    if consultation is not None:
        query = query.where(Opinion.consultation_id == consultation.id)
    else:
        query = query.where(
            Opinion.consultation_id.in_(moderated_consultations(user, government_id)))
    return query.order_by(Opinion.id.desc())


def reports_of(opinion_ids: list[int]) -> dict[int, list[OpinionReport]]:
    """{opinion id: its citizens' reports, newest first} for the opinions shown."""
    reports: dict[int, list[OpinionReport]] = {}
    if not opinion_ids:
        return reports
    for report in db.session.scalars(
            sa.select(OpinionReport).where(OpinionReport.opinion_id.in_(opinion_ids))
            .order_by(OpinionReport.id.desc())):
        reports.setdefault(report.opinion_id, []).append(report)
    return reports


def pending_total(user, government_id: int) -> int:
    """How many opinions await review in the consultations the user moderates."""
    return db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(
        Opinion.consultation_id.in_(moderated_consultations(user, government_id)),
        Opinion.moderation_state == ModerationState.PENDING, NOT_PUBLISHED)) or 0

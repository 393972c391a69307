"""Read-side queries of moderation: which consultations a moderator handles, the queue
of opinions awaiting review, and the reports of the opinions shown.

Opinions of other sources held for review (an open day's questionnaire answers) join the
same queue: a domain to the right registers its source with
:func:`register_moderated_source` (the model's name, the opinion column naming it; the
model has ``government_id`` and ``unit_id``), so no upward import is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from participation.accounts.models import Role
from participation.accounts.queries import unit_and_descendants
from participation.catalogue.models import Decision
from participation.consultations.models import Consultation
from participation.extensions import db
from participation.opinions.models import ModerationState, Opinion
from participation.opinions.moderation_models import NOT_PUBLISHED, OpinionReport


@dataclass(frozen=True)
class ModeratedSource:
    """A kind of opinion source besides consultations whose opinions are moderated in the
    queue: ``model`` (a class name, looked up in the registry) with ``government_id``,
    ``unit_id`` (the unit moderating them) and ``title``; ``opinion_column`` the
    :class:`Opinion` column naming it."""

    model: str
    opinion_column: str

    @property
    def model_class(self) -> Any:
        for mapper in db.Model.registry.mappers:
            if mapper.class_.__name__ == self.model:
                return mapper.class_
        raise LookupError(self.model)

    @property
    def column(self) -> Any:
        return getattr(Opinion, self.opinion_column)


MODERATED_SOURCES: tuple[ModeratedSource, ...] = ()


def register_moderated_source(source: ModeratedSource) -> None:
    """Add a kind of source (open days) to the moderation queue; called from the
    ``receivers.py`` of the domain defining it."""
    global MODERATED_SOURCES
    if all(existing.model != source.model for existing in MODERATED_SOURCES):
        MODERATED_SOURCES = (*MODERATED_SOURCES, source)


def moderated_source_of(opinion: Opinion) -> ModeratedSource | None:
    """The registered source kind of an opinion that has no consultation (None: none)."""
    for source in MODERATED_SOURCES:
        if getattr(opinion, source.opinion_column) is not None:
            return source
    return None


def moderating_unit(opinion: Opinion):
    """The unit whose moderators handle the opinion: its consultation's decision's unit,
    else its registered source's unit (None: a source outside moderation)."""
    if opinion.consultation is not None:
        return opinion.consultation.decision.unit
    if moderated_source_of(opinion) is None:
        return None
    return opinion.source.unit


def _moderated_condition(user, government_id: int):
    """SQL: the opinions ``user`` moderates in the government, every source included."""
    units = moderated_unit_ids(user, government_id)
    conditions = [Opinion.consultation_id.in_(moderated_consultations(user, government_id))]
    for source in MODERATED_SOURCES:
        model = source.model_class
        ids = sa.select(model.id).where(model.government_id == government_id)
        if units is not None:
            ids = ids.where(model.unit_id.in_(sorted(units) or [-1]))
        conditions.append(source.column.in_(ids))
    return sa.or_(*conditions) if len(conditions) > 1 else conditions[0]


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
    """One row of the queue's summary: a consultation (or another source, e.g. an open
    day, when ``consultation`` is None) and its opinions in review."""

    consultation: Consultation | None
    pending: int
    source: Any = None

    @property
    def title(self) -> str:
        return (self.consultation or self.source).title


def queue_counts(user, government_id: int) -> list[QueueCount]:
    """Per consultation (and other source) the user moderates, how many opinions await
    review (those with at least one), most first."""
    rows = db.session.execute(
        sa.select(Opinion.consultation_id, sa.func.count(Opinion.id))
        .where(Opinion.consultation_id.in_(moderated_consultations(user, government_id)),
               Opinion.moderation_state == ModerationState.PENDING, NOT_PUBLISHED)
        .group_by(Opinion.consultation_id)).tuples().all()
    counts = [QueueCount(db.session.get(Consultation, consultation_id), number)
              for consultation_id, number in rows]
    units = moderated_unit_ids(user, government_id)
    others: list[QueueCount] = []
    for source in MODERATED_SOURCES:
        model = source.model_class
        query = (sa.select(source.column, sa.func.count(Opinion.id))
                 .join(model, model.id == source.column)
                 .where(model.government_id == government_id,
                        Opinion.moderation_state == ModerationState.PENDING, NOT_PUBLISHED)
                 .group_by(source.column))
        if units is not None:
            query = query.where(model.unit_id.in_(sorted(units) or [-1]))
        others += [QueueCount(None, number, db.session.get(model, source_id))
                   for source_id, number in db.session.execute(query).tuples().all()]
    return sorted(counts, key=lambda c: (-c.pending, c.consultation.id)) + sorted(
        others, key=lambda c: (-c.pending, c.source.id))


def queue_query(user, government_id: int, state: ModerationState = ModerationState.PENDING,
                consultation: Consultation | None = None) -> sa.Select:
    """The opinions in ``state`` (pending by default) of the consultations the user
    moderates, or of one of them, newest first (keyset pages by id)."""
    query = sa.select(Opinion).options(selectinload(Opinion.node),
                                       selectinload(Opinion.consultation),
                                       selectinload(Opinion.open_day)).where(
        Opinion.moderation_state == state, NOT_PUBLISHED)
    if consultation is not None:
        query = query.where(Opinion.consultation_id == consultation.id)
    else:
        query = query.where(_moderated_condition(user, government_id))
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
        _moderated_condition(user, government_id),
        Opinion.moderation_state == ModerationState.PENDING, NOT_PUBLISHED)) or 0

"""How the consultations domain answers the signals of the domains to its left."""

from __future__ import annotations

import sqlalchemy as sa

from participation.accounts.queries import internal_unit_ids
from participation.catalogue.models import Decision, Stage
from participation.catalogue.operations import StageError
from participation.consultations.models import Consultation
from participation.core import signals
from participation.core.database import utcnow
from participation.extensions import db


@signals.stage_material_requested.connect
def consultation_stages(decision_ids: list[int]) -> dict[int, set[Stage]]:
    """A decision with a consultation has public draft and consultation material."""
    rows = db.session.scalars(
        sa.select(Consultation.decision_id).where(Consultation.decision_id.in_(decision_ids))
        .distinct())
    return {decision_id: {Stage.DRAFTING, Stage.PUBLIC_CONSULTATION} for decision_id in rows}


@signals.decision_stage_checked.connect
def refuse_while_consultation_unfinished(decision: Decision, to_stage: Stage) -> None:
    """No stage after public consultation while one of its consultations is open or
    upcoming (leaving the consultation stage counts as moving past it)."""
    leaving = decision.stage == Stage.PUBLIC_CONSULTATION
    if not (leaving or to_stage.order > Stage.PUBLIC_CONSULTATION.order):
        return
    unfinished = db.session.scalar(
        sa.select(sa.func.count(Consultation.id)).where(
            Consultation.decision_id == decision.id, Consultation.closes_at > utcnow()))
    if unfinished:
        raise StageError("consultation_open", field="stage")


@signals.dashboard_sections_requested.connect
def open_consultations_section(user) -> signals.DashboardSection:
    """The open consultations of the official's units, with their opinion counts and the
    links to record and import offline opinions."""
    now = utcnow()
    consultations: list[Consultation] = []
    for government_id in sorted({m.government_id for m in user.memberships}):
        query = (sa.select(Consultation)
                 .join(Decision, Consultation.decision_id == Decision.id)
                 .where(Consultation.government_id == government_id,
                        Consultation.is_open_at(now)))
        units = internal_unit_ids(user, government_id)
        if units is not None:
            query = query.where(Decision.unit_id.in_(units))
        consultations.extend(db.session.scalars(query.order_by(Consultation.closes_at)))
    return signals.DashboardSection(10, "consultations/_dashboard.html",
                                    consultations=consultations)

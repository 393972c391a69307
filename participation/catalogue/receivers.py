"""What the catalogue domain contributes to pages assembled from several domains."""

from __future__ import annotations

import sqlalchemy as sa

from participation.accounts.queries import internal_unit_ids
from participation.catalogue.models import Catalogue, Decision
from participation.core import signals
from participation.extensions import db

RECENT_DECISIONS = 30


@signals.dashboard_sections_requested.connect
def catalogue_section(user) -> signals.DashboardSection:
    """The catalogues of the official's governments and the decisions of their units that
    changed last (at most :data:`RECENT_DECISIONS` per government)."""
    government_ids = sorted({m.government_id for m in user.memberships})
    catalogues = db.session.scalars(
        sa.select(Catalogue).where(Catalogue.government_id.in_(government_ids))
        .order_by(Catalogue.year.desc())
    ).all()
    decisions: list[Decision] = []
    for government_id in government_ids:
        query = sa.select(Decision).where(Decision.government_id == government_id)
        units = internal_unit_ids(user, government_id)
        if units is not None:
            query = query.where(Decision.unit_id.in_(units))
        # The most recently changed ones: a county has thousands over the years, and every
        # catalogue's page lists them all.
        decisions.extend(db.session.scalars(
            query.order_by(Decision.updated_at.desc(), Decision.id.desc())
            .limit(RECENT_DECISIONS)))
    return signals.DashboardSection(20, "catalogue/_dashboard.html", catalogues=catalogues,
                                    decisions=decisions)

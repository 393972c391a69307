"""How the dossier domain answers the signals of the domains to its left."""

from __future__ import annotations

import sqlalchemy as sa

from participation.catalogue.models import Stage
from participation.core import signals
from participation.dossier.models import Document
from participation.extensions import db


@signals.stage_material_requested.connect
def public_document_stages(decision_ids: list[int]) -> dict[int, set[Stage]]:
    """The stages for which these decisions have public documents."""
    material: dict[int, set[Stage]] = {}
    rows = db.session.execute(
        sa.select(Document.decision_id, Document.kind)
        .where(Document.decision_id.in_(decision_ids), Document.is_public).distinct()
    ).all()
    for decision_id, kind in rows:
        material.setdefault(decision_id, set()).add(kind.stage)
    return material

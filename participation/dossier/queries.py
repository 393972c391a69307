"""Read-side queries of the dossier: which documents a page shows, stage by stage."""

from __future__ import annotations

import sqlalchemy as sa

from participation.catalogue.models import Decision, Stage
from participation.dossier.models import Disclosure, Document, DocumentState
from participation.extensions import db


def documents_by_stage(decision: Decision, *, internal: bool = False
                       ) -> dict[Stage, list[Document]]:
    """The decision's documents grouped by the stage they belong to, in publication order.

    The public gets the documents of :attr:`Document.is_public` only; ``internal`` (the
    unit's officials) gets every document, drafts and withheld ones included.
    """
    query = sa.select(Document).where(Document.decision_id == decision.id)
    if not internal:
        query = query.where(Document.is_public)
    grouped: dict[Stage, list[Document]] = {stage: [] for stage in Stage}
    for document in db.session.scalars(query.order_by(Document.published_at, Document.id)):
        grouped[document.kind.stage].append(document)
    return grouped


def withheld_documents(decision: Decision) -> list[Document]:
    """The decision's published documents that are withheld (不予公开): the public dossier
    names their kind and legal ground, never their title or text."""
    return list(db.session.scalars(
        sa.select(Document).where(Document.decision_id == decision.id,
                                  Document.state == DocumentState.PUBLISHED,
                                  Document.disclosure == Disclosure.WITHHELD)
        .order_by(Document.published_at, Document.id)))

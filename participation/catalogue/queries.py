"""Read-side queries for public catalogue pages and the API (confidential entries never
leave this module for a public caller)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort, current_app, request
from sqlalchemy.orm import selectinload

from participation.accounts.models import Government, Unit
from participation.catalogue.models import Catalogue, CatalogueState, Decision, EntryState, Stage
from participation.consultations.models import Consultation
from participation.dossier.models import Disclosure, Document, DocumentState
from participation.extensions import db


def current_government(slug: str | None = None) -> Government:
    """The government named by ``?government=slug``, else the configured or first one."""
    slug = slug or request.args.get("government") or current_app.config.get(
        "DEFAULT_GOVERNMENT")
    query = sa.select(Government)
    query = query.where(Government.slug == slug) if slug else query.order_by(Government.id)
    government = db.session.scalars(query.limit(1)).first()
    if government is None:
        abort(404)
    return government


def published_years(government: Government) -> list[int]:
    return list(db.session.scalars(
        sa.select(Catalogue.year).where(Catalogue.government_id == government.id,
                                        Catalogue.state == CatalogueState.PUBLISHED)
        .order_by(Catalogue.year.desc())
    ))


def published_catalogue(government: Government, year: int) -> Catalogue | None:
    return db.session.scalar(sa.select(Catalogue).where(
        Catalogue.government_id == government.id, Catalogue.year == year,
        Catalogue.state == CatalogueState.PUBLISHED))


def public_decisions_query(catalogue: Catalogue, *, unit_id: int | None = None,
                           stage: Stage | None = None, category: str | None = None):
    query = sa.select(Decision).options(selectinload(Decision.unit)).where(
        Decision.catalogue_id == catalogue.id,
        Decision.confidential.is_(False),
        Decision.state == EntryState.LISTED,
    )
    if unit_id:
        unit_ids = unit_and_descendants(unit_id)
        query = query.where(Decision.unit_id.in_(unit_ids))
    if stage:
        query = query.where(Decision.stage == stage)
    if category:
        query = query.where(Decision.category == category)
    return query.order_by(Decision.position)


def unit_and_descendants(unit_id: int) -> list[int]:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return []
    units = db.session.execute(sa.select(Unit.id, Unit.parent_id).where(
        Unit.government_id == unit.government_id)).all()
    children: dict[int | None, list[int]] = defaultdict(list)
    for uid, parent in units:
        children[parent].append(uid)
    result, stack = [], [unit_id]
    while stack:
        current = stack.pop()
        result.append(current)
        stack.extend(children.get(current, []))
    return result


def public_categories(catalogue: Catalogue) -> list[str]:
    return [c for c in db.session.scalars(
        sa.select(Decision.category).where(Decision.catalogue_id == catalogue.id,
                                           Decision.confidential.is_(False),
                                           Decision.state == EntryState.LISTED)
        .distinct().order_by(Decision.category)) if c]


@dataclass
class StageMaterial:
    """Which stages of each decision have public material (for the catalogue's links)."""

    stages: dict[int, set[Stage]] = field(default_factory=lambda: defaultdict(set))

    def for_decision(self, decision_id: int) -> set[Stage]:
        return self.stages.get(decision_id, set())


def stage_material(decision_ids: list[int]) -> StageMaterial:
    material = StageMaterial()
    if not decision_ids:
        return material
    rows = db.session.execute(
        sa.select(Document.decision_id, Document.kind).where(
            Document.decision_id.in_(decision_ids), Document.state == DocumentState.PUBLISHED,
            Document.disclosure != Disclosure.WITHHELD).distinct()
    ).all()
    for decision_id, kind in rows:
        material.stages[decision_id].add(kind.stage)
    for (decision_id,) in db.session.execute(
        sa.select(Consultation.decision_id).where(Consultation.decision_id.in_(decision_ids))
        .distinct()
    ):
        material.stages[decision_id].add(Stage.PUBLIC_CONSULTATION)
        material.stages[decision_id].add(Stage.DRAFTING)
    return material

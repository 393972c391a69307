"""Read-side queries for public catalogue pages and the API. Public callers get only what
:attr:`Decision.is_public` / :attr:`Decision.is_listed` allow."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort, current_app
from sqlalchemy.orm import selectinload

from participation.accounts.models import Government
from participation.accounts.queries import internal_unit_ids, unit_and_descendants
from participation.catalogue.models import (
    Catalogue,
    CatalogueChange,
    CatalogueState,
    Decision,
    Stage,
)
from participation.core import signals
from participation.core.args import text_arg
from participation.extensions import db


def current_government(slug: str | None = None) -> Government:
    """The government named by ``?government=slug``, else the one configured with
    ``PARTICIPATION_DEFAULT_GOVERNMENT``, else the first one; 404 when there is none."""
    slug = slug or text_arg("government", 100) or current_app.config.get(
        "DEFAULT_GOVERNMENT")
    query = sa.select(Government)
    query = query.where(Government.slug == slug[:100]) if slug else \
        query.order_by(Government.id)
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
    """The listed entries of a published catalogue, by position, optionally filtered."""
    query = sa.select(Decision).options(selectinload(Decision.unit)).where(
        Decision.catalogue_id == catalogue.id, Decision.is_listed)
    if unit_id:
        unit_ids = unit_and_descendants(unit_id)
        query = query.where(Decision.unit_id.in_(unit_ids))
    if stage:
        query = query.where(Decision.stage == stage)
    if category:
        query = query.where(Decision.category == category)
    return query.order_by(Decision.position)


def public_categories(catalogue: Catalogue) -> list[str]:
    """The categories of the catalogue's listed entries, for the filter."""
    return [c for c in db.session.scalars(
        sa.select(Decision.category).where(Decision.catalogue_id == catalogue.id,
                                           Decision.is_listed)
        .distinct().order_by(Decision.category)) if c]


def public_changes(catalogue: Catalogue) -> list[CatalogueChange]:
    """The public history of a published catalogue (entries of public decisions only)."""
    return list(db.session.scalars(
        sa.select(CatalogueChange).join(Decision, CatalogueChange.decision_id == Decision.id)
        .where(CatalogueChange.catalogue_id == catalogue.id, Decision.is_public)
        .order_by(CatalogueChange.occurred_on.desc(), CatalogueChange.id.desc())
    ))


def decision_changes(decision: Decision) -> list[CatalogueChange]:
    """The catalogue changes of one decision, oldest first (none for a confidential one)."""
    if decision.confidential:
        return []
    return list(db.session.scalars(
        sa.select(CatalogueChange).where(CatalogueChange.decision_id == decision.id)
        .order_by(CatalogueChange.id)
    ))


@dataclass
class StageMaterial:
    """Which stages of each decision have public material (for the catalogue's links)."""

    stages: dict[int, set[Stage]] = field(default_factory=lambda: defaultdict(set))

    def for_decision(self, decision_id: int) -> set[Stage]:
        return self.stages.get(decision_id, set())


def stage_material(decision_ids: list[int]) -> StageMaterial:
    """Which stages of these decisions have public material: each domain that holds
    material (documents, consultations …) answers ``stage_material_requested``."""
    material = StageMaterial()
    if not decision_ids:
        return material
    for contribution in signals.collect(signals.stage_material_requested, decision_ids):
        for decision_id, stages in contribution.items():
            material.stages[decision_id].update(stages)
    return material


def catalogue_entries(user, catalogue: Catalogue) -> list[Decision]:
    """The entries of ``catalogue`` as the official ``user`` may see them on the work
    area's catalogue page: every entry but the confidential ones of units the user has no
    role in (those exist only for their unit and the administrators)."""
    query = sa.select(Decision).options(selectinload(Decision.unit)).where(
        Decision.catalogue_id == catalogue.id)
    units = internal_unit_ids(user, catalogue.government_id)
    if units is not None:
        query = query.where(sa.or_(Decision.confidential.is_(False),
                                   Decision.unit_id.in_(units)))
    return list(db.session.scalars(query.order_by(Decision.position)))


def government_catalogues(government: Government) -> list[Catalogue]:
    """Every catalogue of the government, newest year first (work area)."""
    return list(db.session.scalars(sa.select(Catalogue).where(
        Catalogue.government_id == government.id).order_by(Catalogue.year.desc())))

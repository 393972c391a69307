"""Catalogue permissions: named predicates of role x unit x state."""

from __future__ import annotations

from participation.accounts.models import Government, Unit
from participation.accounts.permissions import (
    EDITING_ROLES,
    PUBLISHING_ROLES,
    can_administer,
    can_see_internal,
    has_unit_role,
)
from participation.catalogue.models import Catalogue, Decision


def can_manage_catalogue(user, catalogue_or_government: Catalogue | Government) -> bool:
    """Create and publish catalogues: the government's administrators."""
    government = getattr(catalogue_or_government, "government", catalogue_or_government)
    return can_administer(user, government)


def can_add_decision(user, unit: Unit) -> bool:
    return has_unit_role(user, unit, EDITING_ROLES)


def can_edit_decision(user, decision: Decision) -> bool:
    return has_unit_role(user, decision.unit, EDITING_ROLES)


def can_change_stage(user, decision: Decision) -> bool:
    return has_unit_role(user, decision.unit, PUBLISHING_ROLES)


def can_view_decision(user, decision: Decision) -> bool:
    return decision.is_public or can_see_internal(user, decision.unit)

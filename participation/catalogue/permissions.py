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
    """Editors and approvers add entries for their unit (and the units nested in it)."""
    return has_unit_role(user, unit, EDITING_ROLES)


def units_for_new_decisions(user, government: Government) -> list[Unit]:
    """The units of ``government`` for which ``user`` may add (or move) a decision."""
    return [unit for unit in government.units if can_add_decision(user, unit)]


def can_open_catalogue_page(user, catalogue: Catalogue) -> bool:
    """The work area's page of a catalogue: its administrators and anyone who may add
    entries to it."""
    return can_manage_catalogue(user, catalogue) or bool(
        units_for_new_decisions(user, catalogue.government))


def can_edit_decision(user, decision: Decision) -> bool:
    """Editors and approvers of the responsible unit change and withdraw the entry."""
    return has_unit_role(user, decision.unit, EDITING_ROLES)


def can_change_stage(user, decision: Decision) -> bool:
    """Approvers of the responsible unit move the decision through its stages."""
    return has_unit_role(user, decision.unit, PUBLISHING_ROLES)


def can_view_decision(user, decision: Decision) -> bool:
    """The public sees public decisions; officials of the unit see it always."""
    return decision.is_public or can_see_internal(user, decision.unit)


def can_manage_decision(user, decision: Decision) -> bool:
    """The work area's page of a decision: officials with any role on its unit."""
    return can_see_internal(user, decision.unit)

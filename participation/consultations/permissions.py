"""Consultation permissions: approvers open and change consultations of their unit."""

from __future__ import annotations

from participation.accounts.permissions import PUBLISHING_ROLES, can_see_internal, has_unit_role
from participation.catalogue.models import Decision
from participation.consultations.models import Consultation


def can_open_consultation(user, decision: Decision) -> bool:
    return has_unit_role(user, decision.unit, PUBLISHING_ROLES)


def can_manage_consultation(user, consultation: Consultation) -> bool:
    return has_unit_role(user, consultation.decision.unit, PUBLISHING_ROLES)


def can_view_consultation(user, consultation: Consultation) -> bool:
    return consultation.is_public or can_see_internal(user, consultation.decision.unit)

"""Feedback report permissions: the unit's editors and approvers prepare it, approvers
approve (which publishes it)."""

from __future__ import annotations

from participation.accounts.permissions import EDITING_ROLES, PUBLISHING_ROLES, has_unit_role
from participation.consultations.models import Consultation


def can_prepare_feedback(user, consultation: Consultation) -> bool:
    return has_unit_role(user, consultation.decision.unit, EDITING_ROLES)


def can_publish_feedback(user, consultation: Consultation) -> bool:
    return has_unit_role(user, consultation.decision.unit, PUBLISHING_ROLES)

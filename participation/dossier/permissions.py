"""Dossier permissions."""

from __future__ import annotations

from participation.accounts.permissions import (
    EDITING_ROLES,
    PUBLISHING_ROLES,
    can_see_internal,
    has_unit_role,
)
from participation.catalogue.models import Decision
from participation.dossier.models import Document


def can_edit_documents(user, decision: Decision) -> bool:
    return has_unit_role(user, decision.unit, EDITING_ROLES)


def can_publish_document(user, document: Document) -> bool:
    return has_unit_role(user, document.decision.unit, PUBLISHING_ROLES)


def can_view_document(user, document: Document) -> bool:
    return document.body_is_public or can_see_internal(user, document.decision.unit)

"""Dossier permissions."""

from __future__ import annotations

from participation.accounts.permissions import (
    EDITING_ROLES,
    PUBLISHING_ROLES,
    can_see_internal,
    has_unit_role,
)
from participation.catalogue.models import Decision
from participation.dossier.models import Document, DocumentState


def can_edit_documents(user, decision: Decision) -> bool:
    return has_unit_role(user, decision.unit, EDITING_ROLES)


def can_change_document(user, document: Document) -> bool:
    """Body, title, disclosure and attachments: editors and approvers while the document is
    unpublished; after publication only an approver (the change is a public revision)."""
    if document.state == DocumentState.PUBLISHED:
        return has_unit_role(user, document.decision.unit, PUBLISHING_ROLES)
    return can_edit_documents(user, document.decision)


def can_publish_document(user, document: Document) -> bool:
    return has_unit_role(user, document.decision.unit, PUBLISHING_ROLES)


def can_view_document(user, document: Document) -> bool:
    return document.body_is_public or can_see_internal(user, document.decision.unit)

"""Dossier document operations. Bodies are sanitized with the document allow-list here."""

from __future__ import annotations

from typing import ClassVar

from flask_babel import lazy_gettext as _l

from participation.catalogue.models import Decision
from participation.core import audit
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.sanitize import document_html, plain_text
from participation.core.uploads import clean_filename, store_upload
from participation.dossier.models import (
    Disclosure,
    Document,
    DocumentAttachment,
    DocumentKind,
    DocumentState,
)
from participation.extensions import db


class DocumentError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "ground_required": _l("A withheld document must state its legal ground."),
        "already_published": _l("The document is already published."),
        "title_required": _l("Enter a title."),
    }


def _clean(values: dict) -> dict:
    title = plain_text(values.get("title"), multiline=False)
    if not title:
        raise DocumentError("title_required", field="title")
    disclosure = Disclosure(values.get("disclosure") or Disclosure.PROACTIVE)
    ground = plain_text(values.get("withheld_ground"))
    if disclosure == Disclosure.WITHHELD and not ground:
        raise DocumentError("ground_required", field="withheld_ground")
    return {
        "kind": DocumentKind(values["kind"]),
        "title": title,
        "body_html": document_html(values.get("body_html")),
        "disclosure": disclosure,
        "withheld_ground": ground if disclosure == Disclosure.WITHHELD else "",
    }


def create_document(decision: Decision, values: dict, actor=None) -> Document:
    """Create an unpublished document for ``decision`` (body sanitized)."""
    cleaned = _clean(values)
    document = Document(government_id=decision.government_id, decision_id=decision.id,
                        state=DocumentState.DRAFT, **cleaned)
    db.session.add(document)
    db.session.flush()
    audit.record("document.created", document,
                 {k: v for k, v in cleaned.items() if k != "body_html"}, actor=actor)
    return document


def _revised(document: Document) -> bool:
    """Mark a change to a published document as a revision (shown on its public page)."""
    if document.state != DocumentState.PUBLISHED:
        return False
    document.revised_at = utcnow()
    return True


def update_document(document: Document, values: dict, actor=None) -> dict:
    """Apply the form's values (body sanitized) and return ``{field: [old, new]}``.

    A change to a published document is a revision: ``revised_at`` is set and the audit
    action is ``document.revised``. Only approvers may revise (``can_change_document``).
    """
    changed = audit.diff(document, _clean(values))
    if changed:
        revised = _revised(document)
        db.session.flush()
        audit.record("document.revised" if revised else "document.updated",
                     document, {k: v for k, v in changed.items() if k != "body_html"}
                     | ({"body_html": "changed"} if "body_html" in changed else {}),
                     actor=actor)
    return changed


def publish_document(document: Document, actor=None) -> None:
    """Publish a document: from now on it is public as its disclosure allows."""
    if document.state == DocumentState.PUBLISHED:
        raise DocumentError("already_published")
    document.state = DocumentState.PUBLISHED
    document.published_at = utcnow()
    db.session.flush()
    audit.record("document.published", document, {"disclosure": document.disclosure},
                 actor=actor)


def add_attachment(document: Document, filename: str, data: bytes,
                   actor=None) -> DocumentAttachment:
    """Attach an uploaded file (checked by content); on a published document a revision."""
    stored = store_upload(data)
    attachment = DocumentAttachment(document=document, stored_file=stored,
                                    filename=clean_filename(filename, stored.file_type))
    db.session.add(attachment)
    revised = _revised(document)
    db.session.flush()
    audit.record("document.attachment_added", document,
                 {"filename": attachment.filename, "sha256": stored.sha256}
                 | ({"revised": True} if revised else {}), actor=actor)
    return attachment


def remove_attachment(attachment: DocumentAttachment, actor=None) -> None:
    """Remove an attachment (the stored file stays); on a published document a revision."""
    document = attachment.document
    revised = _revised(document)
    audit.record("document.attachment_removed", document, {"filename": attachment.filename}
                 | ({"revised": True} if revised else {}), actor=actor)
    db.session.delete(attachment)
    db.session.flush()

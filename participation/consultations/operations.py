"""Consultation operations: import a draft version, open a consultation, publish a revised
version, close early. Each flushes and writes its audit entry; the view commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from participation.catalogue.models import Decision, EntryState, Stage
from participation.catalogue.operations import move_to_stage
from participation.consultations.diff import compare_versions, matched_positions
from participation.consultations.docx_text import DraftFileError, docx_lines
from participation.consultations.models import (
    MIN_PERIOD_DAYS,
    Consultation,
    Draft,
    DraftNode,
    DraftVersion,
    ModerationMode,
    SourceKind,
)
from participation.consultations.outline import OutlineNode, parse_outline
from participation.core import audit, signals
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.sanitize import plain_text
from participation.extensions import db

MAX_DRAFT_CHARACTERS = 300_000


class ConsultationError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "period_order": _l("The closing time must be after the opening time."),
        "reason_required": _l(
            "The comment period is shorter than 30 days: state the reason; it is shown publicly."
        ),
        "closes_in_past": _l("The closing time is already past."),
        "text_required": _l("Paste the draft text or upload a .docx file."),
        "text_too_long": _l("The draft is too long (at most 300,000 characters)."),
        "docx_unreadable": _l("The file could not be read as a Word (.docx) document."),
        "stage_passed": _l("This decision has moved past public consultation."),
        "withdrawn": _l("This decision has been withdrawn from the catalogue."),
        "already_closed": _l("The consultation is already closed."),
        "title_required": _l("Enter a title."),
        "change_note_required": _l(
            "Say what changed from the previous version; it is shown with the revision."
        ),
        "closed_not_extendable": _l(
            "A closed consultation cannot be extended: reopening it would change the record "
            "of the comment period. Open a new consultation if more comment is needed."
        ),
    }


def draft_text_from_upload(filename: str, data: bytes) -> str:
    """The text of an uploaded .docx draft, one paragraph per line."""
    try:
        return "\n".join(docx_lines(data))
    except DraftFileError as error:
        raise ConsultationError("docx_unreadable", field="docx") from error


def _clean_text(text: str) -> str:
    text = plain_text(text)
    if not text:
        raise ConsultationError("text_required", field="text")
    if len(text) > MAX_DRAFT_CHARACTERS:
        raise ConsultationError("text_too_long", field="text")
    return text


def _store_nodes(version: DraftVersion, roots: list[OutlineNode]) -> None:
    position = 0

    def add(node: OutlineNode, parent: DraftNode | None, depth: int) -> None:
        nonlocal position
        row = DraftNode(
            version=version,
            parent_id=parent.id if parent else None,
            position=position,
            depth=depth,
            kind=node.kind,
            label=node.label[:50],
            ordinal=node.ordinal,
            sub_ordinal=node.sub_ordinal,
            level=node.level,
            heading=node.heading,
            text=node.text,
            anchor=node.anchor[:80] or f"node-{position}",
        )
        position += 1
        db.session.add(row)
        if node.children:
            db.session.flush()  # children need the parent's id
        for child in node.children:
            add(child, row, depth + 1)

    for root in roots:
        add(root, None, 0)
    db.session.flush()


def add_draft_version(
    decision: Decision,
    title: str,
    text: str,
    source_kind: SourceKind,
    change_note: str = "",
    actor=None,
) -> DraftVersion:
    """Parse ``text`` into a new version of the decision's draft (the draft is created
    with its first version)."""
    title = plain_text(title, multiline=False)
    if not title:
        raise ConsultationError("title_required", field="title")
    text = _clean_text(text)
    draft = db.session.scalar(sa.select(Draft).where(Draft.decision_id == decision.id))
    if draft is None:
        draft = Draft(government_id=decision.government_id, decision_id=decision.id, title=title)
        db.session.add(draft)
        db.session.flush()
    number = (
        db.session.scalar(
            sa.select(sa.func.max(DraftVersion.number)).where(DraftVersion.draft_id == draft.id)
        )
        or 0
    ) + 1
    previous = db.session.scalar(
        sa.select(DraftVersion).where(
            DraftVersion.draft_id == draft.id, DraftVersion.number == number - 1
        )
    )
    version = DraftVersion(
        draft_id=draft.id,
        number=number,
        title=title,
        source_text=text,
        source_kind=source_kind,
        change_note=plain_text(change_note),
    )
    db.session.add(version)
    db.session.flush()
    roots = parse_outline(text)
    _store_nodes(version, roots)
    if previous is not None:
        _continue_previous(previous, version, roots)
    audit.record(
        "draft.version_added",
        version,
        {"number": number, "source_kind": source_kind},
        government_id=decision.government_id,
        actor=actor,
    )
    return version


def _continue_previous(
    previous: DraftVersion, version: DraftVersion, roots: list[OutlineNode]
) -> None:
    """Compare ``version`` with ``previous`` once: store the comparison for the comparison
    page, and record on each unit of ``version`` the unit of ``previous`` it continues
    (matched by label and text), so that opinions given on the previous version count on
    the current one."""
    old_roots = parse_outline(previous.source_text)
    changes, version.changes = compare_versions(old_roots, roots, previous.title, version.title)
    pairs = matched_positions(changes, old_roots, roots)
    old_rows = dict(
        db.session.execute(
            sa.select(DraftNode.position, DraftNode.id).where(DraftNode.version_id == previous.id)
        ).tuples().all()
    )
    new_rows = {node.position: node for node in version.nodes}
    for old_position, new_position in pairs:
        node = new_rows.get(new_position)
        if node is not None and old_position in old_rows:
            node.previous_node_id = old_rows[old_position]
    db.session.flush()


def check_period(opens_at: datetime, closes_at: datetime, reason: str) -> None:
    """Refuse a comment period that ends before it starts or is already over, and one
    shorter than 30 days without a reason.
    """
    if closes_at <= opens_at:
        raise ConsultationError("period_order", field="closes_at")
    if closes_at <= utcnow():
        raise ConsultationError("closes_in_past", field="closes_at")
    if closes_at - opens_at < timedelta(days=MIN_PERIOD_DAYS) and not reason:
        raise ConsultationError("reason_required", field="short_period_reason")


def open_consultation(decision: Decision, values: dict[str, Any], actor=None) -> Consultation:
    """Publish a draft for comment from ``opens_at`` to ``closes_at`` (naive UTC).

    ``values``: title, text, source_kind, opens_at, closes_at, short_period_reason,
    postal_address, email, hotline, other_channels, opinions_public, moderation_mode
    (post-moderation when not given). A period shorter than 30 days needs a public
    reason. A decision still in drafting moves to public consultation.
    """
    if decision.state == EntryState.WITHDRAWN:
        raise ConsultationError("withdrawn")
    if decision.stage.order > Stage.PUBLIC_CONSULTATION.order:
        raise ConsultationError("stage_passed")
    reason = plain_text(values.get("short_period_reason"))
    check_period(values["opens_at"], values["closes_at"], reason)
    version = add_draft_version(
        decision,
        values["title"],
        values["text"],
        SourceKind(values.get("source_kind") or SourceKind.PASTED),
        actor=actor,
    )
    government = decision.catalogue.government
    consultation = Consultation(
        government_id=decision.government_id,
        decision_id=decision.id,
        draft_id=version.draft_id,
        draft_version_id=version.id,
        title=version.title,
        opens_at=values["opens_at"],
        closes_at=values["closes_at"],
        short_period_reason=reason
        if values["closes_at"] - values["opens_at"] < timedelta(days=MIN_PERIOD_DAYS)
        else "",
        postal_address=plain_text(values.get("postal_address"), multiline=False)
        or government.postal_address,
        email=plain_text(values.get("email"), multiline=False) or government.email,
        hotline=plain_text(values.get("hotline"), multiline=False) or government.hotline,
        other_channels=plain_text(values.get("other_channels")),
        opinions_public=bool(values.get("opinions_public", True)),
        moderation_mode=ModerationMode(values.get("moderation_mode") or ModerationMode.POST),
        opened_by_id=getattr(actor, "id", None),
    )
    db.session.add(consultation)
    db.session.flush()
    if decision.stage == Stage.DRAFTING:
        move_to_stage(decision, Stage.PUBLIC_CONSULTATION, actor=actor)
    audit.record(
        "consultation.opened",
        consultation,
        {
            "opens_at": consultation.opens_at,
            "closes_at": consultation.closes_at,
            "draft_version_id": version.id,
            "short_period_reason": consultation.short_period_reason,
            "moderation_mode": consultation.moderation_mode,
        },
        actor=actor,
    )
    return consultation


def publish_revision(
    consultation: Consultation,
    text: str,
    source_kind: SourceKind,
    change_note: str = "",
    actor=None,
) -> DraftVersion:
    """Put a revised draft version up for comment; earlier versions and their opinions stay.
    A revision needs a change note, shown publicly with it."""
    if consultation.status.value == "closed":
        raise ConsultationError("already_closed")
    if not plain_text(change_note):
        raise ConsultationError("change_note_required", field="change_note")
    version = add_draft_version(
        consultation.decision,
        consultation.draft_version.title,
        text,
        source_kind,
        change_note=change_note,
        actor=actor,
    )
    old = consultation.draft_version_id
    consultation.draft_version_id = version.id
    consultation.draft_version = version
    db.session.flush()
    audit.record(
        "consultation.revision_published",
        consultation,
        {"draft_version_id": [old, version.id]},
        actor=actor,
    )
    return version


def close_early(consultation: Consultation, reason: str, actor=None) -> None:
    """End the comment period now (with the reason in the audit log); sends
    ``consultation_closed``.
    """
    now = utcnow()
    if consultation.closes_at <= now:
        raise ConsultationError("already_closed")
    old = consultation.closes_at
    consultation.closes_at = max(now, consultation.opens_at + timedelta(seconds=1))
    db.session.flush()
    audit.record(
        "consultation.closed_early",
        consultation,
        {"closes_at": [old, consultation.closes_at], "reason": plain_text(reason)},
        actor=actor,
    )
    signals.consultation_closed.send(consultation)


def extend(consultation: Consultation, closes_at: datetime, actor=None) -> None:
    """Move the closing time of a running or upcoming consultation later (never earlier:
    use :func:`close_early`). A closed consultation stays closed, whatever the decision's
    stage: extending it would reopen it."""
    if consultation.closes_at <= utcnow():
        raise ConsultationError("closed_not_extendable", field="closes_at")
    if consultation.decision.stage.order > Stage.PUBLIC_CONSULTATION.order:
        raise ConsultationError("stage_passed", field="closes_at")
    if closes_at <= consultation.closes_at:
        raise ConsultationError("period_order", field="closes_at")
    old = consultation.closes_at
    consultation.closes_at = closes_at
    db.session.flush()
    audit.record(
        "consultation.extended", consultation, {"closes_at": [old, closes_at]}, actor=actor
    )


def set_moderation_mode(consultation: Consultation, mode: ModerationMode, actor=None) -> None:
    """Publish new opinions at once (post-moderation) or hold them for review
    (pre-moderation) from now on; opinions already awaiting review stay there. Audited as
    ``consultation.moderation_mode_changed``."""
    changes = audit.diff(consultation, {"moderation_mode": ModerationMode(mode)})
    db.session.flush()
    if changes:
        audit.record("consultation.moderation_mode_changed", consultation, changes,
                     actor=actor)


def version_tree(version: DraftVersion) -> list[dict]:
    """The nodes of ``version`` as nested dicts in reading order (one query)."""
    nodes = db.session.scalars(
        sa.select(DraftNode).where(DraftNode.version_id == version.id).order_by(DraftNode.position)
    ).all()
    by_id: dict[int, dict] = {}
    roots: list[dict] = []
    for node in nodes:
        entry = {"node": node, "children": []}
        by_id[node.id] = entry
        parent = by_id.get(node.parent_id) if node.parent_id else None
        (parent["children"] if parent else roots).append(entry)
    return roots

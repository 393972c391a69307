"""Opinion operations: online submission, offline records, receipt look-up (bulk imports:
:mod:`participation.opinions.imports`).

Every path keeps the source's and the article's opinion counters through
:func:`participation.opinions.counters.count` and writes the audit entry. Operations
flush, never commit. Read-side queries are in ``queries.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from participation.consultations.models import (
    Consultation,
    DraftNode,
    DraftVersion,
    ModerationMode,
)
from participation.consultations.outline import chinese_numeral_to_int
from participation.core import audit, signals
from participation.core.args import MAX_ID
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.pii import analyse, mask_personal_data
from participation.core.sanitize import plain_text
from participation.core.uploads import clean_filename, store_upload
from participation.extensions import db
from participation.opinions.articles import cited_fields
from participation.opinions.counters import count
from participation.opinions.models import Channel, Opinion, SubmitterKind
from participation.opinions.moderation import initial_moderation, moderation_fields_for
from participation.opinions.receipts import new_receipt_number

BODY_MIN = 5
BODY_MAX = 5000


class OpinionError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "closed": _l(
            "This consultation closed on %(closed)s. Opinions can no longer be submitted "
            "online; what you wrote has not been saved."
        ),
        "not_open_yet": _l("This consultation is not open yet. It opens on %(opens)s."),
        "body_too_short": _l("Write at least 5 characters."),
        "body_too_long": _l("Write at most 5,000 characters."),
        "unknown_article": _l("Choose an article of this draft."),
        "offline_channel_required": _l("Choose the channel the opinion came through."),
        "duplicate_reference": _l("An opinion with this reference number is already recorded."),
        "future_date": _l("The date received cannot be in the future."),
        "unknown_submitter_kind": _l(
            "Choose whether the opinion is given by a person, an enterprise, a trade "
            "association or another organisation."),
    }


def clean_body(body: str | None) -> str:
    """The opinion text as plain text, refused when shorter than 5 or longer than 5,000
    characters.
    """
    text = plain_text(body)
    if len(text) < BODY_MIN:
        raise OpinionError("body_too_short", field="body")
    if len(text) > BODY_MAX:
        raise OpinionError("body_too_long", field="body")
    return text


def find_node(consultation: Consultation, node_id: int | None,
              any_version: bool = False) -> DraftNode | None:
    """The commentable node ``node_id`` of the consultation's draft, or None for the whole.

    Online opinions may target the current version only; officials recording offline
    opinions may target any version of the draft.
    """
    if not node_id:
        return None
    if not 0 < node_id <= MAX_ID:
        raise OpinionError("unknown_article", field="node_id")
    node = db.session.get(DraftNode, node_id)
    if node is None or not node.is_commentable:
        raise OpinionError("unknown_article", field="node_id")
    if node.version_id == consultation.draft_version_id:
        return node
    if any_version and node.version.draft_id == consultation.draft_id:
        return node
    raise OpinionError("unknown_article", field="node_id")


def public_fields(body: str, display_name: str | None) -> dict[str, Any]:
    """The public forms of an opinion's words, computed once when it is written (every
    channel): ``public_body`` and ``public_name`` with personal data masked, and
    ``pii_findings`` (kinds masked with counts, possible names and addresses).
    ``public_body`` is None when nothing was masked (most opinions: the body is shown as
    it is; a copy of every text made the table twice the size)."""
    public_body, findings = analyse(body)
    return {"public_body": public_body if public_body != body else None,
            "pii_findings": findings,
            "public_name": mask_personal_data(display_name) if display_name else None}


def written_fields(consultation: Consultation, body: str,
                   display_name: str | None) -> dict[str, Any]:
    """The columns computed when an opinion is written, on every path (online, offline
    record, imports of any size): the public forms (:func:`public_fields`) and the initial
    moderation state. Bulk paths that insert rows without :class:`Opinion` objects call
    it for each row too.

    The moderation columns come from :func:`moderation.initial_moderation`:
    pre-moderation or a sensitive word holds the opinion as ``pending`` (the words that
    fired in ``moderation_flags``); otherwise it is published. The counters count it as
    public only when published (``Opinion.is_public``)."""
    fields = public_fields(body, display_name)
    fields.update(initial_moderation(consultation, body, display_name))
    return fields


def written_fields_for(consultation: Consultation
                       ) -> Callable[[str, str | None], dict[str, Any]]:
    """:func:`written_fields` for the many opinions of ``consultation`` written in one
    transaction (a bulk import): what it reads of the consultation and of its
    government's word list is read once, now; the same columns for every text."""
    moderate = moderation_fields_for(consultation.government_id,
                                     consultation.moderation_mode == ModerationMode.PRE)

    def fields(body: str, display_name: str | None) -> dict[str, Any]:
        fields = public_fields(body, display_name)
        fields.update(moderate(body, display_name))
        return fields

    return fields


def _new_opinion(consultation: Consultation, node: DraftNode | None, **fields: Any) -> Opinion:
    fields.update(written_fields(consultation, fields["body"], fields.get("display_name")))
    version_id = node.version_id if node else consultation.draft_version_id
    # The article the text cites (bulk inserts without Opinion objects call it too).
    fields.update(cited_fields(version_id, fields["body"]))
    return Opinion(
        receipt_number=new_receipt_number(),
        government_id=consultation.government_id,
        decision_id=consultation.decision_id,
        consultation_id=consultation.id,
        draft_version_id=version_id,
        node_id=node.id if node else None,
        **fields,
    )


def submit_online(consultation: Consultation, *, body: str, node_id: int | None,
                  consent_to_publish: bool, display_name: str | None, contact: str | None,
                  submission_key: str, author=None, attachment: tuple[str, bytes] | None = None,
                  submitter_kind: str | None = None) -> tuple[Opinion, bool]:
    """Accept an online opinion while the consultation is open.

    Returns ``(opinion, created)``. A repeated submission of the same form (same
    ``submission_key``) returns the first opinion with ``created=False``; the unique
    constraint makes this hold under concurrent requests too.
    """
    now = utcnow()
    if now < consultation.opens_at:
        raise OpinionError("not_open_yet", opens=_local(consultation.opens_at))
    if now >= consultation.closes_at:
        existing = _by_submission_key(consultation, submission_key)
        if existing is not None:  # sent just before closing, repeated just after
            return existing, False
        raise OpinionError("closed", closed=_local(consultation.closes_at))
    text = clean_body(body)
    node = find_node(consultation, node_id)
    name = plain_text(display_name, multiline=False)[:100] or None
    opinion = _new_opinion(
        consultation, node,
        channel=Channel.ONLINE, received_at=now, body=text,
        display_name=name, contact=plain_text(contact, multiline=False)[:200] or None,
        consent_to_publish=bool(consent_to_publish), author_id=getattr(author, "id", None),
        submission_key=submission_key[:64] if submission_key else None,
        submitter_kind=_submitter_kind(submitter_kind),
    )
    if attachment is not None:
        stored = store_upload(attachment[1])
        opinion.attachment_file = stored
        opinion.attachment_name = clean_filename(attachment[0], stored.file_type)
    try:
        with db.session.begin_nested():
            db.session.add(opinion)
            db.session.flush()
    except IntegrityError:
        existing = _by_submission_key(consultation, submission_key)
        if existing is None:
            raise
        return existing, False
    count(consultation, opinion.node_id, public=int(opinion.is_public))
    audit.record("opinion.submitted", opinion,
                 {"channel": Channel.ONLINE, "node_id": opinion.node_id}, actor=author)
    signals.opinion_received.send(opinion, source=consultation)
    return opinion, True


def _submitter_kind(value: str | None) -> SubmitterKind:
    """On whose behalf (a person when not said)."""
    if not value:
        return SubmitterKind.PERSON
    try:
        return SubmitterKind(value)
    except ValueError:
        raise OpinionError("unknown_submitter_kind", field="submitter_kind") from None


def _by_submission_key(consultation: Consultation, key: str | None) -> Opinion | None:
    if not key:
        return None
    return db.session.scalar(sa.select(Opinion).where(
        Opinion.consultation_id == consultation.id, Opinion.submission_key == key[:64]))


def _local(moment: datetime) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def _reference_taken(consultation: Consultation, channel: Channel, reference: str) -> bool:
    return db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(
        Opinion.consultation_id == consultation.id, Opinion.channel == channel,
        Opinion.reference == reference)) > 0


def record_offline(consultation: Consultation, values: dict[str, Any], actor=None) -> Opinion:
    """Record an opinion received offline (hotline, letter, symposium …), also after the
    closing time, in which case it is marked late."""
    channel = Channel(values["channel"])
    if channel == Channel.ONLINE:
        raise OpinionError("offline_channel_required", field="channel")
    received_at: datetime = values["received_at"]
    if received_at > utcnow():
        raise OpinionError("future_date", field="received_at")
    reference = plain_text(values.get("reference"), multiline=False)[:100] or None
    if reference and _reference_taken(consultation, channel, reference):
        raise OpinionError("duplicate_reference", field="reference")
    node = find_node(consultation, values.get("node_id"), any_version=True)
    opinion = _new_opinion(
        consultation, node,
        channel=channel, reference=reference, received_at=received_at,
        body=clean_body(values.get("body")),
        display_name=plain_text(values.get("display_name"), multiline=False)[:100] or None,
        contact=plain_text(values.get("contact"), multiline=False)[:200] or None,
        consent_to_publish=bool(values.get("consent_to_publish")),
        recorded_by_id=getattr(actor, "id", None),
        is_late=received_at >= consultation.closes_at,
        submitter_kind=_submitter_kind(values.get("submitter_kind")),
    )
    try:
        with db.session.begin_nested():
            db.session.add(opinion)
            db.session.flush()
    except IntegrityError:
        # Recorded by someone else meanwhile: the unique index on the reference says so.
        if reference and db.session.scalar(sa.select(Opinion.id).where(
                Opinion.consultation_id == consultation.id, Opinion.channel == channel,
                Opinion.reference == reference)) is not None:
            raise OpinionError("duplicate_reference", field="reference") from None
        raise
    count(consultation, opinion.node_id, public=int(opinion.is_public))
    audit.record("opinion.recorded", opinion,
                 {"channel": channel, "reference": reference, "is_late": opinion.is_late},
                 actor=actor)
    signals.opinion_received.send(opinion, source=consultation)
    return opinion


def article_resolver(version: DraftVersion) -> Callable[[str], int | None]:
    """Map labels as people write them ("第12条", "十二", "第十二条之一", "（一）") to the
    commentable nodes of ``version``; ambiguous or unknown labels give None."""
    nodes = db.session.scalars(
        sa.select(DraftNode).where(DraftNode.version_id == version.id,
                                   DraftNode.kind.in_(DraftNode.COMMENTABLE_KINDS))
    ).all()
    articles = {(n.ordinal, n.sub_ordinal): n.id for n in nodes if n.kind == "article"}
    by_label: dict[str, list[int]] = {}
    for node in nodes:
        by_label.setdefault("".join(node.label.split()), []).append(node.id)
    pattern = re.compile(
        r"^第?([0-9〇零一二两三四五六七八九十百千]+)条?(?:之([一二三四五六七八九十]+))?$")

    def resolve(label: str) -> int | None:
        label = "".join((label or "").split())
        match = pattern.match(label)
        if match and articles:
            try:
                key = (chinese_numeral_to_int(match.group(1)),
                       chinese_numeral_to_int(match.group(2)) if match.group(2) else 0)
            except ValueError:
                key = None
            if key in articles:
                return articles[key]
        candidates = by_label.get(label, [])
        return candidates[0] if len(candidates) == 1 else None

    return resolve

"""Statements (发言) made by representatives at a meeting, recorded as opinions.

A statement is an :class:`Opinion` of channel ``representative`` (``hearing`` for a
statement at a hearing) whose source is the meeting (``opinion.meeting_id``), about the
agenda item's decision; ``reference`` holds the representative's public code and the
name shown is the one the attendance record shows (the name only with consent). It
counts in the meeting's opinion counters, goes through the classification workspace of
the decision's latest consultation and has its own section in the feedback report.
"""

from __future__ import annotations

import sqlalchemy as sa

from participation.core import audit, signals
from participation.core.database import utcnow
from participation.extensions import db
from participation.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingKind,
    MeetingState,
    RollEntry,
)
from participation.meetings.operations import MeetingError
from participation.opinions.counters import count
from participation.opinions.models import Channel, ModerationState, Opinion
from participation.opinions.operations import OpinionError, clean_body, public_fields
from participation.opinions.receipts import new_receipt_number


def record_statement(
    meeting: Meeting, entry_id: int | None, item_id: int | None, body: str, actor=None
) -> Opinion:
    """Record what a representative on the roll said about an agenda item as an opinion
    (channel representative, or hearing at a hearing; source the meeting), published
    under the name the
    attendance record shows. Only once the meeting has been held. Audited as
    ``opinion.recorded``."""
    if meeting.state != MeetingState.HELD:
        raise MeetingError("not_held_yet")
    entry = db.session.get(RollEntry, entry_id) if entry_id else None
    if entry is None or entry.meeting_id != meeting.id:
        raise MeetingError("unknown_representative", field="entry_id")
    item = db.session.get(AgendaItem, item_id) if item_id else None
    if item is None or item.meeting_id != meeting.id:
        raise MeetingError("not_on_agenda", field="item_id")
    try:
        text = clean_body(body)
    except OpinionError:
        raise MeetingError("body_too_short", field="body") from None
    application = entry.application
    name = application.public_label
    channel = Channel.HEARING if meeting.kind == MeetingKind.HEARING else Channel.REPRESENTATIVE
    opinion = Opinion(
        receipt_number=new_receipt_number(),
        government_id=meeting.government_id,
        decision_id=item.decision_id,
        meeting_id=meeting.id,
        channel=channel,
        reference=application.public_code,
        received_at=utcnow(),
        body=text,
        display_name=name,
        consent_to_publish=True,
        moderation_state=ModerationState.PUBLISHED,
        recorded_by_id=getattr(actor, "id", None),
        **public_fields(text, name),
    )
    db.session.add(opinion)
    db.session.flush()
    count(meeting, None, public=1)
    audit.record(
        "opinion.recorded",
        opinion,
        {
            "channel": channel,
            "meeting_id": meeting.id,
            "reference": application.public_code,
        },
        actor=actor,
    )
    signals.opinion_received.send(opinion, source=meeting)
    return opinion


def statements_of(meeting: Meeting) -> list[Opinion]:
    """The meeting's statements, in the order recorded."""
    return list(
        db.session.scalars(
            sa.select(Opinion).where(Opinion.meeting_id == meeting.id).order_by(Opinion.id)
        )
    )

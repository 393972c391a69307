"""A meeting's schedule after it was created: editing it (title, date, place, kind),
cancelling it with a reason, and sending its materials to the selected participants
(for a hearing, at least 7 days ahead).

Like :mod:`.operations`, every function flushes (never commits), writes its audit entry,
raises a :class:`~participation.meetings.operations.MeetingError` when a rule refuses
and writes the applicants' messages to the outbox in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from participation.core import audit
from participation.core.database import utcnow
from participation.extensions import db
from participation.meetings import notify
from participation.meetings.models import (
    Application,
    ApplicationState,
    Meeting,
    MeetingKind,
    MeetingState,
)
from participation.meetings.operations import (
    HEARING_NOTICE,
    MeetingError,
    _moment,
    _text,
    hearing_notice_problem,
    refuse_unless_scheduled,
)

#: Who is told when the date moves: everyone still in the running.
TOLD_OF_A_NEW_DATE = (
    ApplicationState.APPLIED,
    ApplicationState.ELIGIBLE,
    ApplicationState.SELECTED,
    ApplicationState.RESERVE,
)


def _applications(meeting: Meeting, states) -> list[Application]:
    return list(
        db.session.scalars(
            sa.select(Application)
            .where(Application.meeting_id == meeting.id, Application.state.in_(states))
            .order_by(Application.id)
        )
    )


def edit_meeting(meeting: Meeting, values: dict[str, Any], actor=None) -> Meeting:
    """Change the title, date, place or kind of a scheduled meeting (not once held or
    cancelled). The meeting cannot start before its application window closes, and a
    hearing whose materials were sent cannot move earlier than 7 days after the sending.
    A new date after the call was announced is sent to the applicants still in the
    running (awaiting review, eligible, selected, reserve). Audited as
    ``meeting.edited``."""
    refuse_unless_scheduled(meeting)
    title = _text(values.get("title"), "title", 300, multiline=False)
    if not title:
        raise MeetingError("title_required", field="title")
    starts_at: datetime | None = values.get("starts_at")
    if starts_at is None:
        raise MeetingError("starts_required", field="starts_at")
    kind = MeetingKind(values["kind"])
    call = meeting.open_call
    if call is not None and starts_at < call.closes_at:
        raise MeetingError(
            "starts_before_window", field="starts_at", closes=_moment(call.closes_at)
        )
    problem = hearing_notice_problem(kind, starts_at, meeting.materials_sent_at)
    if problem is not None:
        raise problem
    old_starts_at = meeting.starts_at
    changes = audit.diff(
        meeting,
        {
            "title": title,
            "kind": kind,
            "starts_at": starts_at,
            "place": _text(values.get("place"), "place", 300, multiline=False),
        },
    )
    if not changes:
        return meeting
    db.session.flush()
    audit.record("meeting.edited", meeting, changes, actor=actor)
    if "starts_at" in changes and call is not None and call.announced_at is not None:
        for application in _applications(meeting, TOLD_OF_A_NEW_DATE):
            notify.meeting_moved(application, old_starts_at)
    return meeting


def cancel_meeting(meeting: Meeting, reason: str, actor=None) -> Meeting:
    """Cancel a scheduled meeting with a reason (shown publicly): nothing is deleted, no
    application, review, selection, check-in or minutes is accepted any more, and every
    applicant who has not withdrawn is told. Audited as ``meeting.cancelled``."""
    refuse_unless_scheduled(meeting)
    reason = _text(reason, "reason", 2000)
    if not reason:
        raise MeetingError("cancel_reason_required", field="reason")
    meeting.state = MeetingState.CANCELLED
    meeting.cancelled_at = utcnow()
    meeting.cancel_reason = reason
    db.session.flush()
    audit.record("meeting.cancelled", meeting, {"reason": reason}, actor=actor)
    told = [s for s in ApplicationState if s != ApplicationState.WITHDRAWN]
    for application in _applications(meeting, told):
        notify.meeting_cancelled(application)
    return meeting


def send_materials(meeting: Meeting, actor=None, now: datetime | None = None) -> int:
    """Send the materials before the meeting (with their public links) to each selected
    participant, one outbox message each, and record ``materials_sent_at``; sending again
    (after a material was added) sends again. A hearing's materials must reach its
    participants at least 7 days ahead: refused when less remains. Returns the number of
    messages. Audited as ``meeting.materials_sent``."""
    refuse_unless_scheduled(meeting)
    now = now or utcnow()
    if meeting.kind == MeetingKind.HEARING and meeting.starts_at - now < HEARING_NOTICE:
        raise MeetingError(
            "materials_too_late",
            starts=_moment(meeting.starts_at),
            latest=_moment(meeting.starts_at - HEARING_NOTICE),
            earliest=_moment(now + HEARING_NOTICE),
        )
    lines = notify.material_lines(meeting)
    if not lines:
        raise MeetingError("no_materials")
    participants = _applications(meeting, (ApplicationState.SELECTED,))
    if not participants:
        raise MeetingError("no_participants")
    meeting.materials_sent_at = now
    db.session.flush()
    for application in participants:
        notify.materials_sent(application, lines, now)
    audit.record(
        "meeting.materials_sent",
        meeting,
        {
            "sent_at": now,
            "participants": [a.public_code for a in participants],
            "materials": [title for title, _url in lines],
        },
        actor=actor,
    )
    return len(participants)

"""How long applicants' personal data is kept: ``MEETING_APPLICANT_DATA_DAYS`` (180 by
default) after the meeting was held or cancelled, the periodic job
``meetings.erase_applicant_data`` erases each application's contact (and the key derived
from it), the statement of interest, the conflict-of-interest declaration, the link to
the applicant's account, and the name unless it was published with consent in the
attendance record. It keeps the public code, the category, the organisation, the review
and the selection record (state, reserve rank, roll, reserve fills), so the public pages
and the verification kit stay as they were and the kit still verifies.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from participation.core import audit
from participation.core.database import utcnow, writer_turn_on_first_write
from participation.core.jobs import register_job
from participation.extensions import db
from participation.meetings.models import Application, Meeting, MeetingState, RollEntry


def _due_meetings(cutoff: datetime) -> list[Meeting]:
    """Meetings held or cancelled before ``cutoff`` with an application not yet erased."""
    pending = (
        sa.select(Application.id)
        .where(
            Application.meeting_id == Meeting.id,
            Application.personal_data_erased_at.is_(None),
        )
        .exists()
    )
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(
                sa.or_(
                    sa.and_(Meeting.state == MeetingState.HELD, Meeting.held_at <= cutoff),
                    sa.and_(
                        Meeting.state == MeetingState.CANCELLED, Meeting.cancelled_at <= cutoff
                    ),
                ),
                pending,
            )
            .order_by(Meeting.id)
        )
    )


def erase_applicant_data(now: datetime | None = None, days: int | None = None) -> int:
    """Erase the personal data of the applications of every meeting held or cancelled at
    least ``days`` (default ``MEETING_APPLICANT_DATA_DAYS``) before ``now`` (naive UTC).
    Level-triggered and idempotent: an application erased once is left alone. One audit
    entry per meeting (``meeting.applicant_data_erased``). Returns the number of
    applications erased; flushes, the caller commits."""
    now = now or utcnow()
    if days is None:
        days = current_app.config["MEETING_APPLICANT_DATA_DAYS"]
    erased = 0
    for meeting in _due_meetings(now - timedelta(days=days)):
        on_roll = sa.select(RollEntry.application_id).where(RollEntry.meeting_id == meeting.id)
        applications = db.session.scalars(
            sa.select(Application)
            .where(
                Application.meeting_id == meeting.id,
                Application.personal_data_erased_at.is_(None),
            )
            .order_by(Application.id)
        ).all()
        rolled = set(db.session.scalars(on_roll))
        for application in applications:
            application.contact = ""
            # Unique per meeting: the erased key must still differ from the others.
            application.person_key = f"erased-{application.id}"
            application.statement_of_interest = ""
            application.conflict_declaration = ""
            application.author_id = None
            if not (application.consent_to_publish_name and application.id in rolled):
                application.name = ""
            application.personal_data_erased_at = now
        db.session.flush()
        audit.record(
            "meeting.applicant_data_erased",
            meeting,
            {"applications": len(applications), "after_days": days},
            actor=None,
        )
        erased += len(applications)
    return erased


@register_job("meetings.erase_applicant_data", every=timedelta(hours=6))
def erase_applicant_data_job(now: datetime) -> None:
    """The periodic run of :func:`erase_applicant_data`. On SQLite it takes the writer
    turn at its first write, as a request does (PostgreSQL: row locks)."""
    with writer_turn_on_first_write():
        erase_applicant_data(now)

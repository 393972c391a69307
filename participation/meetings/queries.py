"""Read side of decision meetings: the public list, counts per category, the masked list
of eligible applicants, the draw's result, the public attendance record. Pages, the API
and the dossier links all read a meeting's public facts through these functions."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from participation.extensions import db
from participation.meetings.models import (
    AgendaItem,
    Application,
    ApplicationState,
    Attendance,
    Meeting,
    ReserveFill,
    RollEntry,
    SeatCategory,
)
from participation.opinions.receipts import normalise_receipt_number

#: Applications that passed the review (whatever happened next).
REVIEWED_ELIGIBLE = (
    ApplicationState.ELIGIBLE,
    ApplicationState.SELECTED,
    ApplicationState.RESERVE,
    ApplicationState.WITHDRAWN,
)


def public_meetings_query(government_id: int) -> sa.Select:
    """The government's published meetings, the next first then the past ones."""
    return (
        sa.select(Meeting)
        .where(Meeting.government_id == government_id, Meeting.published.is_(True))
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    )


def category_counts(meeting: Meeting) -> list[dict[str, Any]]:
    """Per category with seats: seats, applications, eligible, selected, reserve."""
    rows = db.session.execute(
        sa.select(Application.category, Application.state, sa.func.count(Application.id))
        .where(Application.meeting_id == meeting.id)
        .group_by(Application.category, Application.state)
    ).all()
    counts: dict[tuple[SeatCategory, ApplicationState], int] = {
        (SeatCategory(c), ApplicationState(s)): n for c, s, n in rows
    }
    result = []
    for quota in meeting.quotas:

        def of(*states, category=quota.category):
            return sum(counts.get((category, state), 0) for state in states)

        result.append(
            {
                "category": quota.category,
                "seats": quota.seats,
                "applications": of(*ApplicationState),
                "eligible": of(*REVIEWED_ELIGIBLE),
                "ineligible": of(ApplicationState.INELIGIBLE),
                "selected": of(ApplicationState.SELECTED),
                "reserve": of(ApplicationState.RESERVE),
            }
        )
    return result


def eligible_codes(meeting: Meeting) -> dict[SeatCategory, list[Application]]:
    """The masked list: the public codes of the applications found eligible, by category
    (no name, no contact)."""
    rows = db.session.scalars(
        sa.select(Application)
        .where(Application.meeting_id == meeting.id, Application.state.in_(REVIEWED_ELIGIBLE))
        .order_by(Application.category, Application.public_code)
    ).all()
    grouped: dict[SeatCategory, list[Application]] = {}
    for application in rows:
        grouped.setdefault(application.category, []).append(application)
    return grouped


def selection(meeting: Meeting) -> dict[SeatCategory, dict[str, list[Application]]]:
    """Who holds a seat and the reserve list in order, by category."""
    rows = db.session.scalars(
        sa.select(Application)
        .where(
            Application.meeting_id == meeting.id,
            Application.state.in_([ApplicationState.SELECTED, ApplicationState.RESERVE]),
        )
        .order_by(
            Application.category, Application.reserve_rank.nulls_first(), Application.public_code
        )
    ).all()
    grouped: dict[SeatCategory, dict[str, list[Application]]] = {}
    for application in rows:
        part = "selected" if application.state == ApplicationState.SELECTED else "reserve"
        grouped.setdefault(application.category, {"selected": [], "reserve": []})[part].append(
            application
        )
    return grouped


def reserve_fills(meeting: Meeting) -> list[ReserveFill]:
    """The public log of withdrawals and who took each seat, in order."""
    return list(
        db.session.scalars(
            sa.select(ReserveFill)
            .where(ReserveFill.meeting_id == meeting.id)
            .order_by(ReserveFill.id)
        )
    )


def attendance_record(meeting: Meeting) -> list[dict[str, Any]]:
    """The public attendance record: for each representative on the roll, the name only
    with consent (otherwise category and organisation), the public code and attendance."""
    entries = db.session.scalars(
        sa.select(RollEntry)
        .join(Application, Application.id == RollEntry.application_id)
        .where(RollEntry.meeting_id == meeting.id)
        .order_by(Application.category, Application.public_code)
    ).all()
    record = []
    for entry in entries:
        application = entry.application
        record.append(
            {
                "code": application.public_code,
                "category": application.category,
                "name": application.name if application.consent_to_publish_name else None,
                "organisation": application.organisation,
                "attendance": entry.attendance,
                "withdrawn": application.state == ApplicationState.WITHDRAWN,
                "substitute": entry.attendance == Attendance.SUBSTITUTE,
            }
        )
    return record


def find_application(number: str) -> Application | None:
    """The application with this receipt number (as typed), or None."""
    normalised = normalise_receipt_number(number)[:40]
    if not normalised:
        return None
    return db.session.scalar(sa.select(Application).where(Application.receipt_number == normalised))


def meetings_of_decision(decision_id: int, public_only: bool = True) -> list[AgendaItem]:
    """The agenda items that put this decision before a meeting, earliest meeting first."""
    query = (
        sa.select(AgendaItem)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(AgendaItem.decision_id == decision_id)
    )
    if public_only:
        query = query.where(Meeting.published.is_(True))
    return list(db.session.scalars(query.order_by(Meeting.starts_at, Meeting.id)))


def public_agenda(meeting: Meeting) -> list[AgendaItem]:
    """The agenda as the public sees it: items whose decision is public (a confidential
    or unpublished catalogue entry never appears, not even by its title)."""
    return [item for item in meeting.agenda_items if item.decision.is_public]

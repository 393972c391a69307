"""Meeting operations: the meeting and its agenda, the open call, applications and their
review, the lottery or the choice, withdrawals filled from the reserve list, the roll.

Every operation flushes (never commits), writes its audit entry and raises a
:class:`MeetingError` with a code and a translated message when a rule refuses. Messages
to applicants are written to the outbox in the same transaction (:mod:`.notify`).
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from participation.accounts.models import Unit
from participation.catalogue.models import Decision
from participation.consultations.models import Consultation, ConsultationStatus
from participation.core import audit
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.sanitize import plain_text
from participation.core.timeutil import local_today, utc_to_local
from participation.dossier.models import Document
from participation.extensions import db
from participation.feedback.models import FeedbackReport
from participation.meetings import lottery, notify
from participation.meetings.models import (
    AgendaItem,
    Application,
    ApplicationState,
    Attendance,
    MaterialKind,
    Meeting,
    MeetingDraw,
    MeetingKind,
    MeetingMaterial,
    MeetingState,
    OpenCall,
    ReserveFill,
    RollEntry,
    SeatCategory,
    SeatQuota,
    SelectionMethod,
)
from participation.opinions.models import ENTERPRISE_KINDS, Channel, ModerationState, Opinion
from participation.opinions.receipts import RECEIPT_ALPHABET, new_receipt_number

TEXT_MAX = 5000
SEATS_MAX = 100
CODE_LENGTH = 6
CHECK_IN_LENGTH = 8
#: A hearing's materials reach its participants at least this long before it starts.
HEARING_NOTICE = timedelta(days=7)


class MeetingError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "title_required": _l("Give the meeting a title."),
        "decision_elsewhere": _l("Choose a decision of this government's catalogue."),
        "already_on_agenda": _l("This decision is already on the meeting's agenda."),
        "invite_reason": _l("Say why representatives are (or are not) invited."),
        "document_elsewhere": _l("Choose a document of this decision's dossier."),
        "consultation_elsewhere": _l("Choose a consultation of this decision."),
        "no_feedback_draft": _l(
            "The feedback report of this consultation has not been prepared yet: open its "
            "preparation page first."
        ),
        "summary_not_closed": _l(
            "The interim participation summary exists once the consultation has closed."
        ),
        "enterprises_not_heard": _l(
            "“%(title)s” affects enterprises: it cannot be taken at a meeting until "
            "enterprise opinions have been heard (an opinion given by an enterprise or a "
            "trade association, an opinion from a symposium, a statement by an enterprise "
            "or trade association representative, or a symposium with enterprises recorded "
            "on the agenda item)."
        ),
        "report_missing": _l(
            "The material before the meeting on “%(title)s” must include the report on how "
            "the main public opinions were studied (the feedback report's draft or the "
            "interim participation summary)."
        ),
        "call_announced": _l(
            "The open call has been announced: its seats, window and method can no longer change."
        ),
        "no_seats": _l("Offer at least one seat before announcing the open call."),
        "seats_range": _l("Seats per category: a number from 0 to %(max)d."),
        "no_call": _l("Set the open call's window and method first."),
        "window_order": _l("The window must close after it opens."),
        "window_after_meeting": _l("The window must close before the meeting starts."),
        "public_value_required": _l(
            "A lottery needs the future public random value that will seed it (for example "
            "the winning numbers of a named lottery draw) and the date of the draw."
        ),
        "draw_before_close": _l("The draw must take place after the window closes."),
        "call_not_open": _l("Applications are not being accepted for this meeting."),
        "no_such_category": _l("This meeting offers no seat in that category."),
        "name_required": _l("Enter your name."),
        "contact_required": _l("Enter a phone number or e-mail address we can reach you at."),
        "already_applied": _l(
            "An application with this contact has already been made for this meeting: one "
            "application per person."
        ),
        "consent_required": _l("Agree that your application is handled as described to apply."),
        "reason_required": _l("Give the reason: the applicant sees it."),
        "not_reviewable": _l("This application can no longer be reviewed."),
        "unreviewed": _l(
            "%(count)d applications have not been reviewed yet: review every application "
            "before the selection."
        ),
        "not_lottery": _l("This meeting's seats are filled by choice, not by lottery."),
        "not_choice": _l("This meeting's seats are filled by lottery, not by choice."),
        "window_open": _l("The selection takes place after the application window closes."),
        "too_early": _l("The draw was announced for %(date)s: it cannot be held earlier."),
        "already_drawn": _l("The lottery has already been drawn."),
        "public_value_empty": _l("Enter the public random value exactly as published."),
        "not_eligible": _l("Only an eligible applicant can be chosen."),
        "category_full": _l("Every seat of this category has been filled."),
        "not_selected": _l("Only a selected representative can withdraw."),
        "unknown_code": _l("No representative of this meeting has this check-in code."),
        "substitute_name": _l("Enter the name of the substitute."),
        "not_on_agenda": _l("Choose an item of this meeting's agenda."),
        "too_long": _l("The text can be at most %(max)d characters."),
        "body_too_short": _l("Write at least 5 characters."),
        "not_held_yet": _l("Statements are recorded once the meeting has been held."),
        "already_held": _l("The meeting has already been held."),
        "unknown_representative": _l("Choose a representative on this meeting's roll."),
        "cancelled": _l("This meeting has been cancelled: nothing more can be done with it."),
        "cancel_reason_required": _l(
            "Give the reason for the cancellation: it is shown publicly and sent to the "
            "applicants."
        ),
        "starts_required": _l("Enter when the meeting starts, e.g. 2026-03-31 09:00."),
        "starts_before_window": _l(
            "The meeting cannot start before its application window closes (%(closes)s)."
        ),
        "materials_too_late": _l(
            "A hearing's materials must reach its participants at least 7 days ahead: for "
            "the hearing on %(starts)s they had to be sent by %(latest)s. Postpone the "
            "hearing to %(earliest)s or later, then send them."
        ),
        "materials_not_sent": _l(
            "A hearing can be recorded as held only if its materials were sent to the "
            "participants at least 7 days ahead: they were not sent by %(latest)s."
        ),
        "date_before_notice": _l(
            "The materials of this hearing were sent to the participants on %(sent)s: it "
            "cannot take place before %(earliest)s (7 days later)."
        ),
        "no_participants": _l(
            "No participant has been selected yet: the materials are sent to the selected "
            "participants."
        ),
        "no_materials": _l("Put at least one material before the meeting first."),
        "already_withdrawn": _l("This application has already been withdrawn."),
    }


def _moment(value: datetime) -> str:
    """A UTC moment as the officials and applicants read it (local time)."""
    return utc_to_local(value).strftime("%Y-%m-%d %H:%M")


def refuse_unless_scheduled(meeting: Meeting) -> None:
    """Nothing more happens to a cancelled meeting, nor (for what needs a future
    meeting) to one held: raises ``cancelled`` or ``already_held``."""
    if meeting.state == MeetingState.CANCELLED:
        raise MeetingError("cancelled")
    if meeting.state == MeetingState.HELD:
        raise MeetingError("already_held")


def refuse_if_cancelled(meeting: Meeting) -> None:
    """Raises ``cancelled`` for a cancelled meeting."""
    if meeting.state == MeetingState.CANCELLED:
        raise MeetingError("cancelled")


def hearing_notice_problem(
    kind: MeetingKind, starts_at: datetime, materials_sent_at: datetime | None
) -> MeetingError | None:
    """For a hearing starting at ``starts_at``: the refusal when materials sent at
    ``materials_sent_at`` would not have reached its participants 7 days ahead (None:
    the rule holds, or the meeting is not a hearing, or nothing was sent yet)."""
    if kind != MeetingKind.HEARING or materials_sent_at is None:
        return None
    if starts_at - materials_sent_at < HEARING_NOTICE:
        return MeetingError(
            "date_before_notice",
            field="starts_at",
            sent=_moment(materials_sent_at),
            earliest=_moment(materials_sent_at + HEARING_NOTICE),
        )
    return None


def _text(value: str | None, field: str, maximum: int = TEXT_MAX, multiline: bool = True) -> str:
    text = plain_text(value or "", multiline=multiline)
    if len(text) > maximum:
        raise MeetingError("too_long", field=field, max=maximum)
    return text


# -- the meeting and its agenda --------------------------------------------------------


def create_meeting(unit: Unit, values: dict[str, Any], actor=None) -> Meeting:
    """Schedule a meeting of the unit's government (not public until its open call is
    announced or it is published). Audited as ``meeting.created``."""
    title = _text(values.get("title"), "title", 300, multiline=False)
    if not title:
        raise MeetingError("title_required", field="title")
    meeting = Meeting(
        government_id=unit.government_id,
        unit_id=unit.id,
        kind=MeetingKind(values["kind"]),
        title=title,
        starts_at=values["starts_at"],
        place=_text(values.get("place"), "place", 300, multiline=False),
        state=MeetingState.SCHEDULED,
        published=bool(values.get("published")),
    )
    db.session.add(meeting)
    db.session.flush()
    audit.record(
        "meeting.created",
        meeting,
        {
            "title": title,
            "kind": meeting.kind,
            "starts_at": meeting.starts_at,
            "place": meeting.place,
            "published": meeting.published,
        },
        actor=actor,
    )
    return meeting


def publish_meeting(meeting: Meeting, actor=None) -> Meeting:
    """Show the meeting (date, place, agenda) publicly. Audited as ``meeting.published``."""
    if not meeting.published:
        meeting.published = True
        db.session.flush()
        audit.record("meeting.published", meeting, {}, actor=actor)
    return meeting


def add_agenda_item(
    meeting: Meeting, decision_id: int | None, values: dict[str, Any], actor=None
) -> AgendaItem:
    """Put a decision of the meeting's government on the agenda with the unit's proposal
    whether to invite representatives and why (the reason is required either way).
    Audited as ``agenda_item.added``."""
    refuse_unless_scheduled(meeting)
    decision = db.session.get(Decision, decision_id) if decision_id else None
    if (
        decision is None
        or decision.government_id != meeting.government_id
        or not decision.is_listed
    ):
        raise MeetingError("decision_elsewhere", field="decision_id")
    reason = _text(values.get("invite_reason"), "invite_reason")
    if not reason:
        raise MeetingError("invite_reason", field="invite_reason")
    position = (
        db.session.scalar(
            sa.select(sa.func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id)
        )
        or 0
    ) + 1
    item = AgendaItem(
        meeting_id=meeting.id,
        decision_id=decision.id,
        position=position,
        invite_representatives=bool(values.get("invite_representatives")),
        invite_reason=reason,
        affects_enterprises=bool(values.get("affects_enterprises")),
        enterprise_symposium=_text(values.get("enterprise_symposium"), "enterprise_symposium"),
    )
    try:
        with db.session.begin_nested():
            db.session.add(item)
            db.session.flush()
    except IntegrityError:
        raise MeetingError("already_on_agenda", field="decision_id") from None
    audit.record(
        "agenda_item.added",
        item,
        {
            "decision_id": decision.id,
            "invite": item.invite_representatives,
            "invite_reason": reason,
            "affects_enterprises": item.affects_enterprises,
        },
        government_id=meeting.government_id,
        actor=actor,
    )
    return item


def add_material(
    item: AgendaItem, kind: MaterialKind, object_id: int | None, actor=None
) -> MeetingMaterial:
    """Put a material before the meeting for an agenda item: a document of the decision's
    dossier, or the feedback report's draft or the interim summary of one of its
    consultations (which must exist). Audited as ``meeting_material.added``."""
    refuse_if_cancelled(item.meeting)
    material = MeetingMaterial(agenda_item_id=item.id, kind=kind)
    if kind == MaterialKind.DOCUMENT:
        document = db.session.get(Document, object_id) if object_id else None
        if document is None or document.decision_id != item.decision_id:
            raise MeetingError("document_elsewhere", field="object_id")
        material.document_id = document.id
    else:
        consultation = db.session.get(Consultation, object_id) if object_id else None
        if consultation is None or consultation.decision_id != item.decision_id:
            raise MeetingError("consultation_elsewhere", field="object_id")
        if (
            kind == MaterialKind.FEEDBACK_REPORT
            and db.session.scalar(
                sa.select(sa.func.count(FeedbackReport.id)).where(
                    FeedbackReport.consultation_id == consultation.id
                )
            )
            == 0
        ):
            raise MeetingError("no_feedback_draft", field="object_id")
        if (
            kind == MaterialKind.PARTICIPATION_SUMMARY
            and consultation.status != ConsultationStatus.CLOSED
        ):
            raise MeetingError("summary_not_closed", field="object_id")
        material.consultation_id = consultation.id
    db.session.add(material)
    db.session.flush()
    audit.record(
        "meeting_material.added",
        material,
        {
            "kind": kind,
            "document_id": material.document_id,
            "consultation_id": material.consultation_id,
        },
        government_id=item.meeting.government_id,
        actor=actor,
    )
    return material


def enterprises_heard(item: AgendaItem) -> bool:
    """Enterprise opinions were heard on the item's decision: a symposium recorded on the
    item, an opinion given on behalf of an enterprise or a trade association (any
    channel; not hidden), an opinion from a symposium, or a statement by an enterprise
    or trade association representative at another meeting."""
    if item.enterprise_symposium.strip():
        return True
    from_enterprises = db.session.scalar(
        sa.select(Opinion.id).where(
            Opinion.decision_id == item.decision_id,
            Opinion.submitter_kind.in_(ENTERPRISE_KINDS),
            Opinion.moderation_state != ModerationState.HIDDEN,
        ).limit(1)
    )
    if from_enterprises is not None:
        return True
    symposium = db.session.scalar(
        sa.select(sa.func.count(Opinion.id)).where(
            Opinion.decision_id == item.decision_id, Opinion.channel == Channel.SYMPOSIUM
        )
    )
    if symposium:
        return True
    # A statement names its representative by public code in ``reference``.
    statements = db.session.scalar(
        sa.select(sa.func.count(Opinion.id))
        .join(
            Application,
            sa.and_(
                Application.meeting_id == Opinion.meeting_id,
                Application.public_code == Opinion.reference,
            ),
        )
        .where(
            Opinion.decision_id == item.decision_id,
            Opinion.meeting_id != item.meeting_id,
            Application.category.in_([SeatCategory.ENTERPRISE, SeatCategory.TRADE_ASSOCIATION]),
        )
    )
    return bool(statements)


def agenda_problems(item: AgendaItem) -> list[MeetingError]:
    """Why the item's decision cannot be taken at the meeting yet (empty: it can)."""
    problems = []
    title = item.decision.title
    if item.affects_enterprises and not enterprises_heard(item):
        problems.append(MeetingError("enterprises_not_heard", title=title))
    consulted = db.session.scalar(
        sa.select(sa.func.count(Consultation.id)).where(
            Consultation.decision_id == item.decision_id
        )
    )
    if consulted and not any(
        m.kind in (MaterialKind.FEEDBACK_REPORT, MaterialKind.PARTICIPATION_SUMMARY)
        for m in item.materials
    ):
        problems.append(MeetingError("report_missing", title=title))
    return problems


def record_minutes(item: AgendaItem, values: dict[str, Any], actor=None) -> AgendaItem:
    """Record the minutes of an agenda item: the discussion, the dissent and the result.
    A result (the decision taken) is refused while a rule of :func:`agenda_problems`
    fails. Audited as ``agenda_item.minutes_recorded``."""
    refuse_if_cancelled(item.meeting)
    fields = {name: _text(values.get(name), name) for name in ("discussion", "dissent", "result")}
    if fields["result"]:
        problems = agenda_problems(item)
        if problems:
            raise problems[0]
    changes = audit.diff(item, fields)
    item.minutes_recorded_at = utcnow()
    db.session.flush()
    audit.record(
        "agenda_item.minutes_recorded",
        item,
        changes,
        government_id=item.meeting.government_id,
        actor=actor,
    )
    return item


def mark_held(meeting: Meeting, actor=None) -> Meeting:
    """The meeting took place: refused while an agenda item breaks a rule, and for a
    hearing unless its materials were sent to the participants at least 7 days before
    it started. Audited as ``meeting.held``."""
    refuse_unless_scheduled(meeting)
    for item in meeting.agenda_items:
        problems = agenda_problems(item)
        if problems:
            raise problems[0]
    if meeting.kind == MeetingKind.HEARING and (
        meeting.materials_sent_at is None
        or meeting.starts_at - meeting.materials_sent_at < HEARING_NOTICE
    ):
        raise MeetingError("materials_not_sent", latest=_moment(meeting.starts_at - HEARING_NOTICE))
    meeting.state = MeetingState.HELD
    meeting.held_at = utcnow()
    db.session.flush()
    audit.record("meeting.held", meeting, {}, actor=actor)
    return meeting


# -- seats and the open call -----------------------------------------------------------


def _refuse_after_announcement(meeting: Meeting) -> None:
    refuse_unless_scheduled(meeting)
    if meeting.open_call is not None and meeting.open_call.announced_at is not None:
        raise MeetingError("call_announced")


def set_seats(meeting: Meeting, seats: dict[SeatCategory, int], actor=None) -> list[SeatQuota]:
    """Set the seats offered per category (0 removes a category); refused once the call
    is announced. Audited as ``meeting.seats_set``."""
    _refuse_after_announcement(meeting)
    current = {q.category: q for q in meeting.quotas}
    changes = {}
    for position, category in enumerate(SeatCategory):
        number = seats.get(category) or 0
        if not 0 <= number <= SEATS_MAX:
            raise MeetingError("seats_range", field=f"seats_{category.value}", max=SEATS_MAX)
        quota = current.get(category)
        old = quota.seats if quota else 0
        if number == old:
            continue
        changes[category.value] = [old, number]
        if quota is None:
            db.session.add(
                SeatQuota(meeting_id=meeting.id, category=category, seats=number, position=position)
            )
        elif number == 0:
            db.session.delete(quota)
        else:
            quota.seats = number
    db.session.flush()
    db.session.expire(meeting, ["quotas"])
    if changes:
        audit.record("meeting.seats_set", meeting, changes, actor=actor)
    return list(meeting.quotas)


def save_open_call(meeting: Meeting, values: dict[str, Any], actor=None) -> OpenCall:
    """Set the open call's window, eligibility text and selection method (and, for a
    lottery, the named future public random value and the draw date); refused once
    announced. Audited as ``open_call.saved``."""
    _refuse_after_announcement(meeting)
    opens_at, closes_at = values["opens_at"], values["closes_at"]
    if closes_at <= opens_at:
        raise MeetingError("window_order", field="closes_at")
    if closes_at > meeting.starts_at:
        raise MeetingError("window_after_meeting", field="closes_at")
    method = SelectionMethod(values["selection_method"])
    source = _text(values.get("public_value_source"), "public_value_source", 1000)
    draw_on: date | None = values.get("draw_on")
    if method == SelectionMethod.LOTTERY:
        if not source or draw_on is None:
            raise MeetingError("public_value_required", field="public_value_source")
        from participation.core.timeutil import utc_to_local

        if draw_on < utc_to_local(closes_at).date():
            raise MeetingError("draw_before_close", field="draw_on")
    fields = {
        "opens_at": opens_at,
        "closes_at": closes_at,
        "eligibility": _text(values.get("eligibility"), "eligibility"),
        "selection_method": method,
        "public_value_source": source if method == SelectionMethod.LOTTERY else "",
        "draw_on": draw_on if method == SelectionMethod.LOTTERY else None,
    }
    call = meeting.open_call
    if call is None:
        call = OpenCall(meeting_id=meeting.id)
        db.session.add(call)
    changes = audit.diff(call, fields)
    db.session.flush()
    db.session.refresh(meeting, ["open_call"])
    audit.record("open_call.saved", meeting, changes, actor=actor)
    return call


def announce_call(meeting: Meeting, actor=None) -> OpenCall:
    """Announce the open call: its seats, window and method are fixed and public, and for
    a lottery the platform generates its secret and publishes the commitment (SHA-256 of
    the secret) before any application can arrive. An announcement after the planned
    opening opens the window now. Audited as ``open_call.announced``."""
    call = meeting.open_call
    if call is None:
        raise MeetingError("no_call")
    _refuse_after_announcement(meeting)
    if meeting.seat_total == 0:
        raise MeetingError("no_seats")
    now = utcnow()
    if call.closes_at <= now:
        raise MeetingError("window_order", field="closes_at")
    call.opens_at = max(call.opens_at, now)
    call.announced_at = now
    meeting.published = True
    commitment = None
    if call.selection_method == SelectionMethod.LOTTERY:
        secret = lottery.new_secret()
        commitment = lottery.commitment(secret)
        db.session.add(MeetingDraw(meeting_id=meeting.id, secret=secret, commitment=commitment))
    db.session.flush()
    audit.record(
        "open_call.announced",
        meeting,
        {
            "method": call.selection_method,
            "opens_at": call.opens_at,
            "closes_at": call.closes_at,
            "commitment": commitment,
            "seats": {q.category.value: q.seats for q in meeting.quotas},
        },
        actor=actor,
    )
    return call


# -- applications ----------------------------------------------------------------------


def _new_code(length: int) -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(length))


def person_key(contact: str) -> str:
    """One person per contact: digits of a phone number, an address in lower case."""
    text = "".join((contact or "").split()).lower()
    if "@" not in text:
        digits = "".join(ch for ch in text if ch.isdigit())
        text = digits[-11:] if len(digits) >= 7 else text
    return text[:200]


def apply(
    meeting: Meeting, values: dict[str, Any], *, submission_key: str | None = None, author=None
) -> tuple[Application, bool]:
    """Accept an application while the call is open: one per person (by contact) per
    meeting, in a category with seats. Returns ``(application, created)``; the same form
    sent twice returns the first. Audited as ``application.submitted``."""
    refuse_if_cancelled(meeting)
    call = meeting.open_call
    if call is None or not call.is_open_at(utcnow()):
        raise MeetingError("call_not_open")
    key = (submission_key or "")[:64] or None
    if key:
        existing = db.session.scalar(
            sa.select(Application).where(
                Application.meeting_id == meeting.id, Application.submission_key == key
            )
        )
        if existing is not None:
            return existing, False
    try:
        category = SeatCategory(values.get("category"))
    except ValueError:
        raise MeetingError("no_such_category", field="category") from None
    if category not in {q.category for q in meeting.quotas if q.seats > 0}:
        raise MeetingError("no_such_category", field="category")
    name = _text(values.get("name"), "name", 100, multiline=False)
    if not name:
        raise MeetingError("name_required", field="name")
    contact = _text(values.get("contact"), "contact", 200, multiline=False)
    if not contact or len(person_key(contact)) < 5:
        raise MeetingError("contact_required", field="contact")
    if not values.get("consent"):
        raise MeetingError("consent_required", field="consent")
    fields = {
        "government_id": meeting.government_id,
        "meeting_id": meeting.id,
        "name": name,
        "contact": contact,
        "person_key": person_key(contact),
        "category": category,
        "organisation": _text(values.get("organisation"), "organisation", 200, False),
        "statement_of_interest": _text(
            values.get("statement_of_interest"), "statement_of_interest"
        ),
        "conflict_declaration": _text(values.get("conflict_declaration"), "conflict_declaration"),
        "consent_to_publish_name": bool(values.get("consent_to_publish_name")),
        "state": ApplicationState.APPLIED,
        "author_id": getattr(author, "id", None),
        "submission_key": key,
    }
    for _attempt in range(5):
        application = Application(
            receipt_number=new_receipt_number(), public_code=_new_code(CODE_LENGTH), **fields
        )
        try:
            with db.session.begin_nested():
                db.session.add(application)
                db.session.flush()
            break
        except IntegrityError:
            taken = db.session.scalar(
                sa.select(Application).where(
                    Application.meeting_id == meeting.id,
                    sa.or_(
                        Application.person_key == fields["person_key"],
                        Application.submission_key == key if key else sa.false(),
                    ),
                )
            )
            if taken is not None:
                if key and taken.submission_key == key:
                    return taken, False
                raise MeetingError("already_applied", field="contact") from None
    else:  # pragma: no cover - five colliding random codes
        raise RuntimeError("no free public code")
    audit.record(
        "application.submitted",
        application,
        {"category": category, "public_code": application.public_code},
        actor=author,
    )
    notify.application_received(application)
    return application, True


def review_application(
    application: Application, eligible: bool, reason: str, actor=None
) -> Application:
    """Record the eligibility review: eligible or not, with a reason the applicant sees
    (required when not eligible); possible until the selection. The applicant is told.
    Audited as ``application.reviewed``."""
    refuse_if_cancelled(application.meeting)
    if application.state not in (
        ApplicationState.APPLIED,
        ApplicationState.ELIGIBLE,
        ApplicationState.INELIGIBLE,
    ) or _selection_made(application.meeting):
        raise MeetingError("not_reviewable")
    reason = _text(reason, "reason", 2000)
    if not eligible and not reason:
        raise MeetingError("reason_required", field="reason")
    state = ApplicationState.ELIGIBLE if eligible else ApplicationState.INELIGIBLE
    changes = audit.diff(application, {"state": state, "eligibility_reason": reason})
    application.reviewed_by_id = getattr(actor, "id", None)
    application.reviewed_at = utcnow()
    db.session.flush()
    audit.record("application.reviewed", application, changes, actor=actor)
    if changes:
        notify.application_reviewed(application)
    return application


def _selection_made(meeting: Meeting) -> bool:
    if meeting.draw is not None and meeting.draw.drawn_at is not None:
        return True
    return (
        db.session.scalar(
            sa.select(sa.func.count(Application.id)).where(
                Application.meeting_id == meeting.id,
                Application.state.in_([ApplicationState.SELECTED, ApplicationState.RESERVE]),
            )
        )
        > 0
    )


def _ensure_roll_entry(application: Application) -> RollEntry:
    entry = db.session.scalar(
        sa.select(RollEntry).where(
            RollEntry.meeting_id == application.meeting_id,
            RollEntry.application_id == application.id,
        )
    )
    if entry is None:
        entry = RollEntry(
            meeting_id=application.meeting_id,
            application_id=application.id,
            check_in_code=_new_code(CHECK_IN_LENGTH),
        )
        db.session.add(entry)
        db.session.flush()
    return entry


def _eligible_by_category(meeting: Meeting) -> dict[SeatCategory, list[Application]]:
    rows = db.session.scalars(
        sa.select(Application)
        .where(Application.meeting_id == meeting.id, Application.state == ApplicationState.ELIGIBLE)
        .order_by(Application.id)
    ).all()
    grouped: dict[SeatCategory, list[Application]] = {}
    for application in rows:
        grouped.setdefault(application.category, []).append(application)
    return grouped


def _ready_for_selection(meeting: Meeting, method: SelectionMethod) -> OpenCall:
    refuse_if_cancelled(meeting)
    call = meeting.open_call
    if call is None or call.announced_at is None:
        raise MeetingError("no_call")
    if call.selection_method != method:
        raise MeetingError("not_lottery" if method == SelectionMethod.LOTTERY else "not_choice")
    if utcnow() < call.closes_at:
        raise MeetingError("window_open")
    unreviewed = db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(
            Application.meeting_id == meeting.id, Application.state == ApplicationState.APPLIED
        )
    )
    if unreviewed:
        raise MeetingError("unreviewed", count=unreviewed)
    return call


def draw_lottery(
    meeting: Meeting, public_value: str, actor=None, today: date | None = None
) -> MeetingDraw:
    """Hold the lottery: with the public random value named in advance, reveal the secret
    committed to when the call was announced, rank each category's eligible applicants
    by their public code (:mod:`.lottery`), select the first ``quota`` and order the rest
    as the reserve list; store and publish the verification kit. Every applicant ranked
    is told. Audited as ``meeting.drawn``."""
    call = _ready_for_selection(meeting, SelectionMethod.LOTTERY)
    today = today or local_today()
    if call.draw_on and today < call.draw_on:
        raise MeetingError("too_early", date=call.draw_on.isoformat())
    value = lottery.normalise_public_value(public_value or "")
    if not value:
        raise MeetingError("public_value_empty", field="public_value")
    # One draw per meeting: the draw row is the lock.
    db.session.execute(
        sa.select(MeetingDraw.id).where(MeetingDraw.meeting_id == meeting.id).with_for_update()
    )
    draw = db.session.scalar(sa.select(MeetingDraw).where(MeetingDraw.meeting_id == meeting.id))
    db.session.refresh(draw)
    if draw.drawn_at is not None:
        raise MeetingError("already_drawn")
    eligible = _eligible_by_category(meeting)
    categories = {
        q.category.value: (q.seats, [a.public_code for a in eligible.get(q.category, [])])
        for q in meeting.quotas
    }
    seed = lottery.seed(draw.secret, value, str(meeting.id))
    results = lottery.draw(seed, categories)
    by_code = {a.public_code: a for apps in eligible.values() for a in apps}
    check_in_codes = {}
    for result in results.values():
        for code in result.selected:
            by_code[code].state = ApplicationState.SELECTED
            check_in_codes[code] = _ensure_roll_entry(by_code[code]).check_in_code
        for rank, code in enumerate(result.reserve, start=1):
            by_code[code].state = ApplicationState.RESERVE
            by_code[code].reserve_rank = rank
    draw.public_value = value
    draw.drawn_at = utcnow()
    draw.drawn_by_id = getattr(actor, "id", None)
    draw.kit = lottery.verification_kit(
        meeting=str(meeting.id),
        secret_hex=draw.secret,
        commitment_hex=draw.commitment,
        public_value_source=call.public_value_source,
        public_value=value,
        categories=categories,
        results=results,
    )
    db.session.flush()
    audit.record(
        "meeting.drawn", meeting, {"public_value": value, "result": draw.kit["result"]}, actor=actor
    )
    for application in by_code.values():
        notify.selection_made(application, check_in_codes.get(application.public_code))
    return draw


def choose_applicant(application: Application, reason: str, actor=None) -> Application:
    """Give a seat to an eligible applicant by choice, with the written reason (public);
    refused when the category's seats are filled. Audited as ``application.chosen``."""
    meeting = application.meeting
    _ready_for_selection(meeting, SelectionMethod.CHOICE)
    if application.state != ApplicationState.ELIGIBLE:
        raise MeetingError("not_eligible")
    reason = _text(reason, "reason", 2000)
    if not reason:
        raise MeetingError("reason_required", field="reason")
    # The meeting row is the lock of its seats.
    db.session.execute(sa.select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
    seats = next((q.seats for q in meeting.quotas if q.category == application.category), 0)
    taken = db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(
            Application.meeting_id == meeting.id,
            Application.category == application.category,
            Application.state == ApplicationState.SELECTED,
        )
    )
    if taken >= seats:
        raise MeetingError("category_full")
    application.state = ApplicationState.SELECTED
    application.selection_reason = reason
    entry = _ensure_roll_entry(application)
    db.session.flush()
    audit.record("application.chosen", application, {"reason": reason}, actor=actor)
    notify.selection_made(application, entry.check_in_code)
    return application


def withdraw(application: Application, actor=None, by_applicant: bool = False) -> ReserveFill:
    """A selected representative withdraws (recorded by an official, or by the applicant
    through their receipt page): the first of the category's reserve list (in order)
    takes the seat and is told (with the materials, once they were sent); the fill is
    logged publicly. Audited as ``application.withdrawn``."""
    meeting = application.meeting
    refuse_if_cancelled(meeting)
    db.session.execute(sa.select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
    db.session.refresh(application)
    if application.state != ApplicationState.SELECTED:
        raise MeetingError("not_selected")
    application.state = ApplicationState.WITHDRAWN
    promoted = db.session.scalar(
        sa.select(Application)
        .where(
            Application.meeting_id == meeting.id,
            Application.category == application.category,
            Application.state == ApplicationState.RESERVE,
        )
        .order_by(Application.reserve_rank, Application.id)
        .limit(1)
    )
    entry = None
    if promoted is not None:
        promoted.state = ApplicationState.SELECTED
        promoted.reserve_rank = None
        entry = _ensure_roll_entry(promoted)
    fill = ReserveFill(
        meeting_id=meeting.id,
        category=application.category,
        withdrawn_id=application.id,
        promoted_id=promoted.id if promoted else None,
        occurred_at=utcnow(),
        actor_id=getattr(actor, "id", None),
    )
    db.session.add(fill)
    db.session.flush()
    audit.record(
        "application.withdrawn",
        application,
        {"promoted": promoted.public_code if promoted else None, "by_applicant": by_applicant},
        actor=actor,
    )
    if promoted is not None:
        notify.reserve_promoted(promoted, entry.check_in_code)
        if meeting.materials_sent_at is not None:
            lines = notify.material_lines(meeting)
            notify.materials_sent(promoted, lines, meeting.materials_sent_at)
    return fill


def withdraw_own_application(application: Application) -> Application:
    """The applicant withdraws their application from its receipt page. Before the
    selection (or from the reserve list) it is simply withdrawn; a selected
    representative's withdrawal is :func:`withdraw` (the first reserve takes the seat,
    publicly logged). Refused once the meeting was held or cancelled, or when already
    withdrawn. The applicant is told. Audited as ``application.withdrawn``."""
    meeting = application.meeting
    refuse_unless_scheduled(meeting)
    db.session.execute(sa.select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
    db.session.refresh(application)
    if application.state == ApplicationState.WITHDRAWN:
        raise MeetingError("already_withdrawn")
    if application.state == ApplicationState.SELECTED:
        withdraw(application, by_applicant=True)
    else:
        changes = audit.diff(
            application, {"state": ApplicationState.WITHDRAWN, "reserve_rank": None}
        )
        db.session.flush()
        changes["by_applicant"] = True
        audit.record("application.withdrawn", application, changes)
    notify.application_withdrawn(application)
    return application


# -- the roll --------------------------------------------------------------------------


def check_in(meeting: Meeting, code: str, actor=None) -> RollEntry:
    """Check a representative in at the door by the code they were given: present, at
    this time, by this official. Checking in twice changes nothing. Audited as
    ``roll_entry.checked_in``."""
    refuse_if_cancelled(meeting)
    code = "".join((code or "").split()).upper()[:CHECK_IN_LENGTH]
    entry = (
        db.session.scalar(
            sa.select(RollEntry).where(
                RollEntry.meeting_id == meeting.id, RollEntry.check_in_code == code
            )
        )
        if code
        else None
    )
    if entry is None:
        raise MeetingError("unknown_code", field="code")
    if entry.attendance == Attendance.PRESENT and entry.checked_in_at is not None:
        return entry
    entry.attendance = Attendance.PRESENT
    entry.checked_in_at = utcnow()
    entry.checked_in_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        "roll_entry.checked_in",
        entry,
        {"code": code},
        government_id=meeting.government_id,
        actor=actor,
    )
    return entry


def record_attendance(
    entry: RollEntry, attendance: Attendance, substitute_name: str = "", actor=None
) -> RollEntry:
    """Take the roll by hand: present, absent, excused, or a substitute (named). Audited
    as ``roll_entry.recorded``."""
    refuse_if_cancelled(entry.application.meeting)
    name = _text(substitute_name, "substitute_name", 100, multiline=False)
    if attendance == Attendance.SUBSTITUTE and not name:
        raise MeetingError("substitute_name", field="substitute_name")
    changes = audit.diff(
        entry,
        {
            "attendance": attendance,
            "substitute_name": name if attendance == Attendance.SUBSTITUTE else "",
        },
    )
    if attendance in (Attendance.PRESENT, Attendance.SUBSTITUTE) and entry.checked_in_at is None:
        entry.checked_in_at = utcnow()
    entry.checked_in_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        "roll_entry.recorded",
        entry,
        changes,
        government_id=entry.application.government_id,
        actor=actor,
    )
    return entry


def roll(meeting: Meeting) -> list[RollEntry]:
    """The meeting's roll, by category and public code."""
    return list(
        db.session.scalars(
            sa.select(RollEntry)
            .join(Application, Application.id == RollEntry.application_id)
            .where(RollEntry.meeting_id == meeting.id)
            .order_by(Application.category, Application.public_code)
        )
    )

"""Decision meetings (集体讨论决定 / 政府常务会议) with representatives who attend (列席).

A :class:`Meeting` of a unit's government takes decisions put on its agenda
(:class:`AgendaItem`, with materials and minutes). Its seats for representatives
(:class:`SeatQuota` per :class:`SeatCategory`) are filled through an open call
(:class:`OpenCall`): people apply (:class:`Application`), officials review each
application, then choose with a written reason per seat or hold a lottery anyone can
verify (:class:`MeetingDraw`, see :mod:`participation.meetings.lottery`). A withdrawal is
filled from the reserve list in order (:class:`ReserveFill`, public). The roll
(:class:`RollEntry`) records attendance.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.database import TimestampMixin, enum_column
from participation.core.i18n import label
from participation.extensions import db


class MeetingKind(enum.StrEnum):
    """Which meeting: the executive or the plenary meeting (collective deliberation), or a
    hearing (听证会), whose materials must reach its participants 7 days ahead."""

    EXECUTIVE = "executive"
    PLENARY = "plenary"
    HEARING = "hearing"

    @property
    def label(self) -> str:
        return label(MEETING_KIND_LABELS[self])


MEETING_KIND_LABELS = {
    MeetingKind.EXECUTIVE: _l("Executive meeting"),
    MeetingKind.PLENARY: _l("Plenary meeting"),
    MeetingKind.HEARING: _l("Hearing"),
}


class MeetingState(enum.StrEnum):
    """Where a meeting stands: scheduled (public once announced), held, or cancelled."""

    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return label(MEETING_STATE_LABELS[self])


MEETING_STATE_LABELS = {
    MeetingState.SCHEDULED: _l("Scheduled"),
    MeetingState.HELD: _l("Held"),
    MeetingState.CANCELLED: _l("Cancelled"),
}


class SeatCategory(enum.StrEnum):
    """Kinds of attending representative (利益相关方、群众代表、企业代表、专家、媒体 …)."""

    CITIZEN = "citizen"
    ENTERPRISE = "enterprise"
    TRADE_ASSOCIATION = "trade_association"
    EXPERT = "expert"
    MEDIA = "media"
    DEPUTY = "deputy"
    OTHER = "other"

    @property
    def label(self) -> str:
        return label(SEAT_CATEGORY_LABELS[self])


SEAT_CATEGORY_LABELS = {
    SeatCategory.CITIZEN: _l("Citizen representative"),
    SeatCategory.ENTERPRISE: _l("Enterprise representative"),
    SeatCategory.TRADE_ASSOCIATION: _l("Trade association"),
    SeatCategory.EXPERT: _l("Expert"),
    SeatCategory.MEDIA: _l("Media"),
    SeatCategory.DEPUTY: _l("Deputy or CPPCC member"),
    SeatCategory.OTHER: _l("Other"),
}


class SelectionMethod(enum.StrEnum):
    """How the seats are filled, announced before the window opens."""

    LOTTERY = "lottery"
    CHOICE = "choice"

    @property
    def label(self) -> str:
        return label(SELECTION_METHOD_LABELS[self])


SELECTION_METHOD_LABELS = {
    SelectionMethod.LOTTERY: _l("Public lottery among the eligible applicants"),
    SelectionMethod.CHOICE: _l("Chosen by the unit, with a written reason per seat"),
}


class ApplicationState(enum.StrEnum):
    """Where an application stands, from applied to selected, reserve or withdrawn."""

    APPLIED = "applied"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    SELECTED = "selected"
    RESERVE = "reserve"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return label(APPLICATION_STATE_LABELS[self])


APPLICATION_STATE_LABELS = {
    ApplicationState.APPLIED: _l("Awaiting review"),
    ApplicationState.ELIGIBLE: _l("Eligible"),
    ApplicationState.INELIGIBLE: _l("Not eligible"),
    ApplicationState.SELECTED: _l("Selected"),
    ApplicationState.RESERVE: _l("Reserve list"),
    ApplicationState.WITHDRAWN: _l("Withdrawn"),
}


class Attendance(enum.StrEnum):
    """The roll (点名): present, absent, excused or a substitute came instead."""

    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"
    SUBSTITUTE = "substitute"

    @property
    def label(self) -> str:
        return label(ATTENDANCE_LABELS[self])


ATTENDANCE_LABELS = {
    Attendance.PRESENT: _l("Present"),
    Attendance.ABSENT: _l("Absent"),
    Attendance.EXCUSED: _l("Excused"),
    Attendance.SUBSTITUTE: _l("Substitute"),
}


class MaterialKind(enum.StrEnum):
    """What is put before the meeting: a dossier document, or the report on how the public
    opinions were studied (the feedback report's draft or the interim summary)."""

    DOCUMENT = "document"
    FEEDBACK_REPORT = "feedback_report"
    PARTICIPATION_SUMMARY = "participation_summary"

    @property
    def label(self) -> str:
        return label(MATERIAL_KIND_LABELS[self])


MATERIAL_KIND_LABELS = {
    MaterialKind.DOCUMENT: _l("Dossier document"),
    MaterialKind.FEEDBACK_REPORT: _l("Feedback report (draft)"),
    MaterialKind.PARTICIPATION_SUMMARY: _l("Interim participation summary"),
}


class Meeting(TimestampMixin, db.Model):
    """One collective-deliberation meeting of a government, prepared by a unit."""

    __tablename__ = "meeting"
    __table_args__ = (
        sa.Index("ix_meeting_government_starts", "government_id", "starts_at"),
        sa.Index("ix_meeting_unit_id", "unit_id"),
        sa.CheckConstraint(
            "opinion_count >= 0 AND public_opinion_count >= 0", name="counts_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"),
        nullable=False,
        comment="the deciding authority holding the meeting",
    )
    unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("unit.id", ondelete="RESTRICT"),
        nullable=False,
        comment="the unit preparing it; its officials manage the meeting",
    )
    kind: Mapped[MeetingKind] = mapped_column(enum_column(MeetingKind), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, comment="UTC")
    place: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    state: Mapped[MeetingState] = mapped_column(
        enum_column(MeetingState), nullable=False, default=MeetingState.SCHEDULED
    )
    published: Mapped[bool] = mapped_column(
        sa.Boolean,
        nullable=False,
        default=False,
        server_default=sa.false(),
        comment="announced publicly (with its agenda and seats)",
    )
    opinion_count: Mapped[int] = mapped_column(
        sa.Integer,
        nullable=False,
        default=0,
        server_default="0",
        comment="statements recorded as opinions",
    )
    public_opinion_count: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, server_default="0", comment="of them shown publicly"
    )
    materials_sent_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime,
        nullable=True,
        comment="UTC: when the materials were last sent to the selected participants",
    )
    held_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True, comment="UTC: when it was recorded as held"
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True, comment="UTC: when it was cancelled"
    )
    cancel_reason: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", server_default="", comment="why, shown publicly"
    )

    government = relationship("Government")
    unit = relationship("Unit")
    agenda_items = relationship(
        "AgendaItem", back_populates="meeting", order_by="AgendaItem.position"
    )
    quotas = relationship("SeatQuota", back_populates="meeting", order_by="SeatQuota.position")
    open_call = relationship("OpenCall", back_populates="meeting", uselist=False)
    draw = relationship("MeetingDraw", back_populates="meeting", uselist=False)

    def __repr__(self) -> str:
        return f"<Meeting {self.id} {self.title}>"

    @property
    def seat_total(self) -> int:
        return sum(q.seats for q in self.quotas)


class AgendaItem(TimestampMixin, db.Model):
    """A decision put on a meeting's agenda, with the unit's proposal whether to invite
    representatives (and why) and, after the meeting, its minutes."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "decision_id"),
        sa.Index("ix_agenda_item_decision_id", "decision_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False
    )
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"), nullable=False
    )
    position: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, comment="order on the agenda"
    )
    invite_representatives: Mapped[bool] = mapped_column(
        sa.Boolean,
        nullable=False,
        default=False,
        server_default=sa.false(),
        comment="the unit's proposal: invite stakeholders to attend this item",
    )
    invite_reason: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="why (or why not) invite"
    )
    affects_enterprises: Mapped[bool] = mapped_column(
        sa.Boolean,
        nullable=False,
        default=False,
        server_default=sa.false(),
        comment="a policy affecting enterprises: their opinions must be heard first",
    )
    enterprise_symposium: Mapped[str] = mapped_column(
        sa.Text,
        nullable=False,
        default="",
        comment="the symposium with enterprises recorded (when, who), if any",
    )
    discussion: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="minutes: the discussion"
    )
    dissent: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="minutes: dissenting views recorded"
    )
    result: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="minutes: what the meeting decided"
    )
    minutes_recorded_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)

    meeting = relationship("Meeting", back_populates="agenda_items")
    decision = relationship("Decision")
    materials = relationship(
        "MeetingMaterial", back_populates="agenda_item", order_by="MeetingMaterial.id"
    )

    def __repr__(self) -> str:
        return f"<AgendaItem {self.meeting_id} {self.decision_id}>"


class MeetingMaterial(TimestampMixin, db.Model):
    """One material put before the meeting for an agenda item."""

    __tablename__ = "meeting_material"
    __table_args__ = (
        sa.Index("ix_meeting_material_item", "agenda_item_id"),
        sa.Index("ix_meeting_material_document_id", "document_id"),
        sa.Index("ix_meeting_material_consultation_id", "consultation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agenda_item.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[MaterialKind] = mapped_column(enum_column(MaterialKind), nullable=False)
    document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("document.id", ondelete="RESTRICT"),
        nullable=True,
        comment="the dossier document (kind document)",
    )
    consultation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="RESTRICT"),
        nullable=True,
        comment="whose feedback report or interim summary (other kinds)",
    )

    agenda_item = relationship("AgendaItem", back_populates="materials")
    document = relationship("Document")
    consultation = relationship("Consultation")

    def __repr__(self) -> str:
        return f"<MeetingMaterial {self.agenda_item_id} {self.kind}>"


class SeatQuota(TimestampMixin, db.Model):
    """How many seats a meeting offers to one category of representative."""

    __tablename__ = "seat_quota"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "category"),
        sa.CheckConstraint("seats >= 0", name="seats_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False
    )
    category: Mapped[SeatCategory] = mapped_column(enum_column(SeatCategory), nullable=False)
    seats: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    meeting = relationship("Meeting", back_populates="quotas")

    def __repr__(self) -> str:
        return f"<SeatQuota {self.meeting_id} {self.category} {self.seats}>"


class OpenCall(TimestampMixin, db.Model):
    """The open call for a meeting's seats (公开征集): window, eligibility, the selection
    method and, for a lottery, the named future public random value."""

    __tablename__ = "open_call"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    opens_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, comment="UTC")
    closes_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, comment="UTC")
    eligibility: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="who may apply, shown publicly"
    )
    selection_method: Mapped[SelectionMethod] = mapped_column(
        enum_column(SelectionMethod), nullable=False
    )
    public_value_source: Mapped[str] = mapped_column(
        sa.Text,
        nullable=False,
        default="",
        comment="lottery: the future public random value that will seed the draw",
    )
    draw_on: Mapped[date | None] = mapped_column(
        sa.Date, nullable=True, comment="lottery: the date of the draw (after review ends)"
    )
    announced_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime,
        nullable=True,
        comment="when the call was announced (the method and commitment fixed)",
    )

    meeting = relationship("Meeting", back_populates="open_call")

    def __repr__(self) -> str:
        return f"<OpenCall {self.meeting_id}>"

    @hybrid_method
    def is_open_at(self, moment: datetime) -> bool:
        """Applications are accepted: announced, and the window holds ``moment``."""
        return self.announced_at is not None and self.opens_at <= moment and moment < self.closes_at

    @is_open_at.expression
    def is_open_at(cls, moment):  # noqa: N805
        return sa.and_(
            cls.announced_at.is_not(None), cls.opens_at <= moment, cls.closes_at > moment
        )


class Application(TimestampMixin, db.Model):
    """One person's application for a seat (报名申请); one per person per meeting."""

    __tablename__ = "meeting_application"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "person_key"),
        sa.UniqueConstraint("meeting_id", "public_code"),
        sa.UniqueConstraint("meeting_id", "submission_key"),
        sa.Index("ix_meeting_application_list", "meeting_id", "category", "state"),
        sa.Index("ix_meeting_application_reviewed_by_id", "reviewed_by_id"),
        sa.Index("ix_meeting_application_author_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="RESTRICT"), nullable=False
    )
    receipt_number: Mapped[str] = mapped_column(
        sa.String(32),
        nullable=False,
        unique=True,
        comment="unguessable number given to the applicant to look the application up",
    )
    public_code: Mapped[str] = mapped_column(
        sa.String(8),
        nullable=False,
        comment="shown publicly in place of the name (lists, draw, kit)",
    )
    name: Mapped[str] = mapped_column(
        sa.String(100), nullable=False, comment="private unless the applicant consented"
    )
    contact: Mapped[str] = mapped_column(
        sa.String(200), nullable=False, comment="private; never shown publicly"
    )
    person_key: Mapped[str] = mapped_column(
        sa.String(200), nullable=False, comment="the contact normalised: one per person"
    )
    category: Mapped[SeatCategory] = mapped_column(enum_column(SeatCategory), nullable=False)
    organisation: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    statement_of_interest: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    conflict_declaration: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="conflicts of interest declared"
    )
    consent_to_publish_name: Mapped[bool] = mapped_column(
        sa.Boolean,
        nullable=False,
        default=False,
        server_default=sa.false(),
        comment="the name may appear in the public attendance record",
    )
    state: Mapped[ApplicationState] = mapped_column(
        enum_column(ApplicationState), nullable=False, default=ApplicationState.APPLIED
    )
    eligibility_reason: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="the review's reason, the applicant sees it"
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    selection_reason: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="chosen seats: the written reason"
    )
    reserve_rank: Mapped[int | None] = mapped_column(
        sa.Integer, nullable=True, comment="place on the reserve list (1 first)"
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    submission_key: Mapped[str | None] = mapped_column(
        sa.String(64), nullable=True, comment="form token: a repeated POST creates nothing"
    )
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime,
        nullable=True,
        comment="UTC: contact, free texts (and the unpublished name) erased after retention",
    )

    meeting = relationship("Meeting")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.public_code} {self.state}>"

    @property
    def public_label(self) -> str:
        """What public pages show: the name only with consent, else category and
        organisation."""
        if self.consent_to_publish_name:
            return self.name
        return " · ".join(part for part in (self.category.label, self.organisation) if part)


class MeetingDraw(TimestampMixin, db.Model):
    """A meeting's lottery: the commitment published when the window opens, then the
    public random value, the revealed secret and the verification kit."""

    __tablename__ = "meeting_draw"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    commitment: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, comment="SHA-256 of the secret, hex, public"
    )
    secret: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, comment="hex; shown only once drawn (revealed)"
    )
    public_value: Mapped[str | None] = mapped_column(
        sa.Text, nullable=True, comment="the public random value as entered at the draw"
    )
    kit: Mapped[dict | None] = mapped_column(
        sa.JSON, nullable=True, comment="the verification kit as published"
    )
    drawn_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    drawn_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True
    )

    meeting = relationship("Meeting", back_populates="draw")

    def __repr__(self) -> str:
        return f"<MeetingDraw {self.meeting_id} {'drawn' if self.drawn_at else 'committed'}>"

    @property
    def revealed_secret(self) -> str | None:
        """The secret, once the draw has revealed it."""
        return self.secret if self.drawn_at else None


class ReserveFill(db.Model):
    """The public log of withdrawals and who took the seat from the reserve list."""

    __tablename__ = "reserve_fill"
    __table_args__ = (
        sa.Index("ix_reserve_fill_meeting", "meeting_id", "id"),
        sa.Index("ix_reserve_fill_withdrawn_id", "withdrawn_id"),
        sa.Index("ix_reserve_fill_promoted_id", "promoted_id"),
        sa.Index("ix_reserve_fill_actor_id", "actor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False
    )
    category: Mapped[SeatCategory] = mapped_column(enum_column(SeatCategory), nullable=False)
    withdrawn_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting_application.id", ondelete="RESTRICT"), nullable=False
    )
    promoted_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meeting_application.id", ondelete="RESTRICT"),
        nullable=True,
        comment="the first of the reserve list; null when it was empty",
    )
    occurred_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )

    withdrawn = relationship("Application", foreign_keys=[withdrawn_id])
    promoted = relationship("Application", foreign_keys=[promoted_id])

    def __repr__(self) -> str:
        return f"<ReserveFill {self.withdrawn_id} -> {self.promoted_id}>"


class RollEntry(TimestampMixin, db.Model):
    """One selected representative on the meeting's roll, with the check-in code."""

    __tablename__ = "roll_entry"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "application_id"),
        sa.UniqueConstraint("meeting_id", "check_in_code"),
        sa.Index("ix_roll_entry_application_id", "application_id"),
        sa.Index("ix_roll_entry_checked_in_by_id", "checked_in_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False
    )
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("meeting_application.id", ondelete="RESTRICT"), nullable=False
    )
    attendance: Mapped[Attendance | None] = mapped_column(
        enum_column(Attendance), nullable=True, comment="null until the roll is taken"
    )
    substitute_name: Mapped[str] = mapped_column(
        sa.String(100), nullable=False, default="", comment="who came instead (substitute)"
    )
    check_in_code: Mapped[str] = mapped_column(
        sa.String(12), nullable=False, comment="given to the representative, typed at the door"
    )
    checked_in_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    checked_in_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"),
        nullable=True,
        comment="the official who took the roll or checked the code",
    )

    application = relationship("Application")
    checked_in_by = relationship("User")

    def __repr__(self) -> str:
        return f"<RollEntry {self.application_id} {self.attendance}>"

"""Open days (政府开放日 / 开放周): events with limited places, their signups (报名), the
waitlist (候补), check-in (签到) and walk-ins.

Capacity is the database's business: ``open_day.confirmed_count`` (places taken by
confirmed signups, companions included) only moves through guarded conditional updates in
:mod:`participation.open_days.operations`, and a CHECK keeps it between 0 and the capacity.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.database import TimestampMixin, enum_column
from participation.core.i18n import label
from participation.extensions import db

# Check-in codes avoid the characters people confuse: no 0/O, no 1/I.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6


class OpenDayState(enum.StrEnum):
    """Where an open day stands: prepared, published (signups per the window), cancelled."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return label(OPEN_DAY_STATE_LABELS[self])


OPEN_DAY_STATE_LABELS = {
    OpenDayState.DRAFT: _l("Not published"),
    OpenDayState.PUBLISHED: _l("Published"),
    OpenDayState.CANCELLED: _l("Cancelled"),
}


class SignupState(enum.StrEnum):
    """A signup's state: confirmed (holds its places), waitlisted (in order of
    ``position``), cancelled (by the person or an organizer), declined (a promoted person
    said no), no_show (released after the event started without a check-in)."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return label(SIGNUP_STATE_LABELS[self])


SIGNUP_STATE_LABELS = {
    SignupState.CONFIRMED: _l("Confirmed"),
    SignupState.WAITLISTED: _l("On the waitlist"),
    SignupState.CANCELLED: _l("Cancelled"),
    SignupState.DECLINED: _l("Declined"),
    SignupState.NO_SHOW: _l("Did not come"),
}

ACTIVE_STATES = (SignupState.CONFIRMED, SignupState.WAITLISTED)


class OpenDay(TimestampMixin, db.Model):
    """One open day: a public visit with limited places on a topic of public concern."""

    __tablename__ = "open_day"
    __table_args__ = (
        sa.Index("ix_open_day_public_list", "government_id", "state", "starts_at"),
        sa.Index("ix_open_day_unit_id", "unit_id"),
        sa.Index("ix_open_day_decision_id", "decision_id"),
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        # The database's own guard: never more places taken than there are.
        sa.CheckConstraint(
            "confirmed_count >= 0 AND confirmed_count <= capacity", name="confirmed_within_capacity"
        ),
        sa.CheckConstraint("waitlisted_count >= 0", name="waitlisted_not_negative"),
        sa.CheckConstraint(
            "opinion_count >= 0 AND public_opinion_count >= 0", name="opinion_counts_not_negative"
        ),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("companions_allowed >= 0", name="companions_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"),
        nullable=False,
        comment="the government holding it",
    )
    unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("unit.id", ondelete="RESTRICT"),
        nullable=False,
        comment="the unit organizing it (its officials manage signups)",
    )
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"),
        nullable=True,
        comment="the decision it is about, if any",
    )
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    theme: Mapped[str] = mapped_column(
        sa.String(200),
        nullable=False,
        default="",
        comment="topic of public concern: business environment, education, safety …",
    )
    description: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="plain text"
    )
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, comment="UTC")
    ends_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, comment="UTC")
    place: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    accessibility: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="step-free access, seating, hearing loop …"
    )
    capacity: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, comment="places, companions included"
    )
    confirmed_count: Mapped[int] = mapped_column(
        sa.Integer,
        nullable=False,
        default=0,
        server_default="0",
        comment="places taken by confirmed signups; moved by guarded updates only",
    )
    waitlisted_count: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, server_default="0", comment="signups on the waitlist"
    )
    signup_sequence: Mapped[int] = mapped_column(
        sa.Integer,
        nullable=False,
        default=0,
        server_default="0",
        comment="last position given: signups are numbered in the order they took the row",
    )
    signup_opens_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, comment="UTC")
    signup_closes_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, comment="UTC")
    companions_allowed: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, comment="companions one signup may bring"
    )
    promotion_stop_hours: Mapped[int] = mapped_column(
        sa.Integer,
        nullable=False,
        default=24,
        comment="the waitlist stops moving this many hours before the start",
    )
    questions: Mapped[list] = mapped_column(
        sa.JSON,
        nullable=False,
        default=list,
        comment="the organizer's own signup questions: [{'key', 'label', 'required'}]",
    )
    state: Mapped[OpenDayState] = mapped_column(
        enum_column(OpenDayState), nullable=False, default=OpenDayState.DRAFT
    )
    questionnaire_sent_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True, comment="when the questionnaire went to those who came"
    )
    opinion_count: Mapped[int] = mapped_column(
        sa.Integer,
        nullable=False,
        default=0,
        server_default="0",
        comment="opinions received from its questionnaire",
    )
    public_opinion_count: Mapped[int] = mapped_column(
        sa.Integer,
        nullable=False,
        default=0,
        server_default="0",
        comment="of those, the ones shown publicly",
    )

    government = relationship("Government")
    unit = relationship("Unit")
    decision = relationship("Decision")

    def __repr__(self) -> str:
        return f"<OpenDay {self.id} {self.title[:20]}>"

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.confirmed_count)

    @property
    def is_full(self) -> bool:
        """No place left, or people already waiting (newcomers queue behind them)."""
        return self.places_left == 0 or self.waitlisted_count > 0

    @property
    def promotion_stops_at(self) -> datetime:
        return self.starts_at - timedelta(hours=self.promotion_stop_hours)

    @hybrid_property
    def is_public(self) -> bool:
        """Shown on public pages: published or cancelled (a cancelled one says so)."""
        return self.state != OpenDayState.DRAFT

    @is_public.expression
    def is_public(cls):  # noqa: N805
        return cls.state != OpenDayState.DRAFT

    def signup_open_at(self, now: datetime) -> bool:
        """Signups are taken: published and within the signup window."""
        return (
            self.state == OpenDayState.PUBLISHED
            and self.signup_opens_at <= now < self.signup_closes_at
            and now < self.starts_at
        )


class Signup(TimestampMixin, db.Model):
    """One person's signup (报名) for an open day, with their companions.

    ``position`` numbers the signups of an open day in the order they took the event's
    row (first come, first served: the waitlist promotes by it). ``code`` is the short
    check-in code shown with a QR code; ``token`` the private link to manage the signup.
    """

    __tablename__ = "open_day_signup"
    __table_args__ = (
        sa.UniqueConstraint("open_day_id", "code"),
        sa.UniqueConstraint("open_day_id", "position"),
        # One active signup per person per event (a cancelled one does not count).
        sa.Index(
            "uq_open_day_signup_person",
            "open_day_id",
            "person_key",
            unique=True,
            sqlite_where=sa.text("state IN ('confirmed', 'waitlisted')"),
            postgresql_where=sa.text("state IN ('confirmed', 'waitlisted')"),
        ),
        # The waitlist in order, and the organizer's list.
        sa.Index("ix_open_day_signup_queue", "open_day_id", "state", "position"),
        sa.Index("ix_open_day_signup_user_id", "user_id"),
        sa.Index("ix_open_day_signup_checked_in_by_id", "checked_in_by_id"),
        sa.Index("ix_open_day_signup_cancelled_by_id", "cancelled_by_id"),
        sa.CheckConstraint("companions >= 0", name="companions_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    open_day_id: Mapped[int] = mapped_column(
        sa.ForeignKey("open_day.id", ondelete="RESTRICT"), nullable=False
    )
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"),
        nullable=True,
        comment="the signed-in citizen; null for a signup by name and mobile number",
    )
    person_key: Mapped[str] = mapped_column(
        sa.String(64),
        nullable=False,
        comment="who signed up (mobile number or account): one active signup each",
    )
    name: Mapped[str] = mapped_column(
        sa.String(100), nullable=False, comment="private: organizers only"
    )
    mobile: Mapped[str | None] = mapped_column(
        sa.String(20), nullable=True, comment="private: verified by a code or the account's"
    )
    email: Mapped[str | None] = mapped_column(
        sa.String(200), nullable=True, comment="private: the account's address"
    )
    companions: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    answers: Mapped[dict] = mapped_column(
        sa.JSON, nullable=False, default=dict, comment="answers to the open day's questions"
    )
    needs: Mapped[str] = mapped_column(
        sa.String(500), nullable=False, default="", comment="accessibility needs"
    )
    state: Mapped[SignupState] = mapped_column(enum_column(SignupState), nullable=False)
    position: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, comment="order of arrival (FCFS)"
    )
    code: Mapped[str] = mapped_column(
        sa.String(12), nullable=False, comment="check-in code (no 0/O/1/I)"
    )
    token: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, unique=True, comment="private link to cancel or change it"
    )
    promoted_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True, comment="when it left the waitlist (UTC)"
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    cancelled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"),
        nullable=True,
        comment="the organizer who cancelled it; null when the person did",
    )
    checked_in_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True, comment="UTC"
    )
    checked_in_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"),
        nullable=True,
        comment="the official at the desk",
    )

    open_day = relationship("OpenDay")
    checked_in_by = relationship("User", foreign_keys=[checked_in_by_id])

    def __repr__(self) -> str:
        return f"<Signup {self.id} {self.state}>"

    @property
    def places(self) -> int:
        """Places the signup takes: the person and their companions."""
        return 1 + self.companions

    @property
    def contact(self) -> str | None:
        return self.mobile or self.email


class WalkIn(TimestampMixin, db.Model):
    """People who came without a signup, recorded at the desk (``created_at``: when)."""

    __tablename__ = "open_day_walk_in"
    __table_args__ = (
        sa.Index("ix_open_day_walk_in_open_day_id", "open_day_id"),
        sa.Index("ix_open_day_walk_in_recorded_by_id", "recorded_by_id"),
        sa.Index("ix_open_day_walk_in_government_id", "government_id"),
        sa.CheckConstraint("people >= 1", name="people_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    open_day_id: Mapped[int] = mapped_column(
        sa.ForeignKey("open_day.id", ondelete="RESTRICT"), nullable=False
    )
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=False
    )
    name: Mapped[str] = mapped_column(
        sa.String(100), nullable=False, default="", comment="private; may be empty"
    )
    people: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)
    needs: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )

    def __repr__(self) -> str:
        return f"<WalkIn {self.id} {self.people}>"


class SignupVerification(TimestampMixin, db.Model):
    """A signup by name and mobile number waiting for the code sent to the number."""

    __tablename__ = "open_day_signup_verification"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_open_day_signup_verification_open_day_id", "open_day_id"),
        sa.Index("ix_open_day_signup_verification_signup_id", "signup_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(
        sa.String(64),
        nullable=False,
        unique=True,
        comment="random handle kept in the visitor's session",
    )
    open_day_id: Mapped[int] = mapped_column(
        sa.ForeignKey("open_day.id", ondelete="CASCADE"), nullable=False
    )
    mobile: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    code_hash: Mapped[str] = mapped_column(
        sa.String(128), nullable=False, comment="keyed hash of the code"
    )
    payload: Mapped[dict] = mapped_column(
        sa.JSON, nullable=False, default=dict, comment="the signup form: name, companions …"
    )
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    signup_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("open_day_signup.id", ondelete="SET NULL"),
        nullable=True,
        comment="the signup it created (a repeated code returns it)",
    )

    def __repr__(self) -> str:
        return f"<SignupVerification {self.id}>"


# The questionnaire after an open day (满意度调查): closed questions summarised as counts,
# the open answer becomes an opinion (channel open_day, source the open day).
SATISFACTION_SCALE = (1, 2, 3, 4, 5)
LIKED_OPTIONS = {
    "briefing": _l("The briefing"),
    "visit": _l("The visit of the service hall"),
    "symposium": _l("The symposium"),
    "service": _l("The help on site"),
}


class QuestionnaireResponse(TimestampMixin, db.Model):
    """One checked-in person's answers to the questionnaire of an open day."""

    __tablename__ = "open_day_questionnaire_response"
    __table_args__ = (
        sa.Index("ix_open_day_questionnaire_response_open_day_id", "open_day_id"),
        sa.Index("ix_open_day_questionnaire_response_opinion_id", "opinion_id"),
        sa.Index("ix_open_day_questionnaire_response_government_id", "government_id"),
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name="satisfaction_on_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    open_day_id: Mapped[int] = mapped_column(
        sa.ForeignKey("open_day.id", ondelete="RESTRICT"), nullable=False
    )
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=False
    )
    signup_id: Mapped[int] = mapped_column(
        sa.ForeignKey("open_day_signup.id", ondelete="RESTRICT"),
        nullable=False,
        unique=True,
        comment="one response per signup",
    )
    satisfaction: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, comment="1 (very unsatisfied) to 5"
    )
    liked: Mapped[list] = mapped_column(
        sa.JSON, nullable=False, default=list, comment="keys of LIKED_OPTIONS chosen"
    )
    opinion_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("opinion.id", ondelete="SET NULL"),
        nullable=True,
        comment="the opinion its open answer became",
    )

    def __repr__(self) -> str:
        return f"<QuestionnaireResponse {self.id} {self.satisfaction}>"

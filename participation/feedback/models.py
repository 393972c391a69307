"""The feedback report (意见采纳情况反馈) of a consultation, version by version.

The draft (``state`` draft, one per consultation) carries the narrative officials edit;
publishing freezes it as a published version with a snapshot of every figure. A
correction is a new published version with its reason; every published version stays
public.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.database import TimestampMixin, enum_column
from participation.extensions import db


class ReportState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class FeedbackReport(TimestampMixin, db.Model):
    """One version of a feedback report: of a consultation (意见采纳情况反馈), or of an
    open day (the event feedback report: what was heard and the answers given). Exactly
    one subject is set; the versions, approval and publication work the same for both."""

    __tablename__ = "feedback_report"
    __table_args__ = (
        sa.UniqueConstraint("consultation_id", "version"),
        sa.UniqueConstraint("open_day_id", "version"),
        sa.CheckConstraint("(consultation_id IS NULL) <> (open_day_id IS NULL)",
                           name="one_subject"),
        sa.Index("uq_feedback_report_open_day_draft", "open_day_id", unique=True,
                 sqlite_where=sa.text("state = 'draft' AND open_day_id IS NOT NULL"),
                 postgresql_where=sa.text("state = 'draft' AND open_day_id IS NOT NULL")),
        # At most one draft per consultation (the next version being prepared).
        sa.Index("uq_feedback_report_draft", "consultation_id", unique=True,
                 sqlite_where=sa.text("state = 'draft'"),
                 postgresql_where=sa.text("state = 'draft'")),
        sa.Index("ix_feedback_report_decision", "decision_id", "state"),
        sa.Index("ix_feedback_report_approved_by_id", "approved_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=False, index=True)
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"), nullable=True,
        comment="the decision (an open day's report: its linked decision, if any)")
    consultation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="RESTRICT"), nullable=True,
        comment="subject: the consultation reported on")
    open_day_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("open_day.id", ondelete="RESTRICT"), nullable=True, index=True,
        comment="subject: the open day reported on (the event feedback report)")
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False,
                                         comment="1 for the first publication, then +1")
    state: Mapped[ReportState] = mapped_column(enum_column(ReportState), nullable=False,
                                               default=ReportState.DRAFT)
    how_held: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="",
        comment="narrative: how the consultation was held (officials edit it)")
    adoption_summary: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="",
        comment="narrative: what was adopted and why the rest was not")
    correction_reason: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="why this version corrects the last")
    data: Mapped[dict | None] = mapped_column(
        sa.JSON, nullable=True, comment="the figures as published (null while a draft)")
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True,
                                                          comment="UTC")
    published_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True,
                                                      comment="local date of publication")
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True,
        comment="the official who approved it; null when published on its due date by the job")
    due_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True,
                                                comment="the due date when published")
    late_working_days: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0,
        comment="working days after the due date it was published (0: on time)")

    consultation = relationship("Consultation")
    open_day = relationship("OpenDay")
    approved_by = relationship("User")

    def __repr__(self) -> str:
        subject = self.consultation_id or f"open day {self.open_day_id}"
        return f"<FeedbackReport {subject} v{self.version} {self.state}>"

    @property
    def automatic(self) -> bool:
        return self.state == ReportState.PUBLISHED and self.approved_by_id is None

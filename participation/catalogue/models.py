"""Catalogues (年度重大行政决策事项目录), decisions and their stage history."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.database import TimestampMixin, enum_column, utcnow
from participation.core.i18n import label
from participation.extensions import db


class Stage(enum.StrEnum):
    """The stages of a major decision, in procedural order (see PROCESS.md)."""

    DRAFTING = "drafting"
    PUBLIC_CONSULTATION = "public_consultation"
    EXPERT_REVIEW = "expert_review"
    RISK_ASSESSMENT = "risk_assessment"
    LEGALITY_REVIEW = "legality_review"
    COLLECTIVE_DELIBERATION = "collective_deliberation"
    DECIDED = "decided"
    FEEDBACK_PUBLISHED = "feedback_published"
    EVALUATED = "evaluated"

    @property
    def order(self) -> int:
        return list(Stage).index(self)

    @property
    def label(self) -> str:
        return label(STAGE_LABELS[self])


STAGE_LABELS = {
    Stage.DRAFTING: _l("Drafting"),
    Stage.PUBLIC_CONSULTATION: _l("Public consultation"),
    Stage.EXPERT_REVIEW: _l("Expert review"),
    Stage.RISK_ASSESSMENT: _l("Risk assessment"),
    Stage.LEGALITY_REVIEW: _l("Legality review"),
    Stage.COLLECTIVE_DELIBERATION: _l("Collective deliberation"),
    Stage.DECIDED: _l("Decided"),
    Stage.FEEDBACK_PUBLISHED: _l("Feedback published"),
    Stage.EVALUATED: _l("Evaluated"),
}


class CatalogueState(enum.StrEnum):
    DRAFT = "draft"          # being compiled, not public
    PUBLISHED = "published"  # public; later changes need a reason and are shown


class Catalogue(TimestampMixin, db.Model):
    """One government's catalogue of major decisions for one year."""

    __tablename__ = "catalogue"
    __table_args__ = (sa.UniqueConstraint("government_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=False
    )
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    state: Mapped[CatalogueState] = mapped_column(
        enum_column(CatalogueState), nullable=False, default=CatalogueState.DRAFT
    )
    published_on: Mapped[date | None] = mapped_column(sa.Date, nullable=True,
                                                      comment="publication date shown")
    introduction: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    government = relationship("Government")
    decisions = relationship("Decision", back_populates="catalogue",
                             order_by="Decision.position")

    def __repr__(self) -> str:
        return f"<Catalogue {self.government_id} {self.year}>"

    @property
    def is_published(self) -> bool:
        return self.state == CatalogueState.PUBLISHED


class EntryState(enum.StrEnum):
    LISTED = "listed"        # an entry of the catalogue
    WITHDRAWN = "withdrawn"  # taken out after publication, with a public reason


class Decision(TimestampMixin, db.Model):
    """A major decision: one entry of a catalogue, with its responsible unit and stage."""

    __tablename__ = "decision"
    __table_args__ = (
        sa.Index("ix_decision_public_listing", "catalogue_id", "confidential", "state",
                 "position"),
        sa.Index("ix_decision_catalogue_category", "catalogue_id", "category"),
        # The feedback clock's periodic pass: unpublished reports by due date.
        sa.Index("ix_decision_feedback_due", "feedback_due_on", "feedback_published_on"),
        # Each entry has its own number in the catalogue.
        sa.UniqueConstraint("catalogue_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    catalogue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("catalogue.id", ondelete="RESTRICT"), nullable=False
    )
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id", ondelete="RESTRICT"),
                                         nullable=False, index=True,
                                         comment="responsible unit (承办单位)")
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                          comment="number in the catalogue")
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    legal_basis: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    summary: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    category: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="",
                                          index=True)
    planned_completion: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    confidential: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False,
        comment="kept out of every public page, API, count and feed (依法应当保密)",
    )
    state: Mapped[EntryState] = mapped_column(enum_column(EntryState), nullable=False,
                                              default=EntryState.LISTED)
    stage: Mapped[Stage] = mapped_column(enum_column(Stage), nullable=False,
                                         default=Stage.DRAFTING, index=True)
    document_issued_on: Mapped[date | None] = mapped_column(
        sa.Date, nullable=True, comment="when the decision document was issued (决策文件出台)")
    feedback_due_on: Mapped[date | None] = mapped_column(
        sa.Date, nullable=True,
        comment="the feedback report's due date: the Nth working day after issue")
    feedback_due_estimated: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false(),
        comment="the due date counted weekends only in a year without a holiday schedule")
    feedback_published_on: Mapped[date | None] = mapped_column(
        sa.Date, nullable=True, comment="when the feedback report was published")
    feedback_alerted_days: Mapped[int | None] = mapped_column(
        sa.Integer, nullable=True,
        comment="the last due-date alert sent: 3 or 1 working days before (null: none)")

    catalogue = relationship("Catalogue", back_populates="decisions")
    unit = relationship("Unit")
    stage_changes = relationship("DecisionStageChange", back_populates="decision",
                                 order_by="DecisionStageChange.id")

    def __repr__(self) -> str:
        return f"<Decision {self.id} {self.title[:20]}>"

    def feedback_overdue_since(self, today: date) -> date | None:
        """The first day the feedback report was late (the day after its due date) while
        it is still unpublished on ``today``; None when not late."""
        if self.feedback_due_on is None or self.feedback_published_on is not None:
            return None
        if today > self.feedback_due_on:
            return self.feedback_due_on + timedelta(days=1)
        return None

    # The two visibility rules of a decision. Every page, the API, exports and search ask
    # these and nothing else (CONVENTIONS: one rule, one place).

    @hybrid_property
    def is_public(self) -> bool:
        """Any visitor may see this decision and its public dossier: its catalogue is
        published and it is not confidential. A withdrawn entry stays public (its dossier
        says so; the catalogue's history links to it) but is no longer listed."""
        return not self.confidential and self.catalogue.is_published

    @is_public.expression
    def is_public(cls):  # noqa: N805
        return sa.and_(
            cls.confidential.is_(False),
            cls.catalogue_id.in_(
                sa.select(Catalogue.id).where(Catalogue.state == CatalogueState.PUBLISHED)
            ),
        )

    @hybrid_property
    def is_listed(self) -> bool:
        """Shown as an entry of the public catalogue: public and not withdrawn."""
        return self.is_public and self.state == EntryState.LISTED

    @is_listed.expression
    def is_listed(cls):  # noqa: N805
        return sa.and_(cls.is_public, cls.state == EntryState.LISTED)


# Labels of the decision fields shown in the public history of catalogue changes.
DECISION_FIELD_LABELS = {
    "title": _l("Title"),
    "unit": _l("Responsible unit"),
    "legal_basis": _l("Legal basis"),
    "summary": _l("Summary"),
    "category": _l("Category"),
    "planned_completion": _l("Planned completion"),
}


class DecisionStageChange(db.Model):
    """A recorded move of a decision into a stage, with the date it happened."""

    __tablename__ = "decision_stage_change"
    __table_args__ = (sa.Index("ix_decision_stage_change_actor_id", "actor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    from_stage: Mapped[Stage | None] = mapped_column(enum_column(Stage, name="from_stage"),
                                                     nullable=True)
    to_stage: Mapped[Stage] = mapped_column(enum_column(Stage, name="to_stage"),
                                            nullable=False)
    occurred_on: Mapped[date] = mapped_column(sa.Date, nullable=False,
                                              comment="date the stage began")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False,
                                                 default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )

    decision = relationship("Decision", back_populates="stage_changes")

    def __repr__(self) -> str:
        return f"<DecisionStageChange {self.decision_id} {self.to_stage}>"


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    WITHDRAWN = "withdrawn"
    ADJUSTED = "adjusted"


CHANGE_KIND_LABELS = {
    ChangeKind.ADDED: _l("Added"),
    ChangeKind.WITHDRAWN: _l("Withdrawn"),
    ChangeKind.ADJUSTED: _l("Adjusted"),
}


class CatalogueChange(db.Model):
    """A change to a published catalogue, with its reason: the public history."""

    __tablename__ = "catalogue_change"
    # A decision's changes, in order (its dossier and the history filtered by entry).
    __table_args__ = (sa.Index("ix_catalogue_change_decision", "decision_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(
        sa.ForeignKey("catalogue.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"), nullable=False
    )
    kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    changed_values: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict,
                                                 comment="{field: [old, new]}")
    occurred_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False,
                                                 default=utcnow)

    decision = relationship("Decision")

    def __repr__(self) -> str:
        return f"<CatalogueChange {self.kind} {self.decision_id}>"

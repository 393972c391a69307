"""Drafts with their versions and parsed structure, and the consultations on them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.database import TimestampMixin, enum_column, utcnow
from participation.core.i18n import label
from participation.extensions import db


class Draft(TimestampMixin, db.Model):
    """The text being decided (决策草案); every published version is kept.

    A decision has one draft (unique ``decision_id``); revisions are new versions of it.
    """

    __tablename__ = "draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"), nullable=False, unique=True
    )
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)

    decision = relationship("Decision")
    versions = relationship("DraftVersion", back_populates="draft", order_by="DraftVersion.number")

    def __repr__(self) -> str:
        return f"<Draft {self.id}>"


class SourceKind(enum.StrEnum):
    PASTED = "pasted"
    DOCX = "docx"


class DraftVersion(TimestampMixin, db.Model):
    """One version of a draft: its source text and the structure parsed from it."""

    __tablename__ = "draft_version"
    __table_args__ = (
        sa.UniqueConstraint("draft_id", "number"),
        # Target of the consultation's (draft_version_id, draft_id) foreign key.
        sa.UniqueConstraint("id", "draft_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        sa.ForeignKey("draft.id", ondelete="RESTRICT"), nullable=False
    )
    number: Mapped[int] = mapped_column(sa.Integer, nullable=False, comment="1, 2, …")
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    source_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    source_kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind), nullable=False)
    change_note: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="what changed from the previous version"
    )
    changes: Mapped[dict | None] = mapped_column(
        sa.JSON,
        nullable=True,
        comment="comparison with the previous version, computed once when published",
    )

    draft = relationship("Draft", back_populates="versions")
    nodes = relationship(
        "DraftNode",
        back_populates="version",
        order_by="DraftNode.position",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<DraftVersion {self.draft_id} v{self.number}>"


class DraftNode(db.Model):
    """A structural node of a draft version: chapter, article, outline heading …

    ``position`` is the pre-order index, so ``ORDER BY position`` gives reading order and
    the tree is rebuilt from ``parent_id``. Articles and outline headings are commentable.
    """

    __tablename__ = "draft_node"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "anchor"),
        sa.Index("ix_draft_node_version_position", "version_id", "position"),
        sa.Index("ix_draft_node_parent_id", "parent_id"),
        sa.CheckConstraint("opinion_count >= 0", name="opinion_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("draft_version.id", ondelete="CASCADE"), nullable=False
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("draft_node.id", ondelete="CASCADE"), nullable=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    depth: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    kind: Mapped[str] = mapped_column(
        sa.String(20),
        nullable=False,
        comment="part, chapter, section, article, paragraph, item, heading or preamble",
    )
    label: Mapped[str] = mapped_column(
        sa.String(50),
        nullable=False,
        default="",
        comment="number as written, e.g. 第十二条, （一）",
    )
    ordinal: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    sub_ordinal: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    level: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    heading: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    anchor: Mapped[str] = mapped_column(
        sa.String(80), nullable=False, comment="permalink fragment, unique per version"
    )
    opinion_count: Mapped[int] = mapped_column(
        sa.Integer,
        nullable=False,
        default=0,
        comment="opinions received on this node (kept by the opinion operations)",
    )
    previous_node_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("draft_node.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
        comment="the matching unit of the previous version, which this one continues",
    )

    version = relationship("DraftVersion", back_populates="nodes")

    def __repr__(self) -> str:
        return f"<DraftNode {self.kind} {self.label}>"

    COMMENTABLE_KINDS = frozenset({"article", "heading"})

    @property
    def is_commentable(self) -> bool:
        return self.kind in self.COMMENTABLE_KINDS

    @property
    def display_label(self) -> str:
        return (self.label + (" " + self.heading if self.heading else "")).strip()


class ConsultationStatus(enum.StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return label(STATUS_LABELS[self])


STATUS_LABELS = {
    ConsultationStatus.UPCOMING: _l("Upcoming"),
    ConsultationStatus.OPEN: _l("Open for comment"),
    ConsultationStatus.CLOSED: _l("Closed"),
}

MIN_PERIOD_DAYS = 30


class ModerationMode(enum.StrEnum):
    """When a consultation's opinions are shown (先发后审 / 先审后发): at once and reviewed
    afterwards (post-moderation, the default), or only once a moderator published them
    (pre-moderation)."""

    POST = "post"
    PRE = "pre"

    @property
    def label(self) -> str:
        return label(MODERATION_MODE_LABELS[self])

    @property
    def public_notice(self) -> str:
        """What the public consultation page says about it."""
        return label(MODERATION_MODE_NOTICES[self])


MODERATION_MODE_LABELS = {
    ModerationMode.POST: _l("Post-moderation: opinions are published at once and "
                            "reviewed afterwards"),
    ModerationMode.PRE: _l("Pre-moderation: opinions are published once a moderator "
                           "has reviewed them"),
}
MODERATION_MODE_NOTICES = {
    ModerationMode.POST: _l("Opinions are published when submitted and reviewed "
                            "afterwards."),
    ModerationMode.PRE: _l("Opinions are published after review."),
}


class Consultation(TimestampMixin, db.Model):
    """A public comment period (公开征求意见) on a draft.

    Upcoming, open or closed follows from the times alone; ``status_at`` and ``is_open_at``
    are hybrid, so Python and SQL agree on "open now".
    """

    __tablename__ = "consultation"
    __table_args__ = (
        sa.CheckConstraint("closes_at > opens_at", name="period_order"),
        sa.CheckConstraint("opinion_count >= 0", name="opinion_count_not_negative"),
        sa.CheckConstraint("public_opinion_count >= 0",
                           name="public_opinion_count_not_negative"),
        sa.Index("ix_consultation_period", "opens_at", "closes_at"),
        # The version shown for comment is a version of the consultation's own draft.
        sa.ForeignKeyConstraint(
            ["draft_version_id", "draft_id"], ["draft_version.id", "draft_version.draft_id"],
            name="fk_consultation_draft_version_of_draft", ondelete="RESTRICT"),
        sa.Index("ix_consultation_draft_version", "draft_version_id", "draft_id"),
        sa.Index("ix_consultation_draft_id", "draft_id"),
        sa.Index("ix_consultation_opened_by_id", "opened_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    draft_id: Mapped[int] = mapped_column(
        sa.ForeignKey("draft.id", ondelete="RESTRICT"), nullable=False
    )
    draft_version_id: Mapped[int] = mapped_column(
        sa.Integer,
        nullable=False,
        comment="the version currently shown for comment",
    )
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    opens_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, comment="UTC")
    closes_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, comment="UTC")
    short_period_reason: Mapped[str] = mapped_column(
        sa.Text,
        nullable=False,
        default="",
        comment="public reason for a period shorter than 30 days",
    )
    postal_address: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    email: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    hotline: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="")
    other_channels: Mapped[str] = mapped_column(
        sa.Text,
        nullable=False,
        default="",
        comment="symposiums, hearings … announced with the consultation",
    )
    opinions_public: Mapped[bool] = mapped_column(
        sa.Boolean,
        nullable=False,
        default=True,
        comment="whether opinions (with the author's consent) are shown publicly",
    )
    moderation_mode: Mapped[ModerationMode] = mapped_column(
        enum_column(ModerationMode), nullable=False, default=ModerationMode.POST,
        server_default=ModerationMode.POST.value,
        comment="post: opinions shown at once; pre: held until a moderator publishes them",
    )
    opinion_count: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, comment="opinions received, all channels"
    )
    public_opinion_count: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, server_default="0",
        comment="opinions shown publicly (consent given, not hidden by moderation)",
    )
    feedback_published_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True,
        comment="when its feedback report was first published (UTC); dispositions are "
                "public from then on")
    opened_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )

    decision = relationship("Decision")
    draft = relationship("Draft")
    draft_version = relationship(
        "DraftVersion", primaryjoin="Consultation.draft_version_id == DraftVersion.id",
        foreign_keys=[draft_version_id])

    def __repr__(self) -> str:
        return f"<Consultation {self.id}>"

    @hybrid_method
    def is_open_at(self, moment: datetime) -> bool:
        return (self.opens_at <= moment) & (moment < self.closes_at)

    @hybrid_method
    def status_at(self, moment: datetime) -> ConsultationStatus:
        if moment < self.opens_at:
            return ConsultationStatus.UPCOMING
        if moment < self.closes_at:
            return ConsultationStatus.OPEN
        return ConsultationStatus.CLOSED

    @status_at.expression
    def status_at(cls, moment: datetime):  # noqa: N805
        return sa.case(
            (cls.opens_at > moment, ConsultationStatus.UPCOMING.value),
            (cls.closes_at > moment, ConsultationStatus.OPEN.value),
            else_=ConsultationStatus.CLOSED.value,
        )

    @property
    def status(self) -> ConsultationStatus:
        return self.status_at(utcnow())

    @property
    def is_open(self) -> bool:
        return self.status == ConsultationStatus.OPEN

    @property
    def period_days(self) -> int:
        return (self.closes_at - self.opens_at).days

    @property
    def is_public(self) -> bool:
        return self.decision.is_public

"""Documents of a decision's dossier (草案说明, 专家论证, 合法性审查 …) and their files."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.catalogue.models import Decision, Stage
from participation.core.database import TimestampMixin, enum_column
from participation.core.i18n import label
from participation.extensions import db


class DocumentKind(enum.StrEnum):
    DRAFT = "draft"
    EXPLANATION = "explanation"
    BACKGROUND = "background"
    EXPERT_REVIEW = "expert_review"
    RISK_ASSESSMENT = "risk_assessment"
    LEGALITY_REVIEW = "legality_review"
    MEETING_RECORD = "meeting_record"
    DECISION_RESULT = "decision_result"
    EVALUATION = "evaluation"
    POLICY_INTERPRETATION = "policy_interpretation"

    @property
    def label(self) -> str:
        return label(DOCUMENT_KIND_LABELS[self])

    @property
    def stage(self) -> Stage:
        return DOCUMENT_STAGE[self]


DOCUMENT_KIND_LABELS = {
    DocumentKind.DRAFT: _l("Draft"),
    DocumentKind.EXPLANATION: _l("Draft explanation"),
    DocumentKind.BACKGROUND: _l("Background"),
    DocumentKind.EXPERT_REVIEW: _l("Expert review"),
    DocumentKind.RISK_ASSESSMENT: _l("Risk assessment"),
    DocumentKind.LEGALITY_REVIEW: _l("Legality review"),
    DocumentKind.MEETING_RECORD: _l("Meeting record"),
    DocumentKind.DECISION_RESULT: _l("Decision result"),
    DocumentKind.EVALUATION: _l("Post-decision evaluation"),
    DocumentKind.POLICY_INTERPRETATION: _l("Policy interpretation"),
}

# The dossier stage under which each kind of document is shown.
DOCUMENT_STAGE = {
    DocumentKind.DRAFT: Stage.DRAFTING,
    DocumentKind.EXPLANATION: Stage.DRAFTING,
    DocumentKind.BACKGROUND: Stage.DRAFTING,
    DocumentKind.EXPERT_REVIEW: Stage.EXPERT_REVIEW,
    DocumentKind.RISK_ASSESSMENT: Stage.RISK_ASSESSMENT,
    DocumentKind.LEGALITY_REVIEW: Stage.LEGALITY_REVIEW,
    DocumentKind.MEETING_RECORD: Stage.COLLECTIVE_DELIBERATION,
    DocumentKind.DECISION_RESULT: Stage.DECIDED,
    DocumentKind.POLICY_INTERPRETATION: Stage.DECIDED,
    DocumentKind.EVALUATION: Stage.EVALUATED,
}


class Disclosure(enum.StrEnum):
    """公开属性: proactive documents are public; on-request ones show only their title;
    withheld ones never appear publicly and must name their legal ground."""

    PROACTIVE = "proactive"
    ON_REQUEST = "on_request"
    WITHHELD = "withheld"

    @property
    def label(self) -> str:
        return label(DISCLOSURE_LABELS[self])


DISCLOSURE_LABELS = {
    Disclosure.PROACTIVE: _l("Proactive disclosure"),
    Disclosure.ON_REQUEST: _l("Disclosed on request"),
    Disclosure.WITHHELD: _l("Withheld"),
}


class DocumentState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Document(TimestampMixin, db.Model):
    """One dossier document with a sanitized rich-text body and attachments."""

    __tablename__ = "document"
    __table_args__ = (
        sa.Index("ix_document_decision_public", "decision_id", "state", "disclosure"),
        sa.Index("ix_document_government_id", "government_id"),
        # A withheld document names its legal ground (政府信息公开条例).
        sa.CheckConstraint("disclosure <> 'withheld' OR withheld_ground <> ''",
                           name="withheld_needs_ground"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=False
    )
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"), nullable=False
    )
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    body_html: Mapped[str] = mapped_column(sa.Text, nullable=False, default="",
                                           comment="sanitized with the document allow-list")
    disclosure: Mapped[Disclosure] = mapped_column(enum_column(Disclosure), nullable=False,
                                                   default=Disclosure.PROACTIVE)
    withheld_ground: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="",
        comment="legal ground (政府信息公开条例 article) when withheld",
    )
    state: Mapped[DocumentState] = mapped_column(enum_column(DocumentState), nullable=False,
                                                 default=DocumentState.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    revised_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True,
        comment="when an approver last changed the published document (UTC); shown publicly",
    )

    decision = relationship("Decision")
    attachments = relationship("DocumentAttachment", back_populates="document",
                               order_by="DocumentAttachment.id", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.kind}>"

    # The visibility rules of a document, used by every page, the API and exports.

    @hybrid_property
    def is_public(self) -> bool:
        """Listed publicly (title, kind, date): published, not withheld, and its decision
        is public. The body is public only when :attr:`body_is_public`."""
        return (self.state == DocumentState.PUBLISHED
                and self.disclosure != Disclosure.WITHHELD and self.decision.is_public)

    @is_public.expression
    def is_public(cls):  # noqa: N805
        return sa.and_(
            cls.state == DocumentState.PUBLISHED,
            cls.disclosure != Disclosure.WITHHELD,
            cls.decision_id.in_(sa.select(Decision.id).where(Decision.is_public)),
        )

    @hybrid_property
    def body_is_public(self) -> bool:
        """The text and attachments may be read by anyone (proactive disclosure); a
        document disclosed on request shows its title only."""
        return self.is_public and self.disclosure == Disclosure.PROACTIVE

    @body_is_public.expression
    def body_is_public(cls):  # noqa: N805
        return sa.and_(cls.is_public, cls.disclosure == Disclosure.PROACTIVE)


class DocumentAttachment(db.Model):
    """A file attached to a document, under the name it was uploaded with."""

    __tablename__ = "document_attachment"
    __table_args__ = (sa.Index("ix_document_attachment_stored_file_id", "stored_file_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document.id", ondelete="CASCADE"), nullable=False, index=True
    )
    stored_file_id: Mapped[int] = mapped_column(
        sa.ForeignKey("stored_file.id", ondelete="RESTRICT"), nullable=False
    )
    filename: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    document = relationship("Document", back_populates="attachments")
    stored_file = relationship("StoredFile")

    def __repr__(self) -> str:
        return f"<DocumentAttachment {self.filename}>"

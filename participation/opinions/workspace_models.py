"""Tables of the classification workspace: learned suggestion models, how often their
suggestions were accepted, and the governments' disposition reason templates."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.database import TimestampMixin, enum_column
from participation.extensions import db
from participation.opinions.models import Disposition


class SuggestionModel(TimestampMixin, db.Model):
    """A trained suggestion model of one government (topic and stance classifiers).

    ``model_bytes`` is the joblib dump of the fitted pipelines, written only by the
    training task (never from user input, so loading it is safe). The newest version of a
    government is the one used.
    """

    __tablename__ = "suggestion_model"
    __table_args__ = (sa.UniqueConstraint("government_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="CASCADE"), nullable=False,
        comment="the labels of this government's officials trained it")
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False,
                                         comment="1, 2, … per government")
    model_bytes: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False,
                                               comment="joblib dump of the pipelines")
    topic_labels: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                              comment="opinions with a topic it learned from")
    stance_labels: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                               comment="opinions with a stance it learned from")
    topic_accuracy: Mapped[float | None] = mapped_column(
        sa.Float, nullable=True, comment="share right on held-back labels; null: too few")
    stance_accuracy: Mapped[float | None] = mapped_column(sa.Float, nullable=True)

    def __repr__(self) -> str:
        return f"<SuggestionModel {self.government_id} v{self.version}>"


class SuggestionTally(TimestampMixin, db.Model):
    """How often officials accepted or changed the suggestions, per consultation and kind
    (``topic`` or ``stance``)."""

    __tablename__ = "suggestion_tally"
    __table_args__ = (sa.UniqueConstraint("consultation_id", "kind"),
                      sa.CheckConstraint("kind IN ('topic', 'stance')", name="kind_known"))

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False, comment="topic or stance")
    accepted: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                          comment="labels given equal to the suggestion")
    changed: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                         comment="labels given that differ from it")

    def __repr__(self) -> str:
        return f"<SuggestionTally {self.consultation_id} {self.kind}>"


class ReasonTemplate(TimestampMixin, db.Model):
    """A reason text a government's officials start from when they give a disposition
    (administrators manage the list)."""

    __tablename__ = "disposition_reason_template"
    __table_args__ = (sa.Index("ix_disposition_reason_template_government", "government_id",
                               "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="CASCADE"), nullable=False)
    disposition: Mapped[Disposition | None] = mapped_column(
        enum_column(Disposition, name="templatedisposition"), nullable=True,
        comment="offered with this disposition only; null: with every one")
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)

    government = relationship("Government")

    def __repr__(self) -> str:
        return f"<ReasonTemplate {self.id}>"

"""Moderation tables: citizens' reports (举报), sensitive-word lists (敏感词) and each
government's moderation settings.

The opinion's own moderation columns (``moderation_state``, ``moderation_reason``,
``moderation_note``, ``moderation_flags``, ``pending_since``, ``report_count``) are on
:class:`participation.opinions.models.Opinion`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.database import TimestampMixin, enum_column
from participation.extensions import db
from participation.opinions.models import ModerationReason

# What a citizen may give as the reason of a report (a short list; ``other`` takes text).
REPORT_REASONS = (ModerationReason.SPAM, ModerationReason.ABUSIVE,
                  ModerationReason.PERSONAL_DATA, ModerationReason.IRRELEVANT,
                  ModerationReason.OTHER)
DEFAULT_REPORT_THRESHOLD = 3

# The condition of the partial index ``ix_opinion_unpublished``, written literally: both
# databases use a partial index only when the query repeats its condition with the
# constant, not a bound parameter.
NOT_PUBLISHED = sa.text("opinion.moderation_state <> 'published'")
REPORT_NOTE_MAX = 500
SENSITIVE_WORD_MAX = 100


class OpinionReport(TimestampMixin, db.Model):
    """One citizen's report of a public opinion (举报), at most one per person and opinion.

    ``reporter_key`` is a keyed hash of the signed-in account or of the visitor's session:
    it makes the second report of the same person refused by the database, and says nothing
    about who they are.
    """

    __tablename__ = "opinion_report"
    __table_args__ = (
        sa.UniqueConstraint("opinion_id", "reporter_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("opinion.id", ondelete="RESTRICT"), nullable=False,
        comment="the opinion reported")
    reporter_key: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, comment="keyed hash of the account or session")
    reason: Mapped[ModerationReason] = mapped_column(
        enum_column(ModerationReason, name="reportreason"), nullable=False,
        comment="why the citizen reported it")
    note: Mapped[str | None] = mapped_column(sa.String(REPORT_NOTE_MAX), nullable=True,
                                             comment="the citizen's optional words")

    opinion = relationship("Opinion")

    def __repr__(self) -> str:
        return f"<OpinionReport {self.id} opinion={self.opinion_id} {self.reason}>"


class SensitiveWord(TimestampMixin, db.Model):
    """A word of a government's sensitive-word list: an opinion containing it is held for
    review (pending) when written. ``word`` is stored normalised (NFKC, case folded), as
    the text it is matched against."""

    __tablename__ = "sensitive_word"
    __table_args__ = (sa.UniqueConstraint("government_id", "word"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="CASCADE"), nullable=False)
    word: Mapped[str] = mapped_column(sa.String(SENSITIVE_WORD_MAX), nullable=False,
                                      comment="normalised: NFKC and case folded")

    def __repr__(self) -> str:
        return f"<SensitiveWord {self.id} {self.word}>"


class ModerationSettings(TimestampMixin, db.Model):
    """A government's moderation settings, and the version of its sensitive-word list.

    Every change of the list bumps ``word_list_version`` in the same transaction; each app
    process compares it with the version of the automaton it cached, so every server
    rebuilds after a change (nothing is invalidated in one process only).
    """

    __tablename__ = "moderation_settings"
    __table_args__ = (
        sa.CheckConstraint("report_threshold >= 1", name="report_threshold_positive"),
    )

    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="CASCADE"), primary_key=True)
    report_threshold: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=DEFAULT_REPORT_THRESHOLD,
        comment="reports that send a public opinion back to review")
    word_list_version: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, comment="bumped on every change of the list")

    def __repr__(self) -> str:
        return f"<ModerationSettings {self.government_id} v{self.word_list_version}>"

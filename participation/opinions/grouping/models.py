"""What grouping stores: per opinion its exact key, person key and LSH bands (so a new
opinion is grouped without reading the consultation again), and per consultation the
size from which a group is a concentrated opinion."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.i18n import label
from participation.extensions import db

DEFAULT_THRESHOLD = 5


class GroupKind(enum.StrEnum):
    """Who shaped a group: the grouping (``automatic``) or an official (``manual``: merged,
    split, named, disposed or added to). Full regrouping keeps manual groups."""

    AUTOMATIC = "automatic"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return label(GROUP_KIND_LABELS[self])


GROUP_KIND_LABELS = {
    GroupKind.AUTOMATIC: _l("Found automatically"),
    GroupKind.MANUAL: _l("Checked by an official"),
}


class OpinionFingerprint(db.Model):
    """One opinion as grouping sees it (written when the opinion is grouped)."""

    __tablename__ = "opinion_fingerprint"
    __table_args__ = (
        sa.Index("ix_opinion_fingerprint_exact", "consultation_id", "exact_key"),
        # Whether a person already has an opinion in a group (the people count).
        sa.Index("ix_opinion_fingerprint_person", "consultation_id", "person_key"),
    )

    # No foreign keys: each was checked per row of a full regrouping's bulk write (on
    # PostgreSQL a second per 100,000 opinions). Opinions are never deleted (hiding
    # keeps them), and the opinion's own key (RESTRICT) keeps its consultation.
    opinion_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=False)
    consultation_id: Mapped[int] = mapped_column(
        sa.Integer, nullable=False,
        comment="the opinion's consultation (groups never span consultations)")
    exact_key: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, comment="BLAKE2b of the normalised text")
    person_key: Mapped[str] = mapped_column(
        sa.String(32), nullable=False,
        comment="who sent it (account, digest of contact or name+channel, or itself)")
    pinned: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false(),
        comment="placed by an official: full regrouping does not move it")
    bands: Mapped[bytes | None] = mapped_column(
        sa.LargeBinary, nullable=True,
        comment="the LSH band hashes in band order (BANDS int64, little-endian); NULL "
                "when written before 2026-12-03 (the next regrouping fills it in)")

    def __repr__(self) -> str:
        return f"<OpinionFingerprint {self.opinion_id}>"


class OpinionBand(db.Model):
    """One LSH band hash of one opinion: opinions sharing one are candidates. An index
    for the incremental grouping, written in bulk by a full regrouping (eight rows per
    opinion): no foreign keys (each checked per row) and no index but the key, clustered
    on SQLite (``WITHOUT ROWID``). Opinions are never deleted; a row whose opinion is
    gone is skipped by the look-ups, which join the opinion."""

    __tablename__ = "opinion_band"
    __table_args__ = ({"sqlite_with_rowid": False},)

    consultation_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    band_hash: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True,
                                           comment="hash of one band of the MinHash")
    opinion_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)

    def __repr__(self) -> str:
        return f"<OpinionBand {self.opinion_id} {self.band_hash}>"


class GroupingSetting(db.Model):
    """Per consultation: from how many opinions a group is a concentrated opinion."""

    __tablename__ = "opinion_grouping_setting"
    __table_args__ = (sa.CheckConstraint("concentrated_threshold >= 2",
                                         name="threshold_at_least_two"),)

    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True)
    concentrated_threshold: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=DEFAULT_THRESHOLD,
        comment="a group of at least this many opinions is a concentrated opinion")

    def __repr__(self) -> str:
        return f"<GroupingSetting {self.consultation_id} {self.concentrated_threshold}>"


class GroupingQueueEntry(db.Model):
    """An opinion received online or recorded by hand, waiting to be grouped by the
    worker (``flask jobs worker``), so that the request that records it does not pay for
    grouping. Written in the opinion's transaction; deleted in the one that groups it."""

    __tablename__ = "grouping_queue"
    __table_args__ = (sa.Index("ix_grouping_queue_consultation_id", "consultation_id"),)

    opinion_id: Mapped[int] = mapped_column(
        sa.ForeignKey("opinion.id", ondelete="CASCADE"), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False)

    def __repr__(self) -> str:
        return f"<GroupingQueueEntry {self.opinion_id}>"

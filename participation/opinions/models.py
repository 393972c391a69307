"""Opinions (意见) from every channel share this one model.

Online submissions, offline records (12345 hotline, letters, symposiums …) and, in later
issues, meeting statements and open-day questionnaires all become :class:`Opinion` rows.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from participation.core.database import TimestampMixin, enum_column
from participation.core.i18n import label
from participation.core.pii import mask_personal_data
from participation.extensions import db
from participation.opinions.grouping.models import GroupKind


class Channel(enum.StrEnum):
    """How an opinion reached the government (意见来源渠道)."""

    ONLINE = "online"
    HOTLINE = "hotline"
    LETTER = "letter"
    EMAIL = "email"
    SYMPOSIUM = "symposium"
    HEARING = "hearing"
    FIELD_VISIT = "field_visit"
    QUESTIONNAIRE = "questionnaire"
    POLL = "poll"
    OPEN_DAY = "open_day"
    REPRESENTATIVE = "representative"

    @property
    def label(self) -> str:
        return label(CHANNEL_LABELS[self])


CHANNEL_LABELS = {
    Channel.ONLINE: _l("Online"),
    Channel.HOTLINE: _l("12345 hotline"),
    Channel.LETTER: _l("Letter"),
    Channel.EMAIL: _l("E-mail"),
    Channel.SYMPOSIUM: _l("Symposium"),
    Channel.HEARING: _l("Hearing"),
    Channel.FIELD_VISIT: _l("Field visit"),
    Channel.QUESTIONNAIRE: _l("Questionnaire"),
    Channel.POLL: _l("Poll"),
    Channel.OPEN_DAY: _l("Open day"),
    Channel.REPRESENTATIVE: _l("Representative"),
}

# Kinds of personal data found by participation.core.pii (masked, then flagged only).
PII_LABELS = {
    "mobile": _l("mobile number"),
    "landline": _l("landline number"),
    "id_number": _l("resident ID number"),
    "bank_card": _l("bank card number"),
    "email": _l("e-mail address"),
    "name": _l("name"),
    "address": _l("street address"),
}


def describe_pii(findings: dict | None) -> str:
    """The findings for an official, e.g. "手机号码 1处，身份证号 1处；可能包含姓名"; empty
    when nothing was found."""
    findings = findings or {}
    masked = [ngettext("%(kind)s: %(num)d place", "%(kind)s: %(num)d places", number,
                       kind=label(PII_LABELS.get(kind, kind)))
              for kind, number in (findings.get("masked") or {}).items()]
    possible = [label(PII_LABELS.get(kind, kind)) for kind in findings.get("possible") or []]
    parts = [gettext(", ").join(masked)] if masked else []
    if possible:
        parts.append(gettext("possibly contains %(kinds)s",
                             kinds=gettext(", ").join(possible)))
    return gettext("; ").join(parts)


OFFLINE_CHANNELS = tuple(c for c in Channel if c != Channel.ONLINE)


class ModerationState(enum.StrEnum):
    """Whether an opinion may be shown publicly (审核).

    Published opinions are shown (when the person consented and the consultation shows
    opinions); pending ones wait for a moderator (pre-moderation, a sensitive word, or
    enough citizens' reports); hidden ones are kept from public view with a
    :class:`ModerationReason`, never deleted and always counted.
    """

    PUBLISHED = "published"
    PENDING = "pending"
    HIDDEN = "hidden"

    @property
    def label(self) -> str:
        return label(MODERATION_STATE_LABELS[self])


MODERATION_STATE_LABELS = {
    ModerationState.PUBLISHED: _l("Published"),
    ModerationState.PENDING: _l("Awaiting review"),
    ModerationState.HIDDEN: _l("Hidden"),
}


class ModerationReason(enum.StrEnum):
    """Why a moderator hid an opinion (屏蔽原因); ``other`` needs a written note."""

    SPAM = "spam"
    ABUSIVE = "abusive"
    IRRELEVANT = "irrelevant"
    PERSONAL_DATA = "personal_data"
    DUPLICATE = "duplicate"
    OTHER = "other"

    @property
    def label(self) -> str:
        return label(MODERATION_REASON_LABELS[self])


MODERATION_REASON_LABELS = {
    ModerationReason.SPAM: _l("Spam or advertising"),
    ModerationReason.ABUSIVE: _l("Abusive or insulting"),
    ModerationReason.IRRELEVANT: _l("Not about the draft"),
    ModerationReason.PERSONAL_DATA: _l("Contains personal data"),
    ModerationReason.DUPLICATE: _l("Duplicate"),
    ModerationReason.OTHER: _l("Other reason"),
}


class Stance(enum.StrEnum):
    """What the opinion does with the draft (观点倾向)."""

    SUPPORT = "support"
    OPPOSE = "oppose"
    SUGGESTION = "suggestion"
    QUESTION = "question"

    @property
    def label(self) -> str:
        return label(STANCE_LABELS[self])


STANCE_LABELS = {
    Stance.SUPPORT: _l("Support"),
    Stance.OPPOSE: _l("Oppose"),
    Stance.SUGGESTION: _l("Suggestion"),
    Stance.QUESTION: _l("Question"),
}


class SubmitterKind(enum.StrEnum):
    """On whose behalf an opinion is given: a person, or an enterprise, a trade
    association (or chamber of commerce) or another organisation. A policy affecting
    enterprises is taken at a meeting only after enterprise opinions were heard
    (seed 003, task 18)."""

    PERSON = "person"
    ENTERPRISE = "enterprise"
    TRADE_ASSOCIATION = "trade_association"
    ORGANISATION = "organisation"

    @property
    def label(self) -> str:
        return label(SUBMITTER_KIND_LABELS[self])


SUBMITTER_KIND_LABELS = {
    SubmitterKind.PERSON: _l("A person"),
    SubmitterKind.ENTERPRISE: _l("An enterprise"),
    SubmitterKind.TRADE_ASSOCIATION: _l("A trade association or chamber of commerce"),
    SubmitterKind.ORGANISATION: _l("Another organisation"),
}
#: The kinds whose opinions count as enterprise opinions heard.
ENTERPRISE_KINDS = (SubmitterKind.ENTERPRISE, SubmitterKind.TRADE_ASSOCIATION)


class Disposition(enum.StrEnum):
    """What the government did with an opinion or a concentrated opinion (采纳情况).

    Every code but ``adopted`` needs a reason, and so does every concentrated opinion
    (see :func:`disposition_problem`).
    """

    ADOPTED = "adopted"
    PARTIALLY_ADOPTED = "partially_adopted"
    NOT_ADOPTED = "not_adopted"
    EXPLAINED = "explained"
    OUT_OF_SCOPE = "out_of_scope"

    @property
    def label(self) -> str:
        return label(DISPOSITION_LABELS[self])

    @property
    def requires_reason(self) -> bool:
        return self != Disposition.ADOPTED


DISPOSITION_LABELS = {
    Disposition.ADOPTED: _l("Adopted"),
    Disposition.PARTIALLY_ADOPTED: _l("Partially adopted"),
    Disposition.NOT_ADOPTED: _l("Not adopted"),
    Disposition.EXPLAINED: _l("Explained"),
    Disposition.OUT_OF_SCOPE: _l("Out of scope"),
}

DISPOSITION_REASON_MAX = 2000


def disposition_problem(disposition: Disposition | None, reason: str | None,
                        concentrated: bool = False) -> str | None:
    """Why this disposition and reason cannot be recorded, or None when they can.

    The one rule for every path (one opinion, a bulk selection, a group, a spreadsheet
    round trip): a reason is required for every code except ``adopted``, and for every
    concentrated opinion whatever its code.
    """
    reason = (reason or "").strip()
    if disposition is None:
        return gettext("Choose a disposition.")
    if len(reason) > DISPOSITION_REASON_MAX:
        return gettext("The reason can be at most %(max)d characters.",
                       max=DISPOSITION_REASON_MAX)
    if not reason and concentrated:
        return gettext("A concentrated opinion needs a reason, whatever its disposition.")
    if not reason and disposition.requires_reason:
        return gettext("Give the reason for “%(disposition)s”.",
                       disposition=disposition.label)
    return None


# The columns naming where an opinion came from (its source). Exactly one is set; a new
# kind of source (meeting, open day, questionnaire) adds its column here, and the CHECK
# constraint ``one_source`` below extends with it.
SOURCE_COLUMNS = ("consultation_id", "meeting_id", "open_day_id")


def one_source_check(columns: tuple[str, ...] = SOURCE_COLUMNS) -> str:
    """SQL condition: exactly one of ``columns`` is set."""
    return " + ".join(f"(CASE WHEN {column} IS NOT NULL THEN 1 ELSE 0 END)"
                      for column in columns) + " = 1"



def _filled(column: str) -> dict[str, Any]:
    """A partial index over the rows where ``column`` is set: most opinions leave these
    columns empty (an import leaves all of them empty), so every insert skips these
    indexes; lookups by value (``column = ?``, ``IN``, the foreign keys' checks) still
    use them."""
    condition = f"{column} IS NOT NULL"
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def shown_body(public_body: str | None, body: str, pii_findings: dict | None) -> str:
    """What any page shows of an opinion's words: its stored public body; its body when
    the public body is empty because nothing was masked (the findings were recorded);
    masked on the fly for a row written before either was stored."""
    if public_body is not None:
        return public_body
    if pii_findings is not None:
        return body
    return mask_personal_data(body)


class Opinion(TimestampMixin, db.Model):
    """One opinion from one person or meeting, on a whole draft or on one of its articles.

    An opinion has exactly one source (today a consultation; meetings, open days and
    questionnaires later), named by one of :data:`SOURCE_COLUMNS`; ``source`` returns it.
    Opinions are an archive: deleting their decision, consultation or article is refused.
    """

    __tablename__ = "opinion"
    __table_args__ = (
        sa.UniqueConstraint("consultation_id", "submission_key"),
        sa.Index("ix_opinion_public_list", "consultation_id", "consent_to_publish",
                 "moderation_state", "id"),
        sa.Index("ix_opinion_node_public", "node_id", "consent_to_publish",
                 "moderation_state", "id"),
        # The officials' list, newest first, all channels or one.
        sa.Index("ix_opinion_consultation_list", "consultation_id", "id"),
        # The officials' list by received time (keyset pages): one channel, or every
        # channel merged from one scan each (``time_keyset_paginate(split=…)``). An index
        # by received time alone cost a million-row import 8 s: its rows come in random
        # time order.
        sa.Index("ix_opinion_channel_list", "consultation_id", "channel", "received_at", "id"),
        # "My opinions", newest first.
        sa.Index("ix_opinion_author_list", "author_id", "id", **_filled("author_id")),
        # A hotline ticket or letter number is recorded once per consultation and channel.
        sa.Index("uq_opinion_reference", "consultation_id", "channel", "reference",
                 unique=True, sqlite_where=sa.text("reference IS NOT NULL"),
                 postgresql_where=sa.text("reference IS NOT NULL")),
        sa.Index("ix_opinion_draft_version_id", "draft_version_id"),
        sa.Index("ix_opinion_open_day_list", "open_day_id", "id", **_filled("open_day_id")),
        sa.Index("ix_opinion_recorded_by_id", "recorded_by_id", **_filled("recorded_by_id")),
        sa.Index("ix_opinion_attachment_file_id", "attachment_file_id",
                 **_filled("attachment_file_id")),
        sa.Index("ix_opinion_topic_id", "topic_id", **_filled("topic_id")),
        # The feedback report's counts in one pass over an index (no table reads).
        sa.Index("ix_opinion_report_facets", "consultation_id", "disposition",
                 "moderation_state", "moderation_reason", "topic_id", "is_late", "node_id"),
        # The moderation queue and the moderation log: the few opinions not published.
        sa.Index("ix_opinion_unpublished", "consultation_id", "moderation_state",
                 "moderation_reason", "id",
                 sqlite_where=sa.text("moderation_state <> 'published'"),
                 postgresql_where=sa.text("moderation_state <> 'published'")),
        sa.CheckConstraint("report_count >= 0", name="report_count_not_negative"),
        sa.Index("ix_opinion_import_id", "import_id", **_filled("import_id")),
        # The classification workspace's filters, newest first (keyset pages by id).
        sa.Index("ix_opinion_ws_article", "consultation_id",
                 sa.func.coalesce(sa.text("cited_node_id"), sa.text("node_id")), "id"),
        sa.Index("ix_opinion_ws_topic", "consultation_id", "topic_id", "id"),
        sa.Index("ix_opinion_ws_stance", "consultation_id", "stance", "id"),
        sa.Index("ix_opinion_ws_disposition", "consultation_id", "disposition", "id"),
        sa.Index("ix_opinion_ws_moderation", "consultation_id", "moderation_state", "id"),
        sa.Index("ix_opinion_ws_late", "consultation_id", "is_late", "id"),
        sa.Index("ix_opinion_ws_channel", "consultation_id", "channel", "id"),
        sa.Index("ix_opinion_cited_node_id", "cited_node_id", **_filled("cited_node_id")),
        sa.Index("ix_opinion_suggested_topic_id", "suggested_topic_id",
                 **_filled("suggested_topic_id")),
        sa.Index("ix_opinion_change_node_id", "change_node_id", **_filled("change_node_id")),
        sa.Index("ix_opinion_meeting_id", "meeting_id", "id", **_filled("meeting_id")),
        # A decision's statements by representatives (the workspace and the report).
        sa.Index("ix_opinion_statements", "decision_id", "id",
                 sqlite_where=sa.text("meeting_id IS NOT NULL"),
                 postgresql_where=sa.text("meeting_id IS NOT NULL")),
        # A decision's opinions from other sources than a consultation (statements at
        # meetings, opinions heard at open days): the workspace's probe and condition.
        sa.Index("ix_opinion_other_sources", "decision_id", "id",
                 sqlite_where=sa.text("consultation_id IS NULL"),
                 postgresql_where=sa.text("consultation_id IS NULL")),
        sa.CheckConstraint("length(body) >= 1", name="body_not_empty"),
        sa.CheckConstraint(one_source_check(), name="one_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_number: Mapped[str] = mapped_column(
        sa.String(32), nullable=False, unique=True,
        comment="unguessable number given to the person to look the opinion up",
    )
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    decision_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    consultation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="RESTRICT"), nullable=True,
        comment="source: a consultation (meetings and open days come later)",
    )
    meeting_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("meeting.id", ondelete="RESTRICT"), nullable=True,
        comment="source: a decision meeting (a representative's statement)",
    )
    open_day_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("open_day.id", ondelete="RESTRICT"), nullable=True,
        comment="source: an open day's questionnaire",
    )
    draft_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("draft_version.id", ondelete="RESTRICT"), nullable=True
    )
    node_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("draft_node.id", ondelete="RESTRICT"), nullable=True,
        comment="the article or outline heading; null for the whole draft",
    )
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), nullable=False)
    reference: Mapped[str | None] = mapped_column(
        sa.String(100), nullable=True, comment="hotline ticket or letter number"
    )
    received_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False,
                                                  comment="when it reached us (UTC)")
    body: Mapped[str] = mapped_column(sa.Text, nullable=False,
                                      comment="plain text as received; masked when shown")
    display_name: Mapped[str | None] = mapped_column(
        sa.String(100), nullable=True, comment="name to show; null means anonymous"
    )
    contact: Mapped[str | None] = mapped_column(sa.String(200), nullable=True,
                                                comment="private; never shown publicly")
    consent_to_publish: Mapped[bool] = mapped_column(sa.Boolean, nullable=False,
                                                     default=False)
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True,
        comment="official who recorded an offline opinion",
    )
    is_late: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                          comment="received after the closing time")
    submission_key: Mapped[str | None] = mapped_column(
        sa.String(64), nullable=True, comment="form token: a repeated POST creates nothing"
    )
    moderation_state: Mapped[ModerationState] = mapped_column(
        enum_column(ModerationState), nullable=False, default=ModerationState.PUBLISHED
    )
    moderation_reason: Mapped[ModerationReason | None] = mapped_column(
        enum_column(ModerationReason), nullable=True, comment="why it is hidden")
    moderation_note: Mapped[str | None] = mapped_column(
        sa.String(500), nullable=True, comment="the moderator's note (required for other)")
    moderation_flags: Mapped[dict | None] = mapped_column(
        sa.JSON, nullable=True,
        comment="why it was held for review when written: {'words': sensitive words}")
    pending_since: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True, comment="when it last went to pending (UTC)")
    report_count: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=0, server_default="0",
        comment="citizens' reports since a moderator last published it")
    topic_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("opinion_topic.id", ondelete="SET NULL"), nullable=True,
        comment="what it is about, given by an official")
    stance: Mapped[Stance | None] = mapped_column(
        enum_column(Stance), nullable=True, comment="support, oppose, suggestion, question")
    submitter_kind: Mapped[SubmitterKind] = mapped_column(
        enum_column(SubmitterKind), nullable=False, default=SubmitterKind.PERSON,
        server_default=SubmitterKind.PERSON.value,
        comment="given on behalf of a person, an enterprise, a trade association, another "
                "organisation")
    disposition: Mapped[Disposition | None] = mapped_column(
        enum_column(Disposition), nullable=True, comment="adopted, not adopted, …")
    disposition_reason: Mapped[str | None] = mapped_column(
        sa.Text, nullable=True, comment="why; required unless adopted")
    disposition_overridden: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false(),
        comment="set on the opinion itself, not inherited from its group")
    cited_node_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("draft_node.id", ondelete="RESTRICT"), nullable=True,
        comment="the article the text cites (第五条), found when written; else node_id")
    suggested_topic_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("opinion_topic.id", ondelete="SET NULL"), nullable=True,
        comment="the learned suggestion of a topic (never applied silently)")
    suggested_topic_confidence: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    suggested_stance: Mapped[Stance | None] = mapped_column(
        enum_column(Stance, name="suggestedstance"), nullable=True,
        comment="the learned suggestion of a stance")
    suggested_stance_confidence: Mapped[float | None] = mapped_column(sa.Float,
                                                                      nullable=True)
    suggestion_version: Mapped[int | None] = mapped_column(
        sa.Integer, nullable=True, comment="version of the model that made the suggestions")
    change_node_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("draft_node.id", ondelete="RESTRICT"), nullable=True,
        comment="the article of the draft changed as a result of the opinion")
    change_text: Mapped[str | None] = mapped_column(
        sa.Text, nullable=True, comment="the article's new text as a result of the opinion")
    attachment_file_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("stored_file.id", ondelete="SET NULL"), nullable=True
    )
    import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("opinion_import.id", ondelete="SET NULL"), nullable=True,
        comment="the imported file it came from; null for every other channel")
    attachment_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    public_body: Mapped[str | None] = mapped_column(
        sa.Text, nullable=True,
        comment="the body with personal data masked, computed when written; null: nothing "
                "masked (or, without pii_findings, a row written before)")
    public_name: Mapped[str | None] = mapped_column(
        sa.String(200), nullable=True, comment="display_name with personal data masked")
    pii_findings: Mapped[dict | None] = mapped_column(
        sa.JSON, nullable=True,
        comment="personal data found in the body: kinds masked, possible names/addresses")

    consultation = relationship("Consultation")
    meeting = relationship("Meeting")
    open_day = relationship("OpenDay")
    node = relationship("DraftNode", foreign_keys=[node_id])
    cited_node = relationship("DraftNode", foreign_keys=[cited_node_id])
    change_node = relationship("DraftNode", foreign_keys=[change_node_id])
    topic = relationship("Topic", foreign_keys=[topic_id])
    suggested_topic = relationship("Topic", foreign_keys=[suggested_topic_id])
    attachment_file = relationship("StoredFile")

    def __repr__(self) -> str:
        return f"<Opinion {self.id} {self.channel}>"

    # What any page shows of the person's words: the public body stored when the opinion
    # was written, for every surface (public lists, receipts, "My opinions", the API,
    # exports, reports). Officials handling the opinion see the original text and the
    # findings on the work area's opinion page.

    @property
    def shown_body(self) -> str:
        """The stored public body (phone, ID-card, bank card numbers and e-mail addresses
        masked), or the body when nothing was masked; masked on the fly for rows written
        before it was stored."""
        return shown_body(self.public_body, self.body, self.pii_findings)

    @property
    def shown_name(self) -> str | None:
        """The name to show (masked the same way: "张三139****5678"), None if anonymous."""
        if not self.display_name:
            return None
        if self.public_name is not None:
            return self.public_name or None
        return mask_personal_data(self.display_name) or None

    @property
    def pii_description(self) -> str:
        """The personal data found in the body, for officials (see :func:`describe_pii`)."""
        return describe_pii(self.pii_findings)

    @property
    def article_node(self):
        """The article the opinion is about: the one its text cites, else the one chosen."""
        return self.cited_node or self.node

    @property
    def source(self):
        """Where the opinion came from: the object named by its one source column."""
        if self.consultation_id is not None:
            return self.consultation
        return self.meeting if self.meeting_id is not None else self.open_day

    @hybrid_property
    def is_public(self) -> bool:
        """Shown on public pages (the consultation must also show opinions publicly)."""
        return self.consent_to_publish and self.moderation_state == ModerationState.PUBLISHED

    @is_public.expression
    def is_public(cls):  # noqa: N805
        return sa.and_(cls.consent_to_publish.is_(True),
                       cls.moderation_state == ModerationState.PUBLISHED)


class ImportState(enum.StrEnum):
    """Where an uploaded file of opinions stands (:class:`OpinionImport`)."""

    QUEUED = "queued"  # waiting for the background worker
    CHECKING = "checking"  # rows only checked (a file with errors, or imported before)
    STORING = "storing"  # rows checked and inserted as they come, in one transaction
    REFUSED = "refused"  # errors found: nothing imported
    UNCONFIRMED = "unconfirmed"  # valid, but repeats opinions: waits for confirmation
    IMPORTED = "imported"
    DISCARDED = "discarded"  # never confirmed: the stored file was removed

    @property
    def label(self) -> str:
        return label(IMPORT_STATE_LABELS[self])

    @property
    def finished(self) -> bool:
        """Nothing more will happen to the file (a confirmation may still follow an
        unconfirmed one)."""
        return self in (ImportState.REFUSED, ImportState.IMPORTED, ImportState.DISCARDED)


IMPORT_STATE_LABELS = {
    ImportState.QUEUED: _l("Waiting to start"),
    ImportState.CHECKING: _l("Checking the rows"),
    ImportState.STORING: _l("Storing the opinions"),
    ImportState.REFUSED: _l("Refused: the file has errors"),
    ImportState.UNCONFIRMED: _l("Waiting for your confirmation"),
    ImportState.IMPORTED: _l("Imported"),
    ImportState.DISCARDED: _l("Discarded"),
}


class OpinionImport(TimestampMixin, db.Model):
    """One file of offline opinions uploaded for import into a consultation
    (``created_at``: when), from its upload to its import or refusal.

    Kept so that importing the same file again (same SHA-256) is noticed and confirmed;
    only rows in state ``imported`` created opinions (``opinion.import_id``).
    """

    __tablename__ = "opinion_import"
    __table_args__ = (sa.Index("ix_opinion_import_file", "consultation_id", "sha256"),
                      sa.Index("ix_opinion_import_imported_by_id", "imported_by_id"),
                      sa.Index("ix_opinion_import_task_id", "task_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False,
        comment="the consultation the opinions were imported into",
    )
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False,
                                        comment="SHA-256 of the file's bytes, hex")
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False,
                                          comment="file name as uploaded")
    row_count: Mapped[int] = mapped_column(sa.Integer, nullable=False,
                                           comment="opinions created from the file")
    imported_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True,
        comment="official who imported it; null from the command line",
    )
    state: Mapped[ImportState] = mapped_column(
        enum_column(ImportState), nullable=False, default=ImportState.QUEUED,
        server_default=ImportState.IMPORTED.value)
    task_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("task.id", ondelete="SET NULL"), nullable=True,
        comment="the background task running it (web uploads)")
    upload_key: Mapped[str | None] = mapped_column(
        sa.String(64), nullable=True,
        comment="the uploaded file kept while it is checked and stored; null once removed")
    encoding: Mapped[str | None] = mapped_column(
        sa.String(32), nullable=True, comment="how the text was read: UTF-8, GBK …")
    confirmed: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false(),
        comment="the official confirmed importing the repeated opinions")
    rows_checked: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                              server_default="0",
                                              comment="data rows read in the first pass")
    error_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                             server_default="0")
    first_errors: Mapped[list | None] = mapped_column(
        sa.JSON, nullable=True,
        comment="the first 1,000 errors as codes and parameters (translated when shown)")
    error_file: Mapped[str | None] = mapped_column(
        sa.String(64), nullable=True, comment="every error, for the download")
    duplicates: Mapped[dict | None] = mapped_column(
        sa.JSON, nullable=True, comment="what a valid file would import again")

    consultation = relationship("Consultation")
    imported_by = relationship("User")

    def __repr__(self) -> str:
        return f"<OpinionImport {self.id} {self.filename} {self.state} {self.row_count}>"


class Topic(TimestampMixin, db.Model):
    """What opinions are about (意见主题), per consultation: a default list to start
    from, edited by officials."""

    __tablename__ = "opinion_topic"
    __table_args__ = (sa.UniqueConstraint("consultation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="RESTRICT"), nullable=False,
        comment="the consultation whose opinions it sorts")
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                          comment="order on the page")

    def __repr__(self) -> str:
        return f"<Topic {self.id} {self.name}>"


class OpinionGroup(TimestampMixin, db.Model):
    """Opinions saying the same thing (意见分组), found automatically or made by officials.

    A group with at least the consultation's threshold of opinions is a concentrated
    opinion (较为集中意见). It carries one disposition and reason, which its members
    inherit unless one is overridden. ``opinion_count`` and ``people_count`` are kept in
    step by the grouping operations (one person sending the same text five times is one
    voice).
    """

    __tablename__ = "opinion_group"
    __table_args__ = (
        sa.Index("ix_opinion_group_consultation", "consultation_id", "opinion_count"),
        sa.Index("ix_opinion_group_confirmed_by_id", "confirmed_by_id"),
        sa.CheckConstraint("opinion_count >= 0 AND people_count >= 0",
                           name="counts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="RESTRICT"), nullable=False,
        comment="groups never span consultations")
    summary: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="",
                                         comment="short statement of the shared point")
    opinion_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    people_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    disposition: Mapped[Disposition | None] = mapped_column(
        enum_column(Disposition), nullable=True, comment="inherited by the members")
    disposition_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    kind: Mapped[GroupKind] = mapped_column(
        enum_column(GroupKind), nullable=False, default=GroupKind.AUTOMATIC,
        server_default=GroupKind.AUTOMATIC.value,
        comment="automatic, or manual once an official merged, split, named or disposed it")
    representative_opinion_id: Mapped[int | None] = mapped_column(
        sa.Integer, nullable=True,
        comment="the opinion new ones are compared with (no foreign key: opinion and "
                "group would refer to each other; opinions are never deleted)")
    confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True,
        comment="the official who last shaped the group")
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True,
                                                          comment="when (UTC)")

    change_node_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("draft_node.id", ondelete="RESTRICT"), nullable=True, index=True,
        comment="the article of the draft changed as a result of the group")
    change_text: Mapped[str | None] = mapped_column(
        sa.Text, nullable=True, comment="the article's new text as a result of the group")

    consultation = relationship("Consultation")
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])
    change_node = relationship("DraftNode", foreign_keys=[change_node_id])

    def __repr__(self) -> str:
        return f"<OpinionGroup {self.id} {self.opinion_count}>"


class OpinionMembership(db.Model):
    """The group an opinion is in (no row: in no group). Kept out of ``opinion``, whose
    rows are wide and carry some thirty indexes: a regrouping moves tens of thousands of
    opinions at once, and on PostgreSQL moving one rewrote its whole row and every index
    entry (1.45 s per 20,000 opinions; a row here costs a tenth of it)."""

    __tablename__ = "opinion_membership"
    __table_args__ = (
        # A group's members in id order (its page, its counts, the workspace's filter).
        sa.Index("ix_opinion_membership_group", "group_id", "opinion_id"),
    )

    opinion_id: Mapped[int] = mapped_column(
        sa.Integer, primary_key=True, autoincrement=False,
        comment="no foreign key: opinions are never deleted (one check per row saved)")
    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("opinion_group.id", ondelete="CASCADE"), nullable=False,
        comment="deleting a group leaves its members in no group")

    def __repr__(self) -> str:
        return f"<OpinionMembership {self.opinion_id} in {self.group_id}>"


#: The opinion's group id (None: in no group), read with the opinion. Read-only: groups
#: change through ``opinions.grouping.store``. In a filter on many opinions use
#: :func:`in_group` and :func:`in_any_group`, which an index answers.
Opinion.group_id = column_property(
    sa.select(OpinionMembership.group_id)
    .where(OpinionMembership.opinion_id == Opinion.id)
    .correlate_except(OpinionMembership).scalar_subquery())


def in_group(group_id: int) -> sa.ColumnElement[bool]:
    """Opinions that are members of this group (a filter)."""
    return Opinion.id.in_(sa.select(OpinionMembership.opinion_id)
                          .where(OpinionMembership.group_id == group_id))


def in_any_group() -> sa.ColumnElement[bool]:
    """Opinions that are in a group (a filter; negate it for those in none)."""
    return sa.exists().where(OpinionMembership.opinion_id == Opinion.id)


# The moderation tables (reports, sensitive words, per-government settings) live in their
# own module; imported here so that every mapped class is known with this one.
import participation.opinions.moderation_models  # noqa: E402, F401

"""Moderation (审核): the one operation that publishes, hides or holds opinions, the
initial state of every opinion written, and the counts of the moderation log.

:func:`set_moderation_state` is the only path that changes ``Opinion.moderation_state``
after an opinion was written: it moves the consultation's ``public_opinion_count`` with
conditional SQL updates (so ``flask opinions recount`` agrees, whatever moderators do at
the same time) and writes the audit entry. Hiding never deletes an opinion and never
removes it from the totals. Citizens' reports and the moderators' notices are in
``moderation_reports.py``, the sensitive-word lists in ``moderation_words.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from participation.consultations.models import Consultation, ModerationMode
from participation.core import audit
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.sanitize import plain_text
from participation.extensions import db
from participation.opinions import counters as _counters
from participation.opinions.counters import count
from participation.opinions.models import ModerationReason, ModerationState, Opinion
from participation.opinions.moderation_models import NOT_PUBLISHED
from participation.opinions.moderation_words import matched_words, word_matcher

MODERATION_NOTE_MAX = 500
# Statements name at most this many opinions at once (bulk selections are pages).
CHUNK = 500
# The columns set_moderation_state writes, expired on the objects it was given.
_MODERATION_COLUMNS = ["moderation_state", "moderation_reason", "moderation_note",
                       "pending_since", "report_count", "updated_at"]


class ModerationError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "reason_required": _l("Choose why the opinion is hidden."),
        "note_required": _l("Say why in the note: “other reason” needs one."),
        "note_too_long": _l("The note can be at most 500 characters."),
        "nothing_selected": _l("Select at least one opinion."),
        "not_reportable": _l("This opinion is not shown publicly and cannot be reported."),
        "already_reported": _l("You have already reported this opinion. Thank you: a "
                               "moderator will look at it."),
        "report_reason_required": _l("Choose why you report this opinion."),
        "word_required": _l("Enter at least one word."),
        "word_file_unreadable": _l("The file could not be read as text (UTF-8 or GBK), "
                                   "one word per line."),
        "threshold_range": _l("Enter a number from 1 to 100."),
    }


def initial_moderation(consultation: Consultation, body: str,
                       display_name: str | None) -> dict[str, Any]:
    """The moderation columns of an opinion being written, on every path (called by
    ``operations.written_fields`` once per opinion or imported row; one automaton look-up,
    no query but a cached version check).

    Pre-moderation holds every opinion (``pending``); a sensitive word of the government's
    list in the body or the name holds it too, with the words that fired stored in
    ``moderation_flags``; anything else is published at once.
    """
    return moderation_fields(consultation.government_id,
                             consultation.moderation_mode == ModerationMode.PRE,
                             body, display_name)


def moderation_fields(government_id: int, pre_moderated: bool, body: str,
                      display_name: str | None) -> dict[str, Any]:
    """The rule of :func:`initial_moderation` for any source: held (``pending``) when
    ``pre_moderated`` or when a sensitive word of the government's list is in the body or
    the name, else published at once."""
    return _moderation_columns(matched_words(government_id, body, display_name),
                               pre_moderated)


def moderation_fields_for(government_id: int, pre_moderated: bool
                          ) -> Callable[[str, str | None], dict[str, Any]]:
    """:func:`moderation_fields` for the many opinions of one transaction (a bulk
    import): the government's word list is looked up once, now
    (:func:`~.moderation_words.word_matcher`)."""
    matched = word_matcher(government_id)

    def fields(body: str, display_name: str | None) -> dict[str, Any]:
        return _moderation_columns(matched(body, display_name), pre_moderated)

    return fields


def _moderation_columns(words: list[str], pre_moderated: bool) -> dict[str, Any]:
    if words or pre_moderated:
        return {"moderation_state": ModerationState.PENDING, "pending_since": utcnow(),
                "moderation_flags": {"words": words} if words else None}
    return {"moderation_state": ModerationState.PUBLISHED, "pending_since": None,
            "moderation_flags": None}


def check_reason(state: ModerationState, reason: ModerationReason | str | None,
                 note: str | None) -> tuple[ModerationReason | None, str | None]:
    """The reason and note to store with ``state``: hidden needs a reason, ``other`` a
    note (at most 500 characters); published and pending keep neither."""
    if state != ModerationState.HIDDEN:
        return None, None
    if not reason:
        raise ModerationError("reason_required", field="reason")
    try:
        reason = ModerationReason(reason)
    except ValueError:
        raise ModerationError("reason_required", field="reason") from None
    note = plain_text(note or "", multiline=False) or None
    if note and len(note) > MODERATION_NOTE_MAX:
        raise ModerationError("note_too_long", field="note")
    if reason == ModerationReason.OTHER and not note:
        raise ModerationError("note_required", field="note")
    return reason, note


def set_moderation_state(opinions: Iterable[Opinion], state: ModerationState | str,
                         reason: ModerationReason | str | None = None,
                         note: str | None = None, actor=None,
                         cause: str | None = None) -> list[Opinion]:
    """Publish, hide (with a reason; ``other`` needs a note) or send back to pending the
    given opinions, the one way their moderation state changes.

    Each row changes with a conditional UPDATE that also says whether it left or entered
    the published state, and the consultations' ``public_opinion_count`` moves by exactly
    that (so two moderators acting on the same opinion at once count it once). Opinions
    already in the target state (same reason and note) are left alone. Publishing resets
    the opinion's report count (reports since the last review). Hiding never deletes and
    never changes ``opinion_count``. Each change is audited as ``opinion.moderated``
    (``cause``: what sent it there when not a moderator, e.g. ``reports``). Returns the
    opinions that changed; flushes.
    """
    state = ModerationState(state)
    reason, note = check_reason(state, reason, note)
    by_id = {opinion.id: opinion for opinion in opinions}
    if not by_id:
        raise ModerationError("nothing_selected")
    old = {opinion_id: (o.moderation_state, o.moderation_reason, o.moderation_note)
           for opinion_id, o in by_id.items()}
    now = utcnow()
    values: dict[str, Any] = {"moderation_state": state, "moderation_reason": reason,
                              "moderation_note": note, "updated_at": now,
                              "pending_since": now if state == ModerationState.PENDING
                              else None}
    if state == ModerationState.PUBLISHED:
        values["report_count"] = 0
    published = Opinion.moderation_state == ModerationState.PUBLISHED
    if state == ModerationState.PUBLISHED:
        moves = [(~published, +1)]
    else:
        different = sa.or_(Opinion.moderation_state != state,
                           Opinion.moderation_reason.is_distinct_from(reason),
                           Opinion.moderation_note.is_distinct_from(note))
        moves = [(published, -1), (sa.and_(~published, different), 0)]
    public_delta: dict[tuple[int, int], int] = {}
    changed: list[int] = []
    ids = sorted(by_id)
    source_kinds = _counters.SOURCE_COUNTERS
    source_columns = [getattr(Opinion, counters.opinion_column) for counters in source_kinds]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for condition, sign in moves:
            rows = db.session.execute(
                sa.update(Opinion).where(Opinion.id.in_(chunk), condition).values(values)
                .returning(Opinion.id, Opinion.consent_to_publish, *source_columns)
                .execution_options(synchronize_session=False)).all()
            for opinion_id, consented, *sources in rows:
                changed.append(opinion_id)
                if sign == -1:
                    old[opinion_id] = (ModerationState.PUBLISHED, None, None)
                if not (sign and consented):
                    continue
                for kind, source_id in enumerate(sources):
                    if source_id is not None:
                        key = (kind, source_id)
                        public_delta[key] = public_delta.get(key, 0) + sign
    # Every kind of source moves its public counter (a consultation's, an open day's …).
    for (kind, source_id), delta in sorted(public_delta.items()):
        if delta:
            counters = source_kinds[kind]
            source = db.session.get(counters.model_class, source_id)
            count(source, None, 0, public=delta)
            if counters.public:
                db.session.expire(source, [counters.public])
    for opinion in by_id.values():
        db.session.expire(opinion, _MODERATION_COLUMNS)
    for opinion_id in sorted(changed):
        was_state, was_reason, _was_note = old[opinion_id]
        audit.record("opinion.moderated", by_id[opinion_id], {
            "moderation_state": [was_state, state],
            "moderation_reason": [was_reason, reason] if reason or was_reason else None,
            "moderation_note": note, "cause": cause}, actor=actor)
    db.session.flush()
    return [by_id[opinion_id] for opinion_id in sorted(changed)]


@dataclass
class ModerationLog:
    """What the public may know of a consultation's moderation: counts, never texts.

    ``pending``: opinions awaiting review; ``hidden``: {reason: count}; ``published``:
    every other opinion received (shown or not, by their authors' choice).
    """

    total: int
    pending: int = 0
    hidden: dict[ModerationReason, int] = field(default_factory=dict)

    @property
    def hidden_total(self) -> int:
        return sum(self.hidden.values())

    @property
    def not_published(self) -> int:
        """Received but not published: awaiting review or hidden."""
        return self.pending + self.hidden_total

    @property
    def published(self) -> int:
        return max(0, self.total - self.not_published)

    def as_json(self) -> dict[str, Any]:
        """The API's form (``moderation_log`` of a consultation)."""
        return {"received": self.total, "pending": self.pending,
                "not_published": self.not_published,
                "hidden_by_reason": {reason.value: number for reason, number
                                     in sorted(self.hidden.items())}}


def moderation_log(consultation: Consultation) -> ModerationLog:
    """The consultation's moderation log: counts by state and hiding reason (one query on
    the partial index of the opinions not published)."""
    rows = db.session.execute(
        sa.select(Opinion.moderation_state, Opinion.moderation_reason,
                  sa.func.count(Opinion.id))
        .where(Opinion.consultation_id == consultation.id, NOT_PUBLISHED)
        .group_by(Opinion.moderation_state, Opinion.moderation_reason)).tuples().all()
    log = ModerationLog(total=consultation.opinion_count)
    for state, reason, number in rows:
        if state == ModerationState.PENDING:
            log.pending += number
        else:
            key = reason or ModerationReason.OTHER
            log.hidden[key] = log.hidden.get(key, 0) + number
    return log


def moderation_status(opinion: Opinion) -> str:
    """The moderation state as its holder reads it on the receipt page: "待审核",
    "已公开" or "未公开：<reason>" (and, for an opinion that passed moderation but is not
    shown, why: the person did not agree, or the consultation shows no opinions)."""
    from flask_babel import gettext

    if opinion.moderation_state == ModerationState.HIDDEN:
        reason = opinion.moderation_reason or ModerationReason.OTHER
        return gettext("Not published: %(reason)s", reason=reason.label)
    if opinion.moderation_state == ModerationState.PUBLISHED:
        if not opinion.consent_to_publish:
            return gettext("Not shown publicly: you did not agree to publication")
        consultation = opinion.consultation
        if consultation is not None and not consultation.opinions_public:
            return gettext("Not shown publicly: this consultation does not publish opinions")
    return opinion.moderation_state.label

"""The questionnaire after an open day: sent through the outbox to everyone who checked
in; closed questions are counted, the open answer becomes an opinion (channel
``open_day``, source the open day, on its linked decision) with the same personal-data
masking and sensitive-word moderation as every other opinion.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from participation.core import audit
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.outbox import queue_message
from participation.core.sanitize import plain_text
from participation.extensions import db
from participation.opendays.models import (
    LIKED_OPTIONS,
    SATISFACTION_SCALE,
    OpenDay,
    QuestionnaireResponse,
    Signup,
)
from participation.opendays.operations import manage_url
from participation.opinions.counters import count
from participation.opinions.models import (
    Channel,
    Disposition,
    ModerationReason,
    ModerationState,
    Opinion,
    disposition_problem,
)
from participation.opinions.moderation_words import matched_words
from participation.opinions.operations import public_fields
from participation.opinions.receipts import new_receipt_number

OPEN_ANSWER_MAX = 5000


class QuestionnaireError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "not_started": _l("The questionnaire can be sent once the open day has started."),
        "not_sent": _l("The questionnaire of this open day has not been sent."),
        "not_checked_in": _l("The questionnaire is for the people who came."),
        "answered": _l("You have already answered the questionnaire. Thank you."),
        "bad_satisfaction": _l("Choose how satisfied you were, from 1 to 5."),
        "too_long": _l("Write at most 5,000 characters."),
        "bad_state": _l("Choose one of the options offered."),
        "disposition": "%(message)s",
    }


def questionnaire_url(signup: Signup) -> str:
    """The private link to a person's questionnaire."""
    return manage_url(signup) + "/questionnaire"


def send_questionnaire(open_day: OpenDay, actor=None, now: datetime | None = None) -> int:
    """Queue the questionnaire to every checked-in signup with a contact (the outbox's
    dedupe key sends each one once, however often this runs). Returns how many were
    queued. Audited."""
    now = now or utcnow()
    if now < open_day.starts_at:
        raise QuestionnaireError("not_started")
    came = db.session.scalars(
        sa.select(Signup).where(
            Signup.open_day_id == open_day.id, Signup.checked_in_at.is_not(None)
        )
    ).all()
    queued = 0
    for signup in came:
        if not signup.contact:
            continue
        queue_message(
            signup.contact,
            gettext("How was “%(title)s”?", title=open_day.title[:80]),
            gettext(
                "Thank you for coming to “%(title)s”. Tell us how it went and "
                "what you think (two minutes): %(url)s",
                title=open_day.title,
                url=questionnaire_url(signup),
            ),
            dedupe_key=f"open-day-questionnaire-{signup.id}",
        )
        queued += 1
    if open_day.questionnaire_sent_at is None:
        open_day.questionnaire_sent_at = now
    db.session.flush()
    audit.record("open_day.questionnaire_sent", open_day, {"count": queued}, actor=actor)
    return queued


def answer(
    signup: Signup,
    *,
    satisfaction: Any,
    liked: list[str] | None = None,
    open_answer: str = "",
    consent_to_publish: bool = False,
) -> QuestionnaireResponse:
    """Store one person's answers (once per signup: the unique index holds under
    concurrency). A non-empty open answer becomes an opinion of the open day: masked
    public forms, held for review when it contains a sensitive word, counted on the open
    day. Audited."""
    open_day = signup.open_day
    if open_day.questionnaire_sent_at is None:
        raise QuestionnaireError("not_sent")
    if signup.checked_in_at is None:
        raise QuestionnaireError("not_checked_in")
    try:
        satisfaction = int(satisfaction)
    except (TypeError, ValueError):
        satisfaction = 0
    if satisfaction not in SATISFACTION_SCALE:
        raise QuestionnaireError("bad_satisfaction", field="satisfaction")
    chosen = sorted({key for key in liked or [] if key in LIKED_OPTIONS})
    text = plain_text(open_answer or "")
    if len(text) > OPEN_ANSWER_MAX:
        raise QuestionnaireError("too_long", field="open_answer")
    response = QuestionnaireResponse(
        open_day_id=open_day.id,
        government_id=open_day.government_id,
        signup_id=signup.id,
        satisfaction=satisfaction,
        liked=chosen,
    )
    try:
        with db.session.begin_nested():
            db.session.add(response)
            db.session.flush()
    except IntegrityError:
        raise QuestionnaireError("answered") from None
    if text:
        response.opinion_id = _opinion(open_day, signup, text, consent_to_publish).id
        db.session.flush()
    audit.record(
        "open_day.questionnaire_answered",
        response,
        {"satisfaction": satisfaction, "opinion_id": response.opinion_id},
        government_id=open_day.government_id,
    )
    return response


def _opinion(open_day: OpenDay, signup: Signup, text: str, consent: bool) -> Opinion:
    name = signup.name if consent else None
    words = matched_words(open_day.government_id, text, name)
    opinion = Opinion(
        receipt_number=new_receipt_number(),
        government_id=open_day.government_id,
        decision_id=open_day.decision_id,
        open_day_id=open_day.id,
        channel=Channel.OPEN_DAY,
        received_at=utcnow(),
        body=text,
        display_name=name,
        contact=signup.contact,
        consent_to_publish=bool(consent),
        author_id=signup.user_id,
        moderation_state=ModerationState.PENDING if words else ModerationState.PUBLISHED,
        pending_since=utcnow() if words else None,
        moderation_flags={"words": words} if words else None,
        **public_fields(text, name),
    )
    db.session.add(opinion)
    db.session.flush()
    count(open_day, None, public=int(opinion.is_public))
    audit.record(
        "opinion.recorded",
        opinion,
        {"channel": Channel.OPEN_DAY, "source": "open_day"},
        government_id=open_day.government_id,
    )
    return opinion


def summary(open_day: OpenDay) -> dict[str, Any]:
    """The closed questions as counts: responses, satisfaction per point of the scale and
    its average, and how often each part was liked."""
    responses = db.session.execute(
        sa.select(QuestionnaireResponse.satisfaction, QuestionnaireResponse.liked).where(
            QuestionnaireResponse.open_day_id == open_day.id
        )
    ).all()
    scale = {point: 0 for point in SATISFACTION_SCALE}
    liked = {key: 0 for key in LIKED_OPTIONS}
    for satisfaction, chosen in responses:
        scale[satisfaction] += 1
        for key in chosen or []:
            if key in liked:
                liked[key] += 1
    total = len(responses)
    average = round(sum(p * n for p, n in scale.items()) / total, 1) if total else None
    return {"responses": total, "scale": scale, "average": average, "liked": liked}


def opinions(open_day: OpenDay, public_only: bool = True) -> list[Opinion]:
    """The opinions heard at the open day (public ones: consented and published)."""
    query = sa.select(Opinion).where(Opinion.open_day_id == open_day.id)
    if public_only:
        query = query.where(Opinion.is_public)
    return list(db.session.scalars(query.order_by(Opinion.id)))


def open_day_opinion(open_day: OpenDay, opinion_id: int) -> Opinion | None:
    """The opinion ``opinion_id`` if it came from ``open_day``'s questionnaire."""
    opinion = db.session.get(Opinion, opinion_id)
    return opinion if opinion is not None and opinion.open_day_id == open_day.id else None


def handle_opinion(
    open_day: OpenDay,
    opinion: Opinion,
    *,
    moderation_state: str,
    disposition: str | None,
    reason: str | None,
    actor=None,
) -> None:
    """The organizer's handling of an open-day opinion: its moderation state (published
    or hidden as spam, abusive …, or back to pending) and its disposition with the reason
    the one rule requires (:func:`disposition_problem`); the open day's public counter
    moves by exactly the change. Audited as ``opinion.moderated`` and
    ``opinion.disposition_set``."""
    try:
        state = ModerationState(moderation_state)
    except ValueError:
        raise QuestionnaireError("bad_state", field="moderation_state") from None
    hide_reason = None
    if state == ModerationState.HIDDEN:
        hide_reason = ModerationReason.IRRELEVANT
    code = Disposition(disposition) if disposition else None
    text = plain_text(reason or "")
    if code is not None or text:
        problem = disposition_problem(code, text)
        if problem:
            raise QuestionnaireError("disposition", field="reason", message=problem)
    was_public = opinion.is_public
    old_state = opinion.moderation_state
    if state != old_state:
        opinion.moderation_state = state
        opinion.moderation_reason = hide_reason
        opinion.pending_since = utcnow() if state == ModerationState.PENDING else None
        db.session.flush()
        audit.record(
            "opinion.moderated",
            opinion,
            {"moderation_state": [old_state, state], "moderation_reason": hide_reason},
            actor=actor,
            government_id=open_day.government_id,
        )
    delta = int(opinion.is_public) - int(was_public)
    if delta:
        count(open_day, None, 0, public=delta)
        db.session.expire(open_day, ["public_opinion_count"])
    if code is not None and (code, text or None) != (
        opinion.disposition,
        opinion.disposition_reason,
    ):
        opinion.disposition = code
        opinion.disposition_reason = text or None
        db.session.flush()
        audit.record(
            "opinion.disposition_set",
            opinion,
            {"disposition": code, "reason": text, "count": 1},
            actor=actor,
            government_id=open_day.government_id,
        )

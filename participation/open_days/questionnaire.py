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

from participation.consultations.models import ModerationMode
from participation.core import audit, signals
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.outbox import queue_message
from participation.core.sanitize import plain_text
from participation.extensions import db
from participation.open_days.models import (
    LIKED_OPTIONS,
    SATISFACTION_SCALE,
    OpenDay,
    QuestionnaireResponse,
    Signup,
)
from participation.open_days.operations import manage_url
from participation.opinions.classification import (
    ClassificationError,
    set_disposition,
    set_stance,
)
from participation.opinions.counters import count
from participation.opinions.models import (
    Channel,
    Disposition,
    ModerationState,
    Opinion,
    Stance,
)
from participation.opinions.moderation import moderation_fields, set_moderation_state
from participation.opinions.operations import public_fields
from participation.opinions.receipts import new_receipt_number
from participation.opinions.workspace import Selection, handling_consultation, latest_consultation

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
        "in_workspace": _l("This opinion is classified and disposed in the workspace of "
                           "the decision's consultation."),
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
    """The open answer as an opinion of the open day, moderated by the rule of the
    consultation that will classify it: linked to a decision, the decision's latest
    consultation (pre-moderated there: held here too); otherwise post-moderation (published
    at once unless a sensitive word holds it). Sends ``opinion_received`` like every
    other channel."""
    name = signup.name if consent else None
    consultation = latest_consultation(open_day.decision_id)
    pre = consultation is not None and consultation.moderation_mode == ModerationMode.PRE
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
        **moderation_fields(open_day.government_id, pre, text, name),
        **public_fields(text, name),
    )
    db.session.add(opinion)
    db.session.flush()
    count(open_day, None, public=int(opinion.is_public))
    audit.record(
        "opinion.recorded",
        opinion,
        {"channel": Channel.OPEN_DAY, "source": "open_day", "open_day_id": open_day.id},
        government_id=open_day.government_id,
    )
    signals.opinion_received.send(opinion, source=open_day)
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


def handled_here(opinion: Opinion) -> bool:
    """Whether the open day's page classifies and disposes the opinion: yes unless the
    open day's decision has a consultation, whose workspace then does (the same way as
    the statements made at meetings)."""
    return handling_consultation(opinion) is None


def handle_opinion(
    open_day: OpenDay,
    opinion: Opinion,
    *,
    moderation_state: str,
    moderation_reason: str | None = None,
    moderation_note: str | None = None,
    stance: str | None = None,  # None: leave it; "": no stance
    disposition: str | None = None,
    reason: str | None = None,
    actor=None,
) -> None:
    """The organizer's handling of an open-day opinion, through the opinions' own
    operations: its moderation state (:func:`moderation.set_moderation_state`: hidden
    needs a reason, the open day's public counter moves by exactly the change), its
    stance and its disposition with the reason the one rule requires
    (:func:`classification.set_disposition`). An opinion the decision's consultation
    handles is classified and disposed in that consultation's workspace instead (its
    moderation state may still be set here). Each change is audited by its operation."""
    try:
        state = ModerationState(moderation_state)
    except ValueError:
        raise QuestionnaireError("bad_state", field="moderation_state") from None
    try:
        code = Disposition(disposition) if disposition else None
        chosen_stance = Stance(stance) if stance else None
    except ValueError:
        raise QuestionnaireError("bad_state", field="disposition") from None
    text = plain_text(reason or "")
    here = handled_here(opinion)
    if not here and (code or text or chosen_stance):
        raise QuestionnaireError("in_workspace")
    set_moderation_state([opinion], state, moderation_reason or None,
                         moderation_note or None, actor=actor)
    if not here:
        return
    if stance is not None and chosen_stance != opinion.stance:  # "" clears it
        set_stance(Selection(None, ids=(opinion.id,)), chosen_stance, actor=actor)
    if (code is not None or text) and (code, text or None) != (
        opinion.disposition,
        opinion.disposition_reason,
    ):
        try:
            set_disposition(opinion, code, text, actor=actor)
        except ClassificationError as error:
            raise QuestionnaireError("disposition", field="reason",
                                     message=error.message) from None

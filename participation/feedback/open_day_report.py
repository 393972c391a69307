"""The event feedback report of an open day (what was heard and the answers given), on
the feedback-report machinery: the same :class:`FeedbackReport` versions (subject: the
open day), the same draft, narrative, approval and publication, correction by a new
version with its reason.

Its figures are generated from the data: the event, attendance and no-shows, the
questionnaire's closed questions as counts, and every opinion heard (masked name with
consent, masked text) with its disposition and reason; hidden ones only counted.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from participation.core import audit
from participation.core.database import utcnow
from participation.core.timeutil import local_today, utc_to_local
from participation.extensions import db
from participation.feedback.annex import masked_name
from participation.feedback.data import heard_text
from participation.feedback.models import FeedbackReport
from participation.feedback.operations import (
    FeedbackError,
    draft_for,
    freeze,
    lock_subject,
    save_narrative,
)
from participation.open_days import queries, questionnaire
from participation.open_days.models import LIKED_OPTIONS, SATISFACTION_SCALE, OpenDay
from participation.opinions.models import Disposition, ModerationReason, ModerationState, Opinion
from participation.opinions.workspace import latest_consultation

OPEN_DAY_DATA_VERSION = 1
HEARD_MAX = 2000


def _local(moment) -> str | None:
    return utc_to_local(moment).isoformat(timespec="minutes") if moment else None


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def report_data(open_day: OpenDay) -> dict[str, Any]:
    """Every figure of the open day's report as it stands now (JSON-ready; frozen in a
    published version). No personal data: names masked and only with consent."""
    figures = queries.figures(open_day)
    summary = questionnaire.summary(open_day)
    counts = db.session.execute(
        sa.select(Opinion.moderation_state, Opinion.moderation_reason, Opinion.disposition,
                  sa.func.count(Opinion.id))
        .where(Opinion.open_day_id == open_day.id)
        .group_by(Opinion.moderation_state, Opinion.moderation_reason,
                  Opinion.disposition)).all()
    by_disposition: dict[Disposition | None, int] = {}
    hidden: dict[ModerationReason, int] = {}
    pending = received = 0
    for state, reason, disposition, number in counts:
        received += number
        state = ModerationState(state)
        if state == ModerationState.HIDDEN:
            key = ModerationReason(reason) if reason else ModerationReason.OTHER
            hidden[key] = hidden.get(key, 0) + number
            continue
        if state == ModerationState.PENDING:
            pending += number
        code = Disposition(disposition) if disposition else None
        by_disposition[code] = by_disposition.get(code, 0) + number
    considered = sum(by_disposition.values())
    heard = db.session.scalars(
        sa.select(Opinion).where(Opinion.open_day_id == open_day.id,
                                 Opinion.moderation_state != ModerationState.HIDDEN)
        .order_by(Opinion.id).limit(HEARD_MAX)).all()
    consultation = latest_consultation(open_day.decision_id)
    decision = open_day.decision
    not_checked_in = max(figures.confirmed_signups - figures.checked_in_signups, 0)
    return {
        "data_version": OPEN_DAY_DATA_VERSION,
        "kind": "open_day",
        "open_day": {
            "id": open_day.id, "title": open_day.title, "theme": open_day.theme,
            "place": open_day.place, "unit": open_day.unit.name,
            "starts_at": _local(open_day.starts_at), "ends_at": _local(open_day.ends_at),
            "decision": {"id": decision.id, "title": decision.title} if decision else None,
            "consultation": {"id": consultation.id, "title": consultation.title}
            if consultation else None,
        },
        "attendance": {
            "capacity": figures.capacity,
            "confirmed_signups": figures.confirmed_signups + figures.no_shows,
            "confirmed_places": figures.confirmed_places,
            "checked_in_signups": figures.checked_in_signups,
            "checked_in_people": figures.checked_in_people,
            "walk_in_people": figures.walk_in_people,
            "no_shows": figures.no_shows + not_checked_in,
            "waitlisted": figures.waitlisted,
            "cancelled": figures.cancelled,
        },
        "questionnaire": {
            "sent": open_day.questionnaire_sent_at is not None,
            "responses": summary["responses"],
            "average": summary["average"],
            "scale": [{"point": point, "answers": summary["scale"][point]}
                      for point in sorted(SATISFACTION_SCALE, reverse=True)],
            "liked": [{"key": key, "answers": summary["liked"][key]}
                      for key in LIKED_OPTIONS],
        },
        "opinions": {
            "received": received,
            "considered": considered,
            "without": by_disposition.get(None, 0),
            "pending": pending,
            "by_disposition": [{"code": d.value, "opinions": by_disposition.get(d, 0),
                                "percent": _percent(by_disposition.get(d, 0), considered)}
                               for d in Disposition],
            "heard": [{"id": o.id,
                       "name": masked_name(o.display_name) if o.consent_to_publish else "",
                       "text": heard_text(o),
                       "stance": o.stance.value if o.stance else None,
                       "disposition": o.disposition.value if o.disposition else None,
                       "reason": o.disposition_reason or ""} for o in heard],
            "not_published": {
                "total": sum(hidden.values()),
                "by_reason": [{"reason": r.value, "opinions": hidden[r]}
                              for r in ModerationReason if hidden.get(r)],
            },
        },
    }


def default_narrative(data: dict[str, Any]) -> tuple[str, str]:
    """The generated texts a new report starts from (the organizer edits them)."""
    attendance, opinions = data["attendance"], data["opinions"]
    how_held = gettext(
        "The open day “%(title)s” was held on %(day)s at %(place)s. %(came)d people came "
        "(%(walk_ins)d without a signup); %(no_shows)d signups did not come. %(answers)d "
        "people answered the questionnaire.",
        title=data["open_day"]["title"], day=(data["open_day"]["starts_at"] or "")[:10],
        place=data["open_day"]["place"],
        came=attendance["checked_in_people"] + attendance["walk_in_people"],
        walk_ins=attendance["walk_in_people"], no_shows=attendance["no_shows"],
        answers=data["questionnaire"]["responses"])
    adopted = sum(row["opinions"] for row in opinions["by_disposition"]
                  if row["code"] in ("adopted", "partially_adopted"))
    answers = gettext("%(received)d opinions were heard; %(adopted)d of %(considered)d were "
                      "adopted in whole or in part.", received=opinions["received"],
                      adopted=adopted, considered=opinions["considered"])
    return how_held, answers


def draft(open_day: OpenDay, create: bool = True,
          data: dict[str, Any] | None = None) -> FeedbackReport:
    """The version of the open day's report being prepared (see
    :func:`participation.feedback.operations.draft_for`)."""
    return draft_for(open_day, create=create, data=data or report_data(open_day),
                     narrative=default_narrative)


def save(open_day: OpenDay, how_held: str, answers: str, correction_reason: str = "",
         actor=None) -> FeedbackReport:
    """Save the narrative of the open day's report being prepared. Audited as
    ``feedback_report.edited``."""
    return save_narrative(open_day, how_held, answers, correction_reason, actor=actor,
                          data=report_data(open_day), narrative=default_narrative)


def publication_problems(open_day: OpenDay, data: dict[str, Any]) -> list[FeedbackError]:
    """Every reason the open day's report cannot be published now (empty: it can): the
    open day has not ended, opinions await moderation, opinions lack a disposition."""
    problems = []
    if utcnow() < open_day.ends_at:
        problems.append(FeedbackError("open_day_not_ended"))
    if data["opinions"]["pending"]:
        problems.append(FeedbackError("open_day_opinions_pending",
                                      count=data["opinions"]["pending"]))
    if data["opinions"]["without"]:
        problems.append(FeedbackError("open_day_opinions_without_disposition",
                                      count=data["opinions"]["without"]))
    return problems


def publish(open_day: OpenDay, actor=None, today: date | None = None, *,
            version: int | None = None) -> FeedbackReport:
    """Approve and publish the open day's report being prepared: a new published version
    with the figures frozen. Refused before the open day ends, while an opinion awaits
    moderation or has no disposition; a correction (version 2 on) needs its reason;
    ``version`` (the one the organizer reviewed) refuses once another got there first.
    Serialised by the open day's row lock. Audited as ``feedback_report.published``."""
    today = today or local_today()
    lock_subject(open_day)
    data = report_data(open_day)
    report = draft(open_day, data=data)
    if version is not None and report.version != version:
        raise FeedbackError("already_published")
    problems = publication_problems(open_day, data)
    if problems:
        raise problems[0]
    if report.version > 1 and not report.correction_reason.strip():
        raise FeedbackError("correction_reason", field="correction_reason")
    freeze(report, data, actor, today)
    audit.record("feedback_report.published", report,
                 {"version": report.version, "automatic": False, "open_day_id": open_day.id,
                  "correction_reason": report.correction_reason or None}, actor=actor,
                 government_id=open_day.government_id)
    return report

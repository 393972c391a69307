"""Preparing and publishing the feedback report; the statutory clock's auto-publication.

Publishing freezes the figures (:func:`participation.feedback.data.report_data`) in a new
published version, records the publication on the decision (which stops its clock and
moves it to the stage "feedback published", reachable only this way), makes each
opinion's disposition visible on its receipt, and queues one notification to every person
who left a contact (a background task, so a consultation of 100,000 opinions publishes
at once; the outbox's dedupe keys send each person's message once, whatever version).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from participation.catalogue.models import Decision, Stage
from participation.catalogue.operations import move_to_stage
from participation.consultations.models import Consultation, ConsultationStatus
from participation.core import audit
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.tasks import enqueue
from participation.core.timeutil import local_today
from participation.core.workdays import working_days_between
from participation.extensions import db
from participation.feedback.data import completeness_problems, report_data
from participation.feedback.models import FeedbackReport, ReportState
from participation.opinions.models import ModerationState, Opinion

# Set while a report is being published: the only way to the stage "feedback published".
publishing_report: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "publishing_report", default=False)

NARRATIVE_MAX = 20000


class FeedbackError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "not_closed": _l("The feedback report can be published once the consultation has "
                         "closed."),
        "opinions_without_disposition": _l(
            "%(count)d opinions have no disposition yet: every opinion needs one before "
            "the report is published."),
        "statements_without_disposition": _l(
            "%(count)d statements by representatives have no disposition yet: every "
            "statement needs one before the report is published."),
        "open_day_opinions_without_disposition": _l(
            "%(count)d opinions heard at open days have no disposition yet: every one "
            "needs one before the report is published."),
        "open_day_opinions_pending": _l(
            "%(count)d opinions heard at open days await moderation: publish or hide them "
            "before the report is published."),
        "open_day_not_ended": _l("The event feedback report can be published once the "
                                 "open day has ended."),
        "concentrated_without_reason": _l(
            "A concentrated opinion has no disposition or no reason: the report cannot be "
            "published while one lacks its reason."),
        "correction_reason": _l("Say what this version corrects and why."),
        "too_long": _l("The text can be at most %(max)d characters."),
        "already_published": _l("This version of the report has just been published."),
        "report_required": _l(
            "Publish the feedback report of the consultation first: the stage \"feedback "
            "published\" is reached only by publishing it."),
    }


def subject_condition(subject: Any):
    """SQL: the report versions of ``subject`` (a consultation, or an open day for the
    event feedback report)."""
    if isinstance(subject, Consultation):
        return FeedbackReport.consultation_id == subject.id
    return FeedbackReport.open_day_id == subject.id


def published_versions(subject: Any) -> list[FeedbackReport]:
    """The published versions of a consultation's (or an open day's) report, newest
    first."""
    return list(db.session.scalars(
        sa.select(FeedbackReport).where(subject_condition(subject),
                                        FeedbackReport.state == ReportState.PUBLISHED)
        .order_by(FeedbackReport.version.desc())))


def _default_narrative(data: dict[str, Any]) -> tuple[str, str]:
    from flask_babel import gettext

    participation = data["participation"]
    how_held = gettext(
        "The draft was published for comment from %(opens)s to %(closes)s. %(opinions)d "
        "opinions were received from %(people)d people.",
        opens=(data["consultation"]["opens_at"] or "")[:10],
        closes=(data["consultation"]["closes_at"] or "")[:10],
        opinions=participation["opinions"], people=participation["people"])
    adopted = sum(row["opinions"] for row in data["dispositions"]["by_code"]
                  if row["code"] in ("adopted", "partially_adopted"))
    adoption = gettext("%(adopted)d of %(considered)d opinions were adopted in whole or in "
                       "part.", adopted=adopted, considered=data["dispositions"]["considered"])
    return how_held, adoption


def draft_for(subject: Any, create: bool = True, data: dict[str, Any] | None = None,
              narrative: Callable[[dict[str, Any]], tuple[str, str]] | None = None,
              ) -> FeedbackReport:
    """The version being prepared, created with a generated narrative (from ``data``, the
    figures if already computed; ``narrative`` turns them into the two texts, for a
    subject other than a consultation) when missing; a correction starts from the last
    published texts. ``create=False``: an unsaved one, for pages that only show it."""
    draft = db.session.scalar(sa.select(FeedbackReport).where(
        subject_condition(subject), FeedbackReport.state == ReportState.DRAFT))
    if draft is not None:
        return draft
    latest = db.session.scalar(sa.select(sa.func.max(FeedbackReport.version)).where(
        subject_condition(subject))) or 0
    if latest:
        previous = published_versions(subject)[0]
        how_held, adoption = previous.how_held, previous.adoption_summary
    elif isinstance(subject, Consultation):
        how_held, adoption = _default_narrative(data or report_data(subject))
    else:
        how_held, adoption = narrative(data) if narrative and data else ("", "")
    if isinstance(subject, Consultation):
        keys = {"consultation_id": subject.id, "decision_id": subject.decision_id}
    else:
        keys = {"open_day_id": subject.id, "decision_id": subject.decision_id}
    draft = FeedbackReport(government_id=subject.government_id, version=latest + 1,
                           state=ReportState.DRAFT, how_held=how_held,
                           adoption_summary=adoption, correction_reason="", **keys)
    if create:
        db.session.add(draft)
        db.session.flush()
    return draft


def save_narrative(subject: Any, how_held: str, adoption_summary: str,
                   correction_reason: str = "", actor=None, **draft_args: Any
                   ) -> FeedbackReport:
    """Save the narrative parts of the report being prepared (of a consultation, or of an
    open day: ``draft_args`` as for :func:`draft_for`). Audited."""
    from participation.core.sanitize import plain_text

    values = {"how_held": plain_text(how_held or ""),
              "adoption_summary": plain_text(adoption_summary or ""),
              "correction_reason": plain_text(correction_reason or "")}
    for field, text in values.items():
        if len(text) > NARRATIVE_MAX:
            raise FeedbackError("too_long", field=field, max=NARRATIVE_MAX)
    lock_subject(subject)
    draft = draft_for(subject, **draft_args)
    changes = audit.diff(draft, values)
    db.session.flush()
    if changes:
        audit.record("feedback_report.edited", draft, changes, actor=actor)
    return draft


def publication_problems(consultation: Consultation, data: dict[str, Any]) -> list[FeedbackError]:
    """Every reason the report cannot be published now (empty: it can)."""
    problems = []
    if consultation.status != ConsultationStatus.CLOSED:
        problems.append(FeedbackError("not_closed"))
    counts = {"statements_without_disposition": data["representatives"]["without"],
              "open_day_opinions_without_disposition":
                  (data.get("open_days") or {}).get("without", 0),
              "open_day_opinions_pending": (data.get("open_days") or {}).get("pending", 0)}
    for code in completeness_problems(data):
        count = counts.get(code, data["dispositions"]["without"])
        problems.append(FeedbackError(code, count=count))
    return problems


def lock_subject(subject: Any) -> None:
    """Take the subject's row lock (the consultation's or the open day's; on SQLite the
    writer turn) and read it again: publications and edits of its report then happen one
    after the other, and each sees what the one before it committed."""
    model = type(subject)
    db.session.execute(sa.select(model.id).where(model.id == subject.id).with_for_update())
    db.session.refresh(subject)


_lock = lock_subject


def freeze(draft: FeedbackReport, data: dict[str, Any], actor, today: date) -> None:
    """Turn the draft into a published version: the figures frozen as ``data``, the
    approver (None: published by the job) and the dates. Flushes."""
    draft.state = ReportState.PUBLISHED
    draft.data = data
    draft.published_at = utcnow()
    draft.published_on = today
    draft.approved_by_id = getattr(actor, "id", None)
    db.session.flush()


def publish(consultation: Consultation, actor=None, today: date | None = None, *,
            version: int | None = None, first_only: bool = False) -> FeedbackReport:
    """Approve and publish the report being prepared: a new published version with the
    figures frozen. Refused while the consultation is open, while an opinion has no
    disposition, or while a concentrated opinion lacks its disposition or reason; a
    correction (version 2 on) needs its reason. Audited as ``feedback_report.published``.

    Publications of one consultation are serialised by its row lock, so an approval and
    the due-date job at the same moment publish one version: ``version`` (the one the
    approver reviewed) or ``first_only`` (the job) refuse with ``already_published``
    once another publication got there first."""
    today = today or local_today()
    _lock(consultation)
    if first_only and consultation.feedback_published_at is not None:
        raise FeedbackError("already_published")
    draft = draft_for(consultation)
    if version is not None and draft.version != version:
        raise FeedbackError("already_published")
    if draft.state != ReportState.DRAFT:
        raise FeedbackError("already_published")
    data = report_data(consultation)
    problems = publication_problems(consultation, data)
    if problems:
        raise problems[0]
    if draft.version > 1 and not draft.correction_reason.strip():
        raise FeedbackError("correction_reason", field="correction_reason")
    decision = db.session.get(Decision, consultation.decision_id)
    due = decision.feedback_due_on
    freeze(draft, data, actor, today)
    draft.due_on = due
    draft.late_working_days = working_days_between(due, today) if due and today > due else 0
    consultation.feedback_published_at = draft.published_at
    db.session.flush()
    first = draft.version == 1
    if first:
        _record_on_decision(decision, today, actor)
        enqueue("feedback.notify", {"consultation_id": consultation.id},
                dedupe_key=f"feedback-notify-{consultation.id}")
    audit.record("feedback_report.published", draft,
                 {"version": draft.version, "automatic": actor is None,
                  "late_working_days": draft.late_working_days,
                  "correction_reason": draft.correction_reason or None}, actor=actor)
    return draft


def _record_on_decision(decision: Decision, today: date, actor) -> None:
    """The first publication stops the decision's clock once every closed consultation of
    the decision has its report, and moves it to "feedback published"."""
    unpublished = db.session.scalar(
        sa.select(sa.func.count(Consultation.id)).where(
            Consultation.decision_id == decision.id,
            Consultation.closes_at <= utcnow(),
            Consultation.feedback_published_at.is_(None)))
    if unpublished:
        return
    if decision.feedback_published_on is None:
        decision.feedback_published_on = today
    if decision.stage.order < Stage.FEEDBACK_PUBLISHED.order \
            and decision.stage.order >= Stage.DECIDED.order:
        token = publishing_report.set(True)
        try:
            move_to_stage(decision, Stage.FEEDBACK_PUBLISHED, today,
                          note="", actor=actor)
        finally:
            publishing_report.reset(token)


def publish_due_reports(today: date) -> list[FeedbackReport]:
    """The statutory clock: on and after its due date, publish by itself every complete
    report of a decision still without feedback (level-triggered; a report that is not
    complete stays unpublished, and the decision shows as overdue).

    Only consultations without an opinion lacking its disposition are looked at closely
    (one indexed probe each), so a pass over thousands of overdue decisions stays cheap.
    """
    undisposed = sa.select(Opinion.id).where(
        Opinion.consultation_id == Consultation.id, Opinion.disposition.is_(None),
        Opinion.moderation_state != ModerationState.HIDDEN).exists()
    candidates = db.session.scalars(
        sa.select(Consultation).join(Decision, Decision.id == Consultation.decision_id)
        .where(Decision.feedback_due_on <= today, Decision.feedback_published_on.is_(None),
               Consultation.feedback_published_at.is_(None),
               Consultation.closes_at <= utcnow(), ~undisposed)
        .order_by(Consultation.id)).all()
    published = []
    for consultation in candidates:
        if publication_problems(consultation, report_data(consultation)):
            continue
        try:
            with db.session.begin_nested():
                published.append(publish(consultation, actor=None, today=today,
                                         first_only=True))
        except FeedbackError:
            # An approver published it meanwhile, or it is no longer complete: it stays
            # as it is (published, or shown overdue) and the other reports go on.
            continue
    return published

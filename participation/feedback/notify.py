"""Telling every person who left a contact how their opinion was handled, once the
report is published: a background task over the consultation's opinions in batches,
one outbox message per opinion (dedupe key per opinion, so a retried task, a second
worker or a corrected version never sends twice)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from participation.consultations.models import Consultation
from participation.core.outbox import queue_message
from participation.core.tasks import Task, register_task, report_progress
from participation.extensions import db
from participation.opinions.models import ModerationState, Opinion

BATCH = 1000


def _message(opinion: Opinion, consultation: Consultation) -> tuple[str, str]:
    subject = gettext("How your opinion on “%(title)s” was handled",
                      title=consultation.title[:80])
    disposition = opinion.disposition.label if opinion.disposition else "-"
    body = gettext(
        "The feedback report of “%(title)s” has been published. Your opinion (receipt "
        "number %(receipt)s): %(disposition)s. %(reason)s\n\nLook it up at %(url)s.",
        title=consultation.title, receipt=opinion.receipt_number, disposition=disposition,
        reason=opinion.disposition_reason or "",
        url=current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") + "/receipts/"
        + opinion.receipt_number)
    return subject, body


@register_task("feedback.notify")
def notify_contacts(task: Task) -> None:
    """Queue the message of every opinion with a contact (hidden ones excepted)."""
    consultation = db.session.get(Consultation, task.payload["consultation_id"])
    condition = sa.and_(Opinion.consultation_id == consultation.id,
                        Opinion.contact.is_not(None), Opinion.contact != "",
                        Opinion.moderation_state != ModerationState.HIDDEN)
    total = db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(condition)) or 0
    last, done = 0, 0
    while True:
        opinions = db.session.scalars(sa.select(Opinion).where(condition, Opinion.id > last)
                                      .order_by(Opinion.id).limit(BATCH)).all()
        if not opinions:
            break
        for opinion in opinions:
            subject, body = _message(opinion, consultation)
            queue_message(opinion.contact, subject, body,
                          dedupe_key=f"feedback-opinion-{opinion.id}")
        last, done = opinions[-1].id, done + len(opinions)
        report_progress(task, done, total)

"""What the feedback domain contributes to other domains' rules and pages."""

from __future__ import annotations

import sqlalchemy as sa

from participation.catalogue.models import Stage
from participation.consultations.models import Consultation
from participation.core import signals
from participation.extensions import db
from participation.feedback.operations import FeedbackError, publishing_report


@signals.decision_stage_checked.connect
def feedback_stage_needs_the_report(decision, to_stage: Stage, **_kwargs) -> None:
    """A decision that was consulted on reaches "feedback published" only by publishing
    the feedback report."""
    if to_stage != Stage.FEEDBACK_PUBLISHED or publishing_report.get():
        return
    consulted = db.session.scalar(sa.select(sa.func.count(Consultation.id)).where(
        Consultation.decision_id == decision.id))
    if consulted:
        raise FeedbackError("report_required", field="stage")

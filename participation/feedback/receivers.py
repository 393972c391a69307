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
    the feedback report, and cannot skip past it (to "evaluated") before it is
    published."""
    if to_stage.order < Stage.FEEDBACK_PUBLISHED.order or publishing_report.get():
        return
    if to_stage != Stage.FEEDBACK_PUBLISHED and decision.feedback_published_on is not None:
        return
    consulted = db.session.scalar(
        sa.select(sa.func.count(Consultation.id)).where(Consultation.decision_id == decision.id)
    )
    if consulted:
        raise FeedbackError("report_required", field="stage")


DASHBOARD_LIMIT = 50  # reports listed per government, the earliest due first


@signals.dashboard_sections_requested.connect
def feedback_due_section(user) -> signals.DashboardSection | None:
    """For the editors and approvers of a unit (and administrators): the feedback reports
    of their units' decisions not yet published, earliest due first, with the due date,
    the working days left or "overdue since", and the link to each consultation's
    report editor."""
    from participation.accounts.models import Role
    from participation.accounts.queries import internal_unit_ids
    from participation.catalogue.models import Decision, EntryState
    from participation.core.database import utcnow
    from participation.core.timeutil import local_today
    from participation.core.workdays import WorkingCalendar

    preparing = (Role.EDITOR, Role.APPROVER, Role.ADMINISTRATOR)
    government_ids = sorted({m.government_id for m in user.memberships if m.role in preparing})
    if not government_ids:
        return None
    today, now = local_today(), utcnow()
    rows: list[dict] = []
    for government_id in government_ids:
        query = (
            sa.select(Decision)
            .where(
                Decision.government_id == government_id,
                Decision.state == EntryState.LISTED,
                Decision.feedback_due_on.is_not(None),
                Decision.feedback_published_on.is_(None),
            )
            .order_by(Decision.feedback_due_on, Decision.id)
            .limit(DASHBOARD_LIMIT)
        )
        units = internal_unit_ids(user, government_id)
        if units is not None:
            query = query.where(Decision.unit_id.in_(units))
        decisions = db.session.scalars(query).all()
        if not decisions:
            continue
        last = max(d.feedback_due_on for d in decisions)
        calendar = WorkingCalendar.load(
            range(min(today.year, last.year), max(today.year, last.year) + 1)
        )
        pending = db.session.scalars(
            sa.select(Consultation)
            .where(
                Consultation.decision_id.in_([d.id for d in decisions]),
                Consultation.closes_at <= now,
                Consultation.feedback_published_at.is_(None),
            )
            .order_by(Consultation.id)
        ).all()
        for decision in decisions:
            rows.append(
                {
                    "decision": decision,
                    "government_id": government_id,
                    "overdue_since": decision.feedback_overdue_since(today),
                    "days_left": calendar.between(today, decision.feedback_due_on),
                    "consultations": [c for c in pending if c.decision_id == decision.id],
                }
            )
    return signals.DashboardSection(15, "feedback/_dashboard.html", reports=rows)

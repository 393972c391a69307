"""The feedback report's clock: due dates counted again once a missing holiday schedule
is entered, and the responsible unit's officials alerted 3 and 1 working days before
the due date.

On and after the due date the job publishes every complete report by itself
(:func:`participation.feedback.operations.publish_due_reports`). The periodic job
``feedback.clock`` is level-triggered: every run looks at every
unpublished report due soon, so a missed run (a host down, cron late) is caught up by
the next one, and the outbox's dedupe keys make each alert reach each official once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext

from participation.accounts.calendar import alert_missing_year, local_day
from participation.accounts.models import Membership, Role, Unit, User
from participation.catalogue.models import Decision, EntryState
from participation.catalogue.operations import refresh_estimated_due_dates
from participation.core.database import writer_turn_on_first_write
from participation.core.jobs import register_job
from participation.core.outbox import queue_message
from participation.core.workdays import WorkingCalendar
from participation.extensions import db
from participation.feedback.operations import publish_due_reports

# Alerts go out when this many working days (or fewer) are left before the due date.
ALERT_DAYS = (3, 1)
# Calendar days ahead that can hold 3 working days (Spring Festival: 9 days off).
_HORIZON = timedelta(days=16)
ALERTED_ROLES = (Role.EDITOR, Role.APPROVER)


def officials_of(decision: Decision) -> list[User]:
    """The editors and approvers of the decision's unit or a unit enclosing it, with an
    e-mail address, who are active."""
    unit = db.session.get(Unit, decision.unit_id)
    unit_ids = [u.id for u in unit.ancestors_and_self()]
    return list(db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id.in_(unit_ids), Membership.role.in_(ALERTED_ROLES),
               User.email.is_not(None), User.is_active_account.is_(True),
               User.deleted_at.is_(None))
        .distinct().order_by(User.id)))


def _alert(decision: Decision, threshold: int, left: int) -> int:
    users = officials_of(decision)
    for user in users:
        queue_message(
            user.email,
            gettext("Feedback report due on %(date)s: %(title)s",
                    date=decision.feedback_due_on.isoformat(), title=decision.title[:80]),
            gettext("The report on how the public's opinions on “%(title)s” were adopted must "
                    "be published by %(date)s (%(left)d working days left). Give every "
                    "concentrated opinion its disposition and reason so it can be published "
                    "on time; otherwise the decision is shown publicly as overdue.",
                    title=decision.title, date=decision.feedback_due_on.isoformat(),
                    left=left),
            dedupe_key=f"feedback-due-{decision.id}-{threshold}-{user.id}")
    return len(users)


def send_due_alerts(today: date) -> int:
    """Queue the 3- and 1-working-day alerts of every unpublished report due from
    ``today`` on that has not had that alert yet; returns how many messages were queued.
    A decision records the last alert sent, so a pass costs nothing for the others."""
    decisions = db.session.scalars(
        sa.select(Decision).where(
            Decision.feedback_published_on.is_(None), Decision.state == EntryState.LISTED,
            Decision.feedback_due_on >= today, Decision.feedback_due_on <= today + _HORIZON,
            sa.or_(Decision.feedback_alerted_days.is_(None),
                   Decision.feedback_alerted_days > min(ALERT_DAYS)))
        .order_by(Decision.feedback_due_on, Decision.id)).all()
    if not decisions:
        return 0
    calendar = WorkingCalendar.load(range(today.year, (today + _HORIZON).year + 1))
    queued = 0
    for decision in decisions:
        left = calendar.between(today, decision.feedback_due_on)
        threshold = next((days for days in sorted(ALERT_DAYS) if left <= days), None)
        if threshold is None or threshold >= (decision.feedback_alerted_days or 99):
            continue
        queued += _alert(decision, threshold, left)
        decision.feedback_alerted_days = threshold
    db.session.flush()
    return queued


def alert_missing_schedules() -> None:
    """Due dates still estimated: the administrators are told to enter those years."""
    years = db.session.scalars(
        sa.select(sa.distinct(sa.extract("year", Decision.feedback_due_on)))
        .where(Decision.feedback_due_estimated.is_(True))).all()
    for year in years:
        alert_missing_year(int(year))


@register_job("feedback.clock", every=timedelta(minutes=15))
def feedback_clock_job(now: datetime) -> None:
    """Count estimated due dates again, alert about missing schedules, publish the
    complete reports that are due, and send the due alerts (``now``: UTC)."""
    today = local_day(now)
    # On SQLite the pass takes the writer turn at its first write, as a request does, so
    # an approval committed meanwhile is seen, never overwritten (PostgreSQL: row locks).
    with writer_turn_on_first_write():
        _clock_pass(today)


def _clock_pass(today: date) -> None:
    refresh_estimated_due_dates()
    alert_missing_schedules()
    publish_due_reports(today)
    send_due_alerts(today)

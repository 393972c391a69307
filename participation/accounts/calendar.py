"""What the administration does with the working-day calendar: alerting administrators
when a year's holiday schedule is needed and missing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext

from participation.accounts.models import Membership, Role, User
from participation.core.jobs import register_job
from participation.core.outbox import queue_message
from participation.core.timeutil import utc_to_local
from participation.core.workdays.models import CalendarYear
from participation.core.workdays.operations import year_needed
from participation.extensions import db


def local_day(now: datetime) -> date:
    """The day it is at ``now`` (naive UTC) in the platform's time zone."""
    return utc_to_local(now).date()


def alert_missing_year(year: int) -> int:
    """Tell every administrator with an e-mail address (outbox, once per year and person)
    that deadlines need the holiday schedule of ``year``; returns the messages queued.
    Nothing is sent once the year is stored."""
    if db.session.get(CalendarYear, year) is not None:
        return 0
    users = db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.role == Role.ADMINISTRATOR, User.email.is_not(None))
        .distinct().order_by(User.id)).all()
    for user in users:
        queue_message(
            user.email,
            gettext("Enter the holiday schedule of %(year)d", year=year),
            gettext("Working-day deadlines need the holiday schedule of %(year)d, which has "
                    "not been entered. Until it is, deadlines in %(year)d are shown as "
                    "estimates (weekends only). Paste the State Council's notice on the "
                    "working-day calendar page of the work area.", year=year),
            dedupe_key=f"workdays-missing-{year}-{user.id}")
    return len(users)


@register_job("workdays.missing_year", every=timedelta(hours=6))
def _missing_year_job(now: datetime) -> None:
    """From 1 November, alert the administrators while next year's schedule is missing
    (level-triggered: every run looks again; the dedupe key sends each person one)."""
    year = year_needed(local_day(now))
    if year is not None:
        alert_missing_year(year)

"""What the open-days domain contributes to other domains: its opinion counters and the
officials' dashboard section."""

from __future__ import annotations

import sqlalchemy as sa

from participation.accounts.queries import internal_unit_ids
from participation.core import signals
from participation.core.database import utcnow
from participation.extensions import db
from participation.open_days.models import OpenDay, OpenDayState
from participation.opinions.counters import SourceCounters, register_source_counters
from participation.opinions.moderation_queries import ModeratedSource, register_moderated_source

# Opinions from an open day's questionnaire are counted on the open day, and moderated in
# the moderation queue by the moderators of the organizing unit.
register_source_counters(SourceCounters(OpenDay, "open_day_id"))
register_moderated_source(ModeratedSource("OpenDay", "open_day_id"))


@signals.dashboard_sections_requested.connect
def open_days_section(user) -> signals.DashboardSection:
    """The coming open days of the official's units, with places taken and waiting."""
    now = utcnow()
    open_days: list[OpenDay] = []
    for government_id in sorted({m.government_id for m in user.memberships}):
        query = sa.select(OpenDay).where(
            OpenDay.government_id == government_id,
            OpenDay.ends_at > now,
            OpenDay.state != OpenDayState.CANCELLED,
        )
        units = internal_unit_ids(user, government_id)
        if units is not None:
            query = query.where(OpenDay.unit_id.in_(units))
        open_days.extend(db.session.scalars(query.order_by(OpenDay.starts_at).limit(20)))
    return signals.DashboardSection(30, "opendays/_dashboard.html", open_days=open_days)


@signals.account_deleted.connect
def anonymise_signups(user) -> None:
    """A deleted account's coming signups are cancelled (their places go to the waitlist
    at once) and every signup of the account loses its link to the person."""
    from participation.open_days import operations
    from participation.open_days.models import ACTIVE_STATES, Signup

    active = db.session.scalars(
        sa.select(Signup).where(Signup.user_id == user.id, Signup.state.in_(ACTIVE_STATES))
    ).all()
    for signup in active:
        if signup.open_day.ends_at > utcnow():
            operations.cancel_signup(signup)
    db.session.execute(
        sa.update(Signup.__table__)
        .where(Signup.__table__.c.user_id == user.id)
        .values(
            user_id=None,
            name="",
            mobile=None,
            email=None,
            person_key=sa.literal("deleted:") + sa.cast(Signup.__table__.c.id, sa.String),
        )
        .execution_options(synchronize_session=False)
    )

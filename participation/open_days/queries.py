"""Read-side queries of open days: public lists, the organizer's lists and figures."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from participation.core.database import utcnow
from participation.extensions import db
from participation.open_days.models import OpenDay, OpenDayState, Signup, SignupState, WalkIn


def public_open_days(government_id: int | None = None, upcoming: bool = True) -> sa.Select:
    """The open days any visitor sees (published or cancelled), soonest first; past ones
    (``upcoming=False``) latest first."""
    query = sa.select(OpenDay).where(OpenDay.is_public)
    if government_id is not None:
        query = query.where(OpenDay.government_id == government_id)
    now = utcnow()
    if upcoming:
        return query.where(OpenDay.ends_at > now).order_by(OpenDay.starts_at, OpenDay.id)
    return query.where(OpenDay.ends_at <= now).order_by(OpenDay.starts_at.desc(), OpenDay.id.desc())


def signups(open_day: OpenDay, states: tuple[SignupState, ...] | None = None) -> list[Signup]:
    """The signups of an open day in order of arrival (organizers only: personal data)."""
    query = sa.select(Signup).where(Signup.open_day_id == open_day.id)
    if states:
        query = query.where(Signup.state.in_(states))
    return list(db.session.scalars(query.order_by(Signup.position)))


@dataclass
class Figures:
    """The counts of an open day (no personal data): for the organizer and the API."""

    capacity: int
    confirmed_places: int
    confirmed_signups: int
    waitlisted: int
    checked_in_signups: int
    checked_in_people: int
    no_shows: int
    cancelled: int
    walk_in_people: int

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.confirmed_places)


def figures(open_day: OpenDay) -> Figures:
    """Counts by state, check-ins (people include companions), no-shows and walk-ins."""
    rows = db.session.execute(
        sa.select(
            Signup.state,
            sa.func.count(Signup.id),
            sa.func.coalesce(sa.func.sum(Signup.companions), 0),
            sa.func.count(Signup.checked_in_at),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case((Signup.checked_in_at.is_not(None), Signup.companions + 1), else_=0)
                ),
                0,
            ),
        )
        .where(Signup.open_day_id == open_day.id)
        .group_by(Signup.state)
    ).all()
    by_state = {state: (number, companions) for state, number, companions, _c, _p in rows}
    checked_signups = sum(row[3] for row in rows)
    checked_people = sum(row[4] for row in rows)
    walk_ins = (
        db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(WalkIn.people), 0)).where(
                WalkIn.open_day_id == open_day.id
            )
        )
        or 0
    )
    return Figures(
        capacity=open_day.capacity,
        confirmed_places=open_day.confirmed_count,
        confirmed_signups=by_state.get(SignupState.CONFIRMED, (0, 0))[0],
        waitlisted=by_state.get(SignupState.WAITLISTED, (0, 0))[0],
        checked_in_signups=checked_signups,
        checked_in_people=int(checked_people),
        no_shows=by_state.get(SignupState.NO_SHOW, (0, 0))[0],
        cancelled=by_state.get(SignupState.CANCELLED, (0, 0))[0]
        + by_state.get(SignupState.DECLINED, (0, 0))[0],
        walk_in_people=int(walk_ins),
    )


def walk_ins(open_day: OpenDay) -> list[WalkIn]:
    return list(
        db.session.scalars(
            sa.select(WalkIn).where(WalkIn.open_day_id == open_day.id).order_by(WalkIn.id)
        )
    )


def organizer_open_days(unit_ids: set[int] | None, government_ids: set[int]) -> list[OpenDay]:
    """The open days of the official's units (every unit: ``unit_ids`` None), newest
    first."""
    query = sa.select(OpenDay).where(OpenDay.government_id.in_(government_ids))
    if unit_ids is not None:
        query = query.where(OpenDay.unit_id.in_(unit_ids))
    return list(db.session.scalars(query.order_by(OpenDay.starts_at.desc()).limit(200)))


def is_upcoming(open_day: OpenDay) -> bool:
    return open_day.state == OpenDayState.PUBLISHED and utcnow() < open_day.ends_at

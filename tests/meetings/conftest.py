"""A meeting of the world's unit with a decision on its agenda, seats and an open call."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core.database import utcnow
from participation.core.timeutil import utc_to_local
from participation.extensions import db
from participation.meetings import operations
from participation.meetings.models import MeetingKind, SeatCategory, SelectionMethod
from tests import factories

PUBLIC_VALUE = "中国福利彩票双色球 2027025期 03 07 12 19 25 31 + 09"


def make_meeting(
    world,
    method: SelectionMethod = SelectionMethod.LOTTERY,
    seats=None,
    announce: bool = True,
    decision=None,
    kind: MeetingKind = MeetingKind.EXECUTIVE,
):
    if decision is None:
        catalogue = factories.make_catalogue(world.government)
        decision = factories.make_decision(catalogue, world.unit)
    meeting = operations.create_meeting(
        world.unit,
        {
            "title": "青禾镇人民政府第12次常务会议",
            "kind": kind.value,
            "starts_at": utcnow() + timedelta(days=20),
            "place": "镇政府三楼会议室",
        },
    )
    operations.add_agenda_item(
        meeting, decision.id, {"invite_representatives": True, "invite_reason": "涉及群众切身利益"}
    )
    operations.set_seats(meeting, seats or {SeatCategory.CITIZEN: 1, SeatCategory.ENTERPRISE: 1})
    now = utcnow()
    operations.save_open_call(
        meeting,
        {
            "opens_at": now - timedelta(hours=1),
            "closes_at": now + timedelta(days=5),
            "eligibility": "本镇常住居民或在本镇登记的企业",
            "selection_method": method.value,
            "public_value_source": "中国福利彩票双色球第2027025期开奖号码",
            "draw_on": utc_to_local(now + timedelta(days=6)).date(),
        },
    )
    if announce:
        operations.announce_call(meeting)
    db.session.commit()
    return meeting, decision


def close_call(meeting) -> None:
    """Time passes: the window closed and the draw's day has come."""
    call = meeting.open_call
    call.opens_at = utcnow() - timedelta(days=6)
    call.closes_at = utcnow() - timedelta(minutes=1)
    call.draw_on = utc_to_local(utcnow()).date()
    db.session.commit()


@pytest.fixture
def meeting(world):
    return make_meeting(world)[0]


def make_drawn_meeting(world, decision=None, kind: MeetingKind = MeetingKind.EXECUTIVE):
    """A meeting whose lottery has been drawn: two citizens applied (one selected, one on
    the reserve list); returns the meeting, the selected application and its roll entry."""
    from participation.meetings.models import RollEntry

    meeting, _decision = make_meeting(world, decision=decision, kind=kind)
    applications = []
    for n, name in enumerate(("张三", "李四")):
        application, _created = operations.apply(
            meeting,
            {"name": name, "contact": f"1390000{n:04d}", "category": "citizen", "consent": True},
        )
        operations.review_application(application, True, "")
        applications.append(application)
    close_call(meeting)
    operations.draw_lottery(meeting, PUBLIC_VALUE)
    db.session.commit()
    entry = db.session.scalars(
        sa.select(RollEntry).where(RollEntry.meeting_id == meeting.id)
    ).first()
    return meeting, entry.application, entry

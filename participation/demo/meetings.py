"""The demo town's decision meetings: one executive meeting whose open call for seats is
accepting applications now (the lottery's commitment published), and one whose window
has closed and whose lottery has been drawn (verification kit, a withdrawal filled from
the reserve list). Built through the same operations officials use."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from participation.catalogue.models import Decision
from participation.core.database import utcnow
from participation.core.timeutil import utc_to_local
from participation.meetings import operations as meeting_ops
from participation.meetings.models import MeetingKind, SeatCategory, SelectionMethod

PUBLIC_VALUE_SOURCE = "中国福利彩票双色球开奖号码（开奖当晚由中国福利彩票发行管理中心公布）"
DRAWN_VALUE = "双色球第2026138期 05 11 16 23 28 32 + 07"

APPLICANTS = [
    ("陈建国", "13800002001", SeatCategory.CITIZEN, "", True),
    ("刘桂芳", "13800002002", SeatCategory.CITIZEN, "", False),
    ("周立新", "13800002003", SeatCategory.CITIZEN, "", True),
    ("吴海燕", "13800002004", SeatCategory.CITIZEN, "", False),
    ("黄志强", "13800002005", SeatCategory.CITIZEN, "", True),
    (
        "郑晓东",
        "zheng@qinghe-ev.example.com",
        SeatCategory.ENTERPRISE,
        "青禾新能源科技有限公司",
        True,
    ),
    ("林淑华", "lin@lanjiang-bike.example.com", SeatCategory.ENTERPRISE, "澜江电动车销售行", False),
    ("何教授", "he@lanjiang-univ.example.edu.cn", SeatCategory.EXPERT, "澜江大学消防工程系", True),
]


def _meeting(decision: Decision, title: str, starts_at: datetime, actor):
    meeting = meeting_ops.create_meeting(
        decision.unit,
        {
            "title": title,
            "kind": MeetingKind.EXECUTIVE.value,
            "starts_at": starts_at,
            "place": "青禾镇人民政府三楼会议室",
            "published": True,
        },
        actor=actor,
    )
    meeting_ops.add_agenda_item(
        meeting,
        decision.id,
        {
            "invite_representatives": True,
            "invite_reason": "方案涉及群众和经营者切身利益，邀请群众、企业代表和专家列席。",
            "affects_enterprises": True,
            "enterprise_symposium": "已于会前召开电动自行车销售、充电运营企业座谈会，6家企业参加。",
        },
        actor=actor,
    )
    return meeting


def _call(meeting, opens: datetime, closes: datetime, draw_on: date, actor) -> None:
    meeting_ops.save_open_call(
        meeting,
        {
            "opens_at": opens,
            "closes_at": closes,
            "eligibility": "年满18周岁的本镇常住居民；在本镇登记经营的企业；相关领域专家。",
            "selection_method": SelectionMethod.LOTTERY.value,
            "public_value_source": PUBLIC_VALUE_SOURCE + f"，{draw_on.isoformat()}当期",
            "draw_on": draw_on,
        },
        actor=actor,
    )
    meeting_ops.announce_call(meeting, actor=actor)


def load_meetings(decisions: dict[str, Decision], actor) -> None:
    """Create the two demo meetings (see the module's docstring)."""
    now = utcnow()
    today = utc_to_local(now).date()
    # Accepting applications now.
    upcoming = _meeting(
        decisions["service_list"], "青禾镇人民政府第15次常务会议", now + timedelta(days=21), actor
    )
    meeting_ops.set_seats(
        upcoming,
        {SeatCategory.CITIZEN: 3, SeatCategory.ENTERPRISE: 1, SeatCategory.MEDIA: 1},
        actor=actor,
    )
    _call(upcoming, now, now + timedelta(days=10), today + timedelta(days=12), actor)
    for name, contact, category, organisation, eligible in APPLICANTS[:3]:
        application, _created = meeting_ops.apply(
            upcoming,
            {
                "name": name,
                "contact": contact,
                "category": category.value,
                "organisation": organisation,
                "statement_of_interest": "经常到便民服务中心办事。",
                "conflict_declaration": "无",
                "consent": True,
                "consent_to_publish_name": True,
            },
        )
        if name != "周立新":
            meeting_ops.review_application(
                application, eligible, "" if eligible else "报名时未提供本镇常住证明。", actor=actor
            )
    # Window closed and the lottery drawn.
    drawn = _meeting(
        decisions["ev_charging"], "青禾镇人民政府第14次常务会议", now + timedelta(days=3), actor
    )
    meeting_ops.set_seats(
        drawn,
        {SeatCategory.CITIZEN: 2, SeatCategory.ENTERPRISE: 1, SeatCategory.EXPERT: 1},
        actor=actor,
    )
    closes = now + timedelta(days=1)
    _call(drawn, now, closes, utc_to_local(closes).date(), actor)
    applications = []
    for name, contact, category, organisation, consent in APPLICANTS:
        application, _created = meeting_ops.apply(
            drawn,
            {
                "name": name,
                "contact": contact,
                "category": category.value,
                "organisation": organisation,
                "consent": True,
                "statement_of_interest": "关心小区电动自行车充电安全。",
                "conflict_declaration": "无"
                if category != SeatCategory.ENTERPRISE
                else "本单位从事电动自行车相关经营。",
                "consent_to_publish_name": consent,
            },
        )
        applications.append(application)
    for application in applications:
        eligible = application.name != "吴海燕"
        meeting_ops.review_application(
            application, eligible, "" if eligible else "经核实不属于本镇常住居民。", actor=actor
        )
    # The window closed yesterday (as time passing would), and the draw took place today.
    drawn.open_call.opens_at = now - timedelta(days=9)
    drawn.open_call.closes_at = now - timedelta(days=1)
    drawn.open_call.draw_on = today
    meeting_ops.draw_lottery(drawn, DRAWN_VALUE, actor=actor, today=today)
    withdrawn = next(
        a
        for a in applications
        if a.category == SeatCategory.CITIZEN and a.state.value == "selected"
    )
    meeting_ops.withdraw(withdrawn, actor=actor)

"""The demo town's open days, made through the organizers' operations: one with places
left, one full with a waitlist, and one past with check-ins and walk-ins."""

from __future__ import annotations

from datetime import datetime, timedelta

from participation.accounts.models import Government, Unit
from participation.core.database import utcnow
from participation.core.timeutil import local_to_utc
from participation.open_days import operations
from participation.open_days.models import OpenDay, OpenDayState

NAMES = [
    "周桂英",
    "吴建国",
    "郑淑芬",
    "孙立新",
    "钱晓燕",
    "冯德明",
    "何丽娟",
    "许国强",
    "韩美玲",
    "唐志刚",
    "曹秀梅",
    "邓文华",
    "彭春生",
    "蒋玉兰",
    "谢永平",
    "罗红霞",
    "高建军",
    "林小红",
    "梁德胜",
    "宋桂芝",
    "郭海燕",
    "马国平",
    "黄丽华",
    "朱永红",
]


def _at(days: int, hour: int) -> datetime:
    moment = (utcnow() + timedelta(hours=8)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    ) + timedelta(days=days)
    return local_to_utc(moment)


def _values(title: str, theme: str, days: int, capacity: int, **extra) -> dict:
    values = {
        "title": title,
        "theme": theme,
        "capacity": capacity,
        "description": "参观政务服务大厅，听取情况介绍，座谈交流，填写满意度问卷。",
        "starts_at": _at(days, 9),
        "ends_at": _at(
            days,
            11,
        ),
        "place": "青禾镇政务服务中心一楼大厅（青禾大道88号）",
        "accessibility": "正门设无障碍坡道，一楼有无障碍卫生间；现场提供座椅和老花镜。",
        "signup_opens_at": _at(-10, 9),
        "signup_closes_at": _at(days - 1, 18),
        "companions_allowed": 2,
        "promotion_stop_hours": 12,
        "questions": "*您的身份（如企业经营者、居民、学生家长）\n您最想了解的问题",
    }
    values.update(extra)
    return values


def _sign_up(open_day: OpenDay, index: int, companions: int = 0):
    return operations.sign_up(
        open_day,
        name=NAMES[index % len(NAMES)],
        mobile=f"1370000{index:04d}",
        companions=companions,
        answers={"q1": "居民", "q2": "办事流程"},
        needs="需要座椅" if index % 7 == 0 else "",
    )


def load_demo_open_days(government: Government, unit: Unit, actor=None) -> list[OpenDay]:
    """Create the demo open days of ``unit`` (published, with signups)."""
    business = operations.create_open_day(
        government, unit, _values("营商环境政府开放日", "营商环境", 14, 30), actor=actor
    )
    school = operations.create_open_day(
        government, unit, _values("校园安全开放日", "安全", 5, 8), actor=actor
    )
    operations.publish_open_day(business, actor=actor)
    operations.publish_open_day(school, actor=actor)
    for index in range(6):
        _sign_up(business, index, companions=index % 2)
    for index in range(6, 14):  # 8 places: the last ones wait
        _sign_up(school, index, companions=1 if index == 6 else 0)
    past = operations.create_open_day(
        government,
        unit,
        _values(
            "征地拆迁政策开放日",
            "征地拆迁",
            20,
            20,
            signup_opens_at=_at(-5, 9),
            signup_closes_at=_at(19, 18),
        ),
        actor=actor,
    )
    operations.publish_open_day(past, actor=actor)
    signups = [_sign_up(past, index) for index in range(14, 24)]
    # Move it into the past once its signups are in, then run the desk.
    past.starts_at, past.ends_at = _at(-3, 9), _at(-3, 11)
    past.signup_opens_at, past.signup_closes_at = _at(-20, 9), _at(-4, 18)
    for signup in signups[:7]:
        operations.check_in(past, signup.code, actor=actor, now=past.starts_at)
    operations.record_walk_in(past, name="", people=2, actor=actor)
    operations.release_no_shows(past, actor=actor, now=past.starts_at + timedelta(hours=1))
    assert past.state == OpenDayState.PUBLISHED
    return [business, school, past]

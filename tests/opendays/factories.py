"""Open days for tests, made through the organizers' operations."""

from __future__ import annotations

from datetime import timedelta

from participation.core.database import utcnow
from participation.open_days import operations
from participation.open_days.models import OpenDay


def open_day_values(**overrides) -> dict:
    now = utcnow()
    values = {
        "title": "营商环境政府开放日",
        "theme": "营商环境",
        "description": "走进政务服务大厅。",
        "starts_at": now + timedelta(days=7),
        "ends_at": now + timedelta(days=7, hours=3),
        "place": "青禾镇政务服务中心一楼大厅",
        "accessibility": "无障碍通道，设有轮椅。",
        "signup_opens_at": now - timedelta(days=1),
        "signup_closes_at": now + timedelta(days=6),
        "companions_allowed": 2,
        "promotion_stop_hours": 24,
        "capacity": 3,
        "questions": "*您的职业\n您最关心的问题",
    }
    values.update(overrides)
    return values


def make_open_day(world, publish: bool = True, **overrides) -> OpenDay:
    open_day = operations.create_open_day(
        world.government, world.unit, open_day_values(**overrides), actor=world.editor
    )
    if publish:
        operations.publish_open_day(open_day, actor=world.editor)
    return open_day


def sign_up(open_day: OpenDay, n: int, companions: int = 0, **kwargs):
    return operations.sign_up(
        open_day,
        name=f"市民{n}",
        mobile=f"1390000{n:04d}",
        companions=companions,
        answers={"q1": "退休"},
        **kwargs,
    )

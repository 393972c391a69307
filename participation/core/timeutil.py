"""Conversions between the local time people type and see and the naive UTC we store."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def local_to_utc(value: datetime) -> datetime:
    """A naive local (Asia/Shanghai) datetime as naive UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_ZONE)
    return value.astimezone(UTC).replace(tzinfo=None)


def utc_to_local(value: datetime) -> datetime:
    """A naive UTC datetime as naive local time (for form defaults)."""
    return value.replace(tzinfo=UTC).astimezone(LOCAL_ZONE).replace(tzinfo=None)


def local_today():
    return datetime.now(LOCAL_ZONE).date()

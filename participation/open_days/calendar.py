"""The .ics file of an open day (icalendar)."""

from __future__ import annotations

from datetime import UTC

from participation.core.database import utcnow
from participation.open_days.models import OpenDay, OpenDayState


def ics(open_day: OpenDay, url: str) -> bytes:
    """One VEVENT with the time (UTC), place, accessibility information and link."""
    from icalendar import Calendar, Event  # 20 ms to load: on first use, not at start-up

    calendar = Calendar()
    calendar.add("prodid", "-//Participation//Open days//ZH")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"open-day-{open_day.id}@participation")
    event.add("dtstamp", utcnow().replace(tzinfo=UTC))
    event.add("dtstart", open_day.starts_at.replace(tzinfo=UTC))
    event.add("dtend", open_day.ends_at.replace(tzinfo=UTC))
    event.add("summary", open_day.title)
    event.add("location", open_day.place)
    description = "\n\n".join(
        part for part in (open_day.description, open_day.accessibility, url) if part
    )
    event.add("description", description)
    event.add("url", url)
    if open_day.state == OpenDayState.CANCELLED:
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()

"""Entering a year's schedule from the notice; knowing when the next one is needed."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from participation.core import audit
from participation.core.errors import DomainError
from participation.core.workdays.models import CalendarDay, CalendarYear, DayKind
from participation.core.workdays.notice import ParsedNotice
from participation.extensions import db


class ScheduleError(DomainError):
    """A schedule that cannot be stored as given."""

    messages = {
        "year_known": _l(
            "The schedule of %(year)d is already stored (from %(source)s); tick "
            "“Replace the stored schedule of this year” to enter a corrected notice."),
        "notice_problems": _l("The notice has problems to correct first: %(problems)s"),
        "no_source": _l(
            "Name the notice, e.g. 国办发明电〔2026〕7号, so the schedule says where it "
            "comes from."),
    }


def add_year(parsed: ParsedNotice, *, source: str, notice_text: str, actor=None,
             government_id: int | None = None, replace: bool = False) -> CalendarYear:
    """Store the year a confirmed notice describes: its days off and adjusted workdays,
    with the notice's name and text as its source. A known year is replaced only when
    asked; audited as ``workdays.year_added`` (or ``workdays.year_replaced``)."""
    source = (source or "").strip()
    if not source:
        raise ScheduleError("no_source", field="source")
    if not parsed.ok:
        raise ScheduleError("notice_problems", field="notice_text",
                            problems=gettext("; ").join(parsed.problems) or "-")
    existing = db.session.get(CalendarYear, parsed.year, with_for_update=True)
    if existing is not None and not replace:
        raise ScheduleError("year_known", field="replace", year=parsed.year,
                            source=existing.source)
    before = None
    if existing is not None:
        before = {"source": existing.source, "days": len(existing.days)}
        db.session.delete(existing)
        db.session.flush()
    # A notice may name a day stored under a neighbouring year (a New Year holiday
    # starting on 31 December): the notice being entered decides that day.
    days = parsed.days()
    db.session.execute(sa.delete(CalendarDay).where(CalendarDay.day.in_([d for d, *_ in days])))
    year = CalendarYear(year=parsed.year, source=source[:300], notice_text=notice_text or "",
                        entered_by_id=getattr(actor, "id", None))
    db.session.add(year)
    db.session.flush()
    db.session.add_all(CalendarDay(day=day, year=parsed.year, kind=DayKind(kind), name=name[:50])
                       for day, kind, name in days)
    db.session.flush()
    audit.record("workdays.year_replaced" if before else "workdays.year_added", year,
                 {"year": parsed.year, "source": source,
                  "days_off": sum(1 for _, kind, _ in days if kind == "holiday"),
                  "workdays": sum(1 for _, kind, _ in days if kind == "workday"),
                  "replaced": before},
                 government_id=government_id, actor=actor)
    return year


def year_needed(today: date) -> int | None:
    """The next year, from 1 November on (the State Council publishes its notice in the
    autumn), when its schedule is still missing."""
    if today.month >= 11 and db.session.get(CalendarYear, today.year + 1) is None:
        return today.year + 1
    return None

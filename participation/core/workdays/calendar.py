"""Working-day arithmetic on the stored holiday schedule.

``add_working_days(start, n)`` is the N-th working day after ``start``; it raises
:class:`ScheduleMissing` (naming the year) when the count reaches a year without a
schedule. ``deadline(start, n)`` never raises: past the known years it counts weekends
only and says the result is an estimate. :class:`WorkingCalendar` loads the schedule of
a range of years once, for jobs that compute many deadlines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from participation.core.workdays.models import CalendarDay, CalendarYear, DayKind
from participation.extensions import db

# A count of working days never needs more than this many calendar days per working day
# (the longest run of days off in any schedule is 9, Spring Festival 2026).
_SPAN_PER_DAY = 3
_SPAN_EXTRA = 30


class ScheduleMissing(Exception):  # noqa: N818 - reads as what the caller is told
    """The count reached a year whose holiday schedule has not been entered."""

    def __init__(self, year: int) -> None:
        super().__init__(f"the holiday schedule of {year} has not been entered")
        self.year = year


@dataclass(frozen=True)
class Deadline:
    """A working-day deadline; ``estimated`` when it counted weekends only in
    ``missing_years`` (years without a schedule)."""

    day: date
    estimated: bool = False
    missing_years: tuple[int, ...] = ()


@dataclass
class WorkingCalendar:
    """The schedule of some years, loaded once: which years are known, their days off and
    their adjusted workdays."""

    known_years: set[int] = field(default_factory=set)
    days_off: set[date] = field(default_factory=set)
    workdays: set[date] = field(default_factory=set)

    @classmethod
    def load(cls, years: Iterable[int]) -> WorkingCalendar:
        years = sorted(set(years))
        calendar = cls()
        if not years:
            return calendar
        calendar.known_years = set(db.session.scalars(
            sa.select(CalendarYear.year).where(CalendarYear.year.in_(years))))
        rows = db.session.execute(
            sa.select(CalendarDay.day, CalendarDay.kind)
            .where(CalendarDay.day >= date(years[0], 1, 1) - timedelta(days=31),
                   CalendarDay.day <= date(years[-1], 12, 31) + timedelta(days=31))).all()
        for day, kind in rows:
            (calendar.workdays if kind == DayKind.WORKDAY else calendar.days_off).add(day)
        return calendar

    @classmethod
    def around(cls, start: date, count: int) -> WorkingCalendar:
        """The schedule of every year a count of ``count`` working days from ``start``
        can reach."""
        end = start + timedelta(days=count * _SPAN_PER_DAY + _SPAN_EXTRA)
        return cls.load(range(start.year, end.year + 1))

    def knows(self, day: date) -> bool:
        return day.year in self.known_years

    def is_working_day(self, day: date, estimate: bool = False) -> bool:
        """Whether people work on ``day``; for a year without a schedule this raises
        :class:`ScheduleMissing`, or counts weekends only when ``estimate`` is set."""
        if day.year not in self.known_years:
            if not estimate:
                raise ScheduleMissing(day.year)
            return day.weekday() < 5
        if day in self.workdays:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5

    def add(self, start: date, count: int, estimate: bool = False) -> Deadline:
        """The ``count``-th working day after ``start`` (``count`` ≥ 1)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day, left, missing = start, count, set()
        while left:
            day += timedelta(days=1)
            if not self.knows(day):
                missing.add(day.year)
            if self.is_working_day(day, estimate=estimate):
                left -= 1
        return Deadline(day, estimated=bool(missing), missing_years=tuple(sorted(missing)))


    def between(self, start: date, end: date, estimate: bool = True) -> int:
        """How many working days lie after ``start`` up to and including ``end`` (0 when
        ``end`` is not after ``start``)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day, estimate=estimate):
                count += 1
        return count


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to ``end`` (weekends only in years without a
    schedule), e.g. how late a report published on ``end`` was after its due date."""
    if end <= start:
        return 0
    return WorkingCalendar.load(range(start.year, end.year + 1)).between(start, end)


def add_working_days(start: date, count: int) -> date:
    """The ``count``-th working day after ``start``; raises :class:`ScheduleMissing`
    when the count reaches a year without a schedule."""
    return WorkingCalendar.around(start, count).add(start, count).day


def deadline(start: date, count: int) -> Deadline:
    """Like :func:`add_working_days`, but past the known years it counts weekends only
    and marks the result ``estimated`` (never a silent guess)."""
    return WorkingCalendar.around(start, count).add(start, count, estimate=True)


def known_years() -> list[int]:
    """Every year with a stored schedule, in order."""
    return list(db.session.scalars(sa.select(CalendarYear.year).order_by(CalendarYear.year)))

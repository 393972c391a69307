"""The State Council's holiday schedule, year by year (国务院办公厅部分节假日安排).

A year is either known completely (a :class:`CalendarYear` row with its holiday and
adjusted-workday :class:`CalendarDay` rows) or not known at all: deadlines that reach an
unknown year are never guessed silently.
"""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.database import TimestampMixin, enum_column
from participation.core.i18n import label
from participation.extensions import db


class DayKind(enum.StrEnum):
    """A day the schedule changes: a day off (放假) or an adjusted workday (调休上班)."""

    HOLIDAY = "holiday"
    WORKDAY = "workday"

    @property
    def label(self) -> str:
        return label(DAY_KIND_LABELS[self])


DAY_KIND_LABELS = {
    DayKind.HOLIDAY: _l("Day off"),
    DayKind.WORKDAY: _l("Adjusted workday"),
}


class CalendarYear(TimestampMixin, db.Model):
    """One year whose holiday schedule is known, and where it came from."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(
        sa.String(300), nullable=False,
        comment="the notice (e.g. 国办发明电〔2025〕7号) or the package it was seeded from")
    notice_text: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", comment="the notice as pasted, if entered by hand")
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True,
        comment="administrator who entered it; null when seeded")

    days = relationship("CalendarDay", order_by="CalendarDay.day",
                        cascade="all, delete-orphan", back_populates="calendar_year")
    entered_by = relationship("User")

    def __repr__(self) -> str:
        return f"<CalendarYear {self.year}>"

    @property
    def id(self) -> int:
        """The year, so the audit log names the row like any other."""
        return self.year

    def rows(self) -> list[tuple[date, str, str]]:
        """(day, kind, holiday name) by date, as :meth:`ParsedNotice.days` gives them."""
        return [(day.day, day.kind.value, day.name) for day in self.days]

    def count(self, kind: DayKind) -> int:
        return sum(1 for day in self.days if day.kind == kind)


class CalendarDay(TimestampMixin, db.Model):
    """A day off or an adjusted workday of a known year; every other day is a working day
    from Monday to Friday and a day off on Saturday and Sunday."""

    __tablename__ = "calendar_day"
    __table_args__ = (sa.Index("ix_calendar_day_year", "year"),)

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    year: Mapped[int] = mapped_column(
        sa.ForeignKey("calendar_year.year", ondelete="CASCADE"), nullable=False,
        comment="the schedule the day belongs to (a New Year holiday may start in December)")
    kind: Mapped[DayKind] = mapped_column(enum_column(DayKind), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="",
                                      comment="the holiday it belongs to, e.g. 春节")

    calendar_year = relationship("CalendarYear", back_populates="days")

    def __repr__(self) -> str:
        return f"<CalendarDay {self.day} {self.kind}>"

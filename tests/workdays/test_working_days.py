"""Working-day deadlines on the stored State Council schedule: across Spring Festival,
Labor Day and National Day with their adjusted Saturdays and Sundays, and never a silent
guess for a year without a schedule."""

from __future__ import annotations

from datetime import date

import pytest

from participation.core.workdays import (
    ScheduleMissing,
    WorkingCalendar,
    add_working_days,
    deadline,
    known_years,
)
from participation.core.workdays.models import CalendarYear


def test_the_package_years_are_seeded_by_the_migration(app):
    years = known_years()
    assert years[0] == 2004
    assert years[-1] == 2026
    assert len(years) == 23
    assert db_source(2026).startswith("chinese-calendar ")


def db_source(year):
    from participation.extensions import db

    return db.session.get(CalendarYear, year).source


@pytest.mark.parametrize(("start", "count", "due"), [
    # An ordinary fortnight: 10 working days are two weeks.
    (date(2026, 3, 2), 10, date(2026, 3, 16)),
    # Spring Festival 2026: 15–23 February off; Saturday 14 and Saturday 28 February worked.
    (date(2026, 2, 12), 1, date(2026, 2, 13)),
    (date(2026, 2, 13), 1, date(2026, 2, 14)),      # the adjusted Saturday counts
    (date(2026, 2, 14), 1, date(2026, 2, 24)),      # nine days off in a row
    (date(2026, 2, 13), 10, date(2026, 3, 5)),
    # Labor Day 2026: 1–5 May off; Saturday 9 May worked.
    (date(2026, 4, 29), 3, date(2026, 5, 7)),
    (date(2026, 4, 30), 10, date(2026, 5, 18)),
    # National Day 2026: 1–7 October off; Sunday 20 September and Saturday 10 October worked.
    (date(2026, 9, 18), 1, date(2026, 9, 20)),
    (date(2026, 9, 28), 10, date(2026, 10, 16)),
    (date(2026, 9, 30), 3, date(2026, 10, 10)),
])
def test_deadlines_cross_the_holidays_with_their_adjusted_workdays(app, start, count, due):
    assert add_working_days(start, count) == due
    assert deadline(start, count).day == due
    assert not deadline(start, count).estimated


def test_an_adjusted_workday_on_a_weekend_is_a_working_day_and_a_holiday_weekday_is_not(app):
    calendar = WorkingCalendar.load([2026])
    assert calendar.is_working_day(date(2026, 10, 10))      # Saturday, worked
    assert not calendar.is_working_day(date(2026, 10, 5))   # Monday, National Day
    assert not calendar.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_a_count_reaching_a_year_without_schedule_raises_naming_the_year(app):
    with pytest.raises(ScheduleMissing) as raised:
        add_working_days(date(2026, 12, 20), 10)
    assert raised.value.year == 2027


def test_a_deadline_in_a_year_without_schedule_is_an_estimate_counting_weekends_only(app):
    estimate = deadline(date(2026, 12, 20), 10)
    # 21–25 and 28–31 December are nine working days; 1 January 2027 (a Friday) is the
    # tenth by weekends only, although it is surely New Year's Day: hence "estimate".
    assert estimate.day == date(2027, 1, 1)
    assert estimate.estimated
    assert estimate.missing_years == (2027,)


def test_a_count_below_one_is_refused(app):
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(date(2026, 3, 2), 0)


def test_the_command_prints_the_working_day(runner):
    result = runner.invoke(args=["workdays", "add", "2026-09-28", "10"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2026-10-16"


def test_the_command_exits_1_naming_the_missing_year(runner):
    result = runner.invoke(args=["workdays", "add", "2026-12-20", "10"])
    assert result.exit_code == 1
    assert "2027" in result.output
    assert "has not been entered" in result.output


def test_the_command_refuses_a_date_that_is_not_iso(runner):
    result = runner.invoke(args=["workdays", "add", "2026/09/28", "10"])
    assert result.exit_code == 2
    assert "ISO date" in result.output

"""The schedules of 2004–2026 from the ``chinese-calendar`` package (chinesecalendar).

The package knows those years only and raises for later ones; it is used to seed the
table once (migration ``bac834a201c9`` and ``flask workdays seed``), never to answer a
question about a year: later years are entered by administrators from the notice.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

# The package's English holiday names, in the notice's words.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def package_schedule() -> dict[int, list[tuple[date, str, str]]]:
    """{year: [(day, "holiday" or "workday", name)]} for every year the package knows."""
    from chinese_calendar import constants

    years: dict[int, list[tuple[date, str, str]]] = {}
    for kind, days in (("holiday", constants.holidays), ("workday", constants.workdays)):
        for day, holiday in days.items():
            name = getattr(holiday, "value", holiday)
            if isinstance(name, tuple):
                name = name[0]
            years.setdefault(day.year, []).append(
                (day, kind, HOLIDAY_NAMES.get(str(name), str(name))[:50]))
    return {year: sorted(rows) for year, rows in sorted(years.items())}


def package_source() -> str:
    from importlib.metadata import version

    return f"chinese-calendar {version('chinesecalendar')}"


def seed(connection) -> list[int]:
    """Store every year the package knows that the table does not hold yet; returns the
    years added. Works on a bare connection (migrations) as on the session's."""
    year_table = sa.table("calendar_year", sa.column("year", sa.Integer),
                          sa.column("source", sa.String), sa.column("notice_text", sa.Text),
                          sa.column("created_at", sa.DateTime),
                          sa.column("updated_at", sa.DateTime))
    day_table = sa.table("calendar_day", sa.column("day", sa.Date),
                         sa.column("year", sa.Integer), sa.column("kind", sa.String),
                         sa.column("name", sa.String), sa.column("created_at", sa.DateTime),
                         sa.column("updated_at", sa.DateTime))
    from participation.core.database import utcnow

    known = set(connection.execute(sa.select(year_table.c.year)).scalars())
    now, source, added = utcnow(), package_source(), []
    for year, rows in package_schedule().items():
        if year in known:
            continue
        connection.execute(year_table.insert().values(
            year=year, source=source, notice_text="", created_at=now, updated_at=now))
        connection.execute(day_table.insert(), [
            {"day": day, "year": year, "kind": kind, "name": name,
             "created_at": now, "updated_at": now} for day, kind, name in rows])
        added.append(year)
    return added

"""Reading the State Council's holiday notice as administrators paste it.

The notice (国务院办公厅关于YYYY年部分节假日安排的通知) lists one paragraph per holiday::

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。
    2月14日（周六）、2月28日（周六）上班。

:func:`parse_notice` turns it into days off and adjusted workdays per holiday, and lists
every inconsistency it finds (a weekday in brackets that does not match the date, a
"共N天" that does not match the range, an adjusted workday that is not a Saturday or a
Sunday, a day named twice) so the administrator confirms what will be stored.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext

# "一、元旦：" at the start of a line or after a full stop; a name may join two holidays
# ("国庆节、中秋节").
_SECTION = re.compile(
    r"(?:^|(?<=[。\n]))\s*([一二三四五六七八九十]{1,3})、\s*([^:。\n]{1,20}?)\s*:", re.MULTILINE)
_DATE = (r"(?:(?P<{p}y>\d{{4}})年)?(?:(?P<{p}m>\d{{1,2}})月)?(?P<{p}d>\d{{1,2}})日"
         r"(?:\((?P<{p}note>[^)]*)\))?")
_RANGE = re.compile(_DATE.format(p="a") + r"(?:\s*(?:至|到|-|—|–|~)\s*"
                    + _DATE.format(p="b") + r")?")
_ONE_DATE = re.compile(_DATE.format(p="a"))
_TOTAL = re.compile(r"共\s*(\d{1,2})\s*天")
_NOTICE_YEAR = re.compile(r"(\d{4})\s*年\s*部分节假日")
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAY_NOTE = re.compile(r"(?:周|星期)([一二三四五六日天])")


@dataclass
class NoticeHoliday:
    """One paragraph of the notice: a holiday's days off and adjusted workdays."""

    name: str
    days_off: list[date] = field(default_factory=list)
    workdays: list[date] = field(default_factory=list)


@dataclass
class ParsedNotice:
    """What a pasted notice says, and what is wrong with it (empty when consistent)."""

    year: int | None
    holidays: list[NoticeHoliday] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.holidays) and not self.problems

    def days(self) -> list[tuple[date, str, str]]:
        """(day, "holiday" or "workday", holiday name), by date."""
        rows = [(d, "holiday", h.name) for h in self.holidays for d in h.days_off]
        rows += [(d, "workday", h.name) for h in self.holidays for d in h.workdays]
        return sorted(rows)


def normalise(text: str) -> str:
    """NFKC (full-width digits, brackets and colons become ASCII), spaces trimmed."""
    return unicodedata.normalize("NFKC", text or "").replace("\u3000", " ")


def _date(match: re.Match, prefix: str, year: int, month: int | None,
          problems: list[str]) -> date | None:
    explicit_year = match.group(prefix + "y")
    month_text = match.group(prefix + "m")
    month = int(month_text) if month_text else month
    if month is None:
        problems.append(gettext("“%(text)s” has no month.", text=match.group(0)))
        return None
    try:
        day = date(int(explicit_year) if explicit_year else year, month,
                   int(match.group(prefix + "d")))
    except ValueError:
        problems.append(gettext("“%(text)s” is not a date.", text=match.group(0)))
        return None
    note = match.group(prefix + "note") or ""
    weekday = _WEEKDAY_NOTE.search(note)
    if weekday and _WEEKDAYS[weekday.group(1)] != day.weekday():
        problems.append(gettext(
            "%(date)s is not a %(said)s (the notice says “%(note)s”): check the year.",
            date=day.isoformat(), said="周" + weekday.group(1), note=note))
    return day


def _sentences(body: str) -> list[str]:
    return [part.strip() for part in re.split(r"[。;；\n]", body) if part.strip()]


def _days_off(sentence: str, year: int, name: str, problems: list[str]) -> list[date]:
    match = _RANGE.search(sentence)
    if not match:
        problems.append(gettext("%(name)s: no date found in “%(text)s”.",
                                name=name, text=sentence))
        return []
    first = _date(match, "a", year, None, problems)
    if first is None:
        return []
    last = first
    if match.group("bd"):
        end = _date(match, "b", first.year, first.month, problems)
        if end is None:
            return []
        if end < first and not match.group("by"):
            # "12月31日至1月2日": the range runs into the next year.
            end = end.replace(year=end.year + 1)
        last = end
    if (last - first).days > 31:
        problems.append(gettext("%(name)s: the range “%(text)s” is longer than a month.",
                                name=name, text=match.group(0)))
        return []
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    total = _TOTAL.search(sentence)
    if total and int(total.group(1)) != len(days):
        problems.append(gettext(
            "%(name)s: the notice says %(said)s days, but %(first)s to %(last)s is %(count)d.",
            name=name, said=total.group(1), first=first.isoformat(), last=last.isoformat(),
            count=len(days)))
    return days


def _workdays(sentence: str, year: int, name: str, problems: list[str]) -> list[date]:
    days, month = [], None
    for match in _ONE_DATE.finditer(sentence):
        day = _date(match, "a", year, month, problems)
        if day is None:
            continue
        month = day.month
        if day.weekday() < 5:
            problems.append(gettext(
                "%(name)s: %(date)s is a weekday; an adjusted workday is a Saturday or a "
                "Sunday.", name=name, date=day.isoformat()))
        days.append(day)
    return days


def parse_notice(text: str, year: int | None = None) -> ParsedNotice:
    """Read the numbered paragraphs of a holiday notice for ``year`` (or the year its
    title names). Nothing is stored: the caller shows the result for confirmation."""
    text = normalise(text)
    named = _NOTICE_YEAR.search(text)
    if year is None and named:
        year = int(named.group(1))
    parsed = ParsedNotice(year=year)
    if year is None:
        parsed.problems.append(gettext(
            "Say which year the notice is for (or paste its title, “…2027年部分节假日安排…”)."))
        return parsed
    if named and int(named.group(1)) != year:
        parsed.problems.append(gettext(
            "The notice is for %(named)d, not %(year)d.", named=int(named.group(1)), year=year))
    sections = list(_SECTION.finditer(text))
    if not sections:
        parsed.problems.append(gettext(
            "No holiday found: paste the numbered paragraphs of the notice "
            "(“一、元旦：1月1日至3日放假调休，共3天。”)."))
        return parsed
    seen: dict[date, str] = {}
    for index, section in enumerate(sections):
        end = sections[index + 1].start() if index + 1 < len(sections) else len(text)
        name = section.group(2).strip()
        holiday = NoticeHoliday(name=name)
        for sentence in _sentences(text[section.end():end]):
            if "放假" in sentence:
                holiday.days_off += _days_off(sentence, year, name, parsed.problems)
            elif "上班" in sentence:
                holiday.workdays += _workdays(sentence, year, name, parsed.problems)
        if not holiday.days_off:
            parsed.problems.append(gettext("%(name)s: no days off found.", name=name))
        for day in holiday.days_off + holiday.workdays:
            if day in seen:
                parsed.problems.append(gettext("%(date)s is named twice (%(first)s, %(second)s).",
                                               date=day.isoformat(), first=seen[day],
                                               second=name))
            elif abs(day.year - year) > 1:
                parsed.problems.append(gettext("%(date)s is not in %(year)d.",
                                               date=day.isoformat(), year=year))
            seen[day] = name
        parsed.holidays.append(holiday)
    return parsed

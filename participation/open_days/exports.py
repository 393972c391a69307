"""The organizer's exports of the signups (CSV and XLSX): personal data, organizers only."""

from __future__ import annotations

import csv
import io

from flask_babel import format_datetime, gettext

from participation.open_days import queries
from participation.open_days.models import OpenDay

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: object) -> object:
    """A cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def rows(open_day: OpenDay) -> list[list[object]]:
    """Header and one row per signup, in order of arrival."""
    questions = open_day.questions or []
    header = [
        gettext("No."),
        gettext("Name"),
        gettext("Mobile number"),
        gettext("Companions"),
        gettext("State"),
        gettext("Check-in code"),
        gettext("Checked in at"),
        gettext("Accessibility needs"),
    ]
    header += [q["label"] for q in questions]
    table: list[list[object]] = [header]
    for signup in queries.signups(open_day):
        row = [
            signup.position,
            signup.name,
            signup.contact or "",
            signup.companions,
            signup.state.label,
            signup.code,
            format_datetime(signup.checked_in_at, "yyyy-MM-dd HH:mm")
            if signup.checked_in_at
            else "",
            signup.needs,
        ]
        row += [(signup.answers or {}).get(q["key"], "") for q in questions]
        table.append([_safe(cell) for cell in row])
    return table


def csv_text(open_day: OpenDay) -> str:
    """The rows as CSV with a byte-order mark (Excel opens it as UTF-8)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer).writerows(rows(open_day))
    return buffer.getvalue()


def xlsx_bytes(open_day: OpenDay) -> bytes:
    """The rows as an XLSX workbook."""
    from openpyxl import Workbook  # about 0.1 s to load: on first use, not at start-up

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Signups")[:31]
    for row in rows(open_day):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

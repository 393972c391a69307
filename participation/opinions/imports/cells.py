"""Cell values as text, and the dates people write in spreadsheets."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Any

# --------------------------------------------------------------------------------------------
# Cell values
# --------------------------------------------------------------------------------------------

#: Longest excerpt of a faulty value quoted back in an error message.
_QUOTE_LENGTH = 40

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but \t and \n
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def _cell_text(value: Any) -> str:
    """A cell as text; numbers from spreadsheets without the ``.0`` or exponent."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e18:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time():
            return value.date().isoformat()
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _multiline(value: Any) -> str:
    if isinstance(value, str) and value.isprintable():  # no line break nor control
        return value.strip()
    text = _cell_text(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARACTERS.sub("", text).strip()


def _single_line(value: Any) -> str:
    if isinstance(value, str) and value.isprintable():  # no line break nor control
        return " ".join(value.split())
    text = _cell_text(value).replace("\r", "\n")
    return " ".join(_CONTROL_CHARACTERS.sub("", text).split())


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE_LENGTH else text[: _QUOTE_LENGTH - 1] + "…"


def normalise_article_label(text: str) -> str:
    """An article label as passed to ``resolve_article``: trimmed, without any whitespace
    inside, full-width digits as ASCII digits ("第 １２ 条" → "第12条"); other characters, such
    as the full-width parentheses of "（一）", are kept."""
    return "".join(text.translate(_FULL_WIDTH_DIGITS).split())


_DATE = re.compile(
    r"(?P<y>\d{4})\s*(?:"
    r"[-/.]\s*(?P<m>\d{1,2})\s*[-/.]\s*(?P<d>\d{1,2})"
    r"|年\s*(?P<cm>\d{1,2})\s*月\s*(?P<cd>\d{1,2})\s*[日号]?"
    r")"
)
_COMPACT_DATE = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
_COLON_TIME = re.compile(r"(?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2})(?:\.\d{1,6})?)?")
_CHINESE_TIME = re.compile(
    r"(?P<H>\d{1,2})\s*[时点]\s*(?:(?P<M>\d{1,2})\s*分\s*(?:(?P<S>\d{1,2})\s*秒)?)?"
)

# Excel serial numbers accepted for dates whose cell format openpyxl does not recognise
# (e.g. the built-in Chinese date formats): 1970-01-01 up to 9999-12-31.
_SERIAL_RANGE = (25569, 2958466)


def _parse_date_text(text: str) -> datetime | None:
    text = unicodedata.normalize("NFKC", text).strip()
    compact = _COMPACT_DATE.fullmatch(text)
    if compact:
        year, month, day, rest = compact["y"], compact["m"], compact["d"], ""
    else:
        match = _DATE.match(text)
        if not match:
            return None
        year = match["y"]
        month = match["m"] or match["cm"]
        day = match["d"] or match["cd"]
        rest = text[match.end() :].strip()
        if rest[:1] in ("T", "t"):
            rest = rest[1:]
    hour = minute = second = "0"
    if rest:
        clock = _COLON_TIME.fullmatch(rest) or _CHINESE_TIME.fullmatch(rest)
        if not clock:
            return None
        hour, minute, second = clock["H"], clock["M"] or "0", clock["S"] or "0"
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError:
        return None


def _whole_seconds(value: datetime) -> datetime:
    if value.microsecond >= 500_000:
        value += timedelta(seconds=1)
    return value.replace(microsecond=0, tzinfo=None)


def _parse_received_at(value: Any, epoch: datetime | None) -> datetime | None:
    if isinstance(value, datetime):
        return _whole_seconds(value)
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if float(value).is_integer() and 19000101 <= value <= 99991231:
            return _parse_date_text(str(int(value)))  # 20260312 typed as a number
        if epoch is not None and _SERIAL_RANGE[0] <= value < _SERIAL_RANGE[1]:
            from openpyxl.utils.datetime import from_excel  # a workbook's: openpyxl is loaded

            converted = from_excel(value, epoch=epoch)
            return _whole_seconds(converted) if isinstance(converted, datetime) else None
        return None
    if isinstance(value, str):
        return _parse_date_text(value)
    return None



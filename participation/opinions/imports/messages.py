"""What an import finds: valid rows, and errors with a stable code, translated when read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from flask_babel import gettext

# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


class ImportRow(NamedTuple):
    """One valid opinion; ``received_at`` is naive local (Asia/Shanghai) time. Immutable
    (a named tuple: built for every row of a file, four times quicker than a frozen
    dataclass)."""

    line: int
    reference: str | None
    channel: str
    received_at: datetime
    article_id: int | None
    article_label: str | None
    body: str
    name: str | None
    contact: str | None
    consent_to_publish: bool = False
    submitter_kind: str = "person"


@dataclass(frozen=True)
class RowError:
    """A problem in the file.

    ``line`` is the spreadsheet row number as the user sees it (the header is line 1), or 0 for
    problems with the whole file. ``column`` is the column name (``"body"``…) or None;
    ``params["column"]``, when present, is the header as written in the file.
    """

    line: int
    column: str | None
    code: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        variables = {"line": self.line, "column": self.column or "", **self.params}
        render = _MESSAGES.get(self.code, _unknown_code_message)
        return render(variables)


def _unknown_code_message(v: dict[str, Any]) -> str:
    return gettext("Line %(line)d: invalid value.", line=v["line"])


def _duplicate_reference_message(v: dict[str, Any]) -> str:
    if v.get("first_line"):
        return gettext(
            "Line %(line)d, column %(column)s: reference “%(value)s” for this channel already"
            " appears on line %(first_line)d of the file.",
            **v,
        )
    return gettext(
        "Line %(line)d, column %(column)s: an opinion with reference “%(value)s” from this"
        " channel has already been imported.",
        **v,
    )


# One English msgid per error code, kept literal so that pybabel can extract them.
_MESSAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "unreadable_file": lambda v: gettext(
        "The file “%(filename)s” could not be read. Upload a CSV file (UTF-8 or GBK) or an"
        " Excel workbook (.xlsx); save older .xls workbooks as .xlsx first.",
        **v,
    ),
    "missing_columns": lambda v: gettext(
        "Required columns are missing: %(columns)s. The first row of the file must contain the"
        " column headers.",
        **v,
    ),
    "duplicate_columns": lambda v: gettext(
        "These columns appear more than once: %(columns)s.",
        **v,
    ),
    "unknown_columns": lambda v: gettext(
        "Unknown columns: %(columns)s. Remove them or rename them to one of: %(allowed)s.",
        **v,
    ),
    "no_rows": lambda v: gettext(
        "The file contains no opinions: there are no rows below the header row.",
        **v,
    ),
    "too_many_rows": lambda v: gettext(
        "The file contains more than %(max)d opinions. Split it into several files and import"
        " them one by one.",
        **v,
    ),
    "extra_values": lambda v: gettext(
        "Line %(line)d has more values than there are column headers. If a text contains"
        " commas, enclose it in double quotes.",
        **v,
    ),
    "missing_value": lambda v: gettext(
        "Line %(line)d, column %(column)s: a value is required.",
        **v,
    ),
    "unknown_channel": lambda v: gettext(
        "Line %(line)d, column %(column)s: unknown channel “%(value)s”. Use one of: %(allowed)s.",
        **v,
    ),
    "online_channel": lambda v: gettext(
        "Line %(line)d, column %(column)s: “%(value)s” is the online channel; opinions given"
        " online arrive through the site and cannot be imported. Use one of: %(allowed)s.",
        **v,
    ),
    "bad_date": lambda v: gettext(
        "Line %(line)d, column %(column)s: “%(value)s” is not a valid date. Write it like"
        " 2026-03-12 or 2026-03-12 14:30.",
        **v,
    ),
    "future_date": lambda v: gettext(
        "Line %(line)d, column %(column)s: the date %(value)s is in the future.",
        **v,
    ),
    "unknown_article": lambda v: gettext(
        "Line %(line)d, column %(column)s: the draft has no article “%(value)s”. Leave the cell"
        " empty for an opinion on the whole draft.",
        **v,
    ),
    "body_too_short": lambda v: gettext(
        "Line %(line)d, column %(column)s: the opinion is too short (%(length)d characters; at"
        " least %(min)d are required).",
        **v,
    ),
    "body_too_long": lambda v: gettext(
        "Line %(line)d, column %(column)s: the opinion is too long (%(length)d characters; at"
        " most %(max)d are allowed).",
        **v,
    ),
    "too_long": lambda v: gettext(
        "Line %(line)d, column %(column)s: the value is too long (%(length)d characters; at"
        " most %(max)d are allowed).",
        **v,
    ),
    "duplicate_reference": _duplicate_reference_message,
    "bad_consent": lambda v: gettext(
        "Line %(line)d, column %(column)s: “%(value)s” is neither yes nor no. Write 是 or 否"
        " (同意/不同意, 1/0, true/false, yes/no), or leave the cell empty: not public.",
        **v,
    ),
    "bad_submitter_kind": lambda v: gettext(
        "Line %(line)d, column %(column)s: “%(value)s” is not a kind of submitter. Write 个人,"
        " 企业, 行业协会 (or 商会) or 其他组织, or leave the cell empty: a person.",
        **v,
    ),
}

#: Every error code the parser can produce.
ERROR_CODES: tuple[str, ...] = tuple(_MESSAGES)


@dataclass
class ImportResult:
    rows: list[ImportRow]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors



"""Bulk import of offline opinions (hotline tickets, letters, symposium notes...).

Officials upload a CSV (UTF-8, UTF-8 with BOM, GBK/GB18030, or UTF-16 "Unicode text") or an
Excel ``.xlsx`` workbook with one opinion per row. :func:`parse_opinion_file` validates every
row and reports *every* problem it finds, so the official can fix the whole file in one go;
deciding whether to store anything (all-or-nothing) is the caller's job.

Errors carry a stable ``code`` and the parameters needed to explain them; their
:attr:`RowError.message` is translated with flask-babel when it is read.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext
from openpyxl.utils.datetime import from_excel

from participation.core.timeutil import LOCAL_ZONE
from participation.opinions.models import Channel
from participation.opinions.spreadsheets import UnreadableFile, is_empty, read_table

# --------------------------------------------------------------------------------------------
# Channels and columns
# --------------------------------------------------------------------------------------------

CHANNEL_CODES: tuple[str, ...] = tuple(channel.value for channel in Channel)
#: The channels an import may carry: every channel but ``online`` (online opinions arrive
#: through the site only, as for offline recording one by one).
IMPORT_CHANNEL_CODES: tuple[str, ...] = tuple(
    channel.value for channel in Channel if channel != Channel.ONLINE
)

#: Every accepted spelling of a channel (the code itself and its Chinese names) → channel code.
#: Lookups ignore case, spaces, underscores and hyphens, and full-width forms.
CHANNEL_ALIASES: dict[str, str] = {
    "online": "online",
    "网上": "online",
    "网络": "online",
    "在线": "online",
    "hotline": "hotline",
    "12345热线": "hotline",
    "热线": "hotline",
    "12345": "hotline",
    "letter": "letter",
    "信函": "letter",
    "来信": "letter",
    "email": "email",
    "电子邮件": "email",
    "邮件": "email",
    "symposium": "symposium",
    "座谈会": "symposium",
    "hearing": "hearing",
    "听证会": "hearing",
    "field_visit": "field_visit",
    "实地走访": "field_visit",
    "走访": "field_visit",
    "questionnaire": "questionnaire",
    "问卷调查": "questionnaire",
    "问卷": "questionnaire",
    "poll": "poll",
    "民意调查": "poll",
    "open_day": "open_day",
    "政府开放日": "open_day",
    "开放日": "open_day",
    "representative": "representative",
    "代表": "representative",
    "列席代表": "representative",
}

#: Column names of the import file, in the order of the downloadable template.
COLUMNS: tuple[str, ...] = (
    "reference",
    "channel",
    "received_at",
    "article",
    "body",
    "name",
    "contact",
    "consent_to_publish",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("channel", "received_at", "body")

#: Accepted header names (English column names and their Chinese equivalents) → column name.
#: Lookups ignore case, spaces, underscores, hyphens, asterisks and full-width forms.
COLUMN_ALIASES: dict[str, str] = {
    "reference": "reference",
    "参考编号": "reference",
    "工单编号": "reference",
    "编号": "reference",
    "channel": "channel",
    "渠道": "channel",
    "received_at": "received_at",
    "收到时间": "received_at",
    "接收时间": "received_at",
    "收到日期": "received_at",
    "article": "article",
    "条款": "article",
    "body": "body",
    "意见内容": "body",
    "意见": "body",
    "name": "name",
    "姓名": "name",
    "署名": "name",
    "contact": "contact",
    "联系方式": "contact",
    "联系电话": "contact",
    "consent_to_publish": "consent_to_publish",
    "consent": "consent_to_publish",
    "同意公开": "consent_to_publish",
    "是否同意公开": "consent_to_publish",
}

#: The Chinese header shown next to the English one when a required column is missing.
_COLUMN_CHINESE: dict[str, str] = {
    "reference": "参考编号",
    "channel": "渠道",
    "received_at": "收到时间",
    "article": "条款",
    "body": "意见内容",
    "name": "姓名",
    "contact": "联系方式",
    "consent_to_publish": "同意公开",
}

BODY_MIN_LENGTH = 5
BODY_MAX_LENGTH = 5000
NAME_MAX_LENGTH = 100
CONTACT_MAX_LENGTH = 200
REFERENCE_MAX_LENGTH = 100
ARTICLE_MAX_LENGTH = 50
DEFAULT_MAX_ROWS = 5000

#: Longest excerpt of a faulty value quoted back in an error message.
_QUOTE_LENGTH = 40


def _lookup_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s_\-*]+", "", text)


_CHANNEL_LOOKUP = {_lookup_key(alias): code for alias, code in CHANNEL_ALIASES.items()}
_COLUMN_LOOKUP = {_lookup_key(alias): column for alias, column in COLUMN_ALIASES.items()}


#: Accepted answers of the consent-to-publish column (an empty cell means no: not public).
CONSENT_YES: tuple[str, ...] = ("是", "同意", "1", "true", "yes", "y")
CONSENT_NO: tuple[str, ...] = ("否", "不同意", "0", "false", "no", "n")
_CONSENT_LOOKUP = {_lookup_key(text): True for text in CONSENT_YES} | {
    _lookup_key(text): False for text in CONSENT_NO
}


def consent_answer(text: str) -> bool | None:
    """True for 是/同意/1/true/yes, False for 否/不同意/0/false/no, None for anything else."""
    return _CONSENT_LOOKUP.get(_lookup_key(text))


def channel_code(text: str) -> str | None:
    """The channel code for a code or Chinese name as people type it, or None."""
    return _CHANNEL_LOOKUP.get(_lookup_key(text))


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    """One valid opinion; ``received_at`` is naive local (Asia/Shanghai) time."""

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


# --------------------------------------------------------------------------------------------
# Cell values
# --------------------------------------------------------------------------------------------

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
    text = _cell_text(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARACTERS.sub("", text).strip()


def _single_line(value: Any) -> str:
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
            converted = from_excel(value, epoch=epoch)
            return _whole_seconds(converted) if isinstance(converted, datetime) else None
        return None
    if isinstance(value, str):
        return _parse_date_text(value)
    return None


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


@dataclass
class _Header:
    positions: dict[str, int] = field(default_factory=dict)  # column name → cell index
    labels: dict[str, str] = field(default_factory=dict)  # column name → header as written
    unnamed: list[int] = field(default_factory=list)  # indexes of cells with an empty header
    unknown: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    width: int = 0  # number of header cells


def _read_header(cells: list[Any]) -> _Header:
    header = _Header(width=len(cells))
    for index, cell in enumerate(cells):
        text = _single_line(cell)
        if not text:
            header.unnamed.append(index)
            continue
        column = _COLUMN_LOOKUP.get(_lookup_key(text))
        if column is None:
            if text not in header.unknown:
                header.unknown.append(text)
        elif column in header.positions:
            if column not in header.duplicates:
                header.duplicates.append(column)
        else:
            header.positions[column] = index
            header.labels[column] = text
    return header


def _file_error(code: str, **params: Any) -> RowError:
    return RowError(line=0, column=None, code=code, params=params)


def _describe_columns(columns: Iterable[str]) -> str:
    return ", ".join(f"{column} ({_COLUMN_CHINESE[column]})" for column in columns)


class _RowParser:
    def __init__(
        self,
        header: _Header,
        *,
        resolve_article: Callable[[str], int | None],
        existing_references: Set[tuple[str, str]],
        now: datetime,
        epoch: datetime | None,
    ) -> None:
        self.header = header
        self.resolve_article = resolve_article
        self.existing_references = existing_references
        self.now = now
        self.epoch = epoch
        self.seen_references: dict[tuple[str, str], int] = {}

    def parse(self, line: int, cells: list[Any]) -> tuple[ImportRow | None, list[RowError]]:
        errors: list[RowError] = []

        def cell(column: str) -> Any:
            index = self.header.positions.get(column)
            return cells[index] if index is not None and index < len(cells) else None

        def error(column: str, code: str, **params: Any) -> None:
            params = {"column": self.header.labels[column], **params}
            errors.append(RowError(line=line, column=column, code=code, params=params))

        extra = [*self.header.unnamed, *range(self.header.width, len(cells))]
        if any(index < len(cells) and not is_empty(cells[index]) for index in extra):
            errors.append(RowError(line=line, column=None, code="extra_values", params={}))

        channel_text = _single_line(cell("channel"))
        channel = channel_code(channel_text) if channel_text else None
        if not channel_text:
            error("channel", "missing_value")
        elif channel is None:
            allowed = ", ".join(IMPORT_CHANNEL_CODES)
            error("channel", "unknown_channel", value=_quote(channel_text), allowed=allowed)
        elif channel not in IMPORT_CHANNEL_CODES:
            allowed = ", ".join(IMPORT_CHANNEL_CODES)
            error("channel", "online_channel", value=_quote(channel_text), allowed=allowed)
            channel = None

        reference = _single_line(cell("reference")) or None
        if reference is not None:
            if len(reference) > REFERENCE_MAX_LENGTH:
                error("reference", "too_long", length=len(reference), max=REFERENCE_MAX_LENGTH)
            elif channel is not None:
                key = (channel, reference)
                first_line = self.seen_references.get(key)
                if first_line is not None:
                    error(
                        "reference",
                        "duplicate_reference",
                        value=_quote(reference),
                        first_line=first_line,
                    )
                else:
                    self.seen_references[key] = line
                    if key in self.existing_references:
                        error("reference", "duplicate_reference", value=_quote(reference))

        raw_received = cell("received_at")
        received_at = None
        if is_empty(raw_received):
            error("received_at", "missing_value")
        else:
            received_at = _parse_received_at(raw_received, self.epoch)
            if received_at is None:
                error("received_at", "bad_date", value=_quote(_cell_text(raw_received)))
            elif received_at > self.now:
                shown = _cell_text(received_at)
                error("received_at", "future_date", value=shown)
                received_at = None

        article_label = article_id = None
        if "article" in self.header.positions:
            article_label = normalise_article_label(_single_line(cell("article"))) or None
        if article_label is not None:
            if len(article_label) > ARTICLE_MAX_LENGTH:
                error("article", "too_long", length=len(article_label), max=ARTICLE_MAX_LENGTH)
            else:
                article_id = self.resolve_article(article_label)
                if article_id is None:
                    error("article", "unknown_article", value=_quote(article_label))

        body = _multiline(cell("body"))
        if not body:
            error("body", "missing_value")
        elif len(body) < BODY_MIN_LENGTH:
            error("body", "body_too_short", length=len(body), min=BODY_MIN_LENGTH)
        elif len(body) > BODY_MAX_LENGTH:
            error("body", "body_too_long", length=len(body), max=BODY_MAX_LENGTH)

        optional: dict[str, str | None] = {}
        for column, limit in (("name", NAME_MAX_LENGTH), ("contact", CONTACT_MAX_LENGTH)):
            text = _single_line(cell(column)) or None
            if text is not None and len(text) > limit:
                error(column, "too_long", length=len(text), max=limit)
            optional[column] = text

        consent = False
        consent_text = _single_line(cell("consent_to_publish"))
        if consent_text:
            answer = consent_answer(consent_text)
            if answer is None:
                error("consent_to_publish", "bad_consent", value=_quote(consent_text))
            else:
                consent = answer

        if errors:
            order = {column: index for column, index in self.header.positions.items()}
            errors.sort(key=lambda e: order.get(e.column, len(order)) if e.column else -1)
            return None, errors
        assert channel is not None
        assert received_at is not None
        return (
            ImportRow(
                line=line,
                reference=reference,
                channel=channel,
                received_at=received_at,
                article_id=article_id,
                article_label=article_label,
                body=body,
                name=optional["name"],
                contact=optional["contact"],
                consent_to_publish=consent,
            ),
            [],
        )


def parse_opinion_file(
    filename: str,
    data: bytes,
    *,
    resolve_article: Callable[[str], int | None],
    existing_references: Set[tuple[str, str]] = frozenset(),
    now: datetime,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> ImportResult:
    """Parse and validate an uploaded CSV/TSV or XLSX file of offline opinions.

    ``resolve_article`` maps a normalised article label ("第12条", "（一）"…) to the draft's
    node id, or None when the draft has no such article. ``existing_references`` holds the
    (channel code, reference) pairs already stored for the consultation. ``now`` is the current
    naive local time (an aware datetime is converted to Asia/Shanghai); later dates are errors.

    Returns every valid row and every error: file-level errors (line 0) stop the parsing,
    row errors do not. References must be unique per channel, within the file and against
    ``existing_references``.
    """
    if now.tzinfo is not None:
        now = now.astimezone(LOCAL_ZONE).replace(tzinfo=None)
    try:
        table = read_table(filename, data, max_rows)
    except UnreadableFile:
        return ImportResult(
            rows=[], errors=[_file_error("unreadable_file", filename=_quote(filename))]
        )

    if table.header_line is None:
        return ImportResult(rows=[], errors=[_file_error("no_rows")])

    header = _read_header(table.header)
    errors: list[RowError] = []
    missing = [column for column in REQUIRED_COLUMNS if column not in header.positions]
    if missing:
        errors.append(_file_error("missing_columns", columns=_describe_columns(missing)))
    if header.duplicates:
        errors.append(
            _file_error("duplicate_columns", columns=_describe_columns(header.duplicates))
        )
    if header.unknown:
        errors.append(
            _file_error(
                "unknown_columns",
                columns=", ".join(f"“{_quote(name)}”" for name in header.unknown),
                allowed=", ".join(COLUMNS),
            )
        )
    if missing or header.duplicates:
        return ImportResult(rows=[], errors=errors)
    if table.too_many:
        errors.append(_file_error("too_many_rows", max=max_rows))
        return ImportResult(rows=[], errors=errors)
    if not table.records:
        errors.append(_file_error("no_rows"))
        return ImportResult(rows=[], errors=errors)

    parser = _RowParser(
        header,
        resolve_article=resolve_article,
        existing_references=existing_references,
        now=now,
        epoch=table.epoch,
    )
    rows: list[ImportRow] = []
    for line, cells in table.records:
        row, row_errors = parser.parse(line, cells)
        if row is not None:
            rows.append(row)
        errors.extend(row_errors)
    return ImportResult(rows=rows, errors=errors)


# --------------------------------------------------------------------------------------------
# Template
# --------------------------------------------------------------------------------------------

_TEMPLATE_EXAMPLE = (
    "20260312001",
    "12345热线",
    "2026-03-12 14:30",
    "第十二条",
    "建议在第十二条中明确公示期不少于三十日，并在社区公告栏同步张贴。",
    "张先生",
    "138****0000",
    "否",
)


def template_csv() -> bytes:
    """A CSV template (UTF-8 with BOM so that Excel opens it correctly) with one example row."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(_TEMPLATE_EXAMPLE)
    return buffer.getvalue().encode("utf-8-sig")

"""Checking the header and each row of an import file."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from participation.core.timeutil import LOCAL_ZONE
from participation.opinions.imports.cells import (
    _cell_text,
    _multiline,
    _parse_received_at,
    _quote,
    _single_line,
    normalise_article_label,
)
from participation.opinions.imports.columns import (
    _COLUMN_CHINESE,
    _COLUMN_LOOKUP,
    ARTICLE_MAX_LENGTH,
    BODY_MAX_LENGTH,
    BODY_MIN_LENGTH,
    COLUMNS,
    CONTACT_MAX_LENGTH,
    DEFAULT_MAX_ROWS,
    IMPORT_CHANNEL_CODES,
    NAME_MAX_LENGTH,
    REFERENCE_MAX_LENGTH,
    REQUIRED_COLUMNS,
    _lookup_key,
    channel_code,
    consent_answer,
    submitter_kind_code,
)
from participation.opinions.imports.messages import ImportResult, ImportRow, RowError
from participation.opinions.imports.reading import (
    FileInfo,
    Records,
    Source,
    UnreadableFile,
    inspect_file,
    is_empty,
    read_records,
)

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


#: Distinct received times kept parsed (bounded memory; then the cache starts again).
_DATES_KEPT = 100_000


class _RowParser:
    def __init__(
        self,
        header: _Header,
        *,
        resolve_article: Callable[[str], int | None],
        existing_references: Container[tuple[str, str]],
        now: datetime,
        epoch: datetime | None,
        check_references: bool = True,
    ) -> None:
        self.header = header
        self.check_references = check_references
        self.resolve_article = resolve_article
        self.existing_references = existing_references
        self.now = now
        self.epoch = epoch
        # hash((channel, reference)) → first line: 64-bit hashes keep a million references
        # in bounded memory (a collision, about 1 in 10^7 at that size, would report a
        # false duplicate, never miss one).
        self.seen_references: dict[int, int] = {}
        self._articles: dict[str, int | None] = {}
        # Received times as written, parsed once each (many rows share the minute).
        self._dates: dict[str, datetime | None] = {}
        # Cells beyond the named columns are looked at only when a row may have any.
        self._extra_possible = bool(header.unnamed)

    def parse(self, line: int, cells: list[Any]) -> tuple[ImportRow | None, list[RowError]]:
        errors: list[RowError] = []

        def cell(column: str) -> Any:
            index = self.header.positions.get(column)
            return cells[index] if index is not None and index < len(cells) else None

        def error(column: str, code: str, **params: Any) -> None:
            params = {"column": self.header.labels[column], **params}
            errors.append(RowError(line=line, column=column, code=code, params=params))

        if self._extra_possible or len(cells) > self.header.width:
            extra = [*self.header.unnamed, *range(self.header.width, len(cells))]
            if any(index < len(cells) and not is_empty(cells[index]) for index in extra):
                errors.append(RowError(line=line, column=None, code="extra_values",
                                       params={}))

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
            elif channel is not None and self.check_references:
                key = (channel, reference)
                first_line = self.seen_references.get(hash(key))
                if first_line is not None:
                    error(
                        "reference",
                        "duplicate_reference",
                        value=_quote(reference),
                        first_line=first_line,
                    )
                else:
                    self.seen_references[hash(key)] = line
                    if key in self.existing_references:
                        error("reference", "duplicate_reference", value=_quote(reference))

        raw_received = cell("received_at")
        received_at = None
        if is_empty(raw_received):
            error("received_at", "missing_value")
        else:
            if isinstance(raw_received, str):
                received_at = self._dates.get(raw_received, False)
                if received_at is False:
                    if len(self._dates) >= _DATES_KEPT:
                        self._dates.clear()
                    received_at = self._dates[raw_received] = _parse_received_at(
                        raw_received, self.epoch)
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
                if article_label not in self._articles:
                    self._articles[article_label] = self.resolve_article(article_label)
                article_id = self._articles[article_label]
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

        submitter_kind = "person"
        kind_text = _single_line(cell("submitter_kind"))
        if kind_text:
            kind = submitter_kind_code(kind_text)
            if kind is None:
                error("submitter_kind", "bad_submitter_kind", value=_quote(kind_text))
            else:
                submitter_kind = kind

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
                submitter_kind=submitter_kind,
            ),
            [],
        )


class FileProblem(Exception):
    """A problem found while reading the rows that rejects the whole file (too many rows,
    content that cannot be decoded): the row errors found so far are moot."""

    def __init__(self, error: RowError) -> None:
        super().__init__(error.code)
        self.error = error


#: What :func:`parse_stream` yields per data row: line, the row if valid, its errors.
ParsedRow = tuple[int, ImportRow | None, list[RowError]]


@dataclass
class ParsedFile:
    """The header's verdict and, unless it stops the parsing, the rows to come."""

    file_errors: list[RowError]
    rows: Iterator[ParsedRow] | None


def _local_now(now: datetime) -> datetime:
    if now.tzinfo is not None:
        now = now.astimezone(LOCAL_ZONE).replace(tzinfo=None)
    return now


def parse_stream(filename: str, source: Source, info: FileInfo, *,
                 resolve_article: Callable[[str], int | None],
                 existing_references: Container[tuple[str, str]] = frozenset(),
                 now: datetime, max_rows: int = DEFAULT_MAX_ROWS,
                 check_references: bool = True) -> ParsedFile:
    """Parse ``source`` (inspected as ``info``) lazily, one row at a time.

    The header is read at once: its problems are ``file_errors`` (line 0), and missing or
    duplicate columns stop the parsing (``rows`` is None). Iterating ``rows`` yields each
    data row checked; it raises :class:`FileProblem` past ``max_rows`` rows or when the
    content turns out unreadable. ``check_references=False`` skips the reference checks
    (a second pass over a file already found valid).
    """
    try:
        records = read_records(source, info)
    except UnreadableFile:
        return ParsedFile([_file_error("unreadable_file", filename=_quote(filename))], None)
    if records.header_line is None:
        return ParsedFile([_file_error("no_rows")], None)
    header = _read_header(records.header)
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
        return ParsedFile(errors, None)
    parser = _RowParser(
        header,
        resolve_article=resolve_article,
        existing_references=existing_references,
        now=_local_now(now),
        epoch=records.epoch,
        check_references=check_references,
    )
    return ParsedFile(errors, _parsed_rows(filename, records, parser, max_rows))


def _parsed_rows(filename: str, records: Records, parser: _RowParser,
                 max_rows: int) -> Iterator[ParsedRow]:
    count = 0
    try:
        for line, cells in records.rows:
            count += 1
            if count > max_rows:
                raise FileProblem(_file_error("too_many_rows", max=max_rows))
            row, row_errors = parser.parse(line, cells)
            yield line, row, row_errors
    except UnreadableFile:
        raise FileProblem(_file_error("unreadable_file", filename=_quote(filename))) from None
    if count == 0:
        raise FileProblem(_file_error("no_rows"))


def parse_opinion_file(
    filename: str,
    data: Source,
    *,
    resolve_article: Callable[[str], int | None],
    existing_references: Container[tuple[str, str]] = frozenset(),
    now: datetime,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> ImportResult:
    """Parse and validate a CSV/TSV or XLSX file of offline opinions, every row in memory
    (small files and tests; imports stream the file through :func:`parse_stream`).

    ``resolve_article`` maps a normalised article label ("第12条", "（一）"…) to the draft's
    node id, or None when the draft has no such article. ``existing_references`` holds the
    (channel code, reference) pairs already stored for the consultation. ``now`` is the current
    naive local time (an aware datetime is converted to Asia/Shanghai); later dates are errors.

    Returns every valid row and every error: file-level errors (line 0) stop the parsing,
    row errors do not. References must be unique per channel, within the file and against
    ``existing_references``.
    """
    try:
        info = inspect_file(filename, data)
    except UnreadableFile:
        return ImportResult(
            rows=[], errors=[_file_error("unreadable_file", filename=_quote(filename))]
        )
    parsed = parse_stream(filename, data, info, resolve_article=resolve_article,
                          existing_references=existing_references, now=now,
                          max_rows=max_rows)
    if parsed.rows is None:
        return ImportResult(rows=[], errors=parsed.file_errors)
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    try:
        for _line, row, row_errors in parsed.rows:
            if row is not None:
                rows.append(row)
            errors.extend(row_errors)
    except FileProblem as problem:
        return ImportResult(rows=[], errors=[*parsed.file_errors, problem.error])
    return ImportResult(rows=rows, errors=[*parsed.file_errors, *errors])

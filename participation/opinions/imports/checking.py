"""Reading an import file once, row by row: every row checked.

Errors are counted; the first :data:`ERRORS_KEPT` stay in memory (shown on the page and
stored on the import), every one is written to a compressed JSON-lines file under the
upload folder, from which the full list is downloaded as CSV (translated when read).
Valid rows are hashed (:class:`~.duplicates.RowHashes`) for the re-import check and, while
the file has no error, handed to the import that stores them (:mod:`.storing`).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from participation.core.sanitize import plain_text
from participation.core.timeutil import local_to_utc
from participation.opinions.imports.cells import _quote
from participation.opinions.imports.duplicates import ReferenceIndex, RowHashes, row_hash
from participation.opinions.imports.messages import RowError
from participation.opinions.imports.reading import FileInfo, Source, UnreadableFile, inspect_file
from participation.opinions.imports.rows import FileProblem, _file_error, parse_stream

#: Errors kept in memory and shown on the page; the file has them all.
ERRORS_KEPT = 1000
#: Rows between two progress reports.
PROGRESS_EVERY = 5000

Progress = Callable[[int, int | None], None]


def error_path(key: str) -> Path:
    """Where the full error list ``key`` of an import is kept."""
    if not key or not key.isalnum():
        raise ValueError(f"bad error file key {key!r}")
    return Path(current_app.config["UPLOAD_FOLDER"]) / "import-errors" / f"{key}.jsonl.gz"


def error_as_json(error: RowError) -> dict:
    return {"line": error.line, "column": error.column, "code": error.code,
            "params": error.params}


def error_from_json(data: dict) -> RowError:
    return RowError(line=data["line"], column=data["column"], code=data["code"],
                    params=data.get("params") or {})


class ErrorLog:
    """Every error of a file: counted, the first :data:`ERRORS_KEPT` kept, all written
    (in line order) to the file :func:`error_path` of ``key``."""

    def __init__(self) -> None:
        self.key = secrets.token_hex(12)
        self.count = 0
        self.first: list[RowError] = []
        self._handle = None

    def add(self, error: RowError) -> None:
        if self._handle is None:
            path = error_path(self.key)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = gzip.open(path, "wt", encoding="utf-8", compresslevel=3)
        self.count += 1
        if len(self.first) < ERRORS_KEPT:
            self.first.append(error)
        self._handle.write(json.dumps(error_as_json(error), ensure_ascii=False) + "\n")

    def reset(self) -> None:
        """Forget what was logged (a problem with the whole file makes it moot)."""
        self.close()
        self.discard()
        self.count = 0
        self.first = []

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def discard(self) -> None:
        self.close()
        error_path(self.key).unlink(missing_ok=True)


def read_error_file(key: str) -> Iterator[RowError]:
    """The errors of the file ``key``, in line order."""
    with gzip.open(error_path(key), "rt", encoding="utf-8") as handle:
        for text in handle:
            yield error_from_json(json.loads(text))


def errors_csv(errors: Iterator[RowError]) -> Iterator[bytes]:
    """The errors as CSV rows (line, column, message), UTF-8 with BOM for Excel,
    translated in the current locale, produced lazily for a streamed download."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["line", "column", "message"])
    yield codecs.BOM_UTF8 + _drain(buffer)
    for number, error in enumerate(errors, start=1):
        column = error.params.get("column") or error.column or ""
        writer.writerow([error.line, column, error.message])
        if number % 1000 == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data


#: One valid row as the import stores it: line, reference, channel code, received (naive
#: UTC), article id, body (plain text), name, contact, consent, submitter kind.
ValidRow = tuple[int, str | None, str, datetime, int | None, str, str | None, str | None, bool,
                 str]


@dataclass
class FileCheck:
    """One read of a file, row by row: how to read it, rows read, errors, hashes.

    :meth:`valid_rows` checks rows and yields each valid one as long as the file has no
    error (an import stores them as they come, in its one transaction); it stops at the
    first error, and :meth:`finish` checks the rest, counting errors only."""

    info: FileInfo | None
    errors: ErrorLog
    rows_checked: int = 0
    hashes: RowHashes = field(default_factory=RowHashes)
    _rows: Iterator | None = None  # the parsed rows still to check
    _file_errors: list[RowError] = field(default_factory=list)
    _progress: Progress | None = None

    @property
    def ok(self) -> bool:
        return self.errors.count == 0

    def valid_rows(self) -> Iterator[ValidRow]:
        """Check rows, yielding each valid one, until the first error or the end."""
        hashes = self.hashes
        try:
            for line, row, row_errors in self._rows or ():
                self._count()
                if row_errors:
                    for error in row_errors:
                        self.errors.add(error)
                    return
                received = _utc(row.received_at)
                body = plain_text(row.body)
                hashes.add(line, received, row_hash(row.channel, received, body, row.name))
                yield (line, row.reference, row.channel, received, row.article_id, body,
                       row.name, row.contact, row.consent_to_publish, row.submitter_kind)
        except FileProblem as problem:
            self._problem(problem)
            return
        self._done()

    def finish(self) -> None:
        """Check the rows :meth:`valid_rows` left (a file with errors: nothing is hashed);
        then the progress says every row was read."""
        try:
            for _line, _row, row_errors in self._rows or ():
                self._count()
                for error in row_errors:
                    self.errors.add(error)
        except FileProblem as problem:
            self._problem(problem)
        self._done()

    def _count(self) -> None:
        self.rows_checked += 1
        if self._progress and self.rows_checked % PROGRESS_EVERY == 0:
            total = self.info.estimated_rows if self.info else None
            self._progress(self.rows_checked, max(total or 0, self.rows_checked))

    def _problem(self, problem: FileProblem) -> None:
        self.errors.reset()
        for error in (*self._file_errors, problem.error):
            self.errors.add(error)
        self._done()

    def _done(self) -> None:
        if self._rows is None:
            return
        self._rows = None
        self.errors.close()
        if self._progress:
            self._progress(self.rows_checked, self.rows_checked)


_CHINA_STANDARD_TIME = timedelta(hours=8)


def _utc(local: datetime) -> datetime:
    # Asia/Shanghai has kept UTC+8 without summer time since 1992: skip the zone lookup.
    return local - _CHINA_STANDARD_TIME if local.year >= 1992 else local_to_utc(local)


def open_check(filename: str, source: Source, *, resolve_article: Callable[[str], int | None],
               references: ReferenceIndex, now: datetime,
               progress: Progress | None = None, max_rows: int | None = None) -> FileCheck:
    """Start reading ``source``: the file and its header checked now, the rows by
    :meth:`FileCheck.valid_rows` and :meth:`FileCheck.finish` (no row kept in memory).

    ``references`` are the consultation's recorded (channel, reference) pairs; ``now``
    the current time (later dates are errors); ``progress(done, total)`` is called every
    :data:`PROGRESS_EVERY` rows with the estimated total.
    """
    log = ErrorLog()
    try:
        info = inspect_file(filename, source)
    except UnreadableFile:
        log.add(_file_error("unreadable_file", filename=_quote(filename)))
        log.close()
        return FileCheck(None, log)
    kwargs = {"max_rows": max_rows} if max_rows else {}
    parsed = parse_stream(filename, source, info, resolve_article=resolve_article,
                          existing_references=references, now=now, **kwargs)
    for error in parsed.file_errors:
        log.add(error)
    if parsed.rows is None:
        log.close()
        return FileCheck(info, log)
    if progress:
        progress(0, info.estimated_rows)
    return FileCheck(info, log, _rows=parsed.rows, _file_errors=parsed.file_errors,
                     _progress=progress)


def check_file(filename: str, source: Source, *, resolve_article: Callable[[str], int | None],
               references: ReferenceIndex, now: datetime,
               progress: Progress | None = None, max_rows: int | None = None) -> FileCheck:
    """Read every row of ``source`` once and check it, storing nothing (see
    :func:`open_check`)."""
    check = open_check(filename, source, resolve_article=resolve_article,
                       references=references, now=now, progress=progress, max_rows=max_rows)
    for _row in check.valid_rows():
        pass
    check.finish()
    return check

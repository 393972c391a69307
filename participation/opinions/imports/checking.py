"""The first pass of an import: every row checked, nothing written to the opinions.

Errors are counted; the first :data:`ERRORS_KEPT` stay in memory (shown on the page and
stored on the import), every one is written to a compressed JSON-lines file under the
upload folder, from which the full list is downloaded as CSV (translated when read).
Valid rows are only hashed (:class:`~.duplicates.RowHashes`) for the re-import check.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import marshal
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app

from participation.core.sanitize import plain_text
from participation.core.timeutil import local_to_utc
from participation.core.uploads import temporary_path
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


@dataclass
class FileCheck:
    """What the first pass found: how to read the file, rows read, errors, hashes."""

    info: FileInfo | None
    errors: ErrorLog
    rows_checked: int = 0
    hashes: RowHashes = field(default_factory=RowHashes)
    spill: Spill | None = None  # the valid rows, for the second pass

    def discard(self) -> None:
        """Remove the spilled rows (the file will not be stored)."""
        if self.spill is not None:
            self.spill.remove()
            self.spill = None

    @property
    def ok(self) -> bool:
        return self.errors.count == 0


_EPOCH = datetime(1970, 1, 1)
_CHINA_STANDARD_TIME = timedelta(hours=8)


def _utc(local: datetime) -> datetime:
    # Asia/Shanghai has kept UTC+8 without summer time since 1992: skip the zone lookup.
    return local - _CHINA_STANDARD_TIME if local.year >= 1992 else local_to_utc(local)


#: One valid row as spilled: line, reference, channel, received (UTC, seconds since
#: 1970), article id, body (plain text), name, contact, consent.
SpilledRow = tuple[int, str | None, str, int, int | None, str, str | None, str | None, bool]


class Spill:
    """The valid rows of the first pass, written as they are checked to a temporary file
    (marshal records) so that the second pass does not parse the file again."""

    def __init__(self) -> None:
        self.path = temporary_path(secrets.token_hex(16))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = open(self.path, "xb", buffering=1 << 20)  # noqa: SIM115

    def add(self, row: SpilledRow) -> None:
        marshal.dump(row, self._handle)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def rows(self) -> Iterator[tuple[int, str | None, str, datetime, int | None, str,
                                     str | None, str | None, bool]]:
        """The spilled rows, received time as a naive UTC datetime again."""
        self.close()
        with open(self.path, "rb", buffering=1 << 20) as handle:
            while True:
                try:
                    line, ref, channel, seconds, article, body, name, contact, consent = \
                        marshal.load(handle)  # noqa: S302 - our own file, this run
                except EOFError:
                    return
                yield (line, ref, channel, _EPOCH + timedelta(seconds=seconds), article, body,
                       name, contact, consent)


def check_file(filename: str, source: Source, *, resolve_article: Callable[[str], int | None],
               references: ReferenceIndex, now: datetime,
               progress: Progress | None = None, max_rows: int | None = None,
               spill: bool = False) -> FileCheck:
    """Read every row of ``source`` once and check it (no row kept in memory).

    ``references`` are the consultation's recorded (channel, reference) pairs; ``now``
    the current time (later dates are errors); ``progress(done, total)`` is called every
    :data:`PROGRESS_EVERY` rows with the estimated total. With ``spill``, the valid rows
    of a valid file are kept in ``check.spill`` for :mod:`.storing`.
    """
    log = ErrorLog()
    try:
        info = inspect_file(filename, source)
    except UnreadableFile:
        log.add(_file_error("unreadable_file", filename=_quote(filename)))
        log.close()
        return FileCheck(None, log)
    check = FileCheck(info, log)
    kwargs = {"max_rows": max_rows} if max_rows else {}
    parsed = parse_stream(filename, source, info, resolve_article=resolve_article,
                          existing_references=references, now=now, **kwargs)
    for error in parsed.file_errors:
        log.add(error)
    if parsed.rows is None:
        log.close()
        return check
    total = info.estimated_rows
    if progress:
        progress(0, total)
    hashes = check.hashes
    check.spill = Spill() if spill and not log.count else None
    try:
        for line, row, row_errors in parsed.rows:
            check.rows_checked += 1
            for error in row_errors:
                log.add(error)
            if row_errors and check.spill is not None:
                check.discard()
            if row is not None and not log.count:  # hashes matter for a valid file only
                received = _utc(row.received_at)
                body = plain_text(row.body)
                hashes.add(line, received, row_hash(row.channel, received, body, row.name))
                if check.spill is not None:
                    check.spill.add((line, row.reference, row.channel,
                                     int((received - _EPOCH).total_seconds()), row.article_id,
                                     body, row.name, row.contact, row.consent_to_publish))
            if progress and check.rows_checked % PROGRESS_EVERY == 0:
                progress(check.rows_checked, max(total or 0, check.rows_checked))
    except FileProblem as problem:
        check.discard()
        log.reset()
        for error in (*parsed.file_errors, problem.error):
            log.add(error)
    log.close()
    if check.spill is not None:
        check.spill.close()
    if progress:
        progress(check.rows_checked, check.rows_checked)
    return check

"""Reading an import file as a stream of rows of cells (no validation here).

:func:`inspect_file` reads the bytes once (SHA-256, size, an estimate of the rows) and
decides how to read them: CSV as UTF-8 (with or without BOM), else GBK, else GB18030, or
UTF-16 with a BOM (Excel's "Unicode text"), each checked over the WHOLE file, so the
encoding named to the official is the one every byte was read with; XLSX with openpyxl in
read-only mode from the first worksheet. :func:`read_records` then yields one row at a
time: memory stays bounded whatever the number of rows. Anything else is
:class:`UnreadableFile`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

# openpyxl is imported where a workbook is read: it costs about 0.1 s at start-up, which
# every command and worker would pay for the few XLSX imports.


class UnreadableFile(Exception):
    """The bytes are not a CSV or XLSX file we can read."""


#: A file to read: a path on disk or the bytes themselves (small files, tests).
Source = Path | str | bytes

_CHUNK = 1 << 20
_XLSX_EXTENSIONS = (".xlsx", ".xlsm")
_TEXT_EXTENSIONS = (".csv", ".tsv", ".txt")
# Leading bytes of formats that are certainly not text: zip (xlsx, docx), OLE (xls, doc), PDF,
# images and archives.
_BINARY_SIGNATURES = (
    b"PK\x03\x04",
    b"\xd0\xcf\x11\xe0",
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
)
#: Text encodings tried in this order (codec, name shown to officials); GBK before its
#: superset GB18030 so that the common case is named as people know it.
_TEXT_ENCODINGS = (("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030"))


@dataclass(frozen=True)
class FileInfo:
    """What one read of the bytes told: how to read the rows, and how many to expect."""

    kind: str  # "csv" or "xlsx"
    sha256: str
    size: int
    codec: str | None = None  # Python codec of a CSV file
    encoding: str | None = None  # its name for officials: "UTF-8", "GBK" …
    delimiter: str = ","
    estimated_rows: int | None = None  # data rows, roughly (for progress bars)


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _open(source: Source) -> IO[bytes]:
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    return open(source, "rb")  # noqa: SIM115 - closed by the callers' with blocks


def _extension(filename: str) -> str:
    return "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _decodes(source: Source, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)()
    with _open(source) as handle:
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _scan(source: Source) -> tuple[str, int, int, bytes, bool, bool]:
    """SHA-256, size, newlines, first bytes; whether a NUL byte occurs; whether it is
    UTF-8 throughout (one read of the file)."""
    digest = hashlib.sha256()
    size = newlines = 0
    head = b""
    nul = False
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with _open(source) as handle:
        while chunk := handle.read(_CHUNK):
            if not head:
                head = chunk[:8]
            digest.update(chunk)
            size += len(chunk)
            newlines += chunk.count(b"\n")
            nul = nul or b"\x00" in chunk
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return digest.hexdigest(), size, newlines, head, nul, utf8


def inspect_file(filename: str, source: Source) -> FileInfo:
    """Read ``source`` once and say how to read its rows; :class:`UnreadableFile` when
    it is neither a workbook nor text in a supported encoding."""
    extension = _extension(filename)
    if extension not in _XLSX_EXTENSIONS + _TEXT_EXTENSIONS:
        raise UnreadableFile
    sha256, size, newlines, head, nul, utf8 = _scan(source)
    if extension in _XLSX_EXTENSIONS:
        return FileInfo("xlsx", sha256, size, estimated_rows=_xlsx_estimate(source))
    estimate = max(newlines - 1, 0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        if not _decodes(source, "utf-16"):
            raise UnreadableFile
        codec, encoding = "utf-16", "UTF-16"
    elif head.startswith(_BINARY_SIGNATURES) or nul:
        raise UnreadableFile
    elif utf8:
        bom = head.startswith(codecs.BOM_UTF8)
        codec, encoding = "utf-8-sig", "UTF-8 BOM" if bom else "UTF-8"
    else:
        found = next(((codec, name) for codec, name in _TEXT_ENCODINGS[1:]
                      if _decodes(source, codec)), None)
        if found is None:
            raise UnreadableFile
        codec, encoding = found
    delimiter = "\t" if extension == ".tsv" else ","
    if extension != ".tsv":
        with _open(source) as handle:
            text = io.TextIOWrapper(handle, encoding=codec, errors="replace", newline="")
            first_line = text.readline(_CHUNK)
        if "\t" in first_line and "," not in first_line:
            delimiter = "\t"
    return FileInfo("csv", sha256, size, codec=codec, encoding=encoding,
                    delimiter=delimiter, estimated_rows=estimate)


def _xlsx_estimate(source: Source) -> int | None:
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with _open(source) as handle:
                workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
                try:
                    rows = workbook.worksheets[0].max_row  # as stored: an estimate only
                finally:
                    workbook.close()
        except Exception as exc:
            raise UnreadableFile from exc
    return max(rows - 1, 0) if isinstance(rows, int) else None


@dataclass
class Records:
    """The rows of a file, read lazily: ``header`` (first non-empty row) and
    ``rows`` (later non-empty rows as ``(line, cells)``); ``epoch`` of a workbook."""

    header_line: int | None
    header: list[Any]
    rows: Iterator[tuple[int, list[Any]]]
    epoch: datetime | None = None


def _non_empty(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    for line, cells in rows:
        if not all(is_empty(cell) for cell in cells):
            yield line, cells


def _non_empty_text(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    """:func:`_non_empty` for rows of strings (CSV): a row is empty when all its cells
    joined are blank, tested in C."""
    for line, cells in rows:
        if "".join(cells).strip():
            yield line, cells


def _text_rows(source: Source, info: FileInfo) -> Iterator[tuple[int, list[Any]]]:
    with _open(source) as handle:
        text = io.TextIOWrapper(handle, encoding=info.codec, newline="")
        reader = csv.reader(text, delimiter=info.delimiter)
        try:
            # Records, not physical lines: a quoted text spanning lines is one spreadsheet
            # row.
            yield from enumerate(reader, start=1)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise UnreadableFile from exc


def _xlsx_cell(value: Any, unescape: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return unescape(value)  # Excel's _x000D_ escapes
    return value


def _xlsx_rows(source: Source, epoch: list) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl
    from openpyxl.utils.escape import unescape

    # Parsing untrusted workbooks: any failure of openpyxl means the file is unreadable, and
    # its warnings about unsupported features (data validation, odd styles...) are irrelevant.
    with warnings.catch_warnings(), _open(source) as handle:
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:
            raise UnreadableFile from exc
        try:
            epoch.append(workbook.epoch)
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # do not trust the stored dimensions
            for line, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield line, [_xlsx_cell(value, unescape) for value in row]
        except UnreadableFile:
            raise
        except Exception as exc:
            raise UnreadableFile from exc
        finally:
            workbook.close()


def read_records(source: Source, info: FileInfo) -> Records:
    """The header and a lazy iterator over the data rows of ``source`` (read as ``info``
    says); reading raises :class:`UnreadableFile` when the content turns out broken."""
    epoch: list = []
    if info.kind == "xlsx":
        rows = _non_empty(_xlsx_rows(source, epoch))
    else:
        rows = _non_empty_text(_text_rows(source, info))
    first = next(rows, None)
    if first is None:
        return Records(None, [], iter(()), epoch[0] if epoch else None)
    return Records(first[0], list(first[1]), rows, epoch[0] if epoch else None)

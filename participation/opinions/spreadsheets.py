"""Reading an uploaded CSV or XLSX file into rows of cells (no validation here).

CSV is decoded as UTF-8 (with or without BOM), then GB18030; UTF-16 with a BOM (Excel's
"Unicode text") too. XLSX is read with openpyxl from the first worksheet. Anything else is
:class:`UnreadableFile`.
"""

from __future__ import annotations

import codecs
import csv
import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import openpyxl
from openpyxl.utils.escape import unescape


class UnreadableFile(Exception):
    """The bytes are not a CSV or XLSX file we can read."""


@dataclass
class Table:
    header_line: int | None = None
    header: list[Any] = field(default_factory=list)
    records: list[tuple[int, list[Any]]] = field(default_factory=list)
    too_many: bool = False
    epoch: datetime | None = None


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


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _collect(rows: Iterable[tuple[int, list[Any]]], max_rows: int, table: Table) -> None:
    """Header = first non-empty row; keep up to ``max_rows`` non-empty data rows."""
    for line, cells in rows:
        if all(is_empty(cell) for cell in cells):
            continue
        if table.header_line is None:
            table.header_line, table.header = line, list(cells)
            continue
        if len(table.records) >= max_rows:
            table.too_many = True
            return
        table.records.append((line, list(cells)))


def _decode_text(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableFile from exc
    if data.startswith(_BINARY_SIGNATURES) or b"\x00" in data:
        raise UnreadableFile
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile


def _read_text(extension: str, data: bytes, max_rows: int) -> Table:
    text = _decode_text(data)
    first_line = text.split("\n", 1)[0]
    tab_separated = extension == ".tsv" or ("\t" in first_line and "," not in first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if tab_separated else ",")
    table = Table()
    try:
        # Records, not physical lines: a quoted text spanning lines is one spreadsheet row.
        _collect(enumerate(reader, start=1), max_rows, table)
    except csv.Error as exc:
        raise UnreadableFile from exc
    return table


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        return unescape(value)  # Excel's _x000D_ escapes
    return value


def _read_xlsx(data: bytes, max_rows: int) -> Table:
    table = Table()
    # Parsing untrusted workbooks: any failure of openpyxl means the file is unreadable, and
    # its warnings about unsupported features (data validation, odd styles...) are irrelevant.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise UnreadableFile from exc
        try:
            table.epoch = workbook.epoch
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # do not trust the stored dimensions
            rows = (
                (line, [_xlsx_cell(value) for value in row])
                for line, row in enumerate(sheet.iter_rows(values_only=True), start=1)
            )
            _collect(rows, max_rows, table)
        except Exception as exc:
            raise UnreadableFile from exc
        finally:
            workbook.close()
    return table


def read_table(filename: str, data: bytes, max_rows: int) -> Table:
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in _XLSX_EXTENSIONS:
        return _read_xlsx(data, max_rows)
    if extension in _TEXT_EXTENSIONS:
        return _read_text(extension, data, max_rows)
    raise UnreadableFile

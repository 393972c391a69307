"""Text lines of a Word (.docx) draft, in document order, for the outline parser."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import IO

__all__ = ["DraftFileError", "MAX_UNCOMPRESSED_BYTES", "docx_lines"]

MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # guard against zip bombs

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc (and encrypted .docx)


class DraftFileError(Exception):
    """A draft file that cannot be read. ``code`` is stable, ``message`` is for logs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _read(source: bytes | bytearray | memoryview | IO[bytes]) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    try:
        data = source.read()
    except (OSError, ValueError) as exc:
        raise DraftFileError("docx_unreadable", f"cannot read the file: {exc}") from exc
    if not isinstance(data, bytes | bytearray):
        raise DraftFileError("docx_unreadable", "the file must be opened in binary mode")
    return bytes(data)


def _check_archive(data: bytes, max_uncompressed: int) -> None:
    if not data:
        raise DraftFileError("docx_empty", "the file is empty")
    if data.startswith(_OLE_MAGIC):
        raise DraftFileError(
            "docx_legacy_format", "legacy .doc or encrypted document; save it as .docx"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise DraftFileError("docx_unreadable", "not a .docx file (not a zip archive)") from exc
    if sum(info.file_size for info in infos) > max_uncompressed:
        raise DraftFileError("docx_too_large", "the document is too large once uncompressed")
    if not any(info.filename == "word/document.xml" for info in infos):
        raise DraftFileError("docx_unreadable", "not a Word document (no word/document.xml)")


# WordprocessingML's element names as lxml spells them (what python-docx's ``qn("w:p")``
# returns), written out so that python-docx is loaded only when a document is read.
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def qn(name: str) -> str:
    """``"w:p"`` → the qualified name of the element ``p`` of the ``w`` namespace."""
    prefix, tag = name.split(":")
    assert prefix == "w"  # noqa: S101 - the only namespace used here
    return _W + tag


_P, _R, _TBL, _TR, _TC = (qn(f"w:{tag}") for tag in ("p", "r", "tbl", "tr", "tc"))
_WRAPPERS = {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")}  # content controls
_NOT_TEXT = {qn("w:del"), qn("w:moveFrom"), qn("w:txbxContent")}


def _paragraph_text(paragraph) -> str:
    """Visible text of a w:p, including tracked insertions, hyperlinks and inline content
    controls; deleted text and text boxes are left out."""
    parts: list[str] = []

    def walk(element) -> None:
        for child in element.iterchildren():
            if child.tag == _R:
                parts.append(child.text)  # CT_R.text maps w:t, w:tab, w:br and w:cr
            elif child.tag not in _NOT_TEXT:
                walk(child)

    walk(paragraph)
    return "".join(parts)


def _children(element, tag: str) -> Iterator:
    for child in element.iterchildren():
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


def _block_lines(element) -> Iterator[str]:
    """Text lines of the paragraphs in a body or table cell, descending into tables."""
    for child in element.iterchildren():
        if child.tag == _P:
            yield from _paragraph_text(child).splitlines()
        elif child.tag == _TBL:
            for row in _children(child, _TR):
                for cell in _children(row, _TC):
                    # the content of a vertically merged cell is in its first cell
                    if getattr(cell, "vMerge", None) != "continue":
                        yield from _block_lines(cell)
        elif child.tag in _WRAPPERS:
            yield from _block_lines(child)


def docx_lines(
    source: bytes | bytearray | memoryview | IO[bytes],
    max_uncompressed: int = MAX_UNCOMPRESSED_BYTES,
) -> list[str]:
    """Non-empty stripped text lines of a .docx given as bytes or a binary file object.

    Paragraphs and the paragraphs of table cells come in document order; line breaks inside
    a paragraph start new lines; tracked insertions count, tracked deletions do not. Headers,
    footers, footnotes, text boxes and automatic list numbering are not included.

    Raises DraftFileError (codes docx_empty, docx_legacy_format, docx_unreadable,
    docx_too_large) for files that are not readable Word documents.
    """
    data = _read(source)
    _check_archive(data, max_uncompressed)
    import docx  # python-docx, only when a draft is read

    try:
        document = docx.Document(io.BytesIO(data))
        lines = [line.strip() for line in _block_lines(document.element.body)]
    except Exception as exc:  # python-docx raises many types (KeyError, lxml, ValueError…)
        raise DraftFileError("docx_unreadable", f"cannot read the Word document: {exc}") from exc
    return [line for line in lines if line]

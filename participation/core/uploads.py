"""Uploaded files: type checked by content, stored once by SHA-256 under instance/uploads.

Documents and opinions both refer to a :class:`StoredFile`; the original file name lives
on the referring row. Files are served with a safe content type, ``nosniff`` and a
sandboxing Content-Security-Policy, as attachments unless they are images.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar

import sqlalchemy as sa
from flask import current_app, send_file
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.database import TimestampMixin
from participation.core.errors import DomainError
from participation.extensions import db


class UploadError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "empty": _l("The file is empty."),
        "too_large": _l("The file is larger than %(limit)s MB."),
        "type_not_allowed": _l(
            "This type of file is not accepted. Accepted: PDF, Word (.docx), "
            "OpenDocument text (.odt), Excel (.xlsx) and images (PNG, JPEG, GIF, WebP)."
        ),
        "macros": _l("Files with macros are not accepted."),
    }


@dataclass(frozen=True)
class FileType:
    media_type: str
    extension: str
    inline: bool = False  # images may be shown in the page


PDF = FileType("application/pdf", "pdf")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
ODT = FileType("application/vnd.oasis.opendocument.text", "odt")
PNG = FileType("image/png", "png", inline=True)
JPEG = FileType("image/jpeg", "jpg", inline=True)
GIF = FileType("image/gif", "gif", inline=True)
WEBP = FileType("image/webp", "webp", inline=True)
ALL_TYPES = (PDF, DOCX, XLSX, ODT, PNG, JPEG, GIF, WEBP)
TYPES_BY_MEDIA = {t.media_type: t for t in ALL_TYPES}


def sniff(data: bytes) -> FileType | None:
    """The file's type judged by its content (magic numbers, ZIP members), never its name."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    return None


def _sniff_zip(data: bytes) -> FileType | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if any(name.lower().endswith("vbaproject.bin") for name in names):
                raise UploadError("macros")
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
            if "mimetype" in names:
                mimetype = archive.read("mimetype").strip()
                if mimetype == ODT.media_type.encode():
                    return ODT
    except zipfile.BadZipFile:
        return None
    return None


class StoredFile(TimestampMixin, db.Model):
    """File content, stored once however many documents or opinions refer to it."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True,
                                        comment="content hash, also the storage path")
    size: Mapped[int] = mapped_column(sa.Integer, nullable=False, comment="bytes")
    media_type: Mapped[str] = mapped_column(sa.String(120), nullable=False,
                                            comment="type detected from the content")

    def __repr__(self) -> str:
        return f"<StoredFile {self.sha256[:12]} {self.media_type}>"

    @property
    def file_type(self) -> FileType:
        return TYPES_BY_MEDIA[self.media_type]

    @property
    def path(self) -> Path:
        return storage_path(self.sha256)


def storage_path(sha256: str) -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / sha256[:2] / sha256


def clean_filename(name: str | None, file_type: FileType) -> str:
    """A display file name without path parts or control characters, with the right suffix."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:120] or "file"
    return f"{stem}.{file_type.extension}"


def store_upload(data: bytes, *, allowed: tuple[FileType, ...] = ALL_TYPES) -> StoredFile:
    """Check and store ``data``; return the (possibly existing) :class:`StoredFile`.

    Raises :class:`UploadError` for empty, oversized or unaccepted content. The row is
    added to the session; the file is written before the caller commits (an orphan file
    after a rollback is harmless: it is content-addressed and reused).
    """
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if not data:
        raise UploadError("empty", field="attachment")
    if len(data) > limit:
        raise UploadError("too_large", field="attachment", limit=limit // (1024 * 1024))
    file_type = sniff(data)
    if file_type is None or file_type not in allowed:
        raise UploadError("type_not_allowed", field="attachment")
    digest = hashlib.sha256(data).hexdigest()
    existing = db.session.scalar(sa.select(StoredFile).where(StoredFile.sha256 == digest))
    _write_once(storage_path(digest), data)
    if existing is not None:
        return existing
    stored = StoredFile(sha256=digest, size=len(data), media_type=file_type.media_type)
    db.session.add(stored)
    db.session.flush()
    return stored


def _write_once(path: Path, data: bytes) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def serve_stored_file(stored: StoredFile, filename: str):
    """Response for a stored file with safe headers (type from content, sandboxed)."""
    file_type = stored.file_type
    response = send_file(
        stored.path,
        mimetype=file_type.media_type,
        as_attachment=not file_type.inline,
        download_name=filename,
        conditional=True,
        max_age=3600,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# -- temporary files: an upload kept only while background work reads it -----------------


def temporary_path(key: str) -> Path:
    """Where the temporary file ``key`` (from :func:`save_temporary`) is kept."""
    if not key or not all(ch.isalnum() or ch == "-" for ch in key):
        raise ValueError(f"bad temporary file key {key!r}")
    return Path(current_app.config["UPLOAD_FOLDER"]) / "tmp" / key


def save_temporary(stream: BinaryIO, chunk_size: int = 1 << 20) -> tuple[str, str, int]:
    """Copy ``stream`` in chunks (never whole in memory) to a new temporary file under
    the upload folder, shared by the web servers and the workers; return its key, the
    SHA-256 of its content and its size. Remove it with :func:`remove_temporary`."""
    key = secrets.token_hex(16)
    path = temporary_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with open(path, "xb") as handle:
        while chunk := stream.read(chunk_size):
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
    return key, digest.hexdigest(), size


def remove_temporary(key: str | None) -> None:
    """Remove the temporary file ``key`` if it is still there."""
    if key:
        temporary_path(key).unlink(missing_ok=True)

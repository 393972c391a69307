"""Bulk import of offline opinions (hotline tickets, letters, symposium notes...).

Officials upload a CSV (UTF-8, UTF-8 with BOM, GBK, GB18030, or UTF-16 "Unicode text") or
an Excel ``.xlsx`` workbook with one opinion per row, up to a million rows. The package is
split by step:

- :mod:`.reading`: the bytes as a stream of rows of cells (encoding detected and named);
- :mod:`.columns`, :mod:`.cells`, :mod:`.rows`: the header and each row checked, with
  errors of a stable code (:mod:`.messages`, translated when read);
- :mod:`.duplicates`: the same file again, rows identical to recorded opinions;
- :mod:`.checking`: the file read once, row by row (errors: the first 1,000 kept, all
  written to a file), handing each valid row on while the file has no error;
- :mod:`.storing`: those rows inserted as they come (``COPY`` on PostgreSQL, a writer
  thread's ``executemany`` on SQLite) in a savepoint of the one transaction;
- :mod:`.running`: the read and the outcome for one
  :class:`~participation.opinions.models.OpinionImport`, from the background task of the
  web page or from ``flask opinions import``.
"""

from participation.opinions.imports.columns import (
    CHANNEL_ALIASES,
    CHANNEL_CODES,
    COLUMN_ALIASES,
    COLUMNS,
    DEFAULT_MAX_ROWS,
    IMPORT_CHANNEL_CODES,
    REQUIRED_COLUMNS,
    channel_code,
    consent_answer,
    template_csv,
)
from participation.opinions.imports.messages import (
    ERROR_CODES,
    ImportResult,
    ImportRow,
    RowError,
)
from participation.opinions.imports.rows import parse_opinion_file, parse_stream

__all__ = [
    "CHANNEL_ALIASES",
    "CHANNEL_CODES",
    "COLUMNS",
    "COLUMN_ALIASES",
    "DEFAULT_MAX_ROWS",
    "ERROR_CODES",
    "IMPORT_CHANNEL_CODES",
    "REQUIRED_COLUMNS",
    "ImportResult",
    "ImportRow",
    "RowError",
    "channel_code",
    "consent_answer",
    "parse_opinion_file",
    "parse_stream",
    "template_csv",
]

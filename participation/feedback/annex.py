"""The report's annex: a table of every opinion (masked name, channel, article, masked
text, disposition, reason), streamed as CSV or written row by row as XLSX. Hidden
opinions are never in it; the text of an opinion whose author did not agree to its
publication, or not published by moderation, is left out (its disposition is still
listed)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator

import sqlalchemy as sa
from flask_babel import gettext

from participation.consultations.models import Consultation, DraftNode
from participation.extensions import db
from participation.opinions.models import (
    Channel,
    Disposition,
    ModerationState,
    Opinion,
    shown_body,
)

BATCH = 2000


def masked_name(name: str | None) -> str:
    """「朱**」: the first character of the name, the rest hidden; anonymous when empty."""
    name = (name or "").strip()
    if not name:
        return gettext("Anonymous")
    return name[0] + "*" * max(len(name) - 1, 1)


def _header() -> list[str]:
    return [gettext("No."), gettext("Name"), gettext("Channel"), gettext("Article"),
            gettext("Opinion"), gettext("Disposition"), gettext("Reason")]


def rows(consultation: Consultation) -> Iterator[list[str]]:
    """The annex rows, by id, read in batches (bounded memory at any size)."""
    channels = {c.value: c.label for c in Channel}
    dispositions = {d.value: d.label for d in Disposition}
    not_consented = gettext("(not published: the author did not agree)")
    not_reviewed = gettext("(not published)")
    query = (sa.select(Opinion.id, Opinion.display_name, Opinion.moderation_state,
                       Opinion.channel, DraftNode.label, Opinion.public_body, Opinion.body,
                       # Whether the findings were recorded (not the findings: no
                       # JSON decoded per row).
                       Opinion.pii_findings.is_not(None),
                       Opinion.consent_to_publish, Opinion.disposition,
                       Opinion.disposition_reason)
             .outerjoin(DraftNode, DraftNode.id == Opinion.node_id)
             .where(Opinion.consultation_id == consultation.id,
                    Opinion.moderation_state != ModerationState.HIDDEN)
             .order_by(Opinion.id).limit(BATCH))
    last, number = 0, 0
    while True:
        batch = db.session.execute(query.where(Opinion.id > last)).all()
        if not batch:
            return
        for (opinion_id, name, state, channel, article, public_body, body, recorded,
             consent, disposition, reason) in batch:
            number += 1
            if not consent:
                text = not_consented
            elif getattr(state, "value", state) != ModerationState.PUBLISHED.value:
                text = not_reviewed
            else:
                text = shown_body(public_body, body, {} if recorded else None)
            code = getattr(disposition, "value", disposition)
            yield [str(number), masked_name(name),
                   channels.get(getattr(channel, "value", channel), str(channel)),
                   article or gettext("Whole draft"), text,
                   dispositions.get(code, "") if code else "", reason or ""]
            last = opinion_id


def csv_rows(consultation: Consultation) -> Iterator[str]:
    """The annex as CSV text chunks (UTF-8 with BOM, so Excel opens it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header())
    yield "\ufeff" + buffer.getvalue()
    for count, row in enumerate(rows(consultation), start=1):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()
        if count % BATCH == 0:
            db.session.expire_all()


def xlsx_file(consultation: Consultation) -> Iterator[bytes]:
    """The annex as an XLSX workbook written row by row to a temporary file, then sent in
    chunks."""
    from openpyxl import Workbook  # loaded by the workbook's download alone

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Annex"))
    sheet.append(_header())
    for row in rows(consultation):
        sheet.append(row)
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(1 << 16):
            yield chunk

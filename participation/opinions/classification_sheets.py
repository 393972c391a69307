"""The spreadsheet round trip: export a consultation's opinions with their classification
(CSV or XLSX, streamed), edit offline, apply the same file back.

The export is meant for officials: the body column holds the original text (personal
data included), as its header and the file name say. Applying a file is all or nothing:
every row is checked first (the opinion id of this consultation, topic by name — a new
name adds the topic —, stance and disposition as Chinese label or code, the reason rule of
:func:`disposition_problem`), errors are reported by row, and only a file without errors
changes anything (one ``UPDATE`` per batch of changed rows, one audit entry).
"""

from __future__ import annotations

import csv
import io
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from participation.consultations.models import Consultation, DraftNode, DraftVersion
from participation.core import audit
from participation.core.sanitize import plain_text
from participation.core.timeutil import LOCAL_ZONE
from participation.extensions import db
from participation.opinions.classification import topics_of
from participation.opinions.grouping.operations import threshold as concentration_threshold
from participation.opinions.models import (
    CHANNEL_LABELS,
    DISPOSITION_LABELS,
    STANCE_LABELS,
    Disposition,
    Opinion,
    OpinionGroup,
    OpinionMembership,
    Stance,
    Topic,
    disposition_problem,
)

# (key, header as written in the file). The file's header may use the key or the header.
COLUMNS = (
    ("id", "意见ID"),
    ("receipt", "回执编号/来源编号"),
    ("channel", "渠道"),
    ("received_at", "收到时间"),
    ("article", "条款"),
    ("body", "意见原文（含个人信息，仅限内部处理）"),
    ("topic", "主题"),
    ("stance", "观点倾向"),
    ("group", "分组"),
    ("disposition", "处理结果"),
    ("reason", "理由"),
)
EDITABLE = ("topic", "stance", "disposition", "reason")
BATCH = 5000
MAX_ERRORS = 1000


def export_filename(consultation: Consultation, file_format: str) -> str:
    """The export's file name; it says the file holds the original text."""
    return f"consultation-{consultation.id}-opinions-original-text.{file_format}"


def _labels() -> tuple[dict, dict, dict]:
    """The labels of channels, stances and dispositions in Chinese (the file's language,
    whatever the interface's), by stored value."""
    from flask_babel import force_locale

    with force_locale("zh_CN"):
        return tuple({member.value: str(text) for member, text in labels.items()}
                     for labels in (CHANNEL_LABELS, STANCE_LABELS, DISPOSITION_LABELS))


def _local_minutes(value: Any) -> str:
    """"2026-03-31 09:00", local time, of a stored UTC time (a datetime, or on SQLite the
    stored text, read without the type's slower parsing)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC).astimezone(LOCAL_ZONE).isoformat(" ", "minutes")[:16]


def export_rows(consultation: Consultation) -> Iterator[list[Any]]:
    """The header, then one row per opinion (oldest first), read in batches by id with
    SQLAlchemy Core (no ORM objects) so that memory stays bounded and a million rows take
    seconds, not minutes."""
    channels, stances, dispositions = _labels()
    topics = {t.id: t.name for t in topics_of(consultation)}
    nodes = dict(db.session.execute(
        sa.select(DraftNode.id, DraftNode.label).join(
            DraftVersion, DraftVersion.id == DraftNode.version_id)
        .where(DraftVersion.draft_id == consultation.draft_id)).tuples().all())
    yield [header for _key, header in COLUMNS]
    o = Opinion.__table__.c
    g = OpinionGroup.__table__.c
    m = OpinionMembership.__table__.c
    raw = sa.String  # enum and time columns as stored: mapped here, not per value by type
    query = (sa.select(o.id, o.receipt_number, o.reference, sa.type_coerce(o.channel, raw),
                       sa.type_coerce(o.received_at, raw), o.cited_node_id, o.node_id, o.body,
                       o.topic_id, sa.type_coerce(o.stance, raw), m.group_id, g.summary,
                       sa.type_coerce(o.disposition, raw), o.disposition_reason)
             .select_from(Opinion.__table__
                          .outerjoin(OpinionMembership.__table__, m.opinion_id == o.id)
                          .outerjoin(OpinionGroup.__table__, g.id == m.group_id))
             .where(o.consultation_id == consultation.id))
    connection = db.session.connection()
    last = 0
    while True:
        rows = connection.execute(query.where(o.id > last).order_by(o.id).limit(BATCH)).all()
        if not rows:
            return
        for (opinion_id, receipt, reference, channel, received_at, cited, chosen, body,
             topic_id, stance, group_id, summary, disposition, reason) in rows:
            node = cited or chosen
            yield [opinion_id, reference or receipt, channels.get(channel, channel),
                   _local_minutes(received_at), nodes.get(node, "") if node else "", body,
                   topics.get(topic_id, ""), stances.get(stance, "") if stance else "",
                   f"{group_id} {summary}".strip() if group_id else "",
                   dispositions.get(disposition, "") if disposition else "", reason or ""]
        last = rows[-1][0]


def csv_chunks(consultation: Consultation) -> Iterator[bytes]:
    """The CSV export as UTF-8 with a BOM (Excel opens it), in chunks of about 1,000
    rows: a generator for a streamed response or a file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    for number, row in enumerate(export_rows(consultation)):
        writer.writerow(row)
        if number % 1000 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_file(consultation: Consultation) -> Any:
    """The XLSX export written with openpyxl's write-only mode into a temporary file
    (rewound, to be streamed and closed by the caller)."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("意见")
    for row in export_rows(consultation):
        sheet.append([_xlsx_safe(value) for value in row])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle


def _xlsx_safe(value: Any) -> Any:
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


# -- applying a file back ----------------------------------------------------------------


@dataclass
class RowProblem:
    """One error of the file: its line (1 = the header) and what is wrong."""

    line: int
    message: str


@dataclass
class ApplyResult:
    """What applying a file did: ``errors`` (nothing applied when any), or ``updated``
    opinions and the ``new_topics`` its names added."""

    errors: list[RowProblem] = field(default_factory=list)
    error_count: int = 0
    updated: int = 0
    rows: int = 0
    new_topics: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowProblem(line, message))


def _key(text: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text or "")).casefold().split())


_HEADERS = {_key(key): key for key, _h in COLUMNS} | {_key(h): key for key, h in COLUMNS}


def _lookup(labels: dict, enum_class) -> dict[str, Any]:
    """Code, Chinese label or English label (any interface language) → member."""
    from flask_babel import force_locale

    found = {_key(member.value): member for member in enum_class}
    for locale in ("zh_CN", "en"):
        with force_locale(locale):
            found.update({_key(str(text)): member for member, text in labels.items()})
    return found


def read_table(filename: str, data: bytes) -> Iterator[tuple[int, list[Any]]]:
    """(line, cells) of a CSV (UTF-8 with or without BOM, else GB18030) or XLSX file."""
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        import openpyxl

        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for line, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), 1):
            yield line, list(row)
        workbook.close()
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    for line, row in enumerate(csv.reader(io.StringIO(text)), 1):
        yield line, row


def apply_classification(consultation: Consultation, filename: str, data: bytes,
                         actor=None) -> ApplyResult:
    """Apply the topic, stance, disposition and reason columns of an edited export to the
    consultation's opinions: every row or, when any row has an error, none (the result
    lists the errors by line). Empty cells clear the label; the group column is ignored.
    Audited once as ``opinion.classification_applied``."""
    result = ApplyResult()
    try:
        rows = read_table(filename, data)
        header_line, header = next(rows)
    except Exception:  # noqa: BLE001 - any unreadable upload is the same answer
        result.add(0, gettext("The file could not be read as CSV or XLSX."))
        return result
    columns = {_HEADERS.get(_key(cell)): i for i, cell in enumerate(header)}
    columns.pop(None, None)
    if "id" not in columns or not set(EDITABLE) & set(columns):
        result.add(header_line, gettext("The first row must name the columns of the "
                                        "export: 意见ID and at least one of 主题, 观点倾向, "
                                        "处理结果, 理由."))
        return result
    stances = _lookup(STANCE_LABELS, Stance)
    dispositions = _lookup(DISPOSITION_LABELS, Disposition)
    topics = {t.name: t for t in topics_of(consultation)}
    threshold = concentration_threshold(consultation)
    wanted: dict[int, tuple[int, dict]] = {}
    new_names: list[str] = []
    for line, cells in rows:
        if all(c is None or not str(c).strip() for c in cells):
            continue
        result.rows += 1

        def cell(key: str, cells=cells) -> str:
            index = columns.get(key)
            value = cells[index] if index is not None and index < len(cells) else None
            return "" if value is None else str(value).strip()

        raw_id = cell("id")
        if not raw_id.isdigit() or int(raw_id) > 2**31 - 1:
            result.add(line, gettext("Line %(line)d: “%(value)s” is not an opinion ID.",
                                     line=line, value=raw_id[:40]))
            continue
        opinion_id = int(raw_id)
        if opinion_id in wanted:
            result.add(line, gettext("Line %(line)d: opinion %(id)d appears twice.",
                                     line=line, id=opinion_id))
            continue
        values: dict[str, Any] = {}
        if "topic" in columns:
            name = plain_text(cell("topic"), multiline=False)
            if len(name) > 100:
                result.add(line, gettext("Line %(line)d: a topic's name can be at most 100 "
                                         "characters.", line=line))
            elif name and name not in topics and name not in new_names:
                new_names.append(name)
            values["topic"] = name or None
        if "stance" in columns:
            text = cell("stance")
            values["stance"] = stances.get(_key(text)) if text else None
            if text and values["stance"] is None:
                result.add(line, gettext("Line %(line)d: unknown stance “%(value)s” (支持, "
                                         "反对, 建议, 询问).", line=line, value=text[:40]))
        if "disposition" in columns:
            text = cell("disposition")
            values["disposition"] = dispositions.get(_key(text)) if text else None
            if text and values["disposition"] is None:
                result.add(line, gettext("Line %(line)d: unknown disposition “%(value)s”.",
                                         line=line, value=text[:40]))
        if "reason" in columns:
            values["reason"] = plain_text(cell("reason")) or None
        wanted[opinion_id] = (line, values)
    if not wanted and result.ok:
        result.add(header_line, gettext("The file has no opinion rows."))
    current = {}
    ids = sorted(wanted)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        current.update({row.id: row for row in db.session.execute(
            sa.select(Opinion.id, Opinion.topic_id, Opinion.stance, Opinion.disposition,
                      Opinion.disposition_reason, OpinionMembership.group_id,
                      OpinionGroup.opinion_count)
            .outerjoin(OpinionMembership, OpinionMembership.opinion_id == Opinion.id)
            .outerjoin(OpinionGroup, OpinionGroup.id == OpinionMembership.group_id)
            .where(Opinion.consultation_id == consultation.id, Opinion.id.in_(chunk)))})
    updates = []
    topic_names = {t.id: t.name for t in topics.values()}
    for opinion_id, (line, values) in sorted(wanted.items(), key=lambda kv: kv[1][0]):
        row = current.get(opinion_id)
        if row is None:
            result.add(line, gettext("Line %(line)d: opinion %(id)d is not an opinion of "
                                     "this consultation.", line=line, id=opinion_id))
            continue
        change: dict[str, Any] = {}
        if "topic" in values and values["topic"] != topic_names.get(row.topic_id):
            change["topic"] = values["topic"]
        if "stance" in values and values["stance"] != row.stance:
            change["stance"] = values["stance"]
        disposition = values.get("disposition", row.disposition)
        reason = values.get("reason", row.disposition_reason)
        if disposition != row.disposition or reason != row.disposition_reason:
            if disposition is None:
                if reason:
                    result.add(line, gettext("Line %(line)d: a reason without a "
                                             "disposition.", line=line))
                    continue
            else:
                concentrated = (row.opinion_count or 0) >= threshold
                problem = disposition_problem(disposition, reason, concentrated)
                if problem:
                    result.add(line, gettext("Line %(line)d: %(problem)s", line=line,
                                             problem=problem))
                    continue
            change["disposition"] = disposition
            change["reason"] = reason
            change["overridden"] = row.group_id is not None
        if change:
            updates.append((opinion_id, change))
    if not result.ok:
        return result
    for name in new_names:
        topic = Topic(consultation_id=consultation.id, name=name,
                      position=len(topics) + len(result.new_topics))
        db.session.add(topic)
        result.new_topics.append(name)
        topics[name] = topic
    db.session.flush()
    mappings = []
    for opinion_id, change in updates:
        mapping: dict[str, Any] = {"id": opinion_id}
        if "topic" in change:
            mapping["topic_id"] = topics[change["topic"]].id if change["topic"] else None
            mapping["suggested_topic_id"] = None
        if "stance" in change:
            mapping["stance"] = change["stance"]
            mapping["suggested_stance"] = None
        if "disposition" in change:
            mapping.update(disposition=change["disposition"],
                           disposition_reason=change["reason"],
                           disposition_overridden=change["overridden"])
        mappings.append(mapping)
    # One executemany per set of columns (rows differ in which columns they change).
    by_columns: dict[tuple, list[dict]] = {}
    for mapping in mappings:
        by_columns.setdefault(tuple(sorted(mapping)), []).append(mapping)
    for group in by_columns.values():
        for start in range(0, len(group), BATCH):
            db.session.execute(sa.update(Opinion), group[start:start + BATCH])
    db.session.expire_all()
    result.updated = len(mappings)
    audit.record("opinion.classification_applied", consultation,
                 {"filename": filename[:255], "rows": result.rows, "count": result.updated,
                  "new_topics": result.new_topics},
                 actor=actor)
    return result

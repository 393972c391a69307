"""One import from upload to result: the read of the file for an :class:`OpinionImport`.

The web page keeps the upload in a temporary file (:func:`start_import`) and queues the
``opinions.import`` task; ``flask opinions import`` calls :func:`run_import` on the
file given, with a progress bar. Either way :func:`run_import` reads the file once,
storing each row as it is found valid in the caller's one transaction, then keeps the
rows, or refuses the file (errors) or waits for the official's confirmation
(duplicates) with none of them kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from participation.consultations.models import Consultation
from participation.core import audit, signals
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.jobs import register_job
from participation.core.tasks import (
    LEASE,
    Task,
    TaskState,
    enqueue,
    register_task,
    report_progress,
)
from participation.core.timeutil import utc_to_local
from participation.core.uploads import remove_temporary, save_temporary, temporary_path
from participation.extensions import db
from participation.opinions.counters import count
from participation.opinions.imports.checking import (
    ErrorLog,
    FileCheck,
    error_as_json,
    error_from_json,
    open_check,
)
from participation.opinions.imports.duplicates import (
    Duplicates,
    ReferenceIndex,
    earlier_imports,
    find_duplicates,
)
from participation.opinions.imports.messages import RowError
from participation.opinions.imports.storing import Stored, store_rows
from participation.opinions.models import ImportState, OpinionImport
from participation.opinions.operations import article_resolver

TASK_KIND = "opinions.import"
#: An import waiting for confirmation keeps its file this long.
UNCONFIRMED_KEPT = timedelta(days=1)


class ImportActionError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "not_waiting": _l("This import is not waiting for a confirmation any more."),
    }


class ImportProgress:
    """How a run reports: ``phase(state, total)`` when a pass starts, ``rows(done,
    total)`` during it. The default reports nothing."""

    def phase(self, record: OpinionImport, state: ImportState, total: int | None) -> None:
        record.state = state

    def rows(self, done: int, total: int | None) -> None:
        pass

    def follow_up(self, total: int) -> Callable[[int, int], None] | None:
        """What reports the work done on the stored opinions after them (their grouping's
        preparation), or None to report nothing."""
        return None


class TaskProgress(ImportProgress):
    """Progress on the task page: committed while rows are only checked (nothing else is
    written then); while they are stored, which must stay in one transaction, written on
    a connection of its own on PostgreSQL (SQLite has one writer: the count waits)."""

    def __init__(self, task: Task) -> None:
        self.task = task
        # Read now: during the rows the session's connection is busy with the inserts
        # (PostgreSQL's COPY), so nothing may load an expired attribute then.
        self.task_id = task.id
        self.storing = False
        self.total: int | None = None

    def phase(self, record: OpinionImport, state: ImportState, total: int | None) -> None:
        record.state = state
        self.total = total
        self.storing = state == ImportState.STORING
        report_progress(self.task, 0, total)  # commits the new state

    def rows(self, done: int, total: int | None) -> None:
        total = total or self.total
        if not self.storing:
            report_progress(self.task, done, total)
        elif db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(
                    sa.update(Task.__table__).where(Task.__table__.c.id == self.task_id)
                    .values(progress_done=done, progress_total=total,
                            locked_until=utcnow() + LEASE))


@dataclass
class RunOutcome:
    """What :func:`run_import` did; ``stored`` is set when rows were inserted."""

    record: OpinionImport
    stored: Stored | None = None

    @property
    def errors(self) -> list[RowError]:
        return [error_from_json(data) for data in self.record.first_errors or []]

    @property
    def duplicates(self) -> Duplicates:
        return Duplicates.from_json(self.record.duplicates)


def _now_local() -> datetime:
    return utc_to_local(utcnow())


def _open(record: OpinionImport, consultation: Consultation, source: Path,
          resolve: Callable[[str], int | None], progress: ImportProgress) -> FileCheck:
    check = open_check(record.filename, source, resolve_article=resolve,
                       references=ReferenceIndex(consultation.id), now=_now_local(),
                       progress=progress.rows)
    return check


def _check(record: OpinionImport, consultation: Consultation, source: Path,
           resolve: Callable[[str], int | None], progress: ImportProgress) -> FileCheck:
    """Every row checked, nothing stored."""
    progress.phase(record, ImportState.CHECKING, None)
    check = _open(record, consultation, source, resolve, progress)
    for _row in check.valid_rows():
        pass
    check.finish()
    _checked(record, check)
    return check


def _checked(record: OpinionImport, check: FileCheck) -> None:
    record.rows_checked = check.rows_checked
    record.encoding = check.info.encoding if check.info else None


def _refuse(record: OpinionImport, log: ErrorLog, actor) -> None:
    record.state = ImportState.REFUSED
    record.error_count = log.count
    record.first_errors = [error_as_json(error) for error in log.first]
    record.error_file = log.key if log.count else None
    audit.record("opinion.import_refused", record,
                 {"filename": record.filename, "errors": log.count},
                 government_id=record.consultation.government_id, actor=actor)


class _Discard(Exception):  # noqa: N818 - a way out of the savepoint, never seen
    """Leave the import's savepoint, its rows rolled back."""


def run_import(record: OpinionImport, source: Path, *, actor=None,
               progress: ImportProgress | None = None) -> RunOutcome:
    """Check ``source`` for ``record`` and import every row, or none.

    A file with any error is refused (state ``refused``: the first 1,000 errors on the
    record, all of them in its error file). A valid file that was imported before, or
    whose rows repeat recorded opinions or each other, waits for confirmation (state
    ``unconfirmed``) unless ``record.confirmed``. Otherwise every row is inserted, the
    counters updated once per article, the import audited as ``opinion.imported`` and
    ``opinions_imported`` sent once (state ``imported``). Flushes; the caller commits
    (``progress`` may commit the states, never rows).

    The file is read once: each row is stored, in a savepoint, as soon as it is found
    valid, so checking, preparing and the database's inserts overlap. The first error
    rolls the savepoint back (the rest of the file is only checked); so do repeated rows
    found at the end without a confirmation. A file imported before is only checked
    until it is confirmed.
    """
    progress = progress or ImportProgress()
    consultation = db.session.get(Consultation, record.consultation_id)
    resolve = article_resolver(consultation.draft_version)
    if earlier_imports(record) and not record.confirmed:
        check = _check(record, consultation, source, resolve, progress)
        if not check.ok:
            _refuse(record, check.errors, actor)
        else:
            record.duplicates = find_duplicates(record, check.hashes).as_json()
            record.state = ImportState.UNCONFIRMED
        return RunOutcome(record)
    check = _open(record, consultation, source, resolve, progress)
    progress.phase(record, ImportState.STORING, check.info.estimated_rows if check.info else None)
    observers = tuple(result for _receiver, result in
                      signals.opinions_importing.send(consultation, record=record)
                      if result is not None)
    try:
        return _store(record, consultation, source, resolve, progress, check, actor,
                      observers)
    finally:
        for observer in observers:
            observer.close()


def _store(record: OpinionImport, consultation: Consultation, source: Path, resolve,
           progress: ImportProgress, check: FileCheck, actor,
           observers: tuple) -> RunOutcome:
    """:func:`run_import` from the storing pass on (``observers``: of the stored rows)."""
    stored = duplicates = None
    try:
        with db.session.begin_nested():
            stored = store_rows(record, consultation, check.valid_rows(),
                                actor_id=getattr(actor, "id", None), observers=observers)
            if not check.ok:
                raise _Discard
            duplicates = find_duplicates(
                record, check.hashes,
                (stored.first_id, stored.last_id) if stored.count else None)
            if duplicates and not record.confirmed:
                raise _Discard
    except _Discard:
        stored = None
    except IntegrityError:
        # A reference recorded meanwhile by another official (the unique index saw it):
        # check again, which names the rows.
        again = _check(record, consultation, source, resolve, progress)
        if again.ok:
            raise
        _refuse(record, again.errors, actor)
        return RunOutcome(record)
    if not check.ok:
        progress.phase(record, ImportState.CHECKING, check.rows_checked)
        check.finish()
        _checked(record, check)
        _refuse(record, check.errors, actor)
        return RunOutcome(record)
    _checked(record, check)
    record.duplicates = duplicates.as_json() if duplicates else None
    if stored is None:
        record.state = ImportState.UNCONFIRMED
        return RunOutcome(record)
    for node_id, (amount, public) in stored.per_node.items():
        count(consultation, node_id, amount, public=public)
    record.state = ImportState.IMPORTED
    record.row_count = stored.count
    db.session.flush()
    audit.record("opinion.imported", consultation, {
        "filename": record.filename, "count": stored.count, "sha256": record.sha256,
        "import_id": record.id, "encoding": record.encoding,
        "opinion_ids": [stored.first_id, stored.last_id],
        "confirmed_duplicates": record.duplicates}, actor=actor)
    if stored.count:
        signals.opinions_imported.send(consultation,
                                       opinion_ids=(stored.first_id, stored.last_id),
                                       progress=progress.follow_up(stored.count),
                                       observers=observers)
    return RunOutcome(record, stored)


# -- the web page's path: upload, background task, confirmation ---------------------------


def new_import(consultation: Consultation, filename: str, sha256: str, actor=None,
               upload_key: str | None = None) -> OpinionImport:
    """A new import record for a file of ``consultation`` (flushed)."""
    record = OpinionImport(consultation_id=consultation.id, sha256=sha256,
                           filename=(filename or "-")[:255], row_count=0,
                           imported_by_id=getattr(actor, "id", None),
                           state=ImportState.QUEUED, upload_key=upload_key)
    db.session.add(record)
    db.session.flush()
    return record


def _queue(record: OpinionImport, actor) -> Task:
    task = enqueue(TASK_KIND, {"import_id": record.id}, created_by_id=getattr(actor, "id", None),
                   government_id=record.consultation.government_id, max_attempts=1)
    record.task_id = task.id
    return task


def start_import(consultation: Consultation, upload, actor) -> OpinionImport:
    """Keep the uploaded file (a werkzeug ``FileStorage``, copied in chunks) and queue its
    import as a background task; audited as ``opinion.import_uploaded``."""
    key, sha256, size = save_temporary(upload.stream)
    record = new_import(consultation, upload.filename or "", sha256, actor, upload_key=key)
    _queue(record, actor)
    audit.record("opinion.import_uploaded", record,
                 {"filename": record.filename, "size": size, "sha256": sha256},
                 government_id=consultation.government_id, actor=actor)
    return record


def confirm_import(record: OpinionImport, actor) -> OpinionImport:
    """Import a file waiting for confirmation anyway, its repeated rows included (checked
    again from the kept file); audited as ``opinion.import_confirmed``."""
    if record.state != ImportState.UNCONFIRMED or record.upload_key is None:
        raise ImportActionError("not_waiting")
    record.confirmed = True
    record.state = ImportState.QUEUED
    _queue(record, actor)
    audit.record("opinion.import_confirmed", record,
                 {"filename": record.filename, "duplicates": record.duplicates},
                 government_id=record.consultation.government_id, actor=actor)
    return record


@register_task(TASK_KIND)
def run_import_task(task: Task) -> None:
    """The background task of a web upload: run the import, commit it, then remove the
    kept file unless it waits for confirmation. A task run again after its import
    finished does nothing."""
    record = db.session.get(OpinionImport, task.payload["import_id"])
    if record is None or record.task_id != task.id or record.state.finished \
            or record.state == ImportState.UNCONFIRMED:
        return
    from participation.accounts.models import User

    actor = db.session.get(User, task.created_by_id) if task.created_by_id else None
    key = record.upload_key
    if key is None or not temporary_path(key).exists():
        record.state = ImportState.DISCARDED
        record.upload_key = None
        db.session.commit()
        return
    outcome = run_import(record, temporary_path(key), actor=actor,
                         progress=TaskProgress(task))
    keep = outcome.record.state == ImportState.UNCONFIRMED
    if not keep:
        outcome.record.upload_key = None
    db.session.commit()
    if not keep:
        remove_temporary(key)
    rows = outcome.record.rows_checked
    report_progress(task, rows, rows)  # the stored rows could not report on SQLite


@register_job("opinions.discard_unconfirmed_imports", every=timedelta(hours=1))
def discard_unconfirmed_imports(now: datetime) -> int:
    """Remove the kept files of imports left unconfirmed for a day, or whose task failed
    a day ago (level-triggered: whatever is older than the limit now)."""
    failed = sa.select(Task.id).where(Task.state == TaskState.FAILED)
    records = db.session.scalars(sa.select(OpinionImport).where(
        OpinionImport.updated_at < now - UNCONFIRMED_KEPT,
        sa.or_(OpinionImport.state == ImportState.UNCONFIRMED,
               sa.and_(OpinionImport.state.in_(
                   (ImportState.QUEUED, ImportState.CHECKING, ImportState.STORING)),
                   OpinionImport.task_id.in_(failed))))).all()
    for record in records:
        key, record.upload_key = record.upload_key, None
        record.state = ImportState.DISCARDED
        audit.record("opinion.import_discarded", record, {"filename": record.filename},
                     government_id=record.consultation.government_id)
        db.session.commit()
        remove_temporary(key)
    return len(records)

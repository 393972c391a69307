"""An import's opinions prepared for grouping while they are stored.

A large import's fingerprints (normalised text, exact key, person key, MinHash band
hashes) used to be computed after its rows, from the rows read back: about a third of a
million-row import. :class:`ImportFingerprints` is the observer grouping gives an import
(``signals.opinions_importing``): each batch of texts the import stores goes to a worker
process (:mod:`.worker`: pure computation, no database), which works on the machine's
other core while this process goes on checking and inserting rows. The results come
back in order and are written

- on SQLite, as they arrive, between two batches of the import's inserts (the batch's ids
  are known there: one writer, consecutive ids), so nothing waits at the end;
- on PostgreSQL (whose rows go through one ``COPY``), kept and written after the rows,
  with the import's ids read back in order.

Either way in the import's transaction, so the fingerprints are kept or dropped with the
rows. An import of at most :data:`HELD` batches (:data:`~..imports.storing.BATCH` rows
each) never starts the worker. If the worker cannot start or stops, the opinions it did
not cover are fingerprinted from the rows after them, as before.
"""

from __future__ import annotations

import io
import logging
import os
import select
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from participation import ROOT
from participation.extensions import db
from participation.opinions.grouping.store import (
    BandRows,
    keep_page_cache,
    write_fingerprint_rows,
)
from participation.opinions.grouping.worker import Sender, read_message, write_message

log = logging.getLogger(__name__)

#: The worker's command.
WORKER = [sys.executable, "-m", "participation.opinions.grouping.worker"]
#: Batches handed to the worker and not yet written, at most (bounded memory).
IN_FLIGHT = 6
#: Batches held before the worker starts (an import of up to this many batches is
#: fingerprinted without it).
HELD = 1


class WorkerStopped(Exception):
    """The worker process ended before it answered every batch."""


@dataclass
class ImportFingerprints:
    """The observer of one import's stored rows (see the module's docstring)."""

    consultation_id: int
    import_id: int
    _process: subprocess.Popen | None = None
    _to_worker: io.BufferedWriter | None = None
    _held: list[tuple[list[str], list[Sender], int | None]] = field(default_factory=list)
    _flying: deque[tuple[int, int | None]] = field(default_factory=deque)
    _kept: list[tuple] = field(default_factory=list)  # PostgreSQL: written at the end
    _bands: BandRows | None = None
    failed: bool = False
    written: int = 0  # opinions whose fingerprints are written
    prepared: int = 0  # opinions handed to the worker

    def stored(self, texts: list[str], senders: list[Sender], first_id: int | None) -> None:
        """A batch of rows was stored (``first_id``: the id of its first row, consecutive
        ids; None when not known yet)."""
        if self.failed:
            return
        if self._process is None:
            self._held.append((texts, senders, first_id))
            if len(self._held) <= HELD:
                return
            held, self._held = self._held, []
            if not self._start():
                return
            for batch in held:
                self._submit(*batch)
            return
        self._submit(texts, senders, first_id)

    def _start(self) -> bool:
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
        try:
            self._process = subprocess.Popen(  # noqa: S603 - our own module, no shell
                WORKER,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0,
                cwd=str(ROOT), env=environment)
        except OSError:
            log.warning("the fingerprint worker did not start", exc_info=True)
            self.failed = True
            return False
        self._to_worker = io.BufferedWriter(self._process.stdin, buffer_size=1 << 20)
        return True

    def _submit(self, texts: list[str], senders: list[Sender], first_id: int | None) -> None:
        try:
            write_message(self._to_worker, (texts, senders))
            self._flying.append((len(texts), first_id))
            self.prepared += len(texts)
            while self._flying and (len(self._flying) > IN_FLIGHT or self._answered()):
                self._take()
        except (OSError, WorkerStopped):
            log.warning("the fingerprint worker stopped", exc_info=True)
            self.failed = True
            self.close()

    def _answered(self) -> bool:
        return bool(select.select([self._process.stdout], [], [], 0)[0])

    def _take(self) -> None:
        size, first_id = self._flying.popleft()
        result = read_message(self._process.stdout)
        if result is None or len(result[1]) != size:
            raise WorkerStopped
        if first_id is None:
            self._kept.append(result)
        else:
            self._write(list(range(first_id, first_id + size)), result)

    def _write(self, ids: list[int], result: tuple) -> None:
        exact, people, bands = result
        people = [key or f"o{i}" for key, i in zip(people, ids, strict=True)]
        if self._bands is None:
            self._bands = BandRows(db.session.connection())
        # In the middle of the import's inserts: their page cache stays as it is.
        with keep_page_cache():
            write_fingerprint_rows(self.consultation_id, ids, exact.tolist(), people, bands,
                                   band_rows=False)
            self._bands.add(self.consultation_id, ids, bands)
        self.written += len(ids)

    def finish(self, first_id: int, last_id: int,
               progress: Callable[[int, int], None] | None = None) -> bool:
        """Write what is left, after the rows (``first_id`` … ``last_id``: the import's
        ids). Returns whether every opinion of the import has its fingerprint."""
        if self._process is None:
            return False
        total = last_id - first_id + 1
        try:
            self._to_worker.flush()
            while self._flying:
                self._take()
                if progress:
                    progress(self.written, total)
        except (OSError, WorkerStopped):
            log.warning("the fingerprint worker stopped", exc_info=True)
            self.failed = True
        if self._kept and not self.failed:
            self._write_kept(first_id, last_id, progress, total)
        if self._bands is not None:
            with keep_page_cache():
                self._bands.flush()
        self.close()
        if progress:
            progress(self.written, total)
        return not self.failed and self.written == total == self.prepared

    def _write_kept(self, first_id: int, last_id: int,
                    progress: Callable[[int, int], None] | None, total: int) -> None:
        """PostgreSQL: the kept results with the import's ids, read back in order (a
        sequence hands out increasing ids in the order of ``COPY``'s rows)."""
        opinion = sa.table("opinion", sa.column("id"), sa.column("import_id"))
        ids = db.session.connection().execute(
            sa.select(opinion.c.id).where(opinion.c.import_id == self.import_id,
                                          opinion.c.id.between(first_id, last_id))
            .order_by(opinion.c.id), execution_options={"stream_results": True})
        kept, self._kept = self._kept, []
        for result in kept:
            part = [row[0] for row in ids.fetchmany(len(result[1]))]
            if len(part) != len(result[1]):
                raise RuntimeError("the import's opinions and their fingerprints differ")
            self._write(part, result)
            if progress:
                progress(self.written, total)
        ids.close()

    def close(self) -> None:
        """Stop the worker (what it still computes is dropped)."""
        process, self._process = self._process, None
        self._flying.clear()
        self._kept = []
        if process is None:
            return
        try:
            self._to_worker.close()
        except OSError:
            pass
        process.stdout.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

"""A large import is fingerprinted by a worker process while its rows are stored
(``participation.opinions.grouping.prepare``): the fingerprints are those the full
regrouping writes, a worker that stops leaves nothing out, and a refused import keeps
none of them."""

from __future__ import annotations

import csv
import io
import sys

import pytest
import sqlalchemy as sa

from participation.extensions import db
from participation.opinions.grouping import incremental, prepare
from participation.opinions.grouping.models import OpinionFingerprint
from participation.opinions.imports import storing
from participation.opinions.models import ImportState, Opinion, OpinionImport
from tests.opinions.test_grouping import CAMPAIGN, OTHER, consultation  # noqa: F401
from tests.opinions.test_grouping_regroup import _fingerprint_rows, _written_by_the_command

HEADER = ["工单编号", "渠道", "收到时间", "条款", "意见内容", "姓名", "联系方式"]
ROWS = 230  # six batches of 40


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 40 rows, and imports of more than 50 grouped by a task: the worker
    starts with the second batch, as it does with the second 2,000 rows."""
    monkeypatch.setattr(storing, "BATCH", 40)
    monkeypatch.setattr(storing, "PROGRESS_EVERY", 40)
    monkeypatch.setattr(incremental, "INLINE_IMPORT_LIMIT", 50)
    finished: list[tuple[bool, int]] = []
    original = prepare.ImportFingerprints.finish

    def finish(self, *args, **kwargs):
        complete = original(self, *args, **kwargs)
        finished.append((complete, self.prepared))
        return complete

    monkeypatch.setattr(prepare.ImportFingerprints, "finish", finish)
    return finished


def _file(tmp_path, *, last_channel: str = "热线"):
    rows = []
    for n in range(ROWS):
        body = (CAMPAIGN + "！" * (n % 3)) if n % 4 else f"{OTHER}（第{n}份）"
        name = "张伟" if n % 5 == 0 else ""
        contact = f"1390000{n % 7:04d}" if n % 3 == 0 else ""
        channel = ("热线", "信函", "座谈会")[n % 3] if n < ROWS - 1 else last_channel
        rows.append([f"T-{n:05d}", channel, "2026-03-02 10:00", "", body, name, contact])
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows([HEADER, *rows])
    path = tmp_path / "many.csv"
    path.write_bytes(buffer.getvalue().encode("gbk"))
    return path


def _import(runner, consultation, path):  # noqa: F811
    return runner.invoke(args=["opinions", "import", "--consultation", str(consultation.id),
                               "--allow-duplicates", str(path)])


def _imported(consultation) -> list[Opinion]:  # noqa: F811
    return db.session.scalars(sa.select(Opinion).where(
        Opinion.consultation_id == consultation.id).order_by(Opinion.id)).all()


def test_the_worker_writes_the_fingerprints_a_full_regrouping_writes(
        small_batches, runner, consultation, tmp_path):  # noqa: F811
    result = _import(runner, consultation, _file(tmp_path))
    assert result.exit_code == 0, result.output
    assert small_batches == [(True, ROWS)]  # every row went through the worker
    created = _imported(consultation)
    assert len(created) == ROWS
    written = _fingerprint_rows()
    assert [row.opinion_id for row in written[0]] == [o.id for o in created]
    # Exact keys, person keys ("张伟" on three channels is three people; the same
    # telephone number is one), band hashes and band rows: what the command writes.
    assert _written_by_the_command(runner, consultation, created) == written


def test_a_worker_that_stops_leaves_its_opinions_to_the_fingerprints_from_the_rows(
        small_batches, monkeypatch, runner, consultation, tmp_path):  # noqa: F811
    monkeypatch.setattr(prepare, "WORKER", [sys.executable, "-c", "pass"])
    result = _import(runner, consultation, _file(tmp_path))
    assert result.exit_code == 0, result.output
    assert [complete for complete, _count in small_batches] == [False]
    created = _imported(consultation)
    written = _fingerprint_rows()
    assert [row.opinion_id for row in written[0]] == [o.id for o in created]
    assert _written_by_the_command(runner, consultation, created) == written


def test_a_refused_import_keeps_no_fingerprint_and_stops_its_worker(
        small_batches, monkeypatch, runner, consultation, tmp_path):  # noqa: F811
    started = []
    original = prepare.ImportFingerprints._start

    def start(self):
        ok = original(self)
        started.append(self._process)
        return ok

    monkeypatch.setattr(prepare.ImportFingerprints, "_start", start)
    result = _import(runner, consultation, _file(tmp_path, last_channel="微博"))
    assert result.exit_code != 0
    assert "unknown" in result.output.lower() or "渠道" in result.output
    assert len(started) == 1
    assert started[0].poll() is not None  # the worker ended with the import
    assert _imported(consultation) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OpinionFingerprint)) == 0
    assert db.session.scalar(sa.select(OpinionImport.state)) == ImportState.REFUSED

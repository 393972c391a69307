"""A worker killed (SIGKILL) while sending: another worker takes the message over once
the lease has expired, and the message is delivered exactly once. Two workers started
together never send one message twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from participation.extensions import db
from tests.conftest import migrated_scratch_app

ROOT = Path(__file__).resolve().parents[2]
LEASE = 6

pytestmark = pytest.mark.no_db_transaction

WORKER = """
import sys, time
from participation import create_app
from participation.core import outbox
from participation.extensions import db

url, log, pause, rounds = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])

def to_file(message):
    time.sleep(pause)  # the SMTP server is slow
    with open(log, "a") as out:
        out.write(f"{message.id} {message.recipient}\\n")

outbox.BACKENDS["file"] = to_file
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                  "RATELIMIT_STORAGE_URI": "memory://", "VERIFICATION_SENDER": "file",
                  "OUTBOX_LEASE_SECONDS": @LEASE@})
with app.app_context():
    for _ in range(rounds):
        started = time.time()
        print(outbox.deliver_due(), started, flush=True)
        time.sleep(0.2)
    db.engine.dispose()
""".replace("@LEASE@", str(LEASE))


@pytest.fixture
def database(tmp_path):
    app = migrated_scratch_app(tmp_path, "outbox", OUTBOX_INLINE=False)
    yield app, app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.engine.dispose()


def _queue(app, count: int) -> None:
    from participation.core.outbox import queue_message

    with app.app_context():
        for n in range(count):
            queue_message(f"citizen{n}@example.com", "Code", "Your code is 123456")
        db.session.commit()


def _states(app) -> list[tuple[str, int]]:
    from participation.core.outbox import OutboxMessage

    with app.app_context():
        rows = db.session.execute(sa.select(OutboxMessage.state, OutboxMessage.attempts)
                                  .order_by(OutboxMessage.id)).all()
        db.session.rollback()
        return [(state.value, attempts) for state, attempts in rows]


def _worker(url: str, log: Path, pause: float, rounds: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WORKER, url, str(log), str(pause),
                             str(rounds)], cwd=ROOT, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_worker_killed_while_sending_is_taken_over_and_sends_once(database, tmp_path):
    app, url = database
    log = tmp_path / "delivered.log"
    _queue(app, 1)
    first = _worker(url, log, pause=60, rounds=1)
    deadline = time.monotonic() + 20
    while _states(app) != [("sending", 1)]:
        assert time.monotonic() < deadline, first.stderr.read() if first.poll() else ""
        time.sleep(0.05)
    lease_ends = _lease_end(app)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate()
    # While the dead worker's lease lasts, nobody sends it; then the next worker does.
    # (Each round prints what it delivered and when it started: a slow start of the
    # second worker on a busy machine may leave it no round inside the lease.)
    second = _worker(url, log, pause=0, rounds=int(LEASE / 0.2) + 10)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert log.read_text().splitlines() == ["1 citizen0@example.com"]
    assert _states(app) == [("sent", 2)]
    rounds = [(int(count), float(started)) for count, started in
              (line.split() for line in out.splitlines())]
    assert [count for count, _ in rounds].count(1) == 1
    assert all(count == 0 for count, started in rounds if started < lease_ends - 0.5)
    delivered_at = next(started for count, started in rounds if count == 1)
    assert delivered_at >= lease_ends - 0.5  # not before the dead worker's lease ended


def _lease_end(app) -> float:
    """When the leased message's lease ends, as a Unix time (the column is UTC)."""
    import calendar

    from participation.core.outbox import OutboxMessage

    with app.app_context():
        until = db.session.scalar(sa.select(OutboxMessage.locked_until))
        db.session.rollback()
    return calendar.timegm(until.timetuple()) + until.microsecond / 1e6


def test_two_workers_together_send_every_message_once(database, tmp_path):
    app, url = database
    log = tmp_path / "delivered.log"
    _queue(app, 20)
    workers = [_worker(url, log, pause=0.02, rounds=3) for _ in range(2)]
    results = [worker.communicate(timeout=60) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), results
    lines = log.read_text().splitlines()
    assert len(lines) == len(set(lines)) == 20
    assert {state for state, _ in _states(app)} == {"sent"}

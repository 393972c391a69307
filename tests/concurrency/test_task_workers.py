"""Three workers draining one queue never run a task twice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from participation.extensions import db
from tests.conftest import migrated_scratch_app

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.no_db_transaction

WORKER = """
import sys, time
from participation import create_app
from participation.core import tasks
from participation.extensions import db

url, log = sys.argv[1:3]

@tasks.register_task("test.append")
def append(task):
    with open(log, "a") as out:
        out.write(f"{task.id}\\n")
    time.sleep(0.05)

app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                  "RATELIMIT_STORAGE_URI": "memory://"})
with app.app_context():
    while tasks.run_one():
        pass
    db.engine.dispose()
"""


def test_three_workers_run_every_task_once(tmp_path):
    from participation.core import tasks

    app = migrated_scratch_app(tmp_path, "tasks")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        tasks.HANDLERS.setdefault("test.append", lambda task: None)
        for n in range(24):
            tasks.enqueue("test.append", {"n": n})
        db.session.commit()
    log = tmp_path / "runs.log"
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, url, str(log)], cwd=ROOT,
                                env=os.environ.copy(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [worker.communicate(timeout=60) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), results
    lines = log.read_text().splitlines()
    assert len(lines) == len(set(lines)) == 24
    with app.app_context():
        states = db.session.scalars(db.select(tasks.Task.state)).all()
        assert set(states) == {tasks.TaskState.DONE}
        db.session.rollback()
        db.engine.dispose()
    tasks.HANDLERS.pop("test.append", None)

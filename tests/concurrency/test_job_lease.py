"""Two hosts starting ``flask jobs run`` at the same moment: a due job runs once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import migrated_scratch_app

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.no_db_transaction

HOST = """
import sys, time
from datetime import timedelta
from participation import create_app
from participation.core import jobs
from participation.extensions import db

url, log, owner = sys.argv[1:4]
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                  "RATELIMIT_STORAGE_URI": "memory://"})
jobs.JOBS.clear()

@jobs.register_job("test.slow", every=timedelta(hours=1))
def slow(now):
    with open(log, "a") as out:
        out.write(owner + "\\n")
    time.sleep(1.0)

with app.app_context():
    print(jobs.run_due_jobs(owner=owner))
    db.engine.dispose()
"""


def test_two_hosts_at_the_same_minute_run_a_due_job_once(tmp_path):
    app = migrated_scratch_app(tmp_path, "lease")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        from participation.extensions import db

        db.engine.dispose()
    log = tmp_path / "runs.log"
    hosts = [subprocess.Popen([sys.executable, "-c", HOST, url, str(log), f"host-{n}"],
                              cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for n in range(3)]
    outputs = [host.communicate(timeout=60) for host in hosts]
    assert all(host.returncode == 0 for host in hosts), outputs
    assert len(log.read_text().splitlines()) == 1, outputs

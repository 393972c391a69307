"""Periodic jobs: due once per interval, caught up after a missed run, one host at a
time under a lease that a dead host's expiry hands over."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from participation.core import jobs
from participation.core.jobs import JOBS, JobLease, PeriodicJob, run_due_jobs, take_lease
from participation.extensions import db

NOW = datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def calls(monkeypatch):
    """Only a test job is registered; returns the list of ``now`` it was called with."""
    seen: list[datetime] = []
    monkeypatch.setattr(jobs, "JOBS", {})
    jobs.register_job("test.count", every=timedelta(hours=1))(seen.append)
    return seen


def test_the_purge_is_registered_as_an_hourly_job(app):
    assert JOBS["maintenance.purge"].every == timedelta(hours=1)


def test_a_job_runs_once_per_interval_and_records_its_run(app, calls):
    assert run_due_jobs(NOW, owner="a") == {"test.count": "done"}
    assert run_due_jobs(NOW + timedelta(minutes=30), owner="a") == {}
    lease = db.session.get(JobLease, "test.count")
    assert (lease.last_started_at, lease.leased_until, lease.last_error) == (NOW, None, None)
    assert lease.last_finished_at is not None
    # Three hours missed: the next run catches up once, at the time it runs.
    assert run_due_jobs(NOW + timedelta(hours=4), owner="b") == {"test.count": "done"}
    assert calls == [NOW, NOW + timedelta(hours=4)]


def test_a_held_lease_keeps_another_host_out_until_it_expires(app, calls):
    job = jobs.JOBS["test.count"]
    assert take_lease(job, NOW, "host-a") is True
    # host-a died while running: host-b is kept out while the lease lasts...
    assert run_due_jobs(NOW + timedelta(minutes=5), owner="host-b") == {}
    assert take_lease(job, NOW + timedelta(minutes=5), "host-c") is False
    # ...and takes the job over once it has expired.
    later = NOW + job.lease + timedelta(hours=1)
    assert run_due_jobs(later, owner="host-b") == {"test.count": "done"}
    assert calls == [later]
    assert db.session.get(JobLease, "test.count").leased_by == "host-b"


def test_a_failed_run_is_recorded_and_retried_at_the_next_run(app, monkeypatch):
    monkeypatch.setattr(jobs, "JOBS", {})
    attempts = []

    def flaky(now):
        attempts.append(now)
        if len(attempts) == 1:
            raise RuntimeError("the database was away")

    jobs.JOBS["test.flaky"] = PeriodicJob("test.flaky", flaky, timedelta(days=1),
                                          timedelta(minutes=5))
    assert run_due_jobs(NOW, owner="a") == {"test.flaky": "failed"}
    assert "the database was away" in db.session.get(JobLease, "test.flaky").last_error
    assert run_due_jobs(NOW + timedelta(minutes=1), owner="a") == {"test.flaky": "done"}
    assert db.session.get(JobLease, "test.flaky").last_error is None
    assert run_due_jobs(NOW + timedelta(minutes=2), owner="a") == {}


def test_flask_jobs_run_runs_the_purge(app, runner):
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert "maintenance.purge: done" in result.output
    again = runner.invoke(args=["jobs", "run"])
    assert "maintenance.purge" not in again.output

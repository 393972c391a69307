"""Periodic jobs: plain functions ``job(now)`` registered by their domain, run when due.

``flask jobs run`` runs every registered job that is due once and exits (cron or a
systemd timer starts it every minute; ``flask jobs loop`` does the same every 60 s).
Every job is level-triggered and idempotent: it looks at the state of the database at
``now``, not at what happened since the last run, so a missed or late run is caught up
by the next one and no statutory deadline is skipped.

Several hosts may start ``flask jobs run`` at the same minute: a job runs only under its
row in ``job_lease``, taken with one conditional ``UPDATE`` (the row itself is created
with ``INSERT … ON CONFLICT DO NOTHING``), so two hosts never run the same job together.
The lease has an expiry: the lease of a host that died while running is taken over once
it has expired.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.database import utcnow
from participation.extensions import db

log = logging.getLogger(__name__)

Job = Callable[[datetime], object]


@dataclass(frozen=True)
class PeriodicJob:
    """A registered job: its name, how often it is due and how long its lease lasts."""

    name: str
    function: Job
    every: timedelta
    lease: timedelta


JOBS: dict[str, PeriodicJob] = {}


def register_job(name: str, every: timedelta,
                 lease: timedelta = timedelta(minutes=15)) -> Callable[[Job], Job]:
    """Decorator: run ``function(now)`` from ``flask jobs run`` once ``every`` has
    passed since its last start (or at once after a failed run). ``lease`` must be
    longer than the job ever runs: past it another host may take the job over."""

    def decorator(function: Job) -> Job:
        JOBS[name] = PeriodicJob(name, function, every, lease)
        return function

    return decorator


class JobLease(db.Model):
    """Which host runs a periodic job now, and how its last run went."""

    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True,
                                      comment="the registered job's name")
    leased_until: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True, comment="the running host holds the job until (UTC)")
    leased_by: Mapped[str | None] = mapped_column(
        sa.String(128), nullable=True, comment="host and process running it")
    last_started_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True, comment="when its last run started (UTC)")
    last_finished_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True, comment="when its last run ended (UTC)")
    last_error: Mapped[str | None] = mapped_column(
        sa.Text, nullable=True, comment="traceback of the last run when it failed")

    def __repr__(self) -> str:
        return f"<JobLease {self.name} until {self.leased_until}>"


def worker_name() -> str:
    """This host and process, as written in ``leased_by`` / ``locked_by``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _ensure_row(name: str) -> None:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(JobLease).values(name=name).on_conflict_do_nothing())


def take_lease(job: PeriodicJob, now: datetime, owner: str) -> bool:
    """Take ``job``'s lease when it is due and free (or its holder's lease expired), in
    one conditional UPDATE; True when this caller now holds it. Flushes."""
    _ensure_row(job.name)
    lease = JobLease.__table__.c
    result = db.session.execute(
        sa.update(JobLease.__table__)
        .where(lease.name == job.name)
        .where(sa.or_(lease.leased_until.is_(None), lease.leased_until <= now))
        .where(sa.or_(lease.last_started_at.is_(None), lease.last_error.is_not(None),
                      lease.last_started_at <= now - job.every))
        .values(leased_until=now + job.lease, leased_by=owner, last_started_at=now)
    )
    return result.rowcount == 1


def release_lease(job: PeriodicJob, owner: str, error: str | None) -> None:
    """Record the end of the run and free the lease (only if ``owner`` still holds it).
    Flushes."""
    lease = JobLease.__table__.c
    db.session.execute(
        sa.update(JobLease.__table__)
        .where(lease.name == job.name, lease.leased_by == owner)
        .values(leased_until=None, last_finished_at=utcnow(), last_error=error)
    )


def run_due_jobs(now: datetime | None = None, owner: str | None = None) -> dict[str, str]:
    """Run every registered job that is due at ``now``, each under its lease and in its
    own transaction (this runner commits). Returns ``{name: "done" | "failed"}`` for the
    jobs it ran; jobs not due or held by another host are left out."""
    owner = owner or worker_name()
    outcome: dict[str, str] = {}
    for name in sorted(JOBS):
        job = JOBS[name]
        started = now or utcnow()
        taken = take_lease(job, started, owner)
        db.session.commit()
        if not taken:
            continue
        error = None
        try:
            job.function(started)
            db.session.commit()
        except Exception:
            db.session.rollback()
            error = traceback.format_exc()
            log.exception("periodic job %s failed", name)
        release_lease(job, owner, error)
        db.session.commit()
        outcome[name] = "failed" if error else "done"
    return outcome


Step = Callable[[], int]
WORKER_STEPS: dict[str, Step] = {}


def register_worker_step(name: str) -> Callable[[Step], Step]:
    """Decorator: ``flask jobs worker`` calls ``function()`` in its loop; it does what is
    due (delivering messages, for example) and returns how many items it handled."""

    def decorator(function: Step) -> Step:
        WORKER_STEPS[name] = function
        return function

    return decorator


def work_once() -> int:
    """Run every worker step once; returns how many items they handled in all."""
    return sum(step() for _name, step in sorted(WORKER_STEPS.items()))


jobs_cli = AppGroup("jobs", help="Periodic jobs and background tasks.")


@jobs_cli.command("run")
def run_command() -> None:
    """Run every periodic job that is due once, then exit (for cron or a timer)."""
    for name, state in run_due_jobs().items():
        click.echo(f"{name}: {state}")


@jobs_cli.command("worker")
@click.option("--once", is_flag=True, help="Handle everything due, then exit.")
@click.option("--pause", default=1.0, show_default=True,
              help="Seconds to wait when nothing is due.")
def worker_command(once: bool, pause: float) -> None:
    """Deliver queued messages (and other worker steps) until stopped."""
    while True:
        handled = work_once()
        if once and not handled:
            return
        if not handled:
            time.sleep(pause)


@jobs_cli.command("loop")
@click.option("--every", default=60, show_default=True, help="Seconds between runs.")
def loop_command(every: int) -> None:
    """Run the due periodic jobs every ``--every`` seconds until stopped (prints only
    the failed runs; their tracebacks are in the log)."""
    while True:
        for name, state in run_due_jobs().items():
            if state == "failed":
                click.echo(f"{name}: {state}", err=True)
        time.sleep(every)

"""Background tasks: work too long for a request (imports, reports), queued in the
``task`` table and run by ``flask jobs worker``.

A domain registers a handler with ``@register_task(kind)``; an operation calls
:func:`enqueue` (flushes; the caller commits). The worker takes a due task with
``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL (on SQLite the candidate is taken by
the same conditional ``UPDATE`` under SQLite's single writer), marks it ``running`` with
a lease (``locked_by``, ``locked_until``) and commits, so no two workers ever run one
task at once. The handler calls :func:`report_progress` between complete batches (it
commits them, extends the lease and shows "rows done of total" on the task page). A
failure is recorded in ``error`` and retried with a growing pause until
``max_attempts``; the task of a crashed worker is taken over once its lease expired.
"""

from __future__ import annotations

import enum
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from participation.core.database import (
    TimestampMixin,
    enum_column,
    utcnow,
    writer_turn_on_first_write,
)
from participation.core.jobs import register_worker_step, worker_name
from participation.extensions import db

LEASE = timedelta(minutes=5)


class TaskState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Task(TimestampMixin, db.Model):
    """One piece of background work, its progress and its errors."""

    __tablename__ = "task"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64), nullable=False,
                                      comment="the registered handler's name")
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(
        sa.String(128), nullable=True, unique=True,
        comment="enqueuing the same key again returns the existing task")
    state: Mapped[TaskState] = mapped_column(
        enum_column(TaskState, name="task_state"), nullable=False, default=TaskState.QUEUED)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=3)
    run_after: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow,
                                                comment="not run before (UTC)")
    locked_by: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    progress_done: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    progress_total: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True,
                                              comment="the last failure")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True)
    government_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("government.id", ondelete="RESTRICT"), nullable=True, index=True,
        comment="whose administrators may see the task")
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)

    __table_args__ = (sa.Index("ix_task_due", "state", "run_after"),)

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.kind} {self.state.value}>"


Handler = Callable[[Task], Any]
HANDLERS: dict[str, Handler] = {}


def register_task(kind: str) -> Callable[[Handler], Handler]:
    """Decorator: ``function(task)`` runs the queued tasks of ``kind``; it reads
    ``task.payload``, may call :func:`report_progress`, and raises to fail."""

    def decorator(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return decorator


def enqueue(kind: str, payload: dict, dedupe_key: str | None = None, *,
            created_by_id: int | None = None, government_id: int | None = None,
            max_attempts: int = 3) -> Task:
    """Queue a task of ``kind`` (a registered handler) with a JSON ``payload``; with a
    ``dedupe_key`` already queued, return that task instead. Flushes; the caller
    commits, so the task runs only if the change that queued it is saved."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for task kind {kind!r}")
    if dedupe_key is not None:
        existing = db.session.scalar(sa.select(Task).where(Task.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    task = Task(kind=kind, payload=payload, dedupe_key=dedupe_key, state=TaskState.QUEUED,
                created_by_id=created_by_id, government_id=government_id,
                max_attempts=max_attempts, run_after=utcnow())
    db.session.add(task)
    db.session.flush()
    return task


def report_progress(task: Task, done: int, total: int | None = None) -> None:
    """Record ``done`` of ``total`` rows for ``task``, extend its lease and commit (call
    it between complete batches: what the handler wrote so far is saved)."""
    task.progress_done = done
    if total is not None:
        task.progress_total = total
    task.locked_until = utcnow() + LEASE
    db.session.commit()


def _due(now: datetime):
    c = Task.__table__.c
    return sa.or_(sa.and_(c.state == TaskState.QUEUED.value, c.run_after <= now),
                  sa.and_(c.state == TaskState.RUNNING.value, c.locked_until <= now))


def claim_task(now: datetime, owner: str) -> int | None:
    """Take one due task for ``owner`` (running, leased) and commit; its id or None."""
    c = Task.__table__.c
    postgres = db.session.get_bind().dialect.name == "postgresql"
    query = sa.select(c.id).where(_due(now)).order_by(c.run_after, c.id).limit(5)
    if postgres:
        query = query.with_for_update(skip_locked=True)
    candidates = db.session.scalars(query).all()
    if not postgres:
        db.session.commit()  # the UPDATE below starts a write transaction of its own
    for task_id in candidates:
        claimed = db.session.execute(
            sa.update(Task.__table__).where(c.id == task_id, _due(now))
            .values(state=TaskState.RUNNING.value, locked_by=owner,
                    locked_until=now + LEASE, attempts=c.attempts + 1, started_at=now,
                    updated_at=now)).rowcount == 1
        if claimed:
            db.session.commit()
            return task_id
    db.session.commit()
    return None


def run_one(now: datetime | None = None, owner: str | None = None) -> bool:
    """Claim one due task and run its handler; False when nothing was due."""
    with writer_turn_on_first_write():
        return _run_one(now, owner or worker_name())


def _run_one(now: datetime | None, owner: str) -> bool:
    task_id = claim_task(now or utcnow(), owner)
    if task_id is None:
        return False
    task = db.session.get(Task, task_id)
    try:
        HANDLERS[task.kind](task)
    except Exception as error:  # noqa: BLE001 - recorded on the task, retried
        db.session.rollback()
        current_app.logger.warning("task %s failed: %s", task_id, error)
        task = db.session.get(Task, task_id)
        task.error = "".join(traceback.format_exception_only(error)).strip()
        if task.attempts >= task.max_attempts or task.kind not in HANDLERS:
            task.state = TaskState.FAILED
            task.finished_at = utcnow()
        else:
            task.state = TaskState.QUEUED
            task.run_after = utcnow() + timedelta(seconds=30 * 2 ** (task.attempts - 1))
    else:
        task.state = TaskState.DONE
        task.finished_at = utcnow()
        task.error = None
    task.locked_by = task.locked_until = None
    db.session.commit()
    return True


@register_worker_step("tasks")
def _task_step() -> int:
    return int(run_one())

"""Background tasks: queued with the change, run by the worker with progress and
errors shown to the official who started them, retried, and taken over after a crash."""

from __future__ import annotations

from datetime import timedelta

import pytest

from participation.core import tasks
from participation.core.database import utcnow
from participation.core.tasks import LEASE, Task, TaskState, claim_task, enqueue, run_one
from participation.extensions import db
from tests.conftest import login


@pytest.fixture
def handlers(monkeypatch):
    """A ``test.rows`` handler that handles its payload's rows, failing on "bad"."""
    monkeypatch.setattr(tasks, "HANDLERS", {})

    @tasks.register_task("test.rows")
    def handle(task):
        rows = task.payload["rows"]
        for done, row in enumerate(rows, start=1):
            if row == "bad":
                raise ValueError(f"row {done} cannot be read")
            tasks.report_progress(task, done, len(rows))


def _task(world, rows, **kwargs) -> Task:
    task = enqueue("test.rows", {"rows": rows}, created_by_id=world.editor.id,
                   government_id=world.government.id, **kwargs)
    db.session.commit()
    return task


def test_the_worker_runs_a_task_and_its_page_shows_the_rows_done(client, world, handlers):
    task = _task(world, ["a", "b", "c"])
    login(client, world.editor)
    page = client.get(f"/admin/tasks/{task.id}").get_data(as_text=True)
    assert "等待执行" in page
    assert run_one() is True
    assert run_one() is False
    db.session.expire_all()
    assert (task.state, task.progress_done, task.progress_total) == (TaskState.DONE, 3, 3)
    page = client.get(f"/admin/tasks/{task.id}").get_data(as_text=True)
    assert "已完成" in page
    assert "已处理 3 / 3 行" in page
    assert f'href="/admin/tasks/{task.id}"' in page  # the reload link


def test_a_failing_task_shows_its_error_is_retried_then_fails(client, world, handlers):
    task = _task(world, ["a", "bad"], max_attempts=2)
    assert run_one() is True
    db.session.expire_all()
    assert (task.state, task.attempts, task.progress_done) == (TaskState.QUEUED, 1, 1)
    assert task.run_after > utcnow()
    assert run_one() is False  # waits before the retry
    assert run_one(now=utcnow() + timedelta(minutes=5)) is True
    db.session.expire_all()
    assert (task.state, task.attempts) == (TaskState.FAILED, 2)
    login(client, world.editor)
    page = client.get(f"/admin/tasks/{task.id}").get_data(as_text=True)
    assert "失败" in page
    assert "row 2 cannot be read" in page


def test_only_its_official_and_the_administrators_see_a_task(client, world, handlers):
    task = _task(world, ["a"])
    assert client.get(f"/admin/tasks/{task.id}").status_code == 302  # sign in first
    login(client, world.other_approver)
    assert client.get(f"/admin/tasks/{task.id}").status_code == 403
    client.post("/logout")
    login(client, world.admin)
    assert client.get(f"/admin/tasks/{task.id}").status_code == 200
    assert client.get("/admin/tasks/999999").status_code == 404


def test_the_same_dedupe_key_returns_the_queued_task(world, handlers):
    first = _task(world, ["a"], dedupe_key="import:1")
    assert _task(world, ["b"], dedupe_key="import:1").id == first.id


def test_a_crashed_workers_task_is_taken_over_after_its_lease(world, handlers):
    task = _task(world, ["a"])
    now = utcnow()
    assert claim_task(now, "worker-a") == task.id
    # worker-a died: the task stays its own while the lease lasts.
    assert claim_task(now + timedelta(minutes=1), "worker-b") is None
    assert run_one(now + LEASE + timedelta(seconds=1), owner="worker-b") is True
    db.session.expire_all()
    assert (task.state, task.attempts) == (TaskState.DONE, 2)

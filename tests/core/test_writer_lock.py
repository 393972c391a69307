"""The SQLite writer turn: taken only when a request first writes, never during password
hashing, and a turn held too long answers "busy, try again" instead of hanging."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask import Blueprint, jsonify

from participation import create_app
from participation.accounts import operations
from participation.accounts.models import User
from participation.core.database import writer_lock_path
from participation.extensions import db
from tests import factories
from tests.conftest import PASSWORD, make_config

pytestmark = pytest.mark.no_db_transaction


@pytest.fixture
def sqlite_app(tmp_path):
    """An app of its own on a SQLite file (the writer turn exists only there)."""
    path = tmp_path / "writer.sqlite3"
    app = create_app(make_config(f"sqlite:///{path}", tmp_path, SQLITE_WRITER_TIMEOUT=0.3))
    blueprint = Blueprint("writer_probe", __name__)

    @blueprint.route("/api/v1/_writer_probe", methods=["POST"])
    def probe():
        user = db.session.scalars(sa.select(User).limit(1)).one()
        user.locale = "en"
        db.session.commit()
        return jsonify({"ok": True})

    app.register_blueprint(blueprint)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        citizen = factories.make_world().citizen
        db.session.commit()
        people = SimpleNamespace(mobile=citizen.mobile, id=citizen.id)
        db.session.remove()
    yield SimpleNamespace(app=app, path=str(path), lock=writer_lock_path(str(path)),
                          citizen=people)
    with app.app_context():
        db.engine.dispose()


@contextmanager
def _held(lock_path: str):
    """Hold the writer turn as another worker would."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def test_hashing_the_password_at_sign_in_holds_no_lock(sqlite_app, monkeypatch):
    observed = {}
    real = operations.check_password_hash

    def hashing(stored: str, password: str) -> bool:
        # Meanwhile another worker takes the writer turn and writes at once.
        fd = os.open(sqlite_app.lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            observed["turn_free"] = True
            fcntl.flock(fd, fcntl.LOCK_UN)
        except BlockingIOError:
            observed["turn_free"] = False
        finally:
            os.close(fd)
        other = sqlite3.connect(sqlite_app.path, timeout=0.1, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("UPDATE government SET hotline = '12345-1'")
            other.execute("COMMIT")
            observed["database_free"] = True
        except sqlite3.OperationalError:
            observed["database_free"] = False
        finally:
            other.close()
        return real(stored, password)

    monkeypatch.setattr(operations, "check_password_hash", hashing)
    client = sqlite_app.app.test_client()
    response = client.post("/login", data={"identifier": sqlite_app.citizen.mobile,
                                           "password": PASSWORD})
    assert response.status_code == 302
    assert observed == {"turn_free": True, "database_free": True}
    with sqlite_app.app.app_context():
        assert db.session.get(User, sqlite_app.citizen.id).last_login_at is not None
        db.session.remove()


def test_a_turn_held_too_long_answers_busy_and_saves_nothing(sqlite_app):
    client = sqlite_app.app.test_client()
    with _held(sqlite_app.lock):
        started = time.monotonic()
        response = client.post("/login", data={"identifier": sqlite_app.citizen.mobile,
                                               "password": PASSWORD})
        waited = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert "网站正忙于保存其他人的修改" in response.get_data(as_text=True)
    assert 0.25 < waited < 5
    assert client.get("/account").status_code == 302  # not signed in by the refused attempt
    with sqlite_app.app.app_context():
        assert db.session.get(User, sqlite_app.citizen.id).last_login_at is None
        db.session.remove()
    # Once the turn is free again the same sign-in goes through.
    again = client.post("/login", data={"identifier": sqlite_app.citizen.mobile,
                                        "password": PASSWORD})
    assert again.status_code == 302


def test_the_busy_answer_of_the_api_is_json(sqlite_app):
    client = sqlite_app.app.test_client()
    with _held(sqlite_app.lock):
        response = client.post("/api/v1/_writer_probe")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "busy"
    assert response.headers["Retry-After"] == "2"
    assert client.post("/api/v1/_writer_probe").get_json() == {"ok": True}


def test_reading_pages_never_waits_for_the_turn(sqlite_app):
    client = sqlite_app.app.test_client()
    with _held(sqlite_app.lock):
        assert client.get("/login").status_code == 200
        # A POST that reads but writes nothing (a wrong password) does not wait either.
        started = time.monotonic()
        response = client.post("/login", data={"identifier": sqlite_app.citizen.mobile,
                                               "password": "wrong"})
        assert response.status_code == 200
        assert time.monotonic() - started < 0.25


def test_a_select_for_update_takes_the_turn_before_reading(sqlite_app):
    def turn_free() -> bool:
        fd = os.open(sqlite_app.lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return True
        except BlockingIOError:
            return False
        finally:
            os.close(fd)

    with sqlite_app.app.test_request_context("/", method="POST"):
        db.session.scalar(sa.select(User).where(User.id == sqlite_app.citizen.id))
        assert turn_free()  # a plain read takes nothing
        db.session.scalar(sa.select(User).where(User.id == sqlite_app.citizen.id)
                          .with_for_update())
        assert not turn_free()
        db.session.commit()
        assert turn_free()
        db.session.remove()


def test_a_writer_outside_the_queue_also_gives_the_busy_answer(sqlite_app):
    """A command line process writing without the lock file keeps SQLite's own lock."""
    other = sqlite3.connect(sqlite_app.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        client = sqlite_app.app.test_client()
        response = client.post("/login", data={"identifier": sqlite_app.citizen.mobile,
                                               "password": PASSWORD})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert response.status_code == 503
    assert "网站正忙于保存其他人的修改" in response.get_data(as_text=True)

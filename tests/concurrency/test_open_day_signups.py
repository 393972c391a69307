"""Open-day capacity under load (issue 9, §6), against real server processes: two
gunicorn instances on the same database (SQLite or PostgreSQL, as the suite runs).

- 200 concurrent signups for the last 20 places: capacity never exceeded, every signup
  stored, the rest waitlisted in order, no server error;
- cancellations (self and organizer) racing promotions and new signups;
- a capacity increase racing signups;
- the control: with the guard bypassed (testing-only switch) the same load overbooks,
  so the tests above would see the race if the guard did not stop it.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from tests.conftest import PASSWORD, make_config, scratch_database_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CITIZENS = 300

pytestmark = pytest.mark.no_db_transaction


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PARTICIPATION_DATABASE_URL": url,
        "SECRET_KEY": "open-day-test",
        "FLASK_APP": "wsgi",
        "PARTICIPATION_LOGIN_RATE_LIMIT": "100000 per minute",
        "PARTICIPATION_LOGIN_ACCOUNT_RATE_LIMIT": "100000 per minute",
        "PARTICIPATION_VERIFICATION_RATE_LIMIT": "100000 per minute",
        "PARTICIPATION_OUTBOX_INLINE": "0",
        "PARTICIPATION_PAGE_CACHE_SECONDS": "0",
        "PARTICIPATION_SQLITE_WRITER_TIMEOUT": "30",
    }
    env.pop("PARTICIPATION_TESTING_UNGUARDED_CAPACITY", None)
    env.update(extra)
    return env


@contextmanager
def _servers(tmp_path, url: str, name: str, **extra: str):
    """Two gunicorn instances (3 workers each) on the database ``url``."""
    env = _env(url, **extra)
    processes, bases, logs = [], [], []
    for index in range(2):
        port = _free_port()
        log = (tmp_path / f"{name}-{index}.log").open("wb")
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--workers",
                    "3",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--no-control-socket",
                    "--timeout",
                    "120",
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        bases.append(f"http://127.0.0.1:{port}")
    for base in bases:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/open-days", timeout=2).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
    try:
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A migrated scratch database with a government, an organizer and 300 citizens."""
    tmp_path = tmp_path_factory.mktemp("open_day_load")
    url = scratch_database_url(tmp_path, "open_days")
    subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env=_env(url),
        check=True,
        capture_output=True,
    )
    from participation import create_app

    app = create_app(make_config(url, tmp_path))
    with app.app_context():
        from participation.accounts import operations as accounts
        from participation.accounts.models import Role, User
        from participation.extensions import db

        government = accounts.create_government("load", "负载测试镇人民政府")
        unit = accounts.create_unit(government, "经济发展办公室")
        organizer = accounts.create_official(
            government, "organizer@example.gov.cn", "组织者", PASSWORD
        )
        accounts.grant_role(organizer, government, Role.EDITOR, unit)
        cheap = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
        for n in range(CITIZENS):
            db.session.add(
                User(display_name=f"市民{n}", mobile=f"1380000{n:04d}", password_hash=cheap)
            )
        db.session.commit()
        ids = {"government": government.id, "unit": unit.id, "organizer": organizer.id}
    engine = sa.create_engine(url)
    try:
        yield {"url": url, "app": app, "engine": engine, "tmp": tmp_path, **ids}
    finally:
        engine.dispose()
        with app.app_context():
            from participation.extensions import db

            db.engine.dispose()
        shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.fixture(scope="module")
def servers(world):
    with _servers(world["tmp"], world["url"], "guarded") as bases:
        yield bases


def _open_day(world, capacity: int, confirmed: int = 0, waiting: int = 0) -> int:
    """An open day of ``capacity`` places with ``confirmed`` and ``waiting`` signups
    (one place each) already in, made through the operations."""
    from participation.accounts.models import Government, Unit
    from participation.core.database import utcnow
    from participation.extensions import db
    from participation.open_days import operations

    with world["app"].app_context():
        now = utcnow()
        open_day = operations.create_open_day(
            db.session.get(Government, world["government"]),
            db.session.get(Unit, world["unit"]),
            {
                "title": "负载测试开放日",
                "starts_at": now + timedelta(days=5),
                "ends_at": now + timedelta(days=5, hours=2),
                "place": "大厅",
                "signup_opens_at": now - timedelta(days=1),
                "signup_closes_at": now + timedelta(days=4),
                "capacity": capacity,
                "companions_allowed": 0,
                "promotion_stop_hours": 1,
            },
        )
        operations.publish_open_day(open_day)
        for n in range(confirmed + waiting):
            operations.sign_up(open_day, name=f"先到{n}", mobile=f"1370000{n:04d}")
        db.session.commit()
        return open_day.id


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One person's cookie jar against one of the servers."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=120) as response:
            return response.read().decode()

    def token(self, path: str) -> str:
        page = self.get(path)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    def post(self, path: str, data: dict) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(data).encode()
        )
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            error.close()
            return error.code, error.headers.get("Location", "")

    def login(self, identifier: str) -> None:
        token = self.token("/login")
        status, _ = self.post(
            "/login", {"csrf_token": token, "identifier": identifier, "password": PASSWORD}
        )
        assert status == 302, status


def _citizens(bases: list[str], numbers: range) -> list[Browser]:
    """Signed-in citizens, spread over both servers."""

    def sign_in(n: int) -> Browser:
        browser = Browser(bases[n % 2])
        browser.login(f"1380000{n:04d}")
        return browser

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(sign_in, numbers))


def _sign_up_at_once(browsers: list[Browser], open_day_id: int) -> list[tuple[int, str]]:
    path = f"/open-days/{open_day_id}/signup"
    tokens = [browser.token(path) for browser in browsers]  # every form open first
    with ThreadPoolExecutor(max_workers=32) as pool:
        return list(
            pool.map(
                lambda pair: pair[0].post(path, {"csrf_token": pair[1], "name": "市民"}),
                zip(browsers, tokens, strict=True),
            )
        )


def _rows(world, open_day_id: int):
    with world["engine"].connect() as connection:
        day = connection.execute(
            sa.text(
                "SELECT capacity, confirmed_count, waitlisted_count FROM open_day WHERE id = :d"
            ),
            {"d": open_day_id},
        ).one()
        signups = connection.execute(
            sa.text(
                "SELECT id, state, position, companions, token, user_id FROM open_day_signup "
                "WHERE open_day_id = :d ORDER BY position"
            ),
            {"d": open_day_id},
        ).all()
    return day, signups


def _assert_consistent(world, open_day_id: int):
    """The guarantees: the counter equals the confirmed places and never exceeds the
    capacity; nobody waits while a place is free; confirmed before waitlisted in order of
    arrival (every signup here takes one place)."""
    day, signups = _rows(world, open_day_id)
    confirmed = [s for s in signups if s.state == "confirmed"]
    waiting = [s for s in signups if s.state == "waitlisted"]
    assert day.confirmed_count == sum(1 + s.companions for s in confirmed)
    assert day.confirmed_count <= day.capacity
    assert day.waitlisted_count == len(waiting)
    if waiting:
        assert day.confirmed_count == day.capacity
        assert max(s.position for s in confirmed) < min(s.position for s in waiting)
    assert len({s.position for s in signups}) == len(signups)
    return day, signups


def test_200_concurrent_signups_for_the_last_20_places(world, servers):
    open_day_id = _open_day(world, capacity=25, confirmed=5)
    browsers = _citizens(servers, range(0, 200))
    results = _sign_up_at_once(browsers, open_day_id)
    assert [status for status, _ in results] == [302] * 200
    assert all("/open-days/signups/" in location for _, location in results)
    day, signups = _assert_consistent(world, open_day_id)
    assert day.confirmed_count == 25
    mine = [s for s in signups if s.user_id is not None]
    assert len(mine) == 200  # every accepted signup stored
    assert sum(s.state == "confirmed" for s in mine) == 20
    assert sum(s.state == "waitlisted" for s in mine) == 180


def test_cancellations_racing_promotions_and_signups(world, servers):
    open_day_id = _open_day(world, capacity=20, confirmed=20, waiting=30)
    _day, before = _rows(world, open_day_id)
    first_waiting = [s.id for s in before if s.state == "waitlisted"][:15]
    leaving = [s for s in before if s.state == "confirmed"][:15]
    organizer = Browser(servers[0])
    organizer.login("organizer@example.gov.cn")
    manage = organizer.token(f"/admin/open-days/{open_day_id}")
    newcomers = _citizens(servers, range(200, 230))
    signup_path = f"/open-days/{open_day_id}/signup"
    newcomer_tokens = [browser.token(signup_path) for browser in newcomers]

    def self_cancel(signup):
        browser = Browser(servers[signup.id % 2])
        token = browser.token(f"/open-days/signups/{signup.token}")
        return browser.post(f"/open-days/signups/{signup.token}/cancel", {"csrf_token": token})

    def organizer_cancel(signup):
        return organizer.post(
            f"/admin/open-days/{open_day_id}/signups/{signup.id}/cancel", {"csrf_token": manage}
        )

    jobs = [(self_cancel, s) for s in leaving[:10]] + [(organizer_cancel, s) for s in leaving[10:]]
    jobs += [
        (lambda pair: pair[0].post(signup_path, {"csrf_token": pair[1], "name": "新"}), pair)
        for pair in zip(newcomers, newcomer_tokens, strict=True)
    ]
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(lambda job: job[0](job[1]), jobs))
    assert [status for status, _ in results] == [302] * len(jobs)
    day, after = _assert_consistent(world, open_day_id)
    states = {s.id: s.state for s in after}
    assert all(states[s.id] == "cancelled" for s in leaving)
    # The 15 freed places went to the first 15 waiting, in order.
    assert all(states[i] == "confirmed" for i in first_waiting)
    assert day.confirmed_count == 20
    assert sum(1 for s in after if s.user_id is not None) == 30  # every newcomer stored
    assert all(s.state == "waitlisted" for s in after if s.user_id is not None)


def test_a_capacity_increase_racing_signups(world, servers):
    open_day_id = _open_day(world, capacity=10, confirmed=10, waiting=5)
    organizer = Browser(servers[1])
    organizer.login("organizer@example.gov.cn")
    manage = organizer.token(f"/admin/open-days/{open_day_id}")
    newcomers = _citizens(servers, range(230, 270))
    signup_path = f"/open-days/{open_day_id}/signup"
    tokens = [browser.token(signup_path) for browser in newcomers]
    jobs = [
        lambda pair=pair: pair[0].post(signup_path, {"csrf_token": pair[1], "name": "新"})
        for pair in zip(newcomers, tokens, strict=True)
    ]
    for at, capacity in ((10, 30), (25, 40)):
        jobs.insert(
            at,
            lambda capacity=capacity: organizer.post(
                f"/admin/open-days/{open_day_id}/capacity",
                {"csrf_token": manage, "capacity": str(capacity)},
            ),
        )
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(lambda job: job(), jobs))
    assert [status for status, _ in results] == [302] * len(jobs)
    day, after = _assert_consistent(world, open_day_id)
    assert day.capacity == 40
    assert len(after) == 55  # 15 before, 40 new: every signup stored
    # The five who waited before the increases were promoted first.
    assert all(s.state == "confirmed" for s in after[:15])


def test_without_the_guard_the_same_load_overbooks(world):
    """The control: the testing-only switch replaces the guarded update by the naive
    read-then-write; the same concurrent signups take more places than there are."""
    open_day_id = _open_day(world, capacity=25, confirmed=5)
    with _servers(
        world["tmp"],
        world["url"],
        "unguarded",
        PARTICIPATION_TESTING="1",
        PARTICIPATION_TESTING_UNGUARDED_CAPACITY="1",
    ) as bases:
        browsers = _citizens(bases, range(0, 100))
        results = _sign_up_at_once(browsers, open_day_id)
    assert all(status < 500 for status, _ in results)
    day, signups = _rows(world, open_day_id)
    confirmed_places = sum(1 + s.companions for s in signups if s.state == "confirmed")
    assert confirmed_places > day.capacity  # the race really happens without the guard
    assert day.confirmed_count <= day.capacity  # (the lost updates hide it in the counter)

"""Open-day signups under load: the whole signup flow of a signed-in citizen (open the
form, submit it, see the confirmation with the check-in code) by 8 concurrent clients.

    .venv/bin/python bench/opendays.py [--seconds 10] [--clients 8] [--workers 2]
                                       [--database-url postgresql://…/bench_opendays]

Builds a fresh database (a temporary SQLite file, or drops and recreates the PostgreSQL
database named), migrates it, adds one government, an open day with 300 places and 5,000
citizens (cheap test password hashes), serves the app with gunicorn and signs the clients'
citizens in before the clock starts. Each client then repeats the flow with a new citizen
until the time is up. Reports completed signups per second and the p50/p99 of a whole
flow, then checks the database: every completed signup stored (none lost), the confirmed
places within the capacity and equal to the counter (none overbooked), the rest
waitlisted. Bar (issue 9): at least 60 completed signups per second on PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookies
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import sqlalchemy as sa  # noqa: E402
from run import Server, drop_postgres, flask_cli, log, recreate_postgres  # noqa: E402
from scale import sqlalchemy_url  # noqa: E402

PASSWORD = "bench-password"  # noqa: S105 - bench data only
CAPACITY = 300
BAR = 60.0
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Citizen:
    """One browser: its own cookies, one connection per request (gunicorn's sync workers
    close every connection), redirects not followed. Plain ``http.client``: the clients
    share the machine with the server, and urllib's opener and cookie jar cost about
    twice as much CPU per request."""

    def __init__(self, base: str, mobile: str) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port, self.mobile = parts.hostname, parts.port, mobile
        self.cookies: dict[str, str] = {}

    def _request(self, method: str, path: str, body: bytes | None = None):
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
            for header in response.headers.get_all("Set-Cookie") or ():
                cookie = http.cookies.SimpleCookie(header)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
            return response.status, response.headers.get("Location", ""), text
        finally:
            connection.close()

    def get(self, path: str) -> str:
        status, _location, text = self._request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        return text

    def post(self, path: str, data: dict) -> tuple[int, str]:
        status, location, _text = self._request(
            "POST", path, urllib.parse.urlencode(data).encode()
        )
        return status, location

    def sign_in(self) -> None:
        token = TOKEN.search(self.get("/login")).group(1)
        status, _ = self.post(
            "/login", {"csrf_token": token, "identifier": self.mobile, "password": PASSWORD}
        )
        if status != 302:
            raise RuntimeError(f"sign-in of {self.mobile} answered {status}")


def seed(url: str, tmp: Path, citizens: int) -> int:
    """The government, its open day and the citizens; the open day's id."""
    from werkzeug.security import generate_password_hash

    from participation import create_app
    from participation.accounts import operations as accounts
    from participation.accounts.models import User
    from participation.core.database import utcnow
    from participation.extensions import db
    from participation.open_days import operations

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "UPLOAD_FOLDER": str(tmp / "uploads"),
        }
    )
    with app.app_context():
        government = accounts.create_government("bench", "测试镇人民政府")
        unit = accounts.create_unit(government, "经济发展办公室")
        now = utcnow()
        open_day = operations.create_open_day(
            government,
            unit,
            {
                "title": "营商环境政府开放日",
                "starts_at": now + timedelta(days=7),
                "ends_at": now + timedelta(days=7, hours=2),
                "place": "政务服务中心",
                "signup_opens_at": now - timedelta(days=1),
                "signup_closes_at": now + timedelta(days=6),
                "capacity": CAPACITY,
                "companions_allowed": 2,
                "questions": "*您的身份",
            },
        )
        operations.publish_open_day(open_day)
        cheap = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
        db.session.execute(
            sa.insert(User.__table__),
            [
                {
                    "display_name": f"市民{n}",
                    "mobile": f"139{n:08d}",
                    "password_hash": cheap,
                    "is_active_account": True,
                    "session_version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(citizens)
            ],
        )
        db.session.commit()
        open_day_id = open_day.id
        db.engine.dispose()
    return open_day_id


def flow(citizen: Citizen, open_day_id: int) -> tuple[bool, str]:
    """Open the form, submit it, open the confirmation; (completed, its token)."""
    path = f"/open-days/{open_day_id}/signup"
    token = TOKEN.search(citizen.get(path)).group(1)
    status, location = citizen.post(
        path, {"csrf_token": token, "name": "市民", "companions": "0", "answer_q1": "居民"}
    )
    if status != 302 or "/open-days/signups/" not in location:
        return False, ""
    page = citizen.get(urllib.parse.urlsplit(location).path)
    done = ("已确认" in page and "data-code" in page) or "候补中" in page
    return done, urllib.parse.urlsplit(location).path.rsplit("/", 1)[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--citizens", type=int, default=5000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-opendays-"))
    if args.database_url:
        recreate_postgres(args.database_url)
        url = sqlalchemy_url(args.database_url)
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = {
        **os.environ,
        "PARTICIPATION_DATABASE_URL": url,
        "SECRET_KEY": "bench-secret",
        "FLASK_APP": "wsgi",
        "PARTICIPATION_LOGIN_RATE_LIMIT": "1000000 per minute",
        "PARTICIPATION_LOGIN_ACCOUNT_RATE_LIMIT": "1000000 per minute",
        "PARTICIPATION_VERIFICATION_RATE_LIMIT": "1000000 per minute",
        "PARTICIPATION_OUTBOX_INLINE": "0",
    }
    log("migrating")
    flask_cli(env, "db", "upgrade")
    open_day_id = seed(url, tmp, args.citizens)
    server = Server("app", "wsgi:app", ROOT, env, args.workers, tmp)
    server.start()
    try:
        numbers = iter(range(args.citizens))
        lock = threading.Lock()

        def next_citizen() -> Citizen | None:
            with lock:
                n = next(numbers, None)
            return None if n is None else Citizen(server.base_url, f"139{n:08d}")

        log("signing the citizens in (not measured)")
        expected = int(BAR * 5 * args.seconds)  # more than any run will use
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            ready = [
                c
                for c in pool.map(lambda _: next_citizen(), range(min(expected, args.citizens)))
                if c is not None
            ]
            list(pool.map(Citizen.sign_in, ready))
        queue = iter(ready)
        results: list[tuple[bool, str, float]] = []
        deadline = time.monotonic() + args.seconds

        def client() -> None:
            while time.monotonic() < deadline:
                with lock:
                    citizen = next(queue, None)
                if citizen is None:
                    return
                started = time.monotonic()
                done, token = flow(citizen, open_day_id)
                with lock:
                    results.append((done, token, time.monotonic() - started))

        log(f"measuring: {args.clients} clients for {args.seconds:.0f} s")
        started = time.monotonic()
        client_cpu = time.process_time()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        client_cpu = time.process_time() - client_cpu
    finally:
        server.stop()
    completed = [r for r in results if r[0]]
    rate = len(completed) / elapsed
    durations = sorted(r[2] * 1000 for r in completed) or [0.0]
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        day = connection.execute(
            sa.text(
                "SELECT capacity, confirmed_count, waitlisted_count FROM open_day WHERE id = :d"
            ),
            {"d": open_day_id},
        ).one()
        rows = connection.execute(
            sa.text("SELECT token, state, companions FROM open_day_signup WHERE open_day_id = :d"),
            {"d": open_day_id},
        ).all()
    engine.dispose()
    stored = {row.token for row in rows}
    lost = sum(1 for _done, token, _t in completed if token not in stored)
    confirmed = sum(1 + row.companions for row in rows if row.state == "confirmed")
    overbooked = max(0, confirmed - day.capacity) + (confirmed != day.confirmed_count)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    p99 = durations[min(len(durations) - 1, int(len(durations) * 0.99))]
    print(
        "| backend | clients | workers | completed | signups/s | p50 ms | p99 ms | "
        "failed | lost | overbooked | confirmed / capacity | waitlisted |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {backend} | {args.clients} | {args.workers} | {len(completed)} | {rate:.1f} | "
        f"{statistics.median(durations):.0f} | {p99:.0f} | {len(results) - len(completed)} "
        f"| {lost} | {overbooked} | {day.confirmed_count} / {day.capacity} | "
        f"{day.waitlisted_count} |"
    )
    print(f"\nThe clients themselves (this process) used {client_cpu:.1f} s of CPU in "
          f"{elapsed:.1f} s ({100 * client_cpu / elapsed / (os.cpu_count() or 1):.0f} % of "
          f"the machine's {os.cpu_count()} CPUs).")
    verdict = "meets" if rate >= BAR and not lost and not overbooked else "misses"
    print(f"\n{verdict} the bar ({BAR:.0f} completed signups/s, none lost, none overbooked)")
    if args.database_url:
        drop_postgres(args.database_url)


if __name__ == "__main__":
    main()

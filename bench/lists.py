"""Opinion lists at a million opinions: how long each list page takes, first and deep.

Builds a fresh database (the demo town scaled by ``bench/scale.py``, by default to
1,000,000 opinions, 60 % of them on one consultation), then asks the app in-process
(Flask's test client: no server, no page cache) for every list a visitor, an official or
an API client pages through, on the first page and halfway down, and prints the median
time of each. The bar (issue 5): a page costs the same at the millionth opinion as at the
first, so every list page stays under 100 ms, however deep.

    .venv/bin/python bench/lists.py [--opinions 1000000] [--database-url postgresql://…/bench]

The text filter of the officials' list (``q=``, a substring search) is measured and shown
but has no bar: it scans the consultation's opinions (search in Chinese is a later issue).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from run import drop_postgres, flask_cli, log, recreate_postgres
from scale import scale_database, sqlalchemy_url

BENCH = Path(__file__).resolve().parent
MAX_MS = 100.0
MODERATOR = ("moderator@qinghe.example.gov.cn", "demo-password")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        help="PostgreSQL scratch database to drop and recreate "
                             "(default: a temporary SQLite file)")
    parser.add_argument("--opinions", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5, help="requests per page (median)")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args(argv)


def _paths(app) -> tuple[list[tuple[str, str, bool]], int, int]:
    """(name, path, needs an official) of every list page; the consultation and its size."""
    from participation.consultations.models import Consultation
    from participation.extensions import db
    from participation.opinions.models import Opinion

    with app.app_context():
        cid, count = db.session.execute(
            sa.select(Consultation.id, Consultation.opinion_count)
            .order_by(Consultation.opinion_count.desc()).limit(1)).one()
        half = count // 2
        deep_id = db.session.scalar(
            sa.select(Opinion.id).where(Opinion.consultation_id == cid, Opinion.is_public)
            .order_by(Opinion.id.desc()).offset(half).limit(1))
        moment, row_id = db.session.execute(
            sa.select(Opinion.received_at, Opinion.id).where(Opinion.consultation_id == cid)
            .order_by(Opinion.received_at.desc(), Opinion.id.desc()).offset(half).limit(1)
        ).one()
    time_cursor = f"{moment:%Y%m%d%H%M%S%f}-{row_id}"
    public = f"/consultations/{cid}/opinions"
    api = f"/api/v1/consultations/{cid}/opinions"
    received = f"/admin/consultations/{cid}/opinions"
    return [
        ("public list, first page", public, False),
        ("public list, halfway", f"{public}?cursor={deep_id}", False),
        ("API, first page", api, False),
        ("API, halfway", f"{api}?cursor={deep_id}", False),
        ("received list, first page", received, True),
        ("received list, halfway", f"{received}?cursor={time_cursor}", True),
        ("received list, one channel", f"{received}?channel=hotline", True),
        ("received list, oldest first", f"{received}?order=oldest", True),
        ("received list, text filter (no bar)", f"{received}?q=%E8%80%81%E5%B9%B4%E4%BA%BA",
         True),
        ("My opinions", "/my/opinions", True),
    ], cid, count


def measure(url: str, repeat: int) -> list[tuple[str, str, float]]:
    os.environ.update(PARTICIPATION_DATABASE_URL=url, SECRET_KEY=secrets.token_hex(16),
                      PARTICIPATION_PAGE_CACHE_SECONDS="0")
    from participation import create_app

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"})
    paths, cid, count = _paths(app)
    log(f"consultation {cid} holds {count:,} opinions")
    visitor, official = app.test_client(), app.test_client()
    response = official.post("/login", data={"identifier": MODERATOR[0],
                                             "password": MODERATOR[1]})
    if response.status_code != 302:
        raise SystemExit("could not sign in as the demo moderator")
    results = []
    for name, path, signed_in in paths:
        client = official if signed_in else visitor
        times = []
        for _ in range(repeat + 1):  # the first request warms the caches
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        results.append((name, path, statistics.median(times[1:])))
        log(f"{name}: {results[-1][2]:.1f} ms")
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="participation-lists-"))
    postgres = bool(args.database_url)
    url = sqlalchemy_url(args.database_url) if postgres else \
        f"sqlite:///{work / 'lists.sqlite3'}"
    try:
        if postgres:
            recreate_postgres(url)
        env = dict(os.environ, FLASK_APP="wsgi", PARTICIPATION_DATABASE_URL=url,
                   SECRET_KEY=secrets.token_hex(16))
        log("migrating and loading the demo data")
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "demo", "load")
        log(f"scaling to {args.opinions:,} opinions")
        scale_database(url, args.decisions, args.opinions, log=log)
        results = measure(url, args.repeat)
        backend = "PostgreSQL" if postgres else "SQLite"
        print(f"| list ({backend}, {args.opinions:,} opinions) | path | median ms | bar |")
        print("|---|---|---:|---|")
        failed = False
        for name, path, ms in results:
            bar = "—" if "no bar" in name else ("pass" if ms <= MAX_MS else "FAIL")
            failed |= bar == "FAIL"
            print(f"| {name} | `{path}` | {ms:.1f} | {bar} |")
        print()
        print("Bars missed." if failed else f"Every list page under {MAX_MS:g} ms.")
        return 0
    finally:
        if args.keep:
            log(f"kept {url}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            if postgres:
                drop_postgres(url)


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH.parent))
    sys.exit(main())

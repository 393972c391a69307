"""Profile pages in-process: time per request, SQL statements, and where the CPU goes.

Runs the app with Flask's test client (no gunicorn, no network) against an existing
database, e.g. one kept by ``bench/run.py --keep``::

    .venv/bin/python bench/profile_pages.py --database-url sqlite:////tmp/…/bench.sqlite3 \\
        "/catalogue?year=2026" /decisions/75

For each path: the mean wall time per request, the SQL statements per request with their
time, the profiler's self time grouped by library, and the functions with the most
cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import defaultdict

import sqlalchemy as sa
from scale import sqlalchemy_url
from sqlalchemy import event

# Self time is grouped by the first of these found in a function's file name.
AREAS = (
    ("templates/", "Jinja templates (compiled)"),
    ("jinja2/", "jinja2"),
    ("flask_babel/", "Flask-Babel / Babel"),
    ("babel/", "Flask-Babel / Babel"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("flask_sqlalchemy/", "SQLAlchemy"),
    ("werkzeug/", "Werkzeug"),
    ("flask_limiter/", "Flask-Limiter / limits"),
    ("limits/", "Flask-Limiter / limits"),
    ("flask_wtf/", "Flask-WTF / WTForms"),
    ("wtforms/", "Flask-WTF / WTForms"),
    ("flask_login/", "Flask-Login"),
    ("flask/", "Flask"),
    ("markupsafe/", "MarkupSafe"),
    ("itsdangerous/", "itsdangerous"),
    ("participation/", "participation (app code)"),
)


def _area(filename: str) -> str:
    if filename == "~":
        return "builtins (C)"
    for marker, name in AREAS:
        if marker in filename:
            return name
    return "other Python"


def profile_path(client, path: str, requests: int) -> None:
    for _ in range(3):  # warm caches, compiled templates, the connection pool
        client.get(path)
    statements: list[tuple[float, str]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):
        statements.append((time.perf_counter() - conn.info.pop("bench_started"),
                           " ".join(statement.split())[:140]))

    event.listen(sa.engine.Engine, "before_cursor_execute", before)
    event.listen(sa.engine.Engine, "after_cursor_execute", after)
    started = time.perf_counter()
    for _ in range(requests):
        response = client.get(path)
    wall = (time.perf_counter() - started) / requests
    event.remove(sa.engine.Engine, "before_cursor_execute", before)
    event.remove(sa.engine.Engine, "after_cursor_execute", after)

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()

    sql_time = sum(duration for duration, _ in statements) / requests
    print(f"\n## {path}: HTTP {response.status_code}, {len(response.data):,} bytes")
    print(f"{wall * 1000:.2f} ms per request; {len(statements) / requests:.1f} SQL statements "
          f"taking {sql_time * 1000:.2f} ms")
    grouped: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for duration, statement in statements:
        grouped[statement][0] += 1
        grouped[statement][1] += duration
    for statement, (count, duration) in sorted(grouped.items(), key=lambda i: -i[1][1])[:8]:
        print(f"  {count / requests:5.1f}x {duration / requests * 1000:6.2f} ms  {statement}")

    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values())  # self time
    by_area: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), entry in stats.stats.items():
        by_area[_area(filename)] += entry[2]
    print("Self time by library (profiled, so inflated; compare shares):")
    for area, seconds in sorted(by_area.items(), key=lambda i: -i[1]):
        if seconds / total >= 0.01:
            print(f"  {100 * seconds / total:5.1f} %  {area}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(
        r"participation/|templates/|flask_babel/__init__|babel/core|url_for", 25)
    print("Most cumulative time (app code, templates, i18n, url_for):")
    print("\n".join(line for line in out.getvalue().splitlines()
                    if line.strip() and ("/" in line or "ncalls" in line)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    os.environ["PARTICIPATION_DATABASE_URL"] = sqlalchemy_url(args.database_url)
    from participation import create_app

    app = create_app()
    client = app.test_client()
    for path in args.paths:
        profile_path(client, path, args.requests)


if __name__ == "__main__":
    sys.exit(main())

"""Exporting 1,000,000 opinions as CSV, streamed: at most 60 s and 200 MB resident.

    python bench/export.py [--database-url postgresql://postgres@127.0.0.1/bench_export]
        [--opinions 1000000]

Builds a fresh database (a temporary SQLite file without ``--database-url``) with one
consultation and the opinions (SQLAlchemy Core bulk inserts, see ``workspace_data.py``),
then runs ``flask opinions export --consultation ID FILE`` in a child process and reports
its wall time and peak resident memory (``ru_maxrss`` of the child), the file's size and
its rows. The XLSX export is timed too (``--xlsx``; no bar).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from workspace_data import fresh_app, insert_opinions, make_consultation  # noqa: E402

BAR_SECONDS = 60.0
BAR_MB = 200.0


def _high_water_kb(pid: int) -> int:
    """The process's peak resident set (VmHWM: its own, reset at exec; the rusage of a
    child would include the parent's size at fork)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_export(url: str, consultation_id: int, path: Path, file_format: str
               ) -> tuple[float, float]:
    """(seconds, peak MB resident) of ``flask opinions export`` in a child process."""
    env = {**os.environ, "PARTICIPATION_DATABASE_URL": url, "FLASK_APP": "wsgi"}
    started = time.perf_counter()
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "flask", "opinions", "export", "--consultation",
         str(consultation_id), "--format", file_format, str(path)], cwd=ROOT, env=env)
    peak = 0
    while child.poll() is None:
        peak = max(peak, _high_water_kb(child.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"export failed with status {child.returncode}")
    return seconds, peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--opinions", type=int, default=1_000_000)
    parser.add_argument("--xlsx", action="store_true", help="time the XLSX export too")
    parser.add_argument("--existing", type=int, metavar="CONSULTATION_ID",
                        help="export this consultation of --database-url, built before")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{folder}/export.sqlite3"
    if args.existing:
        return report(url, args.existing, folder, args)
    app = fresh_app(url)
    with app.app_context():
        from participation.extensions import db

        started = time.perf_counter()
        consultation, _user = make_consultation()
        insert_opinions(consultation, args.opinions)
        consultation_id = consultation.id
        dialect = db.engine.dialect.name
        db.engine.dispose()
    print(f"built {args.opinions:,} opinions in {time.perf_counter() - started:.1f} s "
          f"({dialect}); database {url}")
    return report(url, consultation_id, folder, args)


def report(url: str, consultation_id: int, folder: Path, args) -> int:
    path = folder / "opinions.csv"
    seconds, megabytes = run_export(url, consultation_id, path, "csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
    ok = seconds <= BAR_SECONDS and megabytes <= BAR_MB and rows == args.opinions
    print(f"CSV export: {rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB in {seconds:.1f} s,"
          f" peak RSS {megabytes:.0f} MB (bar {BAR_SECONDS:.0f} s and {BAR_MB:.0f} MB): "
          + ("pass" if ok else "FAIL"))
    if args.xlsx:
        xlsx = folder / "opinions.xlsx"
        seconds, megabytes = run_export(url, consultation_id, xlsx, "xlsx")
        print(f"XLSX export: {xlsx.stat().st_size / 1e6:,.0f} MB in {seconds:.1f} s, peak RSS "
              f"{megabytes:.0f} MB (no bar)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

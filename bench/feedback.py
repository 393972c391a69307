"""The feedback report at scale: generating it for a consultation of 100,000 opinions
(HTML and DOCX), and the clock's periodic pass over 10,000 decisions.

Builds a fresh database (the demo town scaled by ``bench/scale.py`` to 10,000 decisions
and enough opinions that the largest consultation holds about 100,000), gives every
opinion of that consultation a disposition and 300 groups, closes it, then times in
process (no server, no cache):

- the report's figures (``report_data``) and the officials' preview page, which generates
  and renders the whole report (bar: 1 s);
- the DOCX (bar: 3 s);
- the ``feedback.clock`` job over 10,000 decisions whose reports are due in the coming
  days (bar: 1 s), the first pass (which queues the alerts) and a second one.

    .venv/bin/python bench/feedback.py [--database-url postgresql://…/bench]
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
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from run import drop_postgres, flask_cli, log, recreate_postgres
from scale import scale_database, sqlalchemy_url

BENCH = Path(__file__).resolve().parent
ADMIN = ("admin@qinghe.example.gov.cn", "demo-password")
BARS = {"html": 1000.0, "docx": 3000.0, "clock": 1000.0}


def _median_ms(function, repeat: int) -> float:
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:])


def prepare(url: str) -> int:
    """Close the largest consultation, dispose every opinion, add groups; its id."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        cid = conn.scalar(sa.text("SELECT id FROM consultation ORDER BY opinion_count DESC"
                                  " LIMIT 1"))
        now = datetime.utcnow()  # noqa: DTZ003 - naive UTC, as the app stores it
        conn.execute(sa.text("UPDATE consultation SET opens_at = :o, closes_at = :c"
                             " WHERE id = :id"),
                     {"o": now - timedelta(days=40), "c": now - timedelta(days=2), "id": cid})
        conn.execute(sa.text("UPDATE opinion SET disposition = 'not_adopted',"
                             " disposition_reason = :reason WHERE consultation_id = :id"),
                     {"id": cid, "reason": "与上位法规定不一致。"})
        conn.execute(sa.text(
            "INSERT INTO opinion_group (consultation_id, summary, opinion_count, people_count,"
            " disposition, disposition_reason, created_at, updated_at) VALUES "
            "(:id, :s, :n, :n, 'not_adopted', '理由。', :t, :t)"),
            [{"id": cid, "s": f"集中意见{n}", "n": 5 + n % 50, "t": now} for n in range(300)])
        # Due dates spread over two years around today: some overdue, a few due in the
        # coming days (alerted), most later; the largest consultation's decision is due.
        today = (now + timedelta(hours=8)).date()
        ids = conn.scalars(sa.text("SELECT id FROM decision ORDER BY id")).all()
        conn.execute(sa.text("UPDATE decision SET document_issued_on = :i, feedback_due_on = :d,"
                             " feedback_due_estimated = :f WHERE id = :id"),
                     [{"id": did, "i": today - timedelta(days=360 - n % 720 + 14),
                       "d": today - timedelta(days=360 - n % 720), "f": False}
                      for n, did in enumerate(ids)])
    engine.dispose()
    return cid


def measure(url: str, cid: int, repeat: int) -> dict[str, float]:
    os.environ.update(PARTICIPATION_DATABASE_URL=url, SECRET_KEY=secrets.token_hex(16),
                      PARTICIPATION_PAGE_CACHE_SECONDS="0")
    from participation import create_app
    from participation.consultations.models import Consultation
    from participation.extensions import db
    from participation.feedback import docx_report
    from participation.feedback.clock import feedback_clock_job
    from participation.feedback.data import report_data
    from participation.feedback.operations import draft_for

    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"})
    client = app.test_client()
    if client.post("/login", data={"identifier": ADMIN[0], "password": ADMIN[1]}
                   ).status_code != 302:
        raise SystemExit("could not sign in as the demo administrator")
    results = {}
    with app.app_context():
        consultation = db.session.get(Consultation, cid)
        opinions = consultation.opinion_count
        results["opinions"] = opinions
        log(f"consultation {cid}: {opinions:,} opinions")
        results["data"] = _median_ms(lambda: report_data(consultation), repeat)
        log(f"figures: {results['data']:.0f} ms")

        def page():
            response = client.get(f"/admin/consultations/{cid}/feedback-report")
            assert response.status_code == 200, response.status_code

        results["html"] = _median_ms(page, repeat)
        log(f"preview page: {results['html']:.0f} ms")
        data = report_data(consultation)
        draft = draft_for(consultation, create=False)
        results["docx"] = _median_ms(lambda: docx_report.render(consultation, draft, data),
                                     max(repeat // 2, 2))
        log(f"docx: {results['docx']:.0f} ms")
        results["decisions"] = db.session.scalar(sa.text("SELECT count(*) FROM decision"))
        now = datetime.utcnow()  # noqa: DTZ003
        started = time.perf_counter()
        feedback_clock_job(now)
        db.session.commit()
        results["clock_first"] = (time.perf_counter() - started) * 1000
        log(f"clock, first pass: {results['clock_first']:.0f} ms")
        results["clock"] = _median_ms(lambda: (feedback_clock_job(now), db.session.commit()),
                                      repeat)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL scratch database (default: SQLite)")
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--opinions", type=int, default=170_000,
                        help="total opinions (60 %% go to the largest consultation)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="participation-feedback-"))
    postgres = bool(args.database_url)
    url = sqlalchemy_url(args.database_url) if postgres else \
        f"sqlite:///{work / 'feedback.sqlite3'}"
    try:
        if postgres:
            recreate_postgres(url)
        env = dict(os.environ, FLASK_APP="wsgi", PARTICIPATION_DATABASE_URL=url,
                   SECRET_KEY=secrets.token_hex(16))
        log("migrating and loading the demo data")
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "demo", "load")
        log(f"scaling to {args.decisions:,} decisions and {args.opinions:,} opinions")
        scale_database(url, args.decisions, args.opinions, log=log)
        log("closing the largest consultation, dispositions, groups, due dates")
        cid = prepare(url)
        r = measure(url, cid, args.repeat)
        backend = "PostgreSQL" if postgres else "SQLite"
        rows = [
            ("report figures (`report_data`)", r["data"], None),
            ("report, HTML (officials' preview: generated and rendered)", r["html"],
             BARS["html"]),
            ("report, DOCX", r["docx"], BARS["docx"]),
            (f"clock job, first pass over {r['decisions']:,} decisions (queues the alerts)",
             r["clock_first"], None),
            (f"clock job, pass over {r['decisions']:,} decisions", r["clock"], BARS["clock"]),
        ]
        print(f"| {backend}: consultation of {r['opinions']:,} opinions | median ms | bar |"
              f" result |")
        print("|---|---:|---:|---|")
        failed = False
        for name, ms, bar in rows:
            verdict = "—" if bar is None else ("pass" if ms <= bar else "FAIL")
            failed |= verdict == "FAIL"
            print(f"| {name} | {ms:,.0f} | {'' if bar is None else f'{bar:,.0f}'} | "
                  f"{verdict} |")
        return 1 if failed else 0
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

"""Benchmark of concentrated opinions: grouping speed, memory, quality, and the MinHash
libraries compared.

Data: ``participation.opinions.grouping.generator`` (campaigns of edited copies across
channels, and unrelated opinions from the same vocabulary; 60 % campaign copies).

1. **Libraries.** MinHash signatures (32 permutations over 3-character shingles) of the
   same distinct normalised texts with our vectorised numpy code, rensa 0.5.0 (its
   flat-hash matrix API fed with our shingle hashes, then converted to an array; and its
   token-set API fed with Python shingle strings) and datasketch 2.0.0 (on a sample,
   extrapolated). Skipped for a library that is not installed.
2. **Full grouping in memory** (``engine.group_texts``: normalise, exact keys, MinHash,
   LSH, rapidfuzz confirmation, connected components) of 100,000 and 1,000,000
   opinions, each in a fresh process so that its peak resident memory (``ru_maxrss``,
   which includes the generated texts) is its own; quality against the known campaigns:
   the share of campaign members in their campaign's group (the group holding most of
   the campaign) and the share of unrelated opinions grouped with anything.
3. **Database** (SQLite file, or PostgreSQL with ``--database-url``; migrated, demo
   loaded, opinions inserted in bulk): the full ``regroup()`` of a consultation of
   ``--database-opinions`` opinions (writing every fingerprint and band row), again with
   the fingerprints there, and the time ``group_opinion`` adds to each of
   ``--incremental`` new opinions (mean, p50, p99).
4. **The command** (``--cli N``, default 100,000; 0 skips): ``flask opinions group`` in a
   child process, twice, on a fresh database of N opinions bulk inserted and of N
   imported by ``flask opinions import`` (then the import's queued task by ``flask jobs
   worker --once`` and the command once more), on SQLite and with ``--database-url`` on
   PostgreSQL: wall (start-up included), CPU of the command, CPU of the PostgreSQL
   backends it used, load and steal (``/proc/stat``).

Run: ``.venv/bin/python bench/grouping.py`` (about 10 minutes; ``--sizes 100000`` for a
quicker run). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BARS = {100_000: 6.0, 1_000_000: 60.0}
MEMORY_BAR_MB = 3 * 1024


def _rss_mb() -> float:
    """Peak resident memory of this process so far (VmHWM: unlike ``ru_maxrss`` it is
    not carried over from the parent through exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quality(opinions, labels) -> tuple[float, float]:
    """(share of campaign members in their campaign's group, share of unrelated opinions
    grouped with any other opinion)."""
    sizes = Counter(labels.tolist())
    by_campaign: dict[int, Counter] = {}
    unrelated_grouped = unrelated = 0
    for opinion, label in zip(opinions, labels.tolist(), strict=True):
        if opinion.campaign is None:
            unrelated += 1
            unrelated_grouped += sizes[label] > 1
        else:
            by_campaign.setdefault(opinion.campaign, Counter())[label] += 1
    found = sum(c.most_common(1)[0][1] for c in by_campaign.values())
    members = sum(sum(c.values()) for c in by_campaign.values())
    return found / max(1, members), unrelated_grouped / max(1, unrelated)


def run_engine(size: int) -> dict:
    """One full grouping in memory (called in a child process)."""
    from participation.opinions.grouping import engine, generator

    opinions = generator.generate(size, seed=6)
    texts = [o.body for o in opinions]
    before = _rss_mb()
    started, cpu_started = time.perf_counter(), time.process_time()
    labels = engine.group_texts(texts)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started  # every thread of the process
    found, unrelated = quality(opinions, labels)
    groups = sum(1 for n in Counter(labels.tolist()).values() if n > 1)
    return {"size": size, "seconds": seconds, "cpu_seconds": cpu, "rss_data_mb": before,
            "rss_peak_mb": _rss_mb(),
            "found": found, "unrelated": unrelated, "groups": groups,
            "campaigns": len({o.campaign for o in opinions if o.campaign is not None})}


def run_libraries(count: int) -> list[tuple[str, float, str]]:
    """Seconds per ``count`` distinct texts for each MinHash implementation."""
    import numpy as np

    from participation.opinions.grouping import generator, minhash
    from participation.opinions.grouping.normalise import normalise

    opinions = generator.generate(int(count * 1.6), seed=3)
    texts = list(dict.fromkeys(normalise(o.body) for o in opinions))[:count]
    rows = []
    started = time.perf_counter()
    minhash.signatures(texts)
    rows.append(("numpy (ours)", time.perf_counter() - started, "shingles + 32 permutations"))
    try:
        import rensa
    except ImportError:
        rensa = None
    if rensa is not None:
        started = time.perf_counter()
        hashes, starts = minhash.shingle_hashes(texts)
        offsets = np.append(starts, len(hashes)).astype(np.uint64)
        matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(
            hashes, offsets, minhash.PERMUTATIONS, 7)
        computed = time.perf_counter() - started
        np.array(matrix.to_rows(), dtype=np.uint32)
        rows.append(("rensa 0.5.0 flat hashes", time.perf_counter() - started,
                     f"our shingle hashes; {computed:.2f} s before converting to an array"))
        started = time.perf_counter()
        shingles = [[t[i:i + minhash.SHINGLE] for i in range(max(len(t) - 2, 1))]
                    for t in texts]
        rensa.RMinHash.digest_matrix_from_token_sets(shingles, minhash.PERMUTATIONS, 7)
        rows.append(("rensa 0.5.0 token sets", time.perf_counter() - started,
                     "Python shingle strings"))
    try:
        import datasketch
    except ImportError:
        datasketch = None
    if datasketch is not None:
        sample = texts[: max(1, count // 10)]
        started = time.perf_counter()
        for text in sample:
            signature = datasketch.MinHash(num_perm=minhash.PERMUTATIONS, seed=7)
            signature.update_batch([text[i:i + 3].encode() for i in range(max(len(text) - 2, 1))])
            signature.digest()
        rows.append(("datasketch 2.0.0", (time.perf_counter() - started) * count / len(sample),
                     f"measured on {len(sample):,} texts"))
    return rows


def _insert_opinions(consultation, opinions) -> None:
    import sqlalchemy as sa

    from participation.core.database import utcnow
    from participation.extensions import db
    from participation.opinions.models import Channel, ModerationState, Opinion

    now = utcnow()
    batch = []
    for n, generated in enumerate(opinions):
        batch.append({
            "receipt_number": f"BENCH-{n:012d}", "government_id": consultation.government_id,
            "decision_id": consultation.decision_id, "consultation_id": consultation.id,
            "draft_version_id": consultation.draft_version_id, "node_id": None,
            "channel": Channel(generated.channel), "reference": None, "received_at": now,
            "body": generated.body, "public_body": generated.body, "display_name": None,
            "contact": generated.person, "consent_to_publish": True, "is_late": False,
            "moderation_state": ModerationState.PUBLISHED, "disposition_overridden": False,
            "created_at": now, "updated_at": now})
        if len(batch) == 10_000:
            db.session.execute(sa.insert(Opinion), batch)
            batch = []
    if batch:
        db.session.execute(sa.insert(Opinion), batch)
    db.session.commit()


def run_database(size: int, incremental: int) -> dict:
    """Full regrouping of a consultation (SQLite, or the scratch PostgreSQL database of
    ``BENCH_GROUPING_DATABASE_URL``, dropped and created again), then incremental
    grouping."""
    work = Path(tempfile.mkdtemp(prefix="grouping-bench-"))
    postgres = os.environ.get("BENCH_GROUPING_DATABASE_URL")
    if postgres:
        from run import recreate_postgres
        from scale import sqlalchemy_url

        recreate_postgres(postgres)
        os.environ["PARTICIPATION_DATABASE_URL"] = sqlalchemy_url(postgres)
    else:
        os.environ["PARTICIPATION_DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ.setdefault("SECRET_KEY", "bench-" + os.urandom(16).hex())
    from flask_migrate import upgrade

    from participation import create_app
    from participation.consultations.models import Consultation
    from participation.demo import loader
    from participation.extensions import db
    from participation.opinions.grouping import generator
    from participation.opinions.grouping.incremental import group_opinion
    from participation.opinions.grouping.regroup import regroup
    from participation.opinions.models import Channel, OpinionMembership
    from participation.opinions.operations import _new_opinion

    app = create_app()
    with app.app_context():
        upgrade()
        loader.load_demo()
        db.session.commit()
        consultation = db.session.scalars(db.select(Consultation)
                                          .order_by(Consultation.id)).first()
        opinions = generator.generate(size + incremental, seed=8)
        _insert_opinions(consultation, opinions[:size])
        if postgres:  # what autovacuum would do after such a load (off on this machine)
            consultation_id = consultation.id
            db.session.remove()
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE")
            consultation = db.session.get(Consultation, consultation_id)
        marks: list[tuple[float, int, int]] = []
        started = time.perf_counter()
        result = regroup(consultation,
                         progress=lambda d, t: marks.append((time.perf_counter(), d, t)))
        db.session.commit()
        full = time.perf_counter() - started
        # regroup's progress: two thirds once loaded, hashed and grouped (the fingerprints
        # written meanwhile, part by part).
        grouped_at = next(m[0] for m in marks if m[1] >= 2 * m[2] // 3) - started
        consultation_id = consultation.id
        db.session.remove()
        again = time.perf_counter()
        regroup(db.session.get(Consultation, consultation_id))
        db.session.commit()
        second = time.perf_counter() - again
        consultation = db.session.get(Consultation, consultation_id)
        rng = random.Random(9)
        added, cpu = [], []
        for generated in rng.sample(opinions[size:], incremental):
            opinion = _new_opinion(consultation, None, channel=Channel(generated.channel),
                                   received_at=consultation.opens_at, body=generated.body,
                                   contact=generated.person, consent_to_publish=True)
            db.session.add(opinion)
            db.session.flush()
            begin, cpu_begin = time.perf_counter(), time.process_time()
            group_opinion(opinion)
            added.append((time.perf_counter() - begin) * 1000)
            cpu.append((time.process_time() - cpu_begin) * 1000)
        db.session.commit()
        grouped = db.session.scalar(db.select(db.func.count(OpinionMembership.opinion_id)))
    added.sort()
    return {"size": size, "seconds": full, "grouped_seconds": grouped_at,
            "second_seconds": second,
            "groups_created": result.groups_created, "grouped": grouped,
            "incremental": incremental, "mean_ms": statistics.fmean(added),
            "cpu_mean_ms": statistics.fmean(cpu),
            "p50_ms": added[len(added) // 2], "p99_ms": added[int(len(added) * 0.99) - 1]}


# The import file's header and channel names (see bench/imports.py).
_IMPORT_HEADER = ["工单编号", "渠道", "收到时间", "条款", "意见内容", "姓名", "联系方式",
                  "同意公开"]
_IMPORT_CHANNELS = {"online": "电子邮件", "hotline": "12345热线", "letter": "信函",
                    "email": "电子邮件", "symposium": "座谈会", "questionnaire": "问卷调查"}


def _cpu_ticks() -> tuple[int, int]:
    """(all CPU ticks, steal ticks) of the machine so far (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values), values[7]


class _ServerCpu:
    """CPU seconds of the PostgreSQL backends serving ``database`` while it runs,
    sampled every 50 ms (a backend's last 50 ms before it exits can be missed)."""

    def __init__(self, database: str | None) -> None:
        import threading

        self.database, self.seen = database, {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self._stop.wait(0.05):
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit():
                    continue
                try:
                    if f" {self.database} " not in (proc / "cmdline").read_text():
                        continue
                    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.seen[proc.name] = (int(fields[11]) + int(fields[12])) / tick

    def __enter__(self) -> _ServerCpu:
        if self.database:
            self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self.database:
            self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def _flask(env: dict[str, str], *args: str, database: str | None = None) -> dict:
    """Run ``flask …`` in a child process: wall and CPU seconds (user + system of the
    command), the PostgreSQL server's CPU, the machine's steal share and load, output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks, steal = _cpu_ticks()
    with _ServerCpu(database) as server:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks_after, steal_after = _cpu_ticks()
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime)
            + (after.ru_stime - before.ru_stime), "server_cpu": server.seconds,
            "steal": (steal_after - steal) / max(1, ticks_after - ticks),
            "load": os.getloadavg()[0],
            "output": (done.stdout.strip().splitlines() or [""])[-1]}


def run_cli(size: int, via_import: bool, postgres: str | None) -> dict:
    """``flask opinions group`` of a fresh consultation of ``size`` generated opinions,
    twice, as an independent checker would run it: the opinions bulk inserted (never
    fingerprinted), or imported with ``flask opinions import`` of a CSV (its grouping
    task left queued); then the import's queued task run by ``flask jobs worker --once``."""
    import csv

    from run import recreate_postgres
    from scale import sqlalchemy_url

    from participation.opinions.grouping import generator

    work = Path(tempfile.mkdtemp(prefix="grouping-cli-"))
    if postgres:
        recreate_postgres(postgres)
        url = sqlalchemy_url(postgres)
    else:
        url = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ.setdefault("SECRET_KEY", "bench-" + os.urandom(16).hex())
    env = dict(os.environ, PARTICIPATION_DATABASE_URL=url, FLASK_APP="wsgi")
    env.pop("PARTICIPATION_TEST_DATABASE_URL", None)
    database = postgres.rsplit("/", 1)[1] if postgres else None
    _flask(env, "db", "upgrade")
    _flask(env, "demo", "load")
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        consultation_id = connection.execute(sa.text(
            "SELECT id FROM consultation ORDER BY closes_at DESC LIMIT 1")).scalar_one()
    engine.dispose()
    opinions = generator.generate(size, seed=8)
    result: dict = {"size": size, "via_import": via_import,
                    "database": "PostgreSQL" if postgres else "SQLite"}
    if via_import:
        path = work / "opinions.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(_IMPORT_HEADER)
            for n, o in enumerate(opinions):
                writer.writerow([f"G-{n:08d}", _IMPORT_CHANNELS[o.channel], "2026-03-01 08:00",
                                 "", o.body, "", o.person, "是"])
        result["import"] = _flask(env, "opinions", "import", "--consultation",
                                  str(consultation_id), "--allow-duplicates", str(path),
                                  database=database)
    else:
        _child("load", consultation_id, size, url=url)
    if postgres:  # what autovacuum would do after such a load (off on this machine)
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()
    for run in ("first", "second"):
        result[run] = _flask(env, "opinions", "group", "--consultation", str(consultation_id),
                             database=database)
    if via_import:
        result["worker"] = _flask(env, "jobs", "worker", "--once", database=database)
        result["third"] = _flask(env, "opinions", "group", "--consultation",
                                 str(consultation_id), database=database)
    return result


def run_load(consultation_id: int, size: int) -> dict:
    """Insert ``size`` generated opinions into a consultation (child of :func:`run_cli`;
    the database is ``PARTICIPATION_DATABASE_URL``)."""
    from participation import create_app
    from participation.consultations.models import Consultation
    from participation.extensions import db
    from participation.opinions.grouping import generator

    with create_app().app_context():
        _insert_opinions(db.session.get(Consultation, consultation_id),
                         generator.generate(size, seed=8))
    return {"inserted": size}


def _child(kind: str, *args: int, url: str | None = None) -> dict:
    env = dict(os.environ, PARTICIPATION_DATABASE_URL=url) if url else None
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, *map(str, args)],
        check=True, capture_output=True, text=True, cwd=ROOT, env=env).stdout
    return json.loads(output.strip().splitlines()[-1])


def _cli_row(label: str, r: dict, bar: float | None = None) -> str:
    server = f", PostgreSQL server {r['server_cpu']:.1f} s" if r["server_cpu"] else ""
    met = "—" if bar is None else ("yes" if r["wall"] <= bar else "NO")
    return (f"| {label} (CPU {r['cpu']:.1f} s{server}; load {r['load']:.1f}, steal "
            f"{r['steal']:.0%}) | {r['wall']:.1f} s | {bar or '—'} s | {met} |")


def print_cli(size: int, postgres: str | None) -> None:
    """The table of :func:`run_cli` on SQLite, and on PostgreSQL when given."""
    print(f"\n## `flask opinions group` of {size:,} opinions (child processes, wall time "
          "with start-up)\n")
    print("| run | wall | bar | met |")
    print("|---|---:|---:|:-:|")
    for url in [None, postgres] if postgres else [None]:
        for via_import in (False, True):
            r = run_cli(size, via_import, url)
            how = "imported by `flask opinions import`" if via_import else "bulk inserted"
            name = f"{r['database']}, {how}"
            if via_import:
                print(_cli_row(f"{name}: the import itself (no bar)", r["import"]))
            print(_cli_row(f"{name}: first run, no fingerprints "
                           f"(“{r['first']['output']}”)", r["first"], BARS.get(size)))
            print(_cli_row(f"{name}: second run", r["second"], BARS.get(size)))
            if via_import:
                print(_cli_row(f"{name}: then the import's queued grouping task "
                               "(`flask jobs worker --once`, no bar)", r["worker"]))
                print(_cli_row(f"{name}: `flask opinions group` after it "
                               f"(“{r['third']['output']}”)", r["third"], BARS.get(size)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--library-texts", type=int, default=50_000)
    parser.add_argument("--database-opinions", type=int, default=100_000)
    parser.add_argument("--incremental", type=int, default=1_000)
    parser.add_argument("--database-url",
                        help="a scratch PostgreSQL database for the database measurement "
                             "(dropped and created again; default: a temporary SQLite file)")
    parser.add_argument("--cli", type=int, default=100_000, metavar="N",
                        help="time `flask opinions group` (twice) of N opinions bulk "
                             "inserted, and of N imported with `flask opinions import` "
                             "(0: skip)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database_url:
        os.environ["BENCH_GROUPING_DATABASE_URL"] = args.database_url
    if args.child:
        kind, *numbers = args.child
        values = [int(n) for n in numbers]
        runs = {"engine": run_engine, "database": run_database, "load": run_load}
        print(json.dumps(runs[kind](*values)))
        return 0
    if args.library_texts:
        print(f"## MinHash of {args.library_texts:,} distinct texts\n")
        print("| implementation | seconds | per 1,000,000 (extrapolated) | note |")
        print("|---|---:|---:|---|")
        for name, seconds, note in run_libraries(args.library_texts):
            print(f"| {name} | {seconds:.2f} "
                  f"| {seconds * 1_000_000 / args.library_texts:.0f} s | {note} |")
    if args.sizes or args.database_opinions:
        print("\n## Grouping\n")
        print("| measurement | result | bar | ok |")
        print("|---|---:|---:|:-:|")
    for size in (int(s) for s in args.sizes.split(",") if s):
        r = _child("engine", size)
        bar = BARS.get(size)
        print(f"| full grouping of {size:,} opinions (in memory; CPU time of all its threads "
              f"{r['cpu_seconds']:.1f} s) | {r['seconds']:.1f} s "
              f"| {bar or '—'} s | {'yes' if bar is None or r['seconds'] <= bar else 'NO'} |")
        print(f"| peak resident memory, {size:,} (texts alone: {r['rss_data_mb']:.0f} MB) "
              f"| {r['rss_peak_mb']:.0f} MB | {MEMORY_BAR_MB} MB "
              f"| {'yes' if r['rss_peak_mb'] <= MEMORY_BAR_MB else 'NO'} |")
        print(f"| campaign members in their campaign's group, {size:,} "
              f"({r['campaigns']:,} campaigns, {r['groups']:,} groups) "
              f"| {r['found']:.2%} | ≥ 95 % | {'yes' if r['found'] >= 0.95 else 'NO'} |")
        print(f"| unrelated opinions grouped together, {size:,} | {r['unrelated']:.2%} "
              f"| ≤ 1 % | {'yes' if r['unrelated'] <= 0.01 else 'NO'} |")
    if args.database_opinions:
        r = _child("database", args.database_opinions, args.incremental)
        backend = "PostgreSQL" if args.database_url else "SQLite"
        print(f"| first `regroup()` of {r['size']:,} opinions on {backend} (read, hashed "
              f"and grouped while every fingerprint and band row was written "
              f"{r['grouped_seconds']:.1f} s, then stored) | {r['seconds']:.1f} s | — | — |")
        print(f"| `regroup()` again (fingerprints there) | {r['second_seconds']:.1f} s | — | — |")
        print(f"| incremental grouping, time added per opinion (mean of {r['incremental']:,}"
              f"; p50 {r['p50_ms']:.1f} ms; CPU time {r['cpu_mean_ms']:.1f} ms) "
              f"| {r['mean_ms']:.1f} ms | 5 ms "
              f"| {'yes' if r['mean_ms'] <= 5 else 'NO'} |")
        print(f"| incremental grouping, p99 | {r['p99_ms']:.1f} ms | — | — |")
    if args.cli:
        print_cli(args.cli, args.database_url)
    load = os.getloadavg()
    print(f"\nLoad average while measuring: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"({os.cpu_count()} cores).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: the public pages and the opinion form against a Flask hello-world baseline.

Builds a fresh database (demo data scaled by ``bench/scale.py``), serves a minimal Flask
app (``bench/hello.py``) and then the real app with the same gunicorn settings, and
measures each with ``wrk``. Prints a Markdown table, also written to
``bench/results/latest.md``. The exit code is 0 whether or not the bars are met.

    .venv/bin/python bench/run.py [--duration 10] [--database-url postgresql://…/bench]
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from scale import scale_database, sqlalchemy_url

import participation.models  # noqa: F401 - every mapped class, for the queries below
from participation.catalogue.models import Catalogue, CatalogueState, Decision, EntryState
from participation.consultations.models import Consultation
from participation.core.database import utcnow
from participation.dossier.models import Disclosure, Document, DocumentState
from participation.opinions.models import Opinion

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
SUBMIT_SCRIPT = BENCH / "wrk" / "submit.lua"

# Bars from the issue.
MIN_SHARE_OF_HELLO = 20.0  # per cent
MAX_P99_MS = 100.0
MIN_POST_RATE = 100.0  # per second
NOISY_OTHER_CPU = 10.0  # per cent of the machine used by other processes

MEASUREMENTS = ("catalogue", "dossier", "consultation", "opinion-list", "post")
PROTECTED_DATABASES = frozenset({"test", "postgres", "template0", "template1"})
OPINION_TEXT = ("建议在每个村民小组设置分类投放点，"
                "并安排保洁员在投放高峰时段现场指导，方便老年人正确分类。")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- wrk ----------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int = 0
    seconds: float = 0.0
    rate: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    output: str = ""
    other_cpu: float = 0.0  # per cent of the machine used by other processes meanwhile

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())


_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _duration_ms(value: str, unit: str) -> float:
    return float(value) * _TIME_UNITS_MS[unit]


def parse_wrk(output: str) -> WrkResult:
    """Requests/sec, the latency percentiles of ``--latency`` and the error counts."""
    result = WrkResult(output=output)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    if rate is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    result.rate = float(rate.group(1))
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", output, re.M)
    if total:
        result.requests = int(total.group(1))
        result.seconds = _duration_ms(total.group(2), total.group(3)) / 1000
    for percent, value, unit in re.findall(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$",
                                           output, re.M):
        setattr(result, f"p{percent}_ms", _duration_ms(value, unit))
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result.non_2xx_3xx = int(non_ok.group(1)) if non_ok else 0
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    if sockets:
        result.socket_errors = {name: int(value) for name, value in zip(
            ("connect", "read", "write", "timeout"), sockets.groups(), strict=True) if int(value)}
    return result


def run_wrk(url: str, seconds: float, args: argparse.Namespace, script: Path | None = None,
            env: dict[str, str] | None = None, save_as: Path | None = None,
            server_pids: list[int] | None = None) -> WrkResult:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds:g}s",
               "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    with CpuMeter(server_pids or []) as meter:
        completed = subprocess.run(command, capture_output=True, text=True, env=env,
                                   check=False, timeout=seconds + 60)
    if save_as is not None:
        save_as.write_text(" ".join(command) + "\n" + completed.stdout + completed.stderr)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}"
                           f"{completed.stderr}")
    result = parse_wrk(completed.stdout)
    result.other_cpu = meter.other_percent
    return result


# -- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_seconds() -> float:
    """CPU time spent by everything on the machine (steal included), in seconds."""
    with contextlib.suppress(OSError):
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (
            int(value) for value in fields[:8])
        return (user + nice + system + irq + softirq + steal) / _CLOCK_TICKS
    return 0.0


def _process_seconds(pid: int) -> float:
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    return 0.0


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(child) for child in
                Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


class CpuMeter:
    """Share of the machine's CPU used by processes other than the benchmark's own (this
    script, wrk, the given server processes) while a measurement runs."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids

    def _ours(self) -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        waited = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk once it has exited
        return (own.ru_utime + own.ru_stime + waited.ru_utime + waited.ru_stime
                + sum(_process_seconds(pid) for pid in self.pids))

    def __enter__(self) -> CpuMeter:
        self.started = time.monotonic()
        self.busy, self.ours = _busy_seconds(), self._ours()
        self.other_percent = 0.0
        return self

    def __exit__(self, *exc_info) -> None:
        wall = time.monotonic() - self.started
        other = (_busy_seconds() - self.busy) - (self._ours() - self.ours)
        capacity = wall * (os.cpu_count() or 1)
        self.other_percent = max(0.0, 100.0 * other / capacity) if capacity else 0.0


def wait_until_quiet(args: argparse.Namespace, quiet_seconds: int = 5) -> None:
    """Wait (at most ``--quiet-wait`` seconds) until other processes have left the CPUs
    alone for ``quiet_seconds`` seconds in a row."""
    deadline = time.monotonic() + args.quiet_wait
    waited = False
    quiet = 0
    while args.quiet_wait > 0:
        with CpuMeter([]) as meter:
            time.sleep(1)
        quiet = quiet + 1 if meter.other_percent < NOISY_OTHER_CPU else 0
        if quiet >= quiet_seconds:
            if waited:
                log("  the machine is quiet again")
            return
        if quiet:
            continue
        if time.monotonic() >= deadline:
            log(f"  other processes still use {meter.other_percent:.0f} % CPU; measuring anyway")
            return
        if not waited:
            log(f"  other processes use {meter.other_percent:.0f} % CPU; waiting up to "
                f"{args.quiet_wait:g} s for them to finish")
            waited = True


class Server:
    """``gunicorn --workers N --bind 127.0.0.1:<port> <app>`` (default sync workers)."""

    def __init__(self, name: str, app: str, chdir: Path, env: dict[str, str], workers: int,
                 log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"gunicorn-{name}.log"
        self.command = [
            sys.executable, "-m", "gunicorn", "--workers", str(workers),
            "--bind", f"127.0.0.1:{self.port}", "--chdir", str(chdir),
            "--log-level", "warning", app,
        ]
        self.env = env
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        log(f"starting {self.name}: {' '.join(self.command[1:])}")
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env,
                                            stdout=log_file, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n"
                                   f"{self.log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(self.base_url + "/", timeout=5):
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # graceful: the master stops its workers
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            # Its own session: the group holds the master and the workers it forked.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# -- database -----------------------------------------------------------------------------


def recreate_postgres(url: str) -> None:
    """Drop and create the database named in ``url`` (never ``test`` or a system one)."""
    import psycopg
    from psycopg import sql

    parsed = sa.engine.make_url(sqlalchemy_url(url))
    name = parsed.database
    if not name or name in PROTECTED_DATABASES:
        raise SystemExit(f"refusing to drop the database {name!r}; name a scratch database")
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    parsed = sa.engine.make_url(sqlalchemy_url(url))
    if parsed.database in PROTECTED_DATABASES:
        return
    admin = parsed.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                     .format(sql.Identifier(parsed.database)))


def flask_cli(env: dict[str, str], *args: str) -> None:
    command = [sys.executable, "-m", "flask", *args]
    completed = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                               check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{completed.stdout}"
                           f"{completed.stderr}")


@dataclass
class Targets:
    year: int
    catalogue_decisions: int
    dossier_id: int
    dossier_documents: int
    open_consultation_id: int
    open_opinions: int
    busiest_consultation_id: int
    busiest_opinions: int
    decisions: int
    opinions: int
    deep_cursor: int  # a keyset cursor halfway down the busiest consultation's list


def find_targets(engine: sa.Engine) -> Targets:
    """The pages to measure, chosen from the data as a visitor would find them."""
    now = utcnow()
    public_decision = sa.and_(
        Decision.confidential.is_(False), Decision.state == EntryState.LISTED,
        Decision.catalogue_id.in_(sa.select(Catalogue.id).where(
            Catalogue.state == CatalogueState.PUBLISHED)))
    with engine.connect() as conn:
        year, catalogue_id = conn.execute(
            sa.select(Catalogue.year, Catalogue.id)
            .where(Catalogue.state == CatalogueState.PUBLISHED)
            .order_by(Catalogue.government_id, Catalogue.year.desc()).limit(1)).one()
        in_catalogue = conn.scalar(sa.select(sa.func.count()).where(
            Decision.catalogue_id == catalogue_id, Decision.confidential.is_(False),
            Decision.state == EntryState.LISTED))
        documents = sa.func.count(Document.id)
        dossier_id, dossier_documents = conn.execute(
            sa.select(Decision.id, documents)
            .join(Document, Document.decision_id == Decision.id)
            .where(public_decision, Document.state == DocumentState.PUBLISHED,
                   Document.disclosure != Disclosure.WITHHELD)
            .group_by(Decision.id).order_by(documents.desc(), Decision.id).limit(1)).one()
        public_consultations = (
            sa.select(Consultation.id, Consultation.opinion_count)
            .join(Decision, Consultation.decision_id == Decision.id)
            .where(public_decision)
            .order_by(Consultation.opinion_count.desc(), Consultation.id))
        open_row = conn.execute(public_consultations.where(
            Consultation.opens_at <= now, Consultation.closes_at > now).limit(1)).one_or_none()
        if open_row is None:
            raise SystemExit("no open consultation in the data")
        busiest = conn.execute(public_consultations.where(
            Consultation.opinions_public.is_(True)).limit(1)).one()
        deep_cursor = conn.scalar(
            sa.select(Opinion.id).where(Opinion.consultation_id == busiest.id, Opinion.is_public)
            .order_by(Opinion.id.desc()).offset(busiest.opinion_count // 2).limit(1))
        decisions = conn.scalar(sa.select(sa.func.count()).select_from(Decision))
        opinions = conn.scalar(sa.select(sa.func.count()).select_from(Opinion))
    return Targets(year, in_catalogue, dossier_id, dossier_documents, open_row.id,
                   open_row.opinion_count, busiest.id, busiest.opinion_count, decisions,
                   opinions, deep_cursor or 0)


# -- measurements -------------------------------------------------------------------------


@dataclass
class PageResult:
    name: str
    path: str
    wrk: WrkResult
    share: float = 100.0
    baseline: bool = False

    @property
    def failures(self) -> list[str]:
        if self.baseline:
            return []
        problems = []
        if self.share < MIN_SHARE_OF_HELLO:
            problems.append(f"req/s {self.share:.1f} % < {MIN_SHARE_OF_HELLO:g} %")
        if self.wrk.p99_ms > MAX_P99_MS:
            problems.append(f"p99 {self.wrk.p99_ms:.0f} ms > {MAX_P99_MS:g} ms")
        if self.wrk.errors:
            problems.append(f"{self.wrk.errors} errors")
        return problems


@dataclass
class PostResult:
    wrk: WrkResult
    sent: int
    statuses: dict[int, int]
    receipts: int
    rows_added: int
    rows_matched: int
    counter_added: int

    @property
    def redirects(self) -> int:
        return self.statuses.get(302, 0)

    @property
    def errors(self) -> int:
        return (sum(n for status, n in self.statuses.items() if status != 302)
                + sum(self.wrk.socket_errors.values()))

    @property
    def unanswered(self) -> int:
        """Requests sent without a response before wrk stopped (normally those in flight)."""
        return max(0, self.sent - sum(self.statuses.values()))

    @property
    def lost(self) -> int:
        """302 responses without their row (or whose receipt could not be read)."""
        return self.redirects - self.rows_matched

    @property
    def failures(self) -> list[str]:
        problems = []
        if self.wrk.rate < MIN_POST_RATE:
            problems.append(f"{self.wrk.rate:.0f} req/s < {MIN_POST_RATE:g}")
        if self.errors:
            problems.append(f"{self.errors} errors")
        if self.lost:
            problems.append(f"{self.lost} lost")
        if self.counter_added != self.rows_added:
            problems.append(f"opinion_count moved by {self.counter_added}, "
                            f"rows by {self.rows_added}")
        return problems


def check_page(url: str) -> int:
    """GET ``url`` once: it must answer 200; return the size of the page."""
    with urllib.request.urlopen(url, timeout=30) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
        return len(response.read())


def serving_pids(server: Server, engine: sa.Engine | None) -> list[int]:
    """The gunicorn master and workers, and on PostgreSQL the server processes connected to
    the benchmark database (its work is part of serving the pages)."""
    pids = [server.pid, *_children(server.pid)] if server.pid else []
    if engine is not None and engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            pids += conn.scalars(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()")).all()
    return pids


def measure_page(name: str, server: Server, path: str, args: argparse.Namespace,
                 engine: sa.Engine | None = None) -> WrkResult:
    url = server.base_url + path
    size = check_page(url)
    log(f"{name}: {path} ({size:,} bytes): warm-up {args.warmup:g} s, then {args.duration:g} s")
    wait_until_quiet(args)
    if args.warmup > 0:
        run_wrk(url, args.warmup, args)
    result = run_wrk(url, args.duration, args,
                     save_as=args.work_dir / f"wrk-{name.replace(' ', '-')}.txt",
                     server_pids=serving_pids(server, engine))
    log(f"  {result.rate:,.1f} req/s, p99 {result.p99_ms:.1f} ms, errors {result.errors}, "
        f"other processes {result.other_cpu:.0f} % CPU")
    return result


def form_session(form_url: str) -> tuple[str, str]:
    """Open the opinion form like a browser: return (csrf_token, Cookie header value)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(form_url, timeout=30) as response:
        page = response.read().decode("utf-8")
    tag = re.search(r"<input[^>]*\bname=\"csrf_token\"[^>]*>", page)
    token = re.search(r"\bvalue=\"([^\"]+)\"", tag.group(0)) if tag else None
    if token is None:
        raise RuntimeError("no csrf_token in the opinion form")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if not cookie:
        raise RuntimeError("the opinion form set no session cookie")
    return token.group(1), cookie


def _opinion_counts(engine: sa.Engine, consultation_id: int) -> tuple[int, int]:
    with engine.connect() as conn:
        rows = conn.scalar(sa.select(sa.func.count()).select_from(Opinion))
        counter = conn.scalar(sa.select(Consultation.opinion_count).where(
            Consultation.id == consultation_id))
    return rows, counter


def _settled_counts(engine: sa.Engine, consultation_id: int) -> tuple[int, int]:
    """Counts once requests still in flight when wrk stopped have finished."""
    previous = _opinion_counts(engine, consultation_id)
    for _ in range(20):
        time.sleep(0.5)
        current = _opinion_counts(engine, consultation_id)
        if current == previous:
            return current
        previous = current
    return previous


def _matched_receipts(engine: sa.Engine, receipts: list[str]) -> int:
    matched = 0
    with engine.connect() as conn:
        for start in range(0, len(receipts), 500):
            batch = receipts[start:start + 500]
            matched += conn.scalar(sa.select(sa.func.count()).where(
                Opinion.receipt_number.in_(batch)))
    return matched


def measure_post(server: Server, consultation_id: int, engine: sa.Engine,
                 args: argparse.Namespace, work_dir: Path) -> PostResult:
    base_url = server.base_url
    path = f"/consultations/{consultation_id}/opinions/new"
    token, cookie = form_session(base_url + path)
    out = work_dir / "submit-out.txt"
    env = dict(os.environ, BENCH_CSRF=urllib.parse.quote(token, safe=""),
               BENCH_COOKIE=cookie, BENCH_BODY=urllib.parse.quote(OPINION_TEXT, safe=""),
               BENCH_OUT=str(out))
    log(f"opinion POST: {path}: warm-up {args.warmup:g} s, then {args.duration:g} s")
    wait_until_quiet(args)
    if args.warmup > 0:
        env["BENCH_TAG"] = "warmup-" + secrets.token_hex(4)
        run_wrk(base_url + path, args.warmup, args, SUBMIT_SCRIPT, env)
    rows_before, counter_before = _settled_counts(engine, consultation_id)
    env["BENCH_TAG"] = "bench-" + secrets.token_hex(4)
    out.unlink(missing_ok=True)
    result = run_wrk(base_url + path, args.duration, args, SUBMIT_SCRIPT, env,
                     save_as=work_dir / "wrk-opinion-post.txt",
                     server_pids=serving_pids(server, engine))
    rows_after, counter_after = _settled_counts(engine, consultation_id)
    if not out.exists():
        raise RuntimeError(f"{SUBMIT_SCRIPT.name} wrote no results:\n{result.output}")
    sent, statuses, receipts = 0, {}, []
    for line in out.read_text().splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "sent":
            sent += int(rest)
        elif kind == "status":
            status, count = rest.split()
            statuses[int(status)] = statuses.get(int(status), 0) + int(count)
        elif kind == "receipt":
            receipts.append(rest)
    post = PostResult(wrk=result, sent=sent, statuses=statuses, receipts=len(receipts),
                      rows_added=rows_after - rows_before,
                      rows_matched=_matched_receipts(engine, receipts),
                      counter_added=counter_after - counter_before)
    log(f"  {result.rate:,.1f} req/s, p99 {result.p99_ms:.1f} ms, statuses {statuses}, "
        f"rows added {post.rows_added}, lost {post.lost}")
    return post


# -- report -------------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def render_report(pages: list[PageResult], post: PostResult | None, targets: Targets,
                  backend: str, args: argparse.Namespace, started: datetime,
                  uncached: list[PageResult] | None = None) -> str:
    lines = [
        f"### {started:%Y-%m-%d %H:%M} UTC, {backend}",
        "",
        f"{os.cpu_count()} CPUs ({_cpu_model()}), shared by wrk, gunicorn and the database; "
        f"gunicorn {args.workers} sync workers; `wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration:g}s` after a {args.warmup:g} s warm-up. Data: "
        f"{targets.decisions:,} decisions ({targets.catalogue_decisions:,} public in the "
        f"{targets.year} catalogue), {targets.opinions:,} opinions "
        f"({targets.busiest_opinions:,} on consultation {targets.busiest_consultation_id}). "
        "*Other CPU*: share of the CPUs used meanwhile by anything but wrk, gunicorn and the "
        "database (noise).",
        "",
    ]
    if pages:
        lines += ["| page | path | req/s | % of hello | p99 ms | errors | other CPU | bar "
                  "| result |",
                  "|---|---|---:|---:|---:|---:|---:|---|---|"]
    bar = f"≥ {MIN_SHARE_OF_HELLO:g} % and p99 ≤ {MAX_P99_MS:g} ms"
    for page in pages:
        verdict = "baseline" if page.baseline else (
            "FAIL: " + ", ".join(page.failures) if page.failures else "pass")
        lines.append(
            f"| {page.name} | `{page.path}` | {page.wrk.rate:,.0f} | {page.share:.1f} % | "
            f"{page.wrk.p99_ms:.1f} | {page.wrk.errors} | {page.wrk.other_cpu:.0f} % | "
            f"{'—' if page.baseline else bar} | "
            f"{verdict} |")
    if pages:
        lines.append("")
    if uncached:
        lines += ["Without the page cache (`PARTICIPATION_PAGE_CACHE_SECONDS=0`: every request "
                  "renders the page, as for signed-in people):", "",
                  "| page | path | req/s | % of hello | p99 ms | errors | other CPU "
                  "| against the bar |", "|---|---|---:|---:|---:|---:|---:|---|"]
        for page in uncached:
            verdict = "below: " + ", ".join(page.failures) if page.failures else "met"
            lines.append(
                f"| {page.name} | `{page.path}` | {page.wrk.rate:,.0f} | {page.share:.1f} % | "
                f"{page.wrk.p99_ms:.1f} | {page.wrk.errors} | {page.wrk.other_cpu:.0f} % | "
                f"{verdict} |")
        lines.append("")
    if post is not None:
        statuses = ", ".join(f"{status}: {n}" for status, n in sorted(post.statuses.items()))
        verdict = "FAIL: " + ", ".join(post.failures) if post.failures else "pass"
        lines.append(
            f"Opinion POST (`/consultations/{targets.open_consultation_id}/opinions/new`, "
            f"bar ≥ {MIN_POST_RATE:g} req/s, none lost): **{post.wrk.rate:,.1f} req/s**, "
            f"p99 {post.wrk.p99_ms:.1f} ms; sent {post.sent:,}, answered "
            f"{sum(post.statuses.values()):,} ({statuses or 'none'}), unanswered at the end "
            f"{post.unanswered}, 302s {post.redirects:,}, errors {post.errors}, "
            f"rows added {post.rows_added:,} (receipts found {post.rows_matched:,}), "
            f"lost {post.lost}; other processes {post.wrk.other_cpu:.0f} % CPU → **{verdict}**")
        lines.append("")
    busy = [p.wrk.other_cpu for p in pages] + ([post.wrk.other_cpu] if post else [])
    if max(busy, default=0) >= NOISY_OTHER_CPU:
        lines += [f"Note: other processes used up to {max(busy):.0f} % of the CPUs during "
                  "the measurements; the figures are disturbed.", ""]
    failed = [p.name for p in pages if p.failures]
    if post is not None and post.failures:
        failed.append("opinion POST")
    lines.append("Bars missed: " + ", ".join(failed) if failed else "All bars met.")
    return "\n".join(lines) + "\n"


# -- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        help="PostgreSQL scratch database to drop and recreate, e.g. "
                             "postgresql://postgres@127.0.0.1:5432/bench "
                             "(default: a temporary SQLite file)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per URL")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--opinions", type=int, default=100_000)
    parser.add_argument("--quiet-wait", type=float, default=60,
                        help="before each measurement, wait up to this many seconds while "
                             f"other processes use {NOISY_OTHER_CPU:g} %% or more of the CPUs "
                             "(0: do not wait)")
    parser.add_argument("--only", type=lambda value: set(value.split(",")),
                        default=set(MEASUREMENTS), metavar=",".join(MEASUREMENTS),
                        help="measure only these (the hello world baseline comes with any "
                             "page)")
    parser.add_argument("--app-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the app (repeatable), e.g. "
                             "PARTICIPATION_PAGE_CACHE_SECONDS=0")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15",
                        help="Redis for the app's rate-limit counters, as in production; "
                             "used when it answers ('none': keep them in the database)")
    parser.add_argument("--no-uncached", dest="uncached", action="store_false",
                        help="skip the second pass over the pages without the page cache")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (database, logs) and the "
                             "PostgreSQL database")
    return parser.parse_args(argv)


def redis_answers(url: str) -> bool:
    """True when a Redis server answers PING at ``url``."""
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _raise_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.only or not args.only <= set(MEASUREMENTS):
        raise SystemExit(f"--only takes some of {','.join(MEASUREMENTS)}")
    app_env = dict(item.split("=", 1) for item in args.app_env if "=" in item)
    if len(app_env) != len(args.app_env):
        raise SystemExit("--app-env takes NAME=VALUE")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    started = datetime.now(UTC)
    work_dir = args.work_dir = Path(tempfile.mkdtemp(prefix="participation-bench-"))
    servers: list[Server] = []
    engine: sa.Engine | None = None
    postgres = bool(args.database_url)
    try:
        if postgres:
            url = sqlalchemy_url(args.database_url)
            if not url.startswith("postgresql"):
                raise SystemExit("--database-url must name a PostgreSQL database")
            log(f"recreating {sa.engine.make_url(url).database!r} on PostgreSQL")
            recreate_postgres(url)
            backend = "PostgreSQL"
        else:
            url = f"sqlite:///{work_dir / 'bench.sqlite3'}"
            backend = f"SQLite {sqlite3.sqlite_version}"
        env = dict(os.environ, FLASK_APP="wsgi", PARTICIPATION_DATABASE_URL=url,
                   SECRET_KEY=secrets.token_hex(32),
                   PARTICIPATION_OPINION_RATE_LIMIT="1000000 per minute")
        if args.redis_url != "none" and redis_answers(args.redis_url):
            env["PARTICIPATION_REDIS_URL"] = args.redis_url
            limits_note = ", rate limits in Redis"
        else:
            limits_note = ", rate limits in the database"
        env.update(app_env)
        log("migrating and loading the demo data")
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "demo", "load")
        log(f"scaling to {args.decisions:,} decisions and {args.opinions:,} opinions")
        scaled = scale_database(url, args.decisions, args.opinions, log=log)
        log(f"scaled in {scaled.seconds:.1f} s")
        engine = sa.create_engine(url)
        if postgres:
            with engine.connect() as conn:
                version = conn.dialect.server_version_info or ()
            backend = "PostgreSQL " + ".".join(str(part) for part in version)
        backend += limits_note
        targets = find_targets(engine)

        page_paths = [(name, path) for name, path in (
            ("catalogue", f"/catalogue?year={targets.year}"),
            ("dossier", f"/decisions/{targets.dossier_id}"),
            ("consultation", f"/consultations/{targets.open_consultation_id}"),
            ("opinion list", f"/consultations/{targets.busiest_consultation_id}"
                             f"/opinions?cursor={targets.deep_cursor}"),
        ) if name.replace(" ", "-") in args.only]
        pages: list[PageResult] = []
        if page_paths:
            hello = Server("hello", "hello:app", BENCH, env, args.workers, work_dir)
            servers.append(hello)
            hello.start()
            pages.append(PageResult("hello world", "/",
                                    measure_page("hello world", hello, "/", args),
                                    baseline=True))
            hello.stop()

        app = Server("app", "wsgi:app", ROOT, env, args.workers, work_dir)
        servers.append(app)
        app.start()
        for name, path in page_paths:
            result = measure_page(name, app, path, args, engine)
            pages.append(PageResult(name, path, result,
                                    share=100.0 * result.rate / max(pages[0].wrk.rate, 1e-9)))
        post = None
        if "post" in args.only:
            post = measure_post(app, targets.open_consultation_id, engine, args, work_dir)
        app.stop()

        uncached: list[PageResult] = []
        if page_paths and args.uncached and "PARTICIPATION_PAGE_CACHE_SECONDS" not in app_env:
            log("again without the page cache")
            bare = Server("app-uncached", "wsgi:app", ROOT,
                          dict(env, PARTICIPATION_PAGE_CACHE_SECONDS="0"), args.workers,
                          work_dir)
            servers.append(bare)
            bare.start()
            for name, path in page_paths:
                result = measure_page(name + " uncached", bare, path, args, engine)
                uncached.append(PageResult(
                    name, path, result,
                    share=100.0 * result.rate / max(pages[0].wrk.rate, 1e-9)))
            bare.stop()

        if app_env:
            backend += ", app environment " + ", ".join(f"`{k}={v}`" for k, v in app_env.items())
        report = render_report(pages, post, targets, backend, args, started, uncached)
        print(report)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(report, encoding="utf-8")
        log(f"written to {args.output}")
        return 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        for server in servers:
            server.stop()
        if engine is not None:
            engine.dispose()
        if args.keep:
            log(f"kept {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
            if postgres:
                with contextlib.suppress(Exception):
                    drop_postgres(args.database_url)


if __name__ == "__main__":
    sys.exit(main())

"""Import benchmark: ``flask opinions import`` of a generated 1,000,000-row file.

For each database (a temporary SQLite file, and PostgreSQL with ``--database-url``) it
creates a fresh database, runs the migrations and loads the demo town, generates a CSV of
realistic offline opinions for the demo's open consultation (mixed channels and their
Chinese names, hotline ticket and letter numbers, Chinese texts of 50–300 characters,
about one in eight with a phone number, names, contacts, articles of the draft, consent
answers), then times the command in a child process and reads its peak resident memory
with ``/usr/bin/time``. An XLSX of ``--xlsx-rows`` rows is timed the same way.

    python bench/imports.py [--rows 1000000] [--encoding gbk|utf-8] \
        [--database-url postgresql://postgres@127.0.0.1:5432/bench_imports] \
        [--xlsx-rows 100000] [--no-sqlite]

Bars (issue 6): at most 120 s and 500 MB peak RSS for 1,000,000 CSV rows. Prints a
Markdown table; exits 0 whether or not the bars are met.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from run import ROOT, drop_postgres, flask_cli, recreate_postgres
from scale import sqlalchemy_url

BAR_SECONDS = 120
BAR_MB = 500

CHANNELS = [("12345热线", 40), ("hotline", 5), ("信函", 12), ("来信", 3), ("电子邮件", 8),
            ("座谈会", 8), ("听证会", 2), ("实地走访", 6), ("问卷调查", 8), ("民意调查", 3),
            ("政府开放日", 2), ("列席代表", 3)]
SUBJECTS = ["垃圾分类投放点", "农贸市场改造", "老旧小区加装电梯", "公交线路调整", "停车收费标准",
            "河道整治工程", "学校周边交通", "社区养老服务", "夜市摊位管理", "公共厕所建设",
            "绿化带养护", "噪声扰民问题", "自来水管网改造", "乡村道路硬化", "文化活动中心"]
OPENINGS = ["我认为", "建议", "希望", "关于", "针对", "对于", "本人反映", "强烈要求", "请政府考虑",
            "作为附近居民，"]
MIDDLES = ["应当进一步明确实施范围和时间安排", "需要充分听取周边居民的意见",
           "建议增加公示环节并延长公示期",
           "实施过渡期过短，群众难以适应", "费用标准偏高，希望适当降低", "应当同步配套相应的设施",
           "执法尺度需要统一，避免选择性执法", "建议设立投诉渠道并及时反馈处理结果",
           "资金来源和使用情况应当向社会公开", "要考虑老年人和残疾人的实际需要",
           "应当分区域、分阶段推进，不宜一刀切", "建议参考周边县市的成熟做法"]
ENDINGS = ["谢谢！", "望采纳。", "请予考虑。", "以上意见供参考。", "希望尽快答复。", ""]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华"


def _body(rng: random.Random) -> str:
    target = rng.randint(50, 300)
    parts = [rng.choice(OPENINGS), rng.choice(SUBJECTS), "，"]
    while sum(map(len, parts)) < target:
        parts += [rng.choice(MIDDLES), rng.choice("，；。")]
    text = "".join(parts)[:target].rstrip("，；") + "。" + rng.choice(ENDINGS)
    if rng.random() < 0.125:
        text += f"联系电话1{rng.choice('3589')}{rng.randrange(10**9):09d}。"
    return text


def generate_csv(path: Path, rows: int, encoding: str, articles: list[str],
                 seed: int = 6) -> None:
    """Write ``rows`` opinions with the Chinese header to ``path``."""
    rng = random.Random(seed)
    channels, weights = zip(*CHANNELS, strict=True)
    start = datetime(2026, 3, 1, 8, 0)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["工单编号", "渠道", "收到时间", "条款", "意见内容", "姓名", "联系方式",
                         "同意公开"])
        for number in range(rows):
            channel = rng.choices(channels, weights)[0]
            reference = (f"12345-{number:08d}" if "热线" in channel or channel == "hotline"
                         else f"信-{number:08d}" if "信" in channel else "")
            received = start + timedelta(seconds=rng.randrange(60 * 24 * 3600))
            name = (rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", GIVEN[0]])
                    if rng.random() < 0.3 else "")
            contact = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}" \
                if rng.random() < 0.4 else ""
            article = rng.choice(articles) if articles and rng.random() < 0.6 else ""
            writer.writerow([reference, channel, received.strftime("%Y-%m-%d %H:%M"), article,
                             _body(rng), name, contact, rng.choice(["是", "否", ""])])


def generate_xlsx(path: Path, csv_path: Path, rows: int, encoding: str) -> None:
    """The first ``rows`` rows of the CSV as a workbook (openpyxl write-only mode), their
    references marked "X" so that they do not repeat the CSV's once that is imported."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    with csv_path.open(encoding=encoding, newline="") as handle:
        for number, values in enumerate(csv.reader(handle)):
            if number > rows:
                break
            if number and values[0]:
                values[0] = "X" + values[0]
            sheet.append(values)
    workbook.save(path)


@dataclass
class Measure:
    database: str
    kind: str
    rows: int
    size_mb: float
    seconds: float
    peak_mb: float
    imported: int
    ok: bool
    cpu: float = 0.0  # user + system seconds of the command's process (not the server's)
    load: float = 0.0  # the machine's load average (1 min) when it ended
    tree_mb: float = 0.0  # peak of the summed resident memory of the command's processes

    @property
    def meets(self) -> str:
        if self.kind != "CSV" or self.rows < 1_000_000:
            return "(no bar)"
        good = self.ok and self.seconds <= BAR_SECONDS and max(self.peak_mb,
                                                               self.tree_mb) <= BAR_MB
        return "yes" if good else "NO"


def _environment(url: str) -> dict[str, str]:
    env = dict(os.environ, PARTICIPATION_DATABASE_URL=url, FLASK_APP="wsgi")
    env.pop("PARTICIPATION_TEST_DATABASE_URL", None)
    return env


def _target(url: str) -> tuple[int, list[str]]:
    """The demo's open consultation: id and the labels of its articles."""
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.connect() as connection:
        consultation_id, version_id = connection.execute(sa.text(
            "SELECT id, draft_version_id FROM consultation"
            " ORDER BY closes_at DESC LIMIT 1")).one()
        labels = [label for (label,) in connection.execute(sa.text(
            "SELECT label FROM draft_node WHERE version_id = :v AND kind = 'article'"),
            {"v": version_id})]
    engine.dispose()
    return consultation_id, labels


def _imported(url: str, consultation_id: int) -> int:
    engine = sa.create_engine(sqlalchemy_url(url))
    with engine.connect() as connection:
        count = connection.execute(sa.text(
            "SELECT count(*) FROM opinion WHERE consultation_id = :c AND import_id IS NOT NULL"),
            {"c": consultation_id}).scalar_one()
    engine.dispose()
    return count


def time_import(url: str, consultation_id: int, path: Path, kind: str, rows: int,
                database: str) -> Measure:
    env = _environment(url)
    report = path.with_suffix(".time")
    command = ["/usr/bin/time", "-f", "%e %M %U %S", "-o", str(report), sys.executable, "-m",
               "flask", "opinions", "import", "--consultation", str(consultation_id),
               "--allow-duplicates", str(path)]
    print(f"[{database}] importing {rows:,} {kind} rows …", file=sys.stderr, flush=True)
    before = _imported(url, consultation_id)
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    tree = TreeMemory(process.pid)
    tree.start()
    stdout, stderr = process.communicate()
    wall = time.monotonic() - started
    tree.stop()
    completed = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    elapsed, peak_kb, user, system = report.read_text().split()[-4:]
    if completed.returncode != 0:
        print(completed.stdout[-2000:], completed.stderr[-2000:], file=sys.stderr)
    imported = _imported(url, consultation_id) - before
    return Measure(database, kind, rows, path.stat().st_size / 1e6, max(float(elapsed), wall),
                   int(peak_kb) / 1024, imported,
                   completed.returncode == 0 and imported == rows,
                   float(user) + float(system), os.getloadavg()[0], tree.peak_kb / 1024)


class TreeMemory(threading.Thread):
    """The highest sum of the resident memory of a process and all its descendants (the
    import and the grouping's worker process beside it), sampled every 0.2 s from
    ``/proc``: ``/usr/bin/time`` reports the largest single process only."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak_kb = max(self.peak_kb, self._sample())

    def stop(self) -> None:
        self.done.set()
        self.join()

    def _sample(self) -> int:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                        parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        family, grown = {self.pid}, True
        while grown:
            more = {pid for pid, parent in parents.items() if parent in family} - family
            family |= more
            grown = bool(more)
        total = 0
        for pid in family:
            try:
                with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
                    total += next((int(line.split()[1]) for line in f
                                   if line.startswith("VmRSS:")), 0)
            except OSError:
                continue
        return total


def fresh_database(url: str) -> None:
    if url.startswith("postgresql"):
        recreate_postgres(url)
    env = _environment(url)
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "demo", "load")


def render(results: list[Measure], encoding: str) -> str:
    lines = [f"Imports with `flask opinions import` (CSV in {encoding.upper()}), "
             f"{os.cpu_count()} cores; peak RSS of the command's largest process, and of "
             "all its processes together (the import and the grouping's worker).",
             "",
             "| database | file | rows | size | time | rows/s | CPU of the command | load"
             " | peak RSS | all processes | imported | bar (≤ 120 s, ≤ 500 MB) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        lines.append(f"| {r.database} | {r.kind} | {r.rows:,} | {r.size_mb:.0f} MB | "
                     f"{r.seconds:.1f} s | {r.rows / r.seconds:,.0f} | {r.cpu:.1f} s | "
                     f"{r.load:.1f} | {r.peak_mb:.0f} MB | {r.tree_mb:.0f} MB | "
                     f"{r.imported:,}{'' if r.ok else ' (FAILED)'} | {r.meets} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000,
                        help="rows of the XLSX measured (0: none)")
    parser.add_argument("--encoding", default="gbk", choices=["gbk", "utf-8", "gb18030"])
    parser.add_argument("--database-url", help="a scratch PostgreSQL database (dropped!)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    results: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as scratch:
        directory = Path(scratch)
        urls = [] if args.no_sqlite else [("SQLite", f"sqlite:///{directory / 'bench.sqlite3'}")]
        if args.database_url:
            urls.append(("PostgreSQL", args.database_url))
        csv_path = directory / "opinions.csv"
        xlsx_path = directory / "opinions.xlsx"
        for database, url in urls:
            fresh_database(url)
            consultation_id, articles = _target(url)
            if not csv_path.exists():
                print(f"generating {args.rows:,} rows …", file=sys.stderr, flush=True)
                generate_csv(csv_path, args.rows, args.encoding, articles)
                if args.xlsx_rows:
                    generate_xlsx(xlsx_path, csv_path, args.xlsx_rows, args.encoding)
            results.append(time_import(url, consultation_id, csv_path, "CSV", args.rows,
                                       database))
            if args.xlsx_rows:
                results.append(time_import(url, consultation_id, xlsx_path, "XLSX",
                                           args.xlsx_rows, database))
            if url.startswith("postgresql"):
                drop_postgres(url)
    print(render(results, args.encoding))
    return 0


if __name__ == "__main__":
    sys.exit(main())

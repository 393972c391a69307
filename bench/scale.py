"""Scale a database holding the demo town up to benchmark size.

The demo (``flask demo load``) has one catalogue of 16 decisions, two consultations and
about 400 opinions. :func:`scale_database` adds, with SQLAlchemy Core bulk inserts:

* decisions up to ``decisions`` in total: ``main_catalogue_decisions`` of them in the
  catalogue shown by default (the latest published year, so its public page has many
  pages of 50), the rest in published catalogues of earlier years; each new decision has
  its stage history and the dossier documents its stage calls for;
* ``extra_consultations`` closed consultations (a draft copied from a demo draft, with its
  parsed articles) on new decisions that are past public consultation;
* opinions up to ``opinions`` in total, most of them on the demo consultations (the open
  one first), the rest on the extra consultations. ``consultation.opinion_count``,
  ``consultation.public_opinion_count`` and ``draft_node.opinion_count`` are raised by
  exactly what is inserted (``flask opinions recount`` finds nothing to correct).

No audit entries are written for the bulk rows. Run as a script::

    python bench/scale.py --database-url sqlite:////tmp/x.sqlite3 --decisions 2000 \
        --opinions 100000
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

import participation.models  # noqa: F401 - every mapped class, for the queries below
from participation.accounts.models import Government, Unit
from participation.catalogue.models import (
    Catalogue,
    CatalogueState,
    Decision,
    DecisionStageChange,
    EntryState,
    Stage,
)
from participation.consultations.models import (
    Consultation,
    Draft,
    DraftNode,
    DraftVersion,
)
from participation.core.database import utcnow
from participation.core.pii import analyse, mask_personal_data
from participation.demo import content
from participation.dossier.models import Disclosure, Document, DocumentKind, DocumentState
from participation.opinions.models import Channel, ModerationState, Opinion
from participation.opinions.receipts import RECEIPT_ALPHABET, RECEIPT_LENGTH

CHUNK = 10_000
DECISIONS_PER_OLD_CATALOGUE = 250

# Title endings of generated dossier documents.
DOCUMENT_TITLE_ENDINGS = {
    DocumentKind.DRAFT: "（草案）",
    DocumentKind.EXPLANATION: "起草说明",
    DocumentKind.BACKGROUND: "制定背景",
    DocumentKind.EXPERT_REVIEW: "专家论证意见",
    DocumentKind.RISK_ASSESSMENT: "社会稳定风险评估报告",
    DocumentKind.LEGALITY_REVIEW: "合法性审查意见",
    DocumentKind.MEETING_RECORD: "集体讨论会议纪要（摘要）",
    DocumentKind.DECISION_RESULT: "印发通知",
    DocumentKind.EVALUATION: "实施效果评估报告",
    DocumentKind.POLICY_INTERPRETATION: "政策解读",
}

# Stages of the decisions added to the current year's catalogue (weights).
CURRENT_YEAR_STAGES = {
    Stage.DRAFTING: 20, Stage.PUBLIC_CONSULTATION: 8, Stage.EXPERT_REVIEW: 10,
    Stage.RISK_ASSESSMENT: 10, Stage.LEGALITY_REVIEW: 10, Stage.COLLECTIVE_DELIBERATION: 10,
    Stage.DECIDED: 15, Stage.FEEDBACK_PUBLISHED: 10, Stage.EVALUATED: 7,
}
# Earlier years' decisions are mostly done.
PAST_YEAR_STAGES = {
    Stage.LEGALITY_REVIEW: 3, Stage.COLLECTIVE_DELIBERATION: 5, Stage.DECIDED: 30,
    Stage.FEEDBACK_PUBLISHED: 30, Stage.EVALUATED: 32,
}
# Stages a decision with a closed consultation may be in.
AFTER_CONSULTATION = frozenset(s for s in Stage if s.order > Stage.PUBLIC_CONSULTATION.order)


@dataclass
class ScaleResult:
    decisions: int = 0
    opinions: int = 0
    added_decisions: int = 0
    added_documents: int = 0
    added_consultations: int = 0
    added_opinions: int = 0
    per_consultation: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` URLs name the installed psycopg (3) driver."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def receipt_numbers(rng: random.Random, taken: set[str]) -> Iterator[str]:
    """Endless unique receipt numbers in the app's format (XXXX-XXXX-XXXX-XXXX)."""
    while True:
        raw = "".join(rng.choices(RECEIPT_ALPHABET, k=RECEIPT_LENGTH))
        number = "-".join(raw[i:i + 4] for i in range(0, RECEIPT_LENGTH, 4))
        if number not in taken:
            taken.add(number)
            yield number


def _chunks(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _weighted(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _insert_returning_ids(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> list[int]:
    """Bulk insert (executemany) and return the new ids in the order of ``rows``."""
    if not rows:
        return []
    result = conn.execute(
        table.insert().returning(table.c.id, sort_by_parameter_order=True), rows)
    return [row.id for row in result]


class _Scaler:
    def __init__(self, conn: sa.Connection, rng: random.Random, log: Callable[[str], None]):
        self.conn = conn
        self.rng = rng
        self.log = log
        self.now = utcnow()
        self.today = self.now.date()

    # -- decisions ------------------------------------------------------------------------

    def add_decisions(self, total: int, main_catalogue_total: int,
                      result: ScaleResult) -> list[dict]:
        """Add decisions up to ``total``; return the new decisions as dicts with ids."""
        conn, rng = self.conn, self.rng
        government = conn.execute(sa.select(Government.__table__).order_by(Government.id)
                                  .limit(1)).one()
        units = conn.scalars(sa.select(Unit.id).where(Unit.government_id == government.id)).all()
        catalogue_t = Catalogue.__table__
        main = conn.execute(
            sa.select(catalogue_t).where(catalogue_t.c.government_id == government.id,
                                         catalogue_t.c.state == CatalogueState.PUBLISHED)
            .order_by(catalogue_t.c.year.desc()).limit(1)).one_or_none()
        if main is None:
            raise SystemExit("No published catalogue: load the demo data first.")
        existing = conn.scalar(sa.select(sa.func.count()).select_from(Decision.__table__))
        templates = conn.execute(sa.select(
            Decision.title, Decision.legal_basis, Decision.summary, Decision.category)).all()
        in_main = conn.scalar(sa.select(sa.func.count()).where(
            Decision.catalogue_id == main.id))
        to_add = max(0, total - existing)
        main_add = min(to_add, max(0, main_catalogue_total - in_main))
        plan: list[tuple[int, int, dict[Stage, int], date]] = []  # catalogue, count, stages, pub
        plan.append((main.id, main_add, CURRENT_YEAR_STAGES, main.published_on or self.today))
        remaining = to_add - main_add
        year = main.year
        taken_years = set(conn.scalars(sa.select(catalogue_t.c.year).where(
            catalogue_t.c.government_id == government.id)))
        while remaining > 0:
            year -= 1
            count = min(remaining, DECISIONS_PER_OLD_CATALOGUE)
            remaining -= count
            if year in taken_years:
                catalogue_id = conn.scalar(sa.select(catalogue_t.c.id).where(
                    catalogue_t.c.government_id == government.id, catalogue_t.c.year == year))
                published_on = date(year, 2, 20)
            else:
                published_on = date(year, 2, 20)
                catalogue_id = conn.execute(catalogue_t.insert().values(
                    government_id=government.id, year=year,
                    title=f"{government.name}{year}年度重大行政决策事项目录",
                    state=CatalogueState.PUBLISHED, published_on=published_on,
                    introduction=f"根据《重大行政决策程序暂行条例》，现将{year}年度重大行政决策"
                                 "事项目录予以公布，接受社会监督。",
                    created_at=self.now, updated_at=self.now,
                ).returning(catalogue_t.c.id)).scalar_one()
            plan.append((catalogue_id, count, PAST_YEAR_STAGES, published_on))

        new: list[dict] = []
        for catalogue_id, count, stages, published_on in plan:
            start = (conn.scalar(sa.select(sa.func.max(Decision.position)).where(
                Decision.catalogue_id == catalogue_id)) or 0) + 1
            for position in range(start, start + count):
                template = rng.choice(templates)
                village = rng.choice(content.VILLAGES)
                title = (template.title.replace("青禾镇", village)
                         if "青禾镇" in template.title else village + template.title)
                stage = _weighted(rng, stages)
                new.append({
                    "government_id": government.id, "catalogue_id": catalogue_id,
                    "unit_id": rng.choice(units), "position": position, "title": title[:300],
                    "legal_basis": template.legal_basis, "summary": template.summary,
                    "category": template.category,
                    "planned_completion": date(published_on.year, rng.randint(4, 12),
                                               rng.randint(1, 28)),
                    "confidential": rng.random() < 0.02,
                    "state": EntryState.WITHDRAWN if rng.random() < 0.01 else EntryState.LISTED,
                    "stage": stage, "created_at": self.now, "updated_at": self.now,
                    "_published_on": published_on,
                })
        rows = [{k: v for k, v in d.items() if not k.startswith("_")} for d in new]
        ids: list[int] = []
        for batch in _chunks(rows):
            ids.extend(_insert_returning_ids(conn, Decision.__table__, batch))
        for decision, decision_id in zip(new, ids, strict=True):
            decision["id"] = decision_id
        result.added_decisions = len(new)
        self._add_stage_history(new)
        result.added_documents = self._add_documents(new)
        return new

    def _stage_dates(self, decision: dict) -> list[tuple[Stage, date]]:
        start = decision["_published_on"] - timedelta(days=20)
        end = min(self.today - timedelta(days=3),
                  date(decision["_published_on"].year, 12, 20))
        path = [s for s in Stage if s.order <= decision["stage"].order]
        step = max(1, (end - start).days // (len(path) + 1))
        return [(stage, min(start + timedelta(days=i * step), end))
                for i, stage in enumerate(path)]

    def _add_stage_history(self, decisions: list[dict]) -> None:
        rows = []
        for decision in decisions:
            previous = None
            for stage, occurred_on in self._stage_dates(decision):
                rows.append({"decision_id": decision["id"], "from_stage": previous,
                             "to_stage": stage, "occurred_on": occurred_on, "note": "",
                             "created_at": self.now, "actor_id": None})
                previous = stage
        for batch in _chunks(rows):
            self.conn.execute(DecisionStageChange.__table__.insert(), batch)

    def _add_documents(self, decisions: list[dict]) -> int:
        conn, rng = self.conn, self.rng
        bodies: dict[DocumentKind, list[str]] = {}
        for kind, body in conn.execute(sa.select(Document.kind, Document.body_html)):
            bodies.setdefault(kind, []).append(body)
        every_body = [body for group in bodies.values() for body in group] or ["<p>正文</p>"]
        rows = []
        for decision in decisions:
            if decision["state"] == EntryState.WITHDRAWN:
                continue
            dates = dict(self._stage_dates(decision))
            kinds = sorted(content.documents_allowed(decision["stage"].value))
            for kind_value in kinds:
                if kind_value in content.OPTIONAL_DOCUMENTS and rng.random() < 0.4:
                    continue
                kind = DocumentKind(kind_value)
                day = dates.get(kind.stage, dates[decision["stage"]])
                published_at = datetime.combine(day, datetime.min.time()) + timedelta(hours=2)
                rows.append({
                    "government_id": decision["government_id"], "decision_id": decision["id"],
                    "kind": kind, "title": (decision["title"] + DOCUMENT_TITLE_ENDINGS[kind])[:300],
                    "body_html": rng.choice(bodies.get(kind) or every_body),
                    "disclosure": (Disclosure.ON_REQUEST if rng.random() < 0.08
                                   else Disclosure.PROACTIVE),
                    "withheld_ground": "", "state": DocumentState.PUBLISHED,
                    "published_at": published_at, "created_at": published_at,
                    "updated_at": published_at,
                })
        for batch in _chunks(rows):
            conn.execute(Document.__table__.insert(), batch)
        return len(rows)

    # -- consultations --------------------------------------------------------------------

    def add_consultations(self, decisions: list[dict], count: int) -> list[int]:
        """Closed consultations on new decisions past public consultation; return ids."""
        conn, rng = self.conn, self.rng
        candidates = [d for d in decisions if d["stage"] in AFTER_CONSULTATION
                      and not d["confidential"] and d["state"] == EntryState.LISTED]
        chosen = rng.sample(candidates, min(count, len(candidates)))
        sources = conn.execute(sa.select(DraftVersion.__table__)
                               .order_by(DraftVersion.id)).all()
        if not sources or not chosen:
            return []
        government = conn.execute(sa.select(Government.__table__).where(
            Government.id == chosen[0]["government_id"])).one()
        node_t = DraftNode.__table__
        node_columns = [c.name for c in node_t.columns if c.name not in ("id", "version_id",
                                                                        "parent_id")]
        source_nodes = {
            source.id: conn.execute(sa.select(node_t).where(node_t.c.version_id == source.id)
                                    .order_by(node_t.c.position)).all()
            for source in sources
        }
        ids = []
        for decision in chosen:
            source = rng.choice(sources)
            title = f"{decision['title']}（征求意见稿）"[:300]
            draft_id = conn.execute(Draft.__table__.insert().values(
                government_id=decision["government_id"], decision_id=decision["id"],
                title=title, created_at=self.now, updated_at=self.now,
            ).returning(Draft.__table__.c.id)).scalar_one()
            version_id = conn.execute(DraftVersion.__table__.insert().values(
                draft_id=draft_id, number=1, title=title, source_text=source.source_text,
                source_kind=source.source_kind, change_note="", created_at=self.now,
                updated_at=self.now,
            ).returning(DraftVersion.__table__.c.id)).scalar_one()
            old_nodes = source_nodes[source.id]
            new_ids = _insert_returning_ids(conn, node_t, [
                {**{name: getattr(node, name) for name in node_columns},
                 "version_id": version_id, "parent_id": None, "opinion_count": 0}
                for node in old_nodes])
            mapping = {node.id: new_id for node, new_id in zip(old_nodes, new_ids, strict=True)}
            parents = [{"b_id": mapping[node.id], "b_parent": mapping[node.parent_id]}
                       for node in old_nodes if node.parent_id]
            if parents:
                conn.execute(node_t.update().where(node_t.c.id == sa.bindparam("b_id"))
                             .values(parent_id=sa.bindparam("b_parent")), parents)
            consultation_day = self._stage_dates(decision)[1][1]
            opens_at = datetime.combine(consultation_day, datetime.min.time()) \
                + timedelta(hours=1)
            opens_at = min(opens_at, self.now - timedelta(days=45))
            ids.append(conn.execute(Consultation.__table__.insert().values(
                government_id=decision["government_id"], decision_id=decision["id"],
                draft_id=draft_id, draft_version_id=version_id, title=title,
                opens_at=opens_at, closes_at=opens_at + timedelta(days=30),
                short_period_reason="", postal_address=government.postal_address,
                email=government.email, hotline=government.hotline, other_channels="",
                opinions_public=True, opinion_count=0, opened_by_id=None,
                created_at=opens_at, updated_at=opens_at,
            ).returning(Consultation.__table__.c.id)).scalar_one())
        return ids

    # -- opinions -------------------------------------------------------------------------

    def add_opinions(self, total: int, extra_consultations: list[int],
                     result: ScaleResult) -> None:
        conn, rng = self.conn, self.rng
        existing = conn.scalar(sa.select(sa.func.count()).select_from(Opinion.__table__))
        to_add = max(0, total - existing)
        if to_add == 0:
            return
        consultations = conn.execute(sa.select(Consultation.__table__)
                                     .order_by(Consultation.id)).all()
        by_id = {c.id: c for c in consultations}
        demo = [c for c in consultations if c.id not in set(extra_consultations)]
        open_ones = [c.id for c in demo if c.opens_at <= self.now < c.closes_at]
        closed_demo = [c.id for c in demo if c.id not in open_ones]
        # Most opinions on the demo consultations, the open one first.
        shares: dict[int, float] = {}
        groups = [(open_ones, 0.60), (closed_demo, 0.25), (extra_consultations, 0.15)]
        present = [(ids, weight) for ids, weight in groups if ids]
        scale = sum(weight for _ids, weight in present)
        for ids, weight in present:
            for consultation_id in ids:
                shares[consultation_id] = weight / scale / len(ids)
        counts = {cid: int(to_add * share) for cid, share in shares.items()}
        first = open_ones[0] if open_ones else next(iter(counts))
        counts[first] += to_add - sum(counts.values())

        taken = set(conn.scalars(sa.select(Opinion.receipt_number)))
        receipts = receipt_numbers(rng, taken)
        bodies = [b for b in conn.scalars(sa.select(Opinion.body)) if len(b) >= 5] \
            or ["建议进一步明确责任部门和完成时限，便于群众监督。"]
        # The stored public forms, masked once per distinct body and name.
        public_of = {body: analyse(body) for body in set(bodies)}
        public_names = {name: mask_personal_data(name) for name in content.PERSON_NAMES}
        channels = {Channel(k): v for k, v in content.CHANNEL_WEIGHTS.items()}
        channel_list, channel_weights = list(channels), list(channels.values())
        node_counts: Counter[int] = Counter()
        serial = conn.scalar(sa.select(sa.func.count()).select_from(Opinion.__table__)) or 0

        def rows() -> Iterator[dict]:
            nonlocal serial
            for consultation_id, count in counts.items():
                consultation = by_id[consultation_id]
                nodes = conn.scalars(sa.select(DraftNode.id).where(
                    DraftNode.version_id == consultation.draft_version_id,
                    DraftNode.kind.in_(DraftNode.COMMENTABLE_KINDS))
                    .order_by(DraftNode.position)).all()
                # A few articles draw most of the opinions.
                node_weights = list(itertools.accumulate(
                    1.0 / (1 + (i * 7919) % max(1, len(nodes))) for i in range(len(nodes))))
                start = consultation.opens_at
                end = min(consultation.closes_at, self.now - timedelta(minutes=5))
                span = max(60.0, (end - start).total_seconds())
                picked_channels = rng.choices(channel_list, weights=channel_weights, k=count)
                for channel in picked_channels:
                    serial += 1
                    node_id = (rng.choices(nodes, cum_weights=node_weights)[0]
                               if nodes and rng.random() < 0.85 else None)
                    if node_id:
                        node_counts[node_id] += 1
                    received = start + timedelta(seconds=rng.random() * span)
                    reference = None
                    if channel == Channel.HOTLINE:
                        reference = f"12345-{received:%Y%m%d}-{serial:06d}"
                    elif channel == Channel.LETTER:
                        reference = f"XF-{received:%Y}-{serial:06d}"
                    body = rng.choice(bodies)
                    name = (rng.choice(content.PERSON_NAMES)
                            if rng.random() < 0.6 else None)
                    yield {
                        "receipt_number": next(receipts),
                        "government_id": consultation.government_id,
                        "decision_id": consultation.decision_id,
                        "consultation_id": consultation_id,
                        "draft_version_id": consultation.draft_version_id,
                        "node_id": node_id, "channel": channel, "reference": reference,
                        "received_at": received, "body": body,
                        "public_body": public_of[body][0], "pii_findings": public_of[body][1],
                        "display_name": name,
                        "public_name": public_names[name] if name else None,
                        "contact": (f"1380000{rng.randint(0, 9999):04d}"
                                    if rng.random() < 0.3 else None),
                        "consent_to_publish": rng.random() < 0.8,
                        "author_id": None, "recorded_by_id": None, "is_late": False,
                        "submission_key": f"bulk-{serial}" if channel == Channel.ONLINE
                        else None,
                        "moderation_state": ModerationState.PUBLISHED,
                        "attachment_file_id": None, "attachment_name": None,
                        "created_at": received, "updated_at": received,
                    }

        inserted = 0
        public: Counter[int] = Counter()  # every bulk row is published; these consented
        for batch in _chunks(rows()):
            conn.execute(Opinion.__table__.insert(), batch)
            inserted += len(batch)
            public.update(row["consultation_id"] for row in batch if row["consent_to_publish"])
            self.log(f"  opinions: {inserted:,}/{to_add:,}")
        consultation_t, node_t = Consultation.__table__, DraftNode.__table__
        conn.execute(consultation_t.update().where(consultation_t.c.id == sa.bindparam("b_id"))
                     .values(opinion_count=consultation_t.c.opinion_count + sa.bindparam("b_n"),
                             public_opinion_count=consultation_t.c.public_opinion_count
                             + sa.bindparam("b_p")),
                     [{"b_id": cid, "b_n": n, "b_p": public[cid]}
                      for cid, n in counts.items() if n])
        if node_counts:
            conn.execute(node_t.update().where(node_t.c.id == sa.bindparam("b_id"))
                         .values(opinion_count=node_t.c.opinion_count + sa.bindparam("b_n")),
                         [{"b_id": nid, "b_n": n} for nid, n in node_counts.items()])
        result.added_opinions = inserted
        result.per_consultation = {cid: n for cid, n in counts.items() if n}


def scale_database(database_url: str, decisions: int = 2000, opinions: int = 100_000, *,
                   main_catalogue_decisions: int = 1000, extra_consultations: int = 20,
                   seed: int = 20261122, analyze: bool | None = None,
                   log: Callable[[str], None] = print) -> ScaleResult:
    """Grow the demo data in ``database_url`` to ``decisions`` decisions and ``opinions``
    opinions (totals; nothing is removed). One transaction.

    ``analyze`` refreshes the planner statistics afterwards (PostgreSQL: ``VACUUM ANALYZE``,
    which also sets the visibility map for index-only scans); by default on PostgreSQL
    only, where a maintained server's autovacuum would do the same soon after such a load.
    The app never runs ANALYZE on SQLite, so by default the benchmark does not either.
    """
    started = time.perf_counter()
    url = sqlalchemy_url(database_url)
    engine = sa.create_engine(url)
    result = ScaleResult()
    try:
        with engine.begin() as conn:
            scaler = _Scaler(conn, random.Random(seed), log)
            new_decisions = scaler.add_decisions(decisions, main_catalogue_decisions, result)
            log(f"  decisions: +{result.added_decisions:,}, documents: "
                f"+{result.added_documents:,}")
            extra = scaler.add_consultations(new_decisions, extra_consultations)
            result.added_consultations = len(extra)
            scaler.add_opinions(opinions, extra, result)
        if analyze if analyze is not None else engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql"
                                     else "ANALYZE")
        with engine.connect() as conn:
            result.decisions = conn.scalar(sa.select(sa.func.count()).select_from(
                Decision.__table__))
            result.opinions = conn.scalar(sa.select(sa.func.count()).select_from(
                Opinion.__table__))
    finally:
        engine.dispose()
    result.seconds = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True,
                        help="database holding the demo data (sqlite:///… or postgresql://…)")
    parser.add_argument("--decisions", type=int, default=2000, help="total decisions")
    parser.add_argument("--opinions", type=int, default=100_000, help="total opinions")
    parser.add_argument("--main-catalogue-decisions", type=int, default=1000,
                        help="decisions in the catalogue shown by default")
    parser.add_argument("--extra-consultations", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args(argv)
    result = scale_database(args.database_url, args.decisions, args.opinions,
                            main_catalogue_decisions=args.main_catalogue_decisions,
                            extra_consultations=args.extra_consultations, seed=args.seed)
    print(f"{result.decisions:,} decisions, {result.opinions:,} opinions "
          f"(+{result.added_decisions:,} decisions, +{result.added_documents:,} documents, "
          f"+{result.added_consultations} consultations, +{result.added_opinions:,} opinions)"
          f" in {result.seconds:.1f} s")


if __name__ == "__main__":
    main()

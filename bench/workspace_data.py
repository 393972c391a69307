"""Data for the workspace and export benchmarks: a fresh database with one consultation
and ``opinions`` opinions inserted with SQLAlchemy Core bulk inserts (classified in part:
topics, stances, dispositions, groups, cited articles, late and hidden ones), plus a
generator of labelled texts for the suggestion accuracy."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import sqlalchemy as sa

CHUNK = 10_000

# Words that tell the topics apart, and what every opinion shares.
TOPIC_WORDS = {
    "总体意见": ["总体", "赞成", "出台", "整体", "很有必要", "办法"],
    "适用范围": ["适用范围", "包括", "行政村", "区域", "对象", "覆盖"],
    "职责分工": ["职责", "部门", "分工", "牵头", "配合", "负责"],
    "权利义务": ["权利", "义务", "知情权", "参与权", "村民", "保障"],
    "办理程序": ["程序", "时限", "申请", "审批", "流程", "办理"],
    "监督管理": ["监督", "检查", "考核", "公开", "投诉", "管理"],
    "法律责任": ["处罚", "罚款", "责任", "违反", "追究", "责令改正"],
    "文字表述": ["表述", "措辞", "文字", "标点", "歧义", "用语"],
    "其他": ["停车", "收费", "绿化", "垃圾", "路灯", "噪音"],
}
STANCE_WORDS = {
    "support": ["支持", "赞同", "很好", "同意"],
    "oppose": ["反对", "不同意", "不合理", "取消"],
    "suggestion": ["建议", "希望", "应当", "增加"],
    "question": ["请问", "是否", "如何", "为什么"],
}
FILLER = ["我是本镇居民", "关于这个办法", "看了征求意见稿", "我们村里讨论过", "个人认为",
          "经过认真学习", "结合实际情况", "谢谢"]


def labelled_text(rng: random.Random) -> tuple[str, str, str]:
    """(text, topic name, stance) of a generated opinion: two words of its topic and one
    of its stance mixed with filler; often words of other topics and stances too (as real
    opinions stray), and one label in ten differs from the text (officials disagree)."""
    topic = rng.choice(list(TOPIC_WORDS))
    stance = rng.choice(list(STANCE_WORDS))
    words = rng.sample(TOPIC_WORDS[topic], 2) + rng.sample(STANCE_WORDS[stance], 1) \
        + rng.sample(FILLER, 2)
    if rng.random() < 0.5:
        words += rng.sample(TOPIC_WORDS[rng.choice(list(TOPIC_WORDS))], 2)
    if rng.random() < 0.3:
        words.append(rng.choice(STANCE_WORDS[rng.choice(list(STANCE_WORDS))]))
    rng.shuffle(words)
    if rng.random() < 0.1:
        topic = rng.choice(list(TOPIC_WORDS))
    if rng.random() < 0.1:
        stance = rng.choice(list(STANCE_WORDS))
    return "，".join(words) + "。", topic, stance


def sqlalchemy_url(url: str) -> str:
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def fresh_app(url: str):
    """An app on a freshly created database (PostgreSQL: dropped and created again),
    migrated to the head."""
    from flask_migrate import upgrade

    from participation import create_app

    if url.startswith("postgres"):
        import psycopg

        base = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)
        name = base.rsplit("/", 1)[1]
        if name in ("test", "postgres", "template0", "template1"):
            raise SystemExit(f"refusing to recreate the database {name!r}")
        with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(url), "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "PAGE_CACHE_SECONDS": 0,
                      "RATELIMIT_STORAGE_URI": "memory://",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
    return app


def make_consultation():
    """A government, unit, approver (returned with its password) and an open
    consultation on the demo-like legal draft; committed."""
    from participation.accounts import operations as accounts
    from participation.accounts.models import Role
    from participation.catalogue import operations as catalogue_ops
    from participation.consultations import operations as consultation_ops
    from participation.core.database import utcnow
    from participation.extensions import db

    government = accounts.create_government("bench", "基准测试镇人民政府",
                                            postal_address="测试路1号",
                                            email="gov@example.gov.cn")
    unit = accounts.create_unit(government, "司法所")
    user = accounts.create_official(government, "bench@example.gov.cn", "基准测试员",
                                    "correct-horse-battery")
    accounts.grant_role(user, government, Role.APPROVER, unit)
    catalogue = catalogue_ops.create_catalogue(government, 2026)
    values = {"title": "基准测试管理办法", "unit_id": unit.id, "legal_basis": "测试",
              "summary": "摘要", "category": "综合", "planned_completion": date(2026, 12, 31),
              "confidential": False}
    decision = catalogue_ops.add_decision(catalogue, values)
    catalogue_ops.publish_catalogue(catalogue, date(2026, 2, 1))
    text = "基准测试管理办法（征求意见稿）\n" + "".join(
        f"第{_zh(c)}章　第{c}章\n" + "".join(
            f"第{_zh(a)}条　第{a}条的内容，规定相关事项。\n" for a in range(c * 10 - 9, c * 10 + 1))
        for c in range(1, 6))
    opens = utcnow() - timedelta(days=1)
    consultation = consultation_ops.open_consultation(decision, {
        "title": "基准测试管理办法（征求意见稿）", "text": text, "opens_at": opens,
        "closes_at": opens + timedelta(days=30), "short_period_reason": ""})
    db.session.commit()
    return consultation, user


def _zh(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def insert_opinions(consultation, count: int, seed: int = 1) -> None:
    """Insert ``count`` opinions into ``consultation`` with bulk inserts: about 40 % with
    a topic, 40 % with a stance, 20 % with a disposition, 10 % in groups of 10, 5 % late,
    2 % hidden, 30 % citing an article. The consultation's counter is raised to match."""
    from participation.consultations.models import DraftNode
    from participation.core.database import utcnow
    from participation.extensions import db
    from participation.opinions.classification import add_default_topics
    from participation.opinions.models import (
        Channel,
        Disposition,
        ModerationState,
        Opinion,
        OpinionGroup,
        OpinionMembership,
        Stance,
    )

    rng = random.Random(seed)
    topics = {t.name: t.id for t in add_default_topics(consultation)}
    nodes = list(db.session.scalars(sa.select(DraftNode.id).where(
        DraftNode.version_id == consultation.draft_version_id, DraftNode.kind == "article")))
    groups = [OpinionGroup(consultation_id=consultation.id, summary=f"分组{i}",
                           opinion_count=10, people_count=10)
              for i in range(max(1, count // 100))]
    db.session.add_all(groups)
    db.session.commit()
    group_ids = [g.id for g in groups]
    channels = list(Channel)
    now = utcnow()
    table = Opinion.__table__
    connection = db.session.connection()
    grouped: dict[str, int] = {}  # receipt number -> group id
    for start in range(0, count, CHUNK):
        rows = []
        for i in range(start, min(count, start + CHUNK)):
            text, topic, stance = labelled_text(rng)
            disposition = rng.choice(list(Disposition)) if rng.random() < 0.2 else None
            rows.append({
                "receipt_number": f"BNCH-{i:012d}", "government_id": consultation.government_id,
                "decision_id": consultation.decision_id, "consultation_id": consultation.id,
                "draft_version_id": consultation.draft_version_id,
                "node_id": rng.choice(nodes) if rng.random() < 0.6 else None,
                "cited_node_id": rng.choice(nodes) if rng.random() < 0.3 else None,
                "channel": rng.choice(channels).value,
                "received_at": now - timedelta(minutes=count - i), "body": text,
                "public_body": text, "consent_to_publish": rng.random() < 0.5,
                "is_late": rng.random() < 0.05,
                "moderation_state": (ModerationState.HIDDEN if rng.random() < 0.02
                                     else ModerationState.PUBLISHED).value,
                # Labels officials gave (the suggestions learn from them).
                "topic_id": topics[topic] if rng.random() < 0.4 else None,
                "stance": Stance(stance).value if rng.random() < 0.4 else None,
                "disposition": disposition.value if disposition else None,
                "disposition_reason": "理由" if disposition else None,
                "disposition_overridden": False,
                "created_at": now, "updated_at": now,
            })
            if rng.random() < 0.1:
                grouped[rows[-1]["receipt_number"]] = rng.choice(group_ids)
        connection.execute(table.insert(), rows)
    members = [{"opinion_id": opinion_id, "group_id": grouped[receipt]}
               for opinion_id, receipt in connection.execute(
                   sa.select(table.c.id, table.c.receipt_number).where(
                       table.c.consultation_id == consultation.id))
               if receipt in grouped]
    for start in range(0, len(members), CHUNK):
        connection.execute(OpinionMembership.__table__.insert(), members[start:start + CHUNK])
    consultation.opinion_count += count
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE opinion"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()

"""The figures of a feedback report, generated from the data (set-based queries only, so
a consultation of 100,000 opinions is summarised in well under a second).

:func:`report_data` returns plain JSON-ready data; a published report keeps it as its
snapshot, so the published figures never change afterwards, and every format (HTML,
DOCX, JSON) renders the same data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from participation.catalogue.models import Decision
from participation.consultations.models import Consultation, DraftNode, DraftVersion
from participation.core.timeutil import utc_to_local
from participation.extensions import db
from participation.opinions.models import (
    Channel,
    Disposition,
    ModerationReason,
    ModerationState,
    Opinion,
    OpinionGroup,
    Topic,
)

# A group with at least this many opinions is a concentrated opinion unless the
# consultation set its own threshold (see :func:`concentrated_threshold`).
DEFAULT_THRESHOLD = 5
REPORT_DATA_VERSION = 1


def concentrated_threshold(consultation: Consultation) -> int:
    """The consultation's threshold for a concentrated opinion (较为集中意见)."""
    try:
        from participation.opinions.grouping.operations import threshold
    except ImportError:  # grouping not installed in this build
        return DEFAULT_THRESHOLD
    return threshold(consultation)


def _counts(column, consultation_id: int, *conditions) -> dict[Any, int]:
    rows = db.session.execute(
        sa.select(column, sa.func.count(Opinion.id))
        .where(Opinion.consultation_id == consultation_id, *conditions)
        .group_by(column)).all()
    return {key: count for key, count in rows}


def _people(consultation_id: int, *conditions) -> int:
    """Distinct people: an account, else a contact, else each opinion is its own author."""
    person = sa.func.coalesce(
        sa.literal("u") + sa.cast(Opinion.author_id, sa.String),
        sa.literal("c") + Opinion.contact,
        sa.literal("o") + sa.cast(Opinion.id, sa.String))
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(person)))
        .where(Opinion.consultation_id == consultation_id, *conditions)) or 0


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _local(moment: datetime | None) -> str | None:
    return utc_to_local(moment).isoformat(timespec="minutes") if moment else None


def _by_article(consultation: Consultation, shown: Any) -> list[dict[str, Any]]:
    """Opinions per article of the consulted version, in reading order (opinions given on
    an earlier version count on the matching article)."""
    rows = db.session.execute(
        sa.select(DraftNode.id, DraftNode.label, DraftNode.heading, DraftNode.anchor,
                  DraftNode.position, sa.func.count(Opinion.id))
        .join(Opinion, Opinion.node_id == DraftNode.id)
        .where(Opinion.consultation_id == consultation.id, shown)
        .group_by(DraftNode.id, DraftNode.label, DraftNode.heading, DraftNode.anchor,
                  DraftNode.position)
        .order_by(DraftNode.position)).all()
    whole = db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(
        Opinion.consultation_id == consultation.id, Opinion.node_id.is_(None), shown)) or 0
    articles = [{"node_id": None, "label": "", "anchor": None, "opinions": whole}] if whole \
        else []
    articles += [{"node_id": node_id, "label": (label or heading or "").strip()[:60],
                  "anchor": anchor, "opinions": count}
                 for node_id, label, heading, anchor, _position, count in rows]
    return articles


def _over_time(consultation: Consultation, shown: Any) -> list[dict[str, Any]]:
    """Opinions received per day (local dates), in order."""
    day = sa.func.date(Opinion.received_at + sa.literal_column("interval '8 hours'")) \
        if db.session.get_bind().dialect.name == "postgresql" \
        else sa.func.date(Opinion.received_at, "+8 hours")
    rows = db.session.execute(
        sa.select(day, sa.func.count(Opinion.id))
        .where(Opinion.consultation_id == consultation.id, shown)
        .group_by(day).order_by(day)).all()
    return [{"day": str(value), "opinions": count} for value, count in rows]


def _groups(consultation: Consultation, threshold: int) -> list[dict[str, Any]]:
    groups = db.session.scalars(
        sa.select(OpinionGroup).where(OpinionGroup.consultation_id == consultation.id,
                                      OpinionGroup.opinion_count >= threshold)
        .order_by(OpinionGroup.opinion_count.desc(), OpinionGroup.id)).all()
    return [{"id": g.id, "summary": g.summary, "opinions": g.opinion_count,
             "people": g.people_count,
             "disposition": g.disposition.value if g.disposition else None,
             "reason": g.disposition_reason or ""} for g in groups]


def report_data(consultation: Consultation) -> dict[str, Any]:
    """Every figure of the report for ``consultation``, as it stands now."""
    cid = consultation.id
    # The report counts every opinion received (moderation hides texts, never counts);
    # dispositions are given to the opinions that were not hidden.
    considered = Opinion.moderation_state != ModerationState.HIDDEN
    total = db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(
        Opinion.consultation_id == cid)) or 0
    by_channel = _counts(Opinion.channel, cid)
    by_disposition = _counts(Opinion.disposition, cid, considered)
    considered_total = sum(by_disposition.values())
    hidden = _counts(Opinion.moderation_reason, cid,
                     Opinion.moderation_state == ModerationState.HIDDEN)
    topics = dict(db.session.execute(sa.select(Topic.id, Topic.name).where(
        Topic.consultation_id == cid)).tuples().all())
    by_topic = _counts(Opinion.topic_id, cid)
    threshold = concentrated_threshold(consultation)
    version = db.session.get(DraftVersion, consultation.draft_version_id)
    decision = db.session.get(Decision, consultation.decision_id)
    late = db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(
        Opinion.consultation_id == cid, Opinion.is_late.is_(True))) or 0
    return {
        "data_version": REPORT_DATA_VERSION,
        "consultation": {
            "id": cid, "title": consultation.title,
            "draft_version": version.number if version else None,
            "opens_at": _local(consultation.opens_at),
            "closes_at": _local(consultation.closes_at),
            "channels_used": [c.value for c in Channel if by_channel.get(c)],
            "symposiums": _distinct_events(cid, Channel.SYMPOSIUM),
            "hearings": _distinct_events(cid, Channel.HEARING),
        },
        "decision": {"id": decision.id, "title": decision.title,
                     "document_issued_on": decision.document_issued_on.isoformat()
                     if decision.document_issued_on else None,
                     "due_on": decision.feedback_due_on.isoformat()
                     if decision.feedback_due_on else None},
        "participation": {
            "opinions": total,
            "people": _people(cid),
            "late": late,
            "by_channel": [{"channel": c.value, "opinions": by_channel[c]}
                           for c in Channel if by_channel.get(c)],
            "by_article": _by_article(consultation, sa.true()),
            "by_topic": [{"topic": topics.get(topic_id, ""), "topic_id": topic_id,
                          "opinions": count}
                         for topic_id, count in sorted(
                             by_topic.items(), key=lambda item: -item[1])],
            "over_time": _over_time(consultation, sa.true()),
        },
        "dispositions": {
            "considered": considered_total,
            "without": by_disposition.get(None, 0),
            "by_code": [{"code": d.value, "opinions": by_disposition.get(d, 0),
                         "percent": _percent(by_disposition.get(d, 0), considered_total)}
                        for d in Disposition],
        },
        "threshold": threshold,
        "concentrated": _groups(consultation, threshold),
        "not_published": {
            "total": sum(hidden.values()),
            "by_reason": [{"reason": r.value, "opinions": hidden[r]}
                          for r in ModerationReason if hidden.get(r)],
        },
    }


def _distinct_events(consultation_id: int, channel: Channel) -> int:
    """Symposiums or hearings held: distinct references (meeting records) of their
    opinions, or the number of days with such opinions when no reference was given."""
    key = sa.func.coalesce(Opinion.reference, sa.cast(sa.func.date(Opinion.received_at),
                                                      sa.String))
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(key)))
        .where(Opinion.consultation_id == consultation_id, Opinion.channel == channel)) or 0


def completeness_problems(data: dict[str, Any]) -> list[str]:
    """What keeps the report from being published (codes): opinions without a
    disposition, concentrated opinions without a disposition or a reason."""
    problems = []
    if data["dispositions"]["without"]:
        problems.append("opinions_without_disposition")
    for group in data["concentrated"]:
        if not group["disposition"] or not group["reason"].strip():
            problems.append("concentrated_without_reason")
            break
    return problems

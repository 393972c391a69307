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
from participation.meetings.models import AgendaItem, Meeting, MeetingKind, MeetingState
from participation.open_days.models import OpenDay
from participation.opinions.grouping.models import OpinionFingerprint
from participation.opinions.grouping.operations import threshold as concentration_threshold
from participation.opinions.models import (
    Channel,
    Disposition,
    ModerationReason,
    ModerationState,
    Opinion,
    OpinionGroup,
    SubmitterKind,
    Topic,
)
from participation.opinions.workspace import (
    open_day_opinions_condition,
    statements_condition,
    statements_taken_by,
)

REPORT_DATA_VERSION = 1


def _people(consultation_id: int, total: int) -> int:
    """Distinct people, as grouping defines one person (the account, else the contact,
    else the name on one channel; see ``opinions.grouping.normalise.person_key``): the
    distinct person keys of the consultation's fingerprints, and every opinion without a
    key or not fingerprinted yet as a person of its own. Index-only counts."""
    keys, fingerprinted, keyless = db.session.execute(
        sa.select(sa.func.count(sa.distinct(OpinionFingerprint.person_key)),
                  sa.func.count(OpinionFingerprint.opinion_id),
                  sa.func.count(OpinionFingerprint.opinion_id)
                  - sa.func.count(OpinionFingerprint.person_key))
        .where(OpinionFingerprint.consultation_id == consultation_id)).one()
    return (keys or 0) + (keyless or 0) + max(total - (fingerprinted or 0), 0)


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _local(moment: datetime | None) -> str | None:
    return utc_to_local(moment).isoformat(timespec="minutes") if moment else None


def _by_article(consultation: Consultation) -> list[dict[str, Any]]:
    """Opinions per article (the whole draft first), in reading order: one grouped pass
    over the opinions, then the labels of the articles found."""
    counts = dict(db.session.execute(
        sa.select(Opinion.node_id, sa.func.count(Opinion.id))
        .where(Opinion.consultation_id == consultation.id)
        .group_by(Opinion.node_id)).tuples().all())
    whole = counts.pop(None, 0)
    nodes = db.session.execute(
        sa.select(DraftNode.id, DraftNode.label, DraftNode.heading, DraftNode.anchor,
                  DraftNode.version_id, DraftNode.position)
        .where(DraftNode.id.in_(list(counts)))).all() if counts else []
    nodes = sorted(nodes, key=lambda n: (n.version_id, n.position))
    articles = [{"node_id": None, "label": "", "anchor": None, "opinions": whole}] if whole \
        else []
    articles += [{"node_id": n.id, "label": (n.label or n.heading or "").strip()[:60],
                  "anchor": n.anchor, "opinions": counts[n.id]} for n in nodes]
    return articles


def _groups(consultation: Consultation, threshold: int) -> list[dict[str, Any]]:
    groups = db.session.scalars(
        sa.select(OpinionGroup).where(OpinionGroup.consultation_id == consultation.id,
                                      OpinionGroup.opinion_count >= threshold)
        .order_by(OpinionGroup.opinion_count.desc(), OpinionGroup.id)).all()
    return [{"id": g.id, "summary": g.summary, "opinions": g.opinion_count,
             "people": g.people_count,
             "disposition": g.disposition.value if g.disposition else None,
             "reason": g.disposition_reason or ""} for g in groups]


def _facets(consultation_id: int) -> dict[str, Any]:
    """One pass over the consultation's opinions for every count that does not need the
    article or the day: dispositions (of the opinions not hidden), moderation reasons of
    the hidden ones, topics, late arrivals and on whose behalf they were given."""
    rows = db.session.execute(
        sa.select(Opinion.disposition, Opinion.moderation_state, Opinion.moderation_reason,
                  Opinion.topic_id, Opinion.is_late, Opinion.submitter_kind,
                  sa.func.count(Opinion.id))
        .where(Opinion.consultation_id == consultation_id)
        .group_by(Opinion.disposition, Opinion.moderation_state, Opinion.moderation_reason,
                  Opinion.topic_id, Opinion.is_late, Opinion.submitter_kind)).all()
    facets: dict[str, Any] = {"by_disposition": {}, "hidden": {}, "by_topic": {}, "late": 0,
                              "by_submitter_kind": {}}
    for disposition, state, reason, topic_id, late, kind, count in rows:
        kind = SubmitterKind(kind or SubmitterKind.PERSON)
        facets["by_submitter_kind"][kind] = facets["by_submitter_kind"].get(kind, 0) + count
        state = ModerationState(state)
        if state == ModerationState.HIDDEN:
            reason = ModerationReason(reason) if reason else ModerationReason.OTHER
            facets["hidden"][reason] = facets["hidden"].get(reason, 0) + count
        else:
            key = Disposition(disposition) if disposition else None
            facets["by_disposition"][key] = facets["by_disposition"].get(key, 0) + count
        facets["by_topic"][topic_id] = facets["by_topic"].get(topic_id, 0) + count
        if late:
            facets["late"] += count
    return facets


def _by_channel_and_day(consultation_id: int) -> tuple[dict[Channel, int], list[dict]]:
    """One pass for the opinions by channel and by (local) day."""
    day = sa.func.date(Opinion.received_at + sa.literal_column("interval '8 hours'")) \
        if db.session.get_bind().dialect.name == "postgresql" \
        else sa.func.date(Opinion.received_at, "+8 hours")
    rows = db.session.execute(
        sa.select(Opinion.channel, day, sa.func.count(Opinion.id))
        .where(Opinion.consultation_id == consultation_id)
        .group_by(Opinion.channel, day)).all()
    by_channel: dict[Channel, int] = {}
    by_day: dict[str, int] = {}
    for channel, value, count in rows:
        channel = Channel(channel)
        by_channel[channel] = by_channel.get(channel, 0) + count
        by_day[str(value)] = by_day.get(str(value), 0) + count
    return by_channel, [{"day": d, "opinions": n} for d, n in sorted(by_day.items())]


def report_data(consultation: Consultation) -> dict[str, Any]:
    """Every figure of the report for ``consultation``, as it stands now.

    The report counts every opinion received (moderation hides texts, never counts);
    dispositions are given to the opinions that were not hidden.
    """
    cid = consultation.id
    facets = _facets(cid)
    by_channel, over_time = _by_channel_and_day(cid)
    total = sum(by_channel.values())
    by_disposition = facets["by_disposition"]
    considered_total = sum(by_disposition.values())
    hidden = facets["hidden"]
    topics = dict(db.session.execute(sa.select(Topic.id, Topic.name).where(
        Topic.consultation_id == cid)).tuples().all())
    threshold = concentration_threshold(consultation)
    version = db.session.get(DraftVersion, consultation.draft_version_id)
    decision = db.session.get(Decision, consultation.decision_id)
    return {
        "data_version": REPORT_DATA_VERSION,
        "consultation": {
            "id": cid, "title": consultation.title,
            "draft_version": version.number if version else None,
            "opens_at": _local(consultation.opens_at),
            "closes_at": _local(consultation.closes_at),
            "channels_used": [c.value for c in Channel if by_channel.get(c)],
            "symposiums": _distinct_events(cid, Channel.SYMPOSIUM)
            if by_channel.get(Channel.SYMPOSIUM) else 0,
            "hearings": (_distinct_events(cid, Channel.HEARING)
                         if by_channel.get(Channel.HEARING) else 0)
            + _hearings_held(consultation),
        },
        "decision": {"id": decision.id, "title": decision.title,
                     "document_issued_on": decision.document_issued_on.isoformat()
                     if decision.document_issued_on else None,
                     "due_on": decision.feedback_due_on.isoformat()
                     if decision.feedback_due_on else None},
        "participation": {
            "opinions": total,
            "people": _people(cid, total),
            "late": facets["late"],
            "by_channel": [{"channel": c.value, "opinions": by_channel[c]}
                           for c in Channel if by_channel.get(c)],
            "by_submitter_kind": [{"submitter_kind": k.value,
                                   "opinions": facets["by_submitter_kind"][k]}
                                  for k in SubmitterKind if facets["by_submitter_kind"].get(k)],
            "by_article": _by_article(consultation),
            "by_topic": [{"topic": topics.get(topic_id, ""), "topic_id": topic_id,
                          "opinions": count}
                         for topic_id, count in sorted(
                             facets["by_topic"].items(), key=lambda item: -item[1])
                         if topic_id is not None],
            "over_time": over_time,
        },
        "dispositions": {
            "considered": considered_total,
            "without": by_disposition.get(None, 0),
            "by_code": [{"code": d.value, "opinions": by_disposition.get(d, 0),
                         "percent": _percent(by_disposition.get(d, 0), considered_total)}
                        for d in Disposition],
        },
        "changes": _changes(consultation),
        "threshold": threshold,
        "concentrated": _groups(consultation, threshold),
        "representatives": _representatives(consultation),
        "open_days": _open_days(consultation),
        "not_published": {
            "total": sum(hidden.values()),
            "by_reason": [{"reason": r.value, "opinions": hidden[r]}
                          for r in ModerationReason if hidden.get(r)],
        },
    }


CHANGES_MAX = 1000
STATEMENTS_MAX = 1000


def _representatives(consultation: Consultation) -> dict[str, Any]:
    """The section of the statements made by representatives at the decision's meetings
    (the decision's latest consultation reports them): each with its meeting, the name
    the attendance record shows, the text as published, the disposition and reason."""
    if not statements_taken_by(consultation):
        return {"statements": [], "without": 0}
    rows = db.session.execute(
        sa.select(Opinion, Meeting.title, Meeting.starts_at)
        .join(Meeting, Meeting.id == Opinion.meeting_id)
        .where(statements_condition(consultation.decision_id),
               Opinion.moderation_state != ModerationState.HIDDEN)
        .order_by(Meeting.starts_at, Opinion.id).limit(STATEMENTS_MAX)).all()
    statements = [{"id": o.id, "meeting_id": o.meeting_id, "meeting": title,
                   "held_on": _local(starts_at), "name": o.shown_name or "",
                   "code": o.reference or "", "text": o.shown_body,
                   "disposition": o.disposition.value if o.disposition else None,
                   "reason": o.disposition_reason or ""}
                  for o, title, starts_at in rows]
    return {"statements": statements,
            "without": sum(1 for s in statements if not s["disposition"])}


def heard_text(opinion: Opinion) -> str:
    """What a report shows of an opinion heard at an open day: the masked text when its
    author agreed and it is published, else why it is not shown."""
    from flask_babel import gettext

    if not opinion.consent_to_publish:
        return gettext("(not published: the author did not agree)")
    if opinion.moderation_state != ModerationState.PUBLISHED:
        return gettext("(not published)")
    return opinion.shown_body


def _open_days(consultation: Consultation) -> dict[str, Any]:
    """The section of the opinions heard at the decision's open days (the decision's
    latest consultation classifies and reports them, as statements): each with its open
    day, the masked name (「朱**」, with consent only), the masked text, the disposition and
    reason; hidden ones are only counted."""
    from participation.feedback.annex import masked_name

    empty = {"opinions": [], "without": 0, "pending": 0, "hidden": 0}
    if not statements_taken_by(consultation):
        return empty
    condition = open_day_opinions_condition(consultation.decision_id)
    counts = dict(db.session.execute(
        sa.select(Opinion.moderation_state, sa.func.count(Opinion.id)).where(condition)
        .group_by(Opinion.moderation_state)).tuples().all())
    if not counts:
        return empty
    without = db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(
        condition, Opinion.moderation_state != ModerationState.HIDDEN,
        Opinion.disposition.is_(None))) or 0
    rows = db.session.execute(
        sa.select(Opinion, OpenDay.title, OpenDay.starts_at)
        .join(OpenDay, OpenDay.id == Opinion.open_day_id)
        .where(condition, Opinion.moderation_state != ModerationState.HIDDEN)
        .order_by(OpenDay.starts_at, Opinion.id).limit(STATEMENTS_MAX)).all()
    opinions = [{"id": o.id, "open_day_id": o.open_day_id, "open_day": title,
                 "held_on": _local(starts_at),
                 "name": masked_name(o.display_name) if o.consent_to_publish else "",
                 "text": heard_text(o),
                 "disposition": o.disposition.value if o.disposition else None,
                 "reason": o.disposition_reason or ""}
                for o, title, starts_at in rows]
    state = {ModerationState(k): v for k, v in counts.items()}
    return {"opinions": opinions, "without": without,
            "pending": state.get(ModerationState.PENDING, 0),
            "hidden": state.get(ModerationState.HIDDEN, 0)}


def _changes(consultation: Consultation) -> list[dict[str, Any]]:
    """The changes of the draft attached to dispositions (a group's, then single
    opinions'), by article: the article, its new text and what led to it."""
    changes = []
    for kind, model in (("group", OpinionGroup), ("opinion", Opinion)):
        query = (sa.select(model.id, model.change_text, model.disposition, DraftNode.label,
                           DraftNode.heading, DraftNode.anchor, DraftNode.position)
                 .join(DraftNode, DraftNode.id == model.change_node_id)
                 .where(model.consultation_id == consultation.id,
                        model.change_node_id.is_not(None)))
        if model is Opinion:
            query = query.where(Opinion.moderation_state != ModerationState.HIDDEN)
        for row in db.session.execute(query.order_by(DraftNode.position, model.id)
                                      .limit(CHANGES_MAX)):
            changes.append({"kind": kind, "id": row.id, "text": row.change_text or "",
                            "disposition": row.disposition.value if row.disposition
                            else None,
                            "article": (row.label or row.heading or "").strip()[:60],
                            "anchor": row.anchor, "position": row.position})
    changes.sort(key=lambda change: (change["position"], change["kind"], change["id"]))
    return changes


def _distinct_events(consultation_id: int, channel: Channel) -> int:
    """Symposiums or hearings held: distinct references (meeting records) of their
    opinions, or the number of days with such opinions when no reference was given."""
    key = sa.func.coalesce(Opinion.reference, sa.cast(sa.func.date(Opinion.received_at),
                                                      sa.String))
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(key)))
        .where(Opinion.consultation_id == consultation_id, Opinion.channel == channel)) or 0


def _hearings_held(consultation: Consultation) -> int:
    """Hearings held on the platform about the consultation's decision (meetings of kind
    hearing marked held, with the decision on their agenda): counted by the decision's
    latest consultation, which reports their statements."""
    if not statements_taken_by(consultation):
        return 0
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Meeting.id)))
        .join(AgendaItem, AgendaItem.meeting_id == Meeting.id)
        .where(AgendaItem.decision_id == consultation.decision_id,
               Meeting.kind == MeetingKind.HEARING, Meeting.state == MeetingState.HELD)) or 0


def completeness_problems(data: dict[str, Any]) -> list[str]:
    """What keeps the report from being published (codes): opinions without a
    disposition, concentrated opinions without a disposition or a reason."""
    problems = []
    if data["dispositions"]["without"]:
        problems.append("opinions_without_disposition")
    if (data.get("representatives") or {}).get("without"):
        problems.append("statements_without_disposition")
    if (data.get("open_days") or {}).get("pending"):
        problems.append("open_day_opinions_pending")
    if (data.get("open_days") or {}).get("without"):
        problems.append("open_day_opinions_without_disposition")
    for group in data["concentrated"]:
        if not group["disposition"] or not group["reason"].strip():
            problems.append("concentrated_without_reason")
            break
    return problems

"""Classification and disposition operations: topics, stance, accepted suggestions,
dispositions with their reason and the resulting change of the draft, reason templates.

Bulk changes are one set-based ``UPDATE … WHERE id IN (<the selection>)`` and one audit
entry with the selection (ids or filter) and the count. Every disposition passes
:func:`participation.opinions.models.disposition_problem`. Operations flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from participation.consultations.models import Consultation, DraftNode, DraftVersion
from participation.core import audit
from participation.core.errors import DomainError
from participation.core.sanitize import plain_text
from participation.extensions import db
from participation.opinions.grouping.operations import threshold as concentration_threshold
from participation.opinions.models import (
    Disposition,
    Opinion,
    OpinionGroup,
    OpinionMembership,
    Stance,
    Topic,
    disposition_problem,
    in_any_group,
)
from participation.opinions.workspace import Selection, handling_consultation
from participation.opinions.workspace_models import ReasonTemplate, SuggestionTally

# A sensible list to start from (officials rename, reorder and extend it).
DEFAULT_TOPICS = ("总体意见", "适用范围", "职责分工", "权利义务", "办理程序", "监督管理",
                  "法律责任", "文字表述", "其他")
TOPIC_NAME_MAX = 100
CHANGE_TEXT_MAX = 5000


class ClassificationError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "topic_name_required": _l("Enter the topic's name."),
        "topic_name_too_long": _l("A topic's name can be at most 100 characters."),
        "topic_exists": _l("This consultation already has a topic of that name."),
        "topic_in_use": _l("The topic is given to %(num)d opinions: give them another "
                           "topic before removing it."),
        "unknown_topic": _l("Choose one of this consultation's topics."),
        "topics_exist": _l("The consultation already has topics."),
        "nothing_selected": _l("Tick at least one opinion, or choose “all matching”."),
        "disposition": "%(message)s",
        "unknown_change_article": _l("Choose an article of this consultation's draft."),
        "change_text_required": _l("Enter the article's new text, or leave both empty."),
        "change_text_too_long": _l("The new text can be at most 5,000 characters."),
        "template_required": _l("Enter the reason's text."),
        "classification_rejected": _l("The file has errors; nothing was changed."),
    }


# -- topics ------------------------------------------------------------------------------


def _topic_name(name: str | None) -> str:
    text = plain_text(name, multiline=False)
    if not text:
        raise ClassificationError("topic_name_required", field="name")
    if len(text) > TOPIC_NAME_MAX:
        raise ClassificationError("topic_name_too_long", field="name")
    return text


def topics_of(consultation: Consultation) -> list[Topic]:
    """The consultation's topics in their order."""
    return list(db.session.scalars(sa.select(Topic).where(
        Topic.consultation_id == consultation.id).order_by(Topic.position, Topic.id)))


def add_default_topics(consultation: Consultation, actor=None) -> list[Topic]:
    """Give a consultation without topics the default list (refused when it has some)."""
    if topics_of(consultation):
        raise ClassificationError("topics_exist")
    topics = [Topic(consultation_id=consultation.id, name=name, position=i)
              for i, name in enumerate(DEFAULT_TOPICS)]
    db.session.add_all(topics)
    db.session.flush()
    audit.record("topic.defaults_added", consultation, {"names": list(DEFAULT_TOPICS)},
                 actor=actor)
    return topics


def _name_taken(consultation: Consultation, name: str, except_id: int | None = None) -> bool:
    query = sa.select(Topic.id).where(Topic.consultation_id == consultation.id,
                                      Topic.name == name)
    if except_id is not None:
        query = query.where(Topic.id != except_id)
    return db.session.scalar(query) is not None


def add_topic(consultation: Consultation, name: str, actor=None) -> Topic:
    """Add a topic at the end of the list; names are unique per consultation."""
    text = _topic_name(name)
    if _name_taken(consultation, text):
        raise ClassificationError("topic_exists", field="name")
    last = db.session.scalar(sa.select(sa.func.max(Topic.position)).where(
        Topic.consultation_id == consultation.id))
    topic = Topic(consultation_id=consultation.id, name=text,
                  position=(last if last is not None else -1) + 1)
    db.session.add(topic)
    db.session.flush()
    audit.record("topic.added", topic, {"name": text}, actor=actor,
                 government_id=consultation.government_id)
    return topic


def rename_topic(topic: Topic, name: str, actor=None) -> Topic:
    """Rename a topic (its opinions keep it)."""
    consultation = db.session.get(Consultation, topic.consultation_id)
    text = _topic_name(name)
    if _name_taken(consultation, text, except_id=topic.id):
        raise ClassificationError("topic_exists", field="name")
    old, topic.name = topic.name, text
    db.session.flush()
    audit.record("topic.renamed", topic, {"name": [old, text]}, actor=actor,
                 government_id=consultation.government_id)
    return topic


def move_topic(topic: Topic, step: int, actor=None) -> None:
    """Move a topic one place up (``step`` -1) or down (+1) in the list."""
    consultation = db.session.get(Consultation, topic.consultation_id)
    topics = topics_of(consultation)
    index = topics.index(topic)
    other = index + (1 if step > 0 else -1)
    if not 0 <= other < len(topics):
        return
    topics[index], topics[other] = topics[other], topics[index]
    for position, each in enumerate(topics):
        each.position = position
    db.session.flush()
    audit.record("topic.moved", topic, {"position": other}, actor=actor,
                 government_id=consultation.government_id)


def remove_topic(topic: Topic, actor=None) -> None:
    """Remove a topic no opinion has (suggestions of it are dropped)."""
    consultation = db.session.get(Consultation, topic.consultation_id)
    used = db.session.scalar(sa.select(sa.func.count(Opinion.id)).where(
        Opinion.topic_id == topic.id)) or 0
    if used:
        raise ClassificationError("topic_in_use", num=used)
    db.session.execute(sa.update(Opinion).where(Opinion.suggested_topic_id == topic.id)
                       .values(suggested_topic_id=None, suggested_topic_confidence=None)
                       .execution_options(synchronize_session=False))
    audit.record("topic.removed", topic, {"name": topic.name}, actor=actor,
                 government_id=consultation.government_id)
    db.session.delete(topic)
    db.session.flush()


def find_topic(consultation: Consultation, topic_id: int | None) -> Topic | None:
    """The consultation's topic ``topic_id`` (None for None); refused when not its own."""
    if topic_id is None:
        return None
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.consultation_id != consultation.id:
        raise ClassificationError("unknown_topic", field="topic")
    return topic


# -- topic and stance --------------------------------------------------------------------


def _tally(consultation: Consultation | None, kind: str, accepted: int, changed: int) -> None:
    if (not accepted and not changed) or consultation is None:
        return
    table = SuggestionTally.__table__
    updated = db.session.execute(
        sa.update(table).where(table.c.consultation_id == consultation.id,
                               table.c.kind == kind)
        .values(accepted=table.c.accepted + accepted, changed=table.c.changed + changed)
    ).rowcount
    if not updated:
        db.session.add(SuggestionTally(consultation_id=consultation.id, kind=kind,
                                       accepted=accepted, changed=changed))
    db.session.flush()


def _suggestion_outcomes(selection: Selection, column, value) -> tuple[int, int]:
    """(accepted, changed): the selected opinions with a suggestion equal to / other than
    the label now given."""
    same = sa.func.coalesce(sa.func.sum(sa.case((column == value, 1), else_=0)), 0)
    accepted, total = db.session.execute(
        sa.select(same, sa.func.count())
        .where(Opinion.id.in_(selection.id_query()), column.is_not(None))).one()
    return int(accepted), int(total) - int(accepted)


def _bulk_update(selection: Selection, values: dict) -> int:
    result = db.session.execute(
        sa.update(Opinion).where(Opinion.id.in_(selection.id_query())).values(**values)
        .execution_options(synchronize_session=False))
    db.session.expire_all()
    return result.rowcount


def set_topic(selection: Selection, topic: Topic | None, actor=None) -> int:
    """Give the selected opinions ``topic`` (None: no topic); the suggestions they had are
    answered (counted as accepted or changed) and cleared. How many were updated."""
    if selection.ids is not None and not selection.ids:
        raise ClassificationError("nothing_selected")
    topic_id = topic.id if topic else None
    accepted, changed = _suggestion_outcomes(selection, Opinion.suggested_topic_id,
                                             topic_id)
    _tally(selection.consultation, "topic", accepted, changed)
    updated = _bulk_update(selection, {"topic_id": topic_id, "suggested_topic_id": None,
                                       "suggested_topic_confidence": None})
    audit.record("opinion.topic_set", selection.consultation,
                 {**selection.describe(), "topic": topic.name if topic else None,
                  "count": updated}, actor=actor)
    return updated


def set_stance(selection: Selection, stance: Stance | None, actor=None) -> int:
    """Give the selected opinions ``stance`` (None: none); suggestions are answered as for
    :func:`set_topic`. How many were updated."""
    if selection.ids is not None and not selection.ids:
        raise ClassificationError("nothing_selected")
    accepted, changed = _suggestion_outcomes(selection, Opinion.suggested_stance, stance)
    _tally(selection.consultation, "stance", accepted, changed)
    updated = _bulk_update(selection, {"stance": stance, "suggested_stance": None,
                                       "suggested_stance_confidence": None})
    audit.record("opinion.stance_set", _audit_target(selection),
                 {**selection.describe(), "stance": stance, "count": updated}, actor=actor,
                 government_id=_government_id(selection))
    return updated


def accept_suggestions(selection: Selection, actor=None) -> int:
    """Turn the selected opinions' suggestions into their labels (topic and stance, each
    where one is suggested), counted as accepted. How many opinions changed."""
    if selection.ids is not None and not selection.ids:
        raise ClassificationError("nothing_selected")
    consultation = selection.consultation
    ids = selection.id_query()
    topics = db.session.execute(sa.update(Opinion).where(
        Opinion.id.in_(ids), Opinion.suggested_topic_id.is_not(None))
        .values(topic_id=Opinion.suggested_topic_id, suggested_topic_id=None,
                suggested_topic_confidence=None)
        .execution_options(synchronize_session=False)).rowcount
    stances = db.session.execute(sa.update(Opinion).where(
        Opinion.id.in_(ids), Opinion.suggested_stance.is_not(None))
        .values(stance=Opinion.suggested_stance, suggested_stance=None,
                suggested_stance_confidence=None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.expire_all()
    _tally(consultation, "topic", topics, 0)
    _tally(consultation, "stance", stances, 0)
    audit.record("opinion.suggestions_accepted", consultation,
                 {**selection.describe(), "topics": topics, "stances": stances},
                 actor=actor)
    return max(topics, stances)


def suggestion_tallies(consultation: Consultation) -> dict[str, SuggestionTally]:
    """``{"topic": tally, "stance": tally}`` of the consultation (missing: none yet)."""
    return {t.kind: t for t in db.session.scalars(sa.select(SuggestionTally).where(
        SuggestionTally.consultation_id == consultation.id))}


# -- dispositions ------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftChange:
    """The change of the draft an opinion led to: an article and its new text."""

    node_id: int
    text: str


def check_change(consultation: Consultation, node_id: int | None,
                 text: str | None) -> DraftChange | None:
    """The change as given in a form (both empty: none), refused when the article is not
    of the consultation's draft or the text is missing or too long."""
    text = plain_text(text)
    if not node_id and not text:
        return None
    node = db.session.get(DraftNode, node_id) if node_id else None
    version = db.session.get(DraftVersion, node.version_id) if node else None
    if node is None or version is None or version.draft_id != consultation.draft_id:
        raise ClassificationError("unknown_change_article", field="change_node")
    if not text:
        raise ClassificationError("change_text_required", field="change_text")
    if len(text) > CHANGE_TEXT_MAX:
        raise ClassificationError("change_text_too_long", field="change_text")
    return DraftChange(node_id=node.id, text=text)


def _as_selection(opinions) -> Selection:
    if isinstance(opinions, Selection):
        return opinions
    if isinstance(opinions, Opinion):
        opinions = [opinions]
    opinions = list(opinions)
    if not opinions:
        raise ClassificationError("nothing_selected")
    consultation = handling_consultation(opinions[0])
    return Selection(consultation, ids=tuple(o.id for o in opinions))


def _audit_target(selection: Selection):
    """What an audit entry names: the one opinion selected, else the consultation."""
    if selection.ids is not None and len(selection.ids) == 1:
        return db.session.get(Opinion, selection.ids[0])
    return selection.consultation


def _government_id(selection: Selection) -> int | None:
    if selection.consultation is not None:
        return selection.consultation.government_id
    opinion = db.session.get(Opinion, selection.ids[0]) if selection.ids else None
    return opinion.government_id if opinion is not None else None


def _in_concentrated_group(selection: Selection) -> bool:
    if selection.consultation is None:
        return False  # groups belong to consultations
    threshold = concentration_threshold(selection.consultation)
    return db.session.scalar(sa.select(sa.func.count(OpinionMembership.opinion_id)).join(
        OpinionGroup, OpinionGroup.id == OpinionMembership.group_id).where(
        OpinionMembership.opinion_id.in_(selection.id_query()),
        OpinionGroup.opinion_count >= threshold)) > 0


def set_disposition(opinions, code: Disposition | str | None, reason: str | None,
                    actor=None, change: DraftChange | None = None) -> int:
    """Record the disposition and reason of one opinion, a list of them or a
    :class:`Selection` in one ``UPDATE``; members of a group are marked overridden (they no
    longer inherit the group's disposition). The reason rule is
    :func:`disposition_problem` (a concentrated opinion's members always need a reason).
    ``change``: the resulting change of the draft. Audited with who, the selection and the
    count; how many opinions were updated."""
    selection = _as_selection(opinions)
    if selection.ids is not None and not selection.ids:
        raise ClassificationError("nothing_selected")
    disposition = Disposition(code) if code else None
    reason = plain_text(reason)
    problem = disposition_problem(disposition, reason,
                                  concentrated=_in_concentrated_group(selection))
    if problem:
        raise ClassificationError("disposition", field="reason", message=problem)
    values = {"disposition": disposition, "disposition_reason": reason or None,
              "disposition_overridden": in_any_group(),
              "change_node_id": change.node_id if change else None,
              "change_text": change.text if change else None}
    updated = _bulk_update(selection, values)
    entry = {**selection.describe(), "disposition": disposition, "reason": reason,
             "count": updated}
    if change:
        entry["change"] = {"node_id": change.node_id, "text": change.text}
    audit.record("opinion.disposition_set", _audit_target(selection), entry, actor=actor,
                 government_id=_government_id(selection))
    return updated


def set_group_change(group: OpinionGroup, change: DraftChange | None, actor=None) -> None:
    """Attach (or with None remove) the change of the draft a group's disposition led to."""
    group.change_node_id = change.node_id if change else None
    group.change_text = change.text if change else None
    db.session.flush()
    audit.record("opinion_group.change_set", group,
                 {"node_id": group.change_node_id, "text": group.change_text},
                 actor=actor, government_id=group.consultation.government_id)


# -- reason templates --------------------------------------------------------------------


def reason_templates(government_id: int, disposition: Disposition | None = None
                     ) -> list[ReasonTemplate]:
    """The government's reason templates (those for ``disposition`` and for every one)."""
    query = sa.select(ReasonTemplate).where(ReasonTemplate.government_id == government_id)
    if disposition is not None:
        query = query.where(sa.or_(ReasonTemplate.disposition.is_(None),
                                   ReasonTemplate.disposition == disposition))
    return list(db.session.scalars(query.order_by(ReasonTemplate.position,
                                                  ReasonTemplate.id)))


def add_reason_template(government, disposition: Disposition | None, text: str,
                        actor=None) -> ReasonTemplate:
    """Add a reason template at the end of the government's list."""
    text = plain_text(text)
    if not text:
        raise ClassificationError("template_required", field="text")
    problem = disposition_problem(disposition or Disposition.EXPLAINED, text)
    if problem:
        raise ClassificationError("disposition", field="text", message=problem)
    last = db.session.scalar(sa.select(sa.func.max(ReasonTemplate.position)).where(
        ReasonTemplate.government_id == government.id))
    template = ReasonTemplate(government_id=government.id, disposition=disposition,
                              text=text, position=(last if last is not None else -1) + 1)
    db.session.add(template)
    db.session.flush()
    audit.record("reason_template.added", template,
                 {"disposition": disposition, "text": text}, actor=actor)
    return template


def remove_reason_template(template: ReasonTemplate, actor=None) -> None:
    """Remove a reason template (reasons written from it stay as written)."""
    audit.record("reason_template.removed", template, {"text": template.text}, actor=actor)
    db.session.delete(template)
    db.session.flush()

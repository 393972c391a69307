"""What officials do with groups: merge, split, name, add opinions, dispose, set the
threshold, regroup. Every operation flushes (never commits) and writes its audit entry;
each marks the group ``manual`` so that a full regrouping keeps it (see
:mod:`.regroup`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from participation.core import audit
from participation.core.database import utcnow
from participation.core.errors import DomainError
from participation.core.sanitize import plain_text
from participation.core.tasks import Task, TaskState, enqueue
from participation.extensions import db
from participation.opinions.grouping.models import (
    DEFAULT_THRESHOLD,
    GroupingSetting,
    GroupKind,
    OpinionFingerprint,
)
from participation.opinions.grouping.store import FINGERPRINT_COLUMNS, inherit, move, tidy_groups
from participation.opinions.grouping.tasks import REGROUP_TASK
from participation.opinions.models import (
    Disposition,
    Opinion,
    OpinionGroup,
    OpinionMembership,
    disposition_problem,
    in_group,
)

SUMMARY_MAX = 500
THRESHOLD_MAX = 100_000


class GroupingError(DomainError):
    """A grouping action refused, with a code and a translated message."""

    messages: ClassVar[dict[str, object]] = {
        "two_groups": _l("Choose at least two groups to merge."),
        "other_consultation": _l("Groups and opinions of another consultation cannot be "
                                 "combined."),
        "no_members": _l("Choose at least one opinion of this group."),
        "no_opinions": _l("Choose at least one opinion of this consultation to add."),
        "summary_too_long": _l("The summary can be at most %(max)d characters."),
        "bad_threshold": _l("Give a whole number from 2 to %(max)d."),
    }


class DispositionRefused(GroupingError):
    """The disposition and reason break the rule of ``disposition_problem``."""

    def __init__(self, problem: str) -> None:
        super().__init__("disposition", field="reason")
        self.problem = problem

    @property
    def message(self) -> str:
        return self.problem


def threshold(consultation) -> int:
    """The consultation's size from which a group is a concentrated opinion."""
    value = db.session.scalar(sa.select(GroupingSetting.concentrated_threshold).where(
        GroupingSetting.consultation_id == consultation.id))
    return value if value is not None else DEFAULT_THRESHOLD


def is_concentrated(group: OpinionGroup, limit: int | None = None) -> bool:
    """Whether the group is a concentrated opinion (at least the threshold of opinions)."""
    return group.opinion_count >= (limit if limit is not None else threshold(group.consultation))


def _touch(group: OpinionGroup, actor) -> None:
    group.kind = GroupKind.MANUAL
    group.confirmed_by_id = getattr(actor, "id", None)
    group.confirmed_at = utcnow()


def _members(group: OpinionGroup, opinion_ids: Sequence[int]) -> list[int]:
    ids = sorted({int(i) for i in opinion_ids})
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Opinion.id).where(
        in_group(group.id), Opinion.id.in_(ids))))


def merge_groups(target: OpinionGroup, others: Sequence[OpinionGroup], actor=None
                 ) -> OpinionGroup:
    """Move every member of ``others`` into ``target`` and delete them. The target keeps
    its summary and disposition (or takes the first of the others' when it has none);
    the members inherit it. The merged group is manual."""
    others = [g for g in others if g.id != target.id]
    if not others:
        raise GroupingError("two_groups", field="group_ids")
    if any(g.consultation_id != target.consultation_id for g in others):
        raise GroupingError("other_consultation", field="group_ids")
    if not target.summary:
        target.summary = next((g.summary for g in others if g.summary), "")
    if target.disposition is None:
        source = next((g for g in others if g.disposition is not None), None)
        if source is not None:
            target.disposition = source.disposition
            target.disposition_reason = source.disposition_reason
    _touch(target, actor)
    merged = {}
    for group in others:
        ids = list(db.session.scalars(sa.select(OpinionMembership.opinion_id).where(
            OpinionMembership.group_id == group.id).order_by(OpinionMembership.opinion_id)))
        move(ids, target)
        merged[group.id] = len(ids)
    db.session.flush()
    inherit(target)
    tidy_groups([target.id, *merged])
    db.session.refresh(target)
    audit.record("opinion_group.merged", target, {"merged_groups": merged},
                 government_id=target.consultation.government_id, actor=actor)
    return target


def split_members(group: OpinionGroup, opinion_ids: Sequence[int], actor=None, *,
                  new_group: bool = False) -> OpinionGroup | None:
    """Take these members out of ``group``: into no group, or (``new_group``, two or
    more of them) into a new manual group. They lose the inherited disposition (or take
    the new group's: none) and are pinned, so a regrouping does not put them back. The
    group stays, manual, even when one member is left. Returns the new group, if any."""
    ids = _members(group, opinion_ids)
    if not ids:
        raise GroupingError("no_members", field="opinion_ids")
    created = None
    if new_group and len(ids) >= 2:
        created = OpinionGroup(consultation_id=group.consultation_id, kind=GroupKind.MANUAL,
                               summary="", representative_opinion_id=ids[0],
                               confirmed_by_id=getattr(actor, "id", None),
                               confirmed_at=utcnow())
        db.session.add(created)
        db.session.flush()
    move(ids, created, pin=True)
    _touch(group, actor)
    tidy_groups([group.id] + ([created.id] if created else []))
    audit.record("opinion_group.split", group,
                 {"opinion_ids": ids, "new_group_id": created.id if created else None},
                 government_id=group.consultation.government_id, actor=actor)
    return created


def name_group(group: OpinionGroup, summary: str, actor=None) -> None:
    """Give the group its short summary (the shared point, in the officials' words)."""
    text = plain_text(summary, multiline=False).strip()
    if len(text) > SUMMARY_MAX:
        raise GroupingError("summary_too_long", field="summary", max=SUMMARY_MAX)
    changes = audit.diff(group, {"summary": text})
    _touch(group, actor)
    db.session.flush()
    audit.record("opinion_group.named", group, changes,
                 government_id=group.consultation.government_id, actor=actor)


def add_opinions(group: OpinionGroup, opinion_ids: Sequence[int], actor=None) -> int:
    """Add opinions of the same consultation to ``group`` (from no group or another one,
    which is recounted, and deleted when emptied). They inherit its disposition and are
    pinned. Returns how many were added."""
    wanted = sorted({int(i) for i in opinion_ids})
    ids = list(db.session.scalars(sa.select(Opinion.id).where(
        Opinion.id.in_(wanted), Opinion.consultation_id == group.consultation_id,
        ~in_group(group.id)))) if wanted else []
    if not ids:
        raise GroupingError("no_opinions", field="opinion_ids")
    _fingerprint(ids)
    left = move(ids, group, pin=True)
    _touch(group, actor)
    tidy_groups([group.id, *left])
    audit.record("opinion_group.opinions_added", group, {"opinion_ids": ids},
                 government_id=group.consultation.government_id, actor=actor)
    return len(ids)


def _fingerprint(ids: list[int]) -> None:
    """Fingerprint the opinions among ``ids`` that have none yet (written before grouping
    existed), so their person is counted and their pin is kept."""
    known = set(db.session.scalars(sa.select(OpinionFingerprint.opinion_id).where(
        OpinionFingerprint.opinion_id.in_(ids))))
    missing = [i for i in ids if i not in known]
    if missing:
        from participation.opinions.grouping.store import store_fingerprints

        store_fingerprints(db.session.execute(sa.select(*FINGERPRINT_COLUMNS).where(
            Opinion.id.in_(missing))).all())


def set_group_disposition(group: OpinionGroup, disposition: Disposition | None,
                          reason: str | None, actor=None) -> None:
    """Record the group's disposition and reason (the rule of
    :func:`~participation.opinions.models.disposition_problem`, a reason always
    required for a concentrated opinion); members whose disposition is not overridden
    inherit both."""
    problem = disposition_problem(disposition, reason, concentrated=is_concentrated(group))
    if problem:
        raise DispositionRefused(problem)
    changes = audit.diff(group, {"disposition": disposition,
                                 "disposition_reason": (reason or "").strip() or None})
    _touch(group, actor)
    db.session.flush()
    inherit(group)
    audit.record("opinion_group.disposed", group, changes,
                 government_id=group.consultation.government_id, actor=actor)


def set_threshold(consultation, value: int, actor=None) -> None:
    """Set from how many opinions a group of this consultation is concentrated."""
    if not 2 <= value <= THRESHOLD_MAX:
        raise GroupingError("bad_threshold", field="threshold", max=THRESHOLD_MAX)
    setting = db.session.get(GroupingSetting, consultation.id)
    old = setting.concentrated_threshold if setting else DEFAULT_THRESHOLD
    if setting is None:
        setting = GroupingSetting(consultation_id=consultation.id)
        db.session.add(setting)
    setting.concentrated_threshold = value
    db.session.flush()
    if old != value:
        audit.record("opinion_group.threshold_changed", consultation,
                     {"concentrated_threshold": [old, value]}, actor=actor)


def regroup_consultation(consultation, *, actor=None, actor_id: int | None = None,
                         progress=None):
    """Regroup the whole consultation (keeping officials' work, see :mod:`.regroup`),
    audit what changed and return the :class:`~.regroup.RegroupResult`."""
    from participation.opinions.grouping.regroup import regroup

    result = regroup(consultation, progress=progress)
    audit.record("opinion_group.regrouped", consultation,
                 {"count": result.opinions, "moved": result.moved,
                  "groups_created": result.groups_created}, actor=actor,
                 actor_id=actor_id if actor is None else None)
    return result


def request_regrouping(consultation, actor=None) -> Task:
    """Queue a full regrouping as a background task (the one already queued or running
    for this consultation, if any)."""
    for task in db.session.scalars(sa.select(Task).where(
            Task.kind == REGROUP_TASK,
            Task.state.in_([TaskState.QUEUED, TaskState.RUNNING]))):
        if task.payload.get("consultation_id") == consultation.id \
                and not task.payload.get("opinion_ids"):
            return task
    task = enqueue(REGROUP_TASK, {"consultation_id": consultation.id},
                   created_by_id=getattr(actor, "id", None),
                   government_id=consultation.government_id)
    audit.record("opinion_group.regrouping_requested", consultation, {"task_id": task.id},
                 actor=actor)
    return task

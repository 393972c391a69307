"""Catalogue operations: compile, publish, change with reasons, and move decisions through
their stages. Each operation flushes and writes its audit entry; the view commits."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from participation.accounts.models import Government, Unit
from participation.catalogue.models import (
    Catalogue,
    CatalogueChange,
    CatalogueState,
    ChangeKind,
    Decision,
    DecisionStageChange,
    EntryState,
    Stage,
)
from participation.core import audit, signals
from participation.core.errors import DomainError
from participation.core.sanitize import plain_text
from participation.core.timeutil import local_today
from participation.core.workdays import Deadline, deadline
from participation.extensions import db


class CatalogueError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "exists": _l("This government already has a catalogue for that year."),
        "already_published": _l("The catalogue is already published."),
        "empty": _l("A catalogue needs at least one decision before it is published."),
        "reason_required": _l(
            "The catalogue is published: give the reason for this change; it is shown "
            "publicly in the catalogue's history."
        ),
        "withdrawn": _l("This decision has been withdrawn from the catalogue."),
        "unit_other_government": _l("The unit belongs to another government."),
        "bad_year": _l("Enter a year between 2000 and 2100."),
    }


class StageError(DomainError):
    messages: ClassVar[dict[str, object]] = {
        "backwards": _l("A decision cannot move back to an earlier stage."),
        "same": _l("The decision is already at this stage."),
        "consultation_open": _l(
            "A consultation on this decision is still open or upcoming: close it before "
            "moving on."
        ),
        "legality_review_required": _l(
            "Collective deliberation needs a legality review first."
        ),
        "deliberation_required": _l("A decision is taken by collective deliberation first."),
        "decision_required": _l("This stage comes after the decision is taken."),
        "withdrawn": _l("This decision has been withdrawn from the catalogue."),
        "future_date": _l("The date cannot be in the future."),
        "not_decided": _l(
            "The decision document can be recorded once the decision has been taken."),
        "before_decision": _l(
            "The decision document cannot be issued before the decision was taken "
            "(%(decided)s)."),
        "feedback_published": _l(
            "The feedback report has been published: the issue date can no longer change."),
    }


# -- catalogue ---------------------------------------------------------------------------


def create_catalogue(government: Government, year: int, title: str = "",
                     introduction: str = "") -> Catalogue:
    """Create the (unpublished) catalogue of ``year``; one per government and year."""
    if not 2000 <= year <= 2100:
        raise CatalogueError("bad_year", field="year")
    exists = db.session.scalar(
        sa.select(Catalogue.id).where(Catalogue.government_id == government.id,
                                      Catalogue.year == year)
    )
    if exists:
        raise CatalogueError("exists", field="year")
    catalogue = Catalogue(
        government_id=government.id,
        year=year,
        title=plain_text(title, multiline=False)
        or f"{government.name}{year}年度重大行政决策事项目录",
        introduction=plain_text(introduction),
    )
    db.session.add(catalogue)
    db.session.flush()
    audit.record("catalogue.created", catalogue, {"year": year})
    return catalogue


def publish_catalogue(catalogue: Catalogue, published_on: date | None = None) -> None:
    """Publish: from now on the catalogue is public and every change needs a reason."""
    if catalogue.is_published:
        raise CatalogueError("already_published")
    if not catalogue.decisions:
        raise CatalogueError("empty")
    catalogue.state = CatalogueState.PUBLISHED
    catalogue.published_on = published_on or local_today()
    db.session.flush()
    audit.record("catalogue.published", catalogue,
                 {"published_on": catalogue.published_on})


DECISION_FIELDS = ("title", "unit_id", "legal_basis", "summary", "category",
                   "planned_completion", "confidential")


def _clean_decision_values(catalogue: Catalogue, values: dict[str, Any]) -> dict[str, Any]:
    unit = db.session.get(Unit, values["unit_id"])
    if unit is None or unit.government_id != catalogue.government_id:
        raise CatalogueError("unit_other_government", field="unit_id")
    return {
        "title": plain_text(values["title"], multiline=False),
        "unit_id": unit.id,
        "legal_basis": plain_text(values.get("legal_basis")),
        "summary": plain_text(values.get("summary")),
        "category": plain_text(values.get("category"), multiline=False),
        "planned_completion": values.get("planned_completion"),
        "confidential": bool(values.get("confidential")),
    }


def _require_reason(catalogue: Catalogue, reason: str | None) -> str:
    reason = plain_text(reason)
    if catalogue.is_published and not reason:
        raise CatalogueError("reason_required", field="reason")
    return reason


def _public_change(catalogue: Catalogue, decision: Decision, kind: ChangeKind, reason: str,
                   changed: dict) -> None:
    """Record a change of a published catalogue; confidential entries have no public trace."""
    if catalogue.is_published and not decision.confidential:
        db.session.add(CatalogueChange(catalogue_id=catalogue.id, decision_id=decision.id,
                                       kind=kind, reason=reason, changed_values=changed,
                                       occurred_on=local_today()))


def add_decision(catalogue: Catalogue, values: dict[str, Any], reason: str | None = None,
                 actor=None) -> Decision:
    """Add an entry; after publication it needs a reason and appears in the history."""
    reason = _require_reason(catalogue, reason)
    cleaned = _clean_decision_values(catalogue, values)
    position = (db.session.scalar(
        sa.select(sa.func.max(Decision.position)).where(Decision.catalogue_id == catalogue.id)
    ) or 0) + 1
    decision = Decision(government_id=catalogue.government_id, catalogue_id=catalogue.id,
                        position=position, stage=Stage.DRAFTING, **cleaned)
    db.session.add(decision)
    db.session.flush()
    db.session.add(DecisionStageChange(decision_id=decision.id, from_stage=None,
                                       to_stage=Stage.DRAFTING, occurred_on=local_today(),
                                       actor_id=getattr(actor, "id", None)))
    _public_change(catalogue, decision, ChangeKind.ADDED, reason, {})
    audit.record("decision.added", decision, {**cleaned, "reason": reason}, actor=actor)
    return decision


def adjust_decision(decision: Decision, values: dict[str, Any], reason: str | None = None,
                    actor=None) -> dict:
    """Change an entry's fields; after publication with a public reason. Returns changes."""
    catalogue = decision.catalogue
    if decision.state == EntryState.WITHDRAWN:
        raise CatalogueError("withdrawn")
    cleaned = _clean_decision_values(catalogue, values)
    was_confidential = decision.confidential
    changes = {k: v for k, v in cleaned.items() if getattr(decision, k) != v}
    if not changes:
        return {}
    reason = _require_reason(catalogue, reason)
    changed = audit.diff(decision, changes)
    public_changed = {k: v for k, v in changed.items() if k != "confidential"}
    if "unit_id" in public_changed:
        old_id, new_id = public_changed.pop("unit_id")
        public_changed["unit"] = [_unit_name(old_id), _unit_name(new_id)]
    if catalogue.is_published and not decision.confidential:
        # An entry that stops being confidential appears as added, not as adjusted.
        kind = ChangeKind.ADDED if was_confidential else ChangeKind.ADJUSTED
        _public_change(catalogue, decision, kind, reason,
                       {} if was_confidential else public_changed)
    db.session.flush()
    audit.record("decision.adjusted", decision, {**changed, "reason": reason}, actor=actor)
    return changed


def _unit_name(unit_id: int | None) -> str | None:
    unit = db.session.get(Unit, unit_id) if unit_id else None
    return unit.name if unit else None


def withdraw_decision(decision: Decision, reason: str, actor=None) -> None:
    """Withdraw an entry; after publication with a public reason in the history."""
    catalogue = decision.catalogue
    if decision.state == EntryState.WITHDRAWN:
        raise CatalogueError("withdrawn")
    reason = _require_reason(catalogue, reason)
    decision.state = EntryState.WITHDRAWN
    _public_change(catalogue, decision, ChangeKind.WITHDRAWN, reason, {})
    db.session.flush()
    audit.record("decision.withdrawn", decision, {"reason": reason}, actor=actor)


# -- stages -------------------------------------------------------------------------------


def check_stage_move(decision: Decision, to_stage: Stage) -> None:
    """Raise :class:`StageError` when ``decision`` may not move to ``to_stage``.

    The procedure's own order is checked here; the domains to the right add their rules
    through ``decision_stage_checked`` (no stage past consultation while one is open …).
    """
    if decision.state == EntryState.WITHDRAWN:
        raise StageError("withdrawn")
    if to_stage == decision.stage:
        raise StageError("same", field="stage")
    if to_stage.order < decision.stage.order:
        raise StageError("backwards", field="stage")
    signals.decision_stage_checked.send(decision, to_stage=to_stage)
    reached = {change.to_stage for change in decision.stage_changes} | {decision.stage}
    if to_stage == Stage.COLLECTIVE_DELIBERATION and Stage.LEGALITY_REVIEW not in reached:
        raise StageError("legality_review_required", field="stage")
    if to_stage == Stage.DECIDED and Stage.COLLECTIVE_DELIBERATION not in reached:
        raise StageError("deliberation_required", field="stage")
    if to_stage in (Stage.FEEDBACK_PUBLISHED, Stage.EVALUATED) and Stage.DECIDED not in reached:
        raise StageError("decision_required", field="stage")


def move_to_stage(decision: Decision, to_stage: Stage, occurred_on: date | None = None,
                  note: str = "", actor=None) -> DecisionStageChange:
    """Move ``decision`` forward to ``to_stage`` on ``occurred_on`` (default today)."""
    occurred_on = occurred_on or local_today()
    if occurred_on > local_today():
        raise StageError("future_date", field="occurred_on")
    check_stage_move(decision, to_stage)
    change = DecisionStageChange(decision_id=decision.id, from_stage=decision.stage,
                                 to_stage=to_stage, occurred_on=occurred_on,
                                 note=plain_text(note), actor_id=getattr(actor, "id", None))
    db.session.add(change)
    old = decision.stage
    decision.stage = to_stage
    if to_stage == Stage.FEEDBACK_PUBLISHED and decision.feedback_published_on is None:
        # Until the feedback report itself is published here (next issue), the stage
        # change records the publication, which stops the clock.
        decision.feedback_published_on = occurred_on
    decision.stage_changes.append(change)
    db.session.flush()
    audit.record("decision.stage_changed", decision,
                 {"stage": [old, to_stage], "occurred_on": occurred_on}, actor=actor)
    signals.decision_stage_changed.send(decision, from_stage=old, to_stage=to_stage,
                                        occurred_on=occurred_on, actor=actor)
    return change


def stage_dates(decision: Decision) -> dict[Stage, date]:
    """The date each stage began (the latest record wins)."""
    return {change.to_stage: change.occurred_on for change in decision.stage_changes}


# -- the feedback clock ----------------------------------------------------------------


def feedback_due(decision: Decision, issued_on: date) -> Deadline:
    """The feedback report's due date: the government's number of working days (default
    10) after the decision document was issued; an estimate past the known years."""
    government = db.session.get(Government, decision.government_id)
    return deadline(issued_on, government.feedback_working_days)


def record_document_issued(decision: Decision, issued_on: date, actor=None) -> Deadline:
    """Record when the decision document was issued (it may lie in the past) and set the
    feedback report's due date from it. Audited as ``decision.document_issued``."""
    reached = stage_dates(decision)
    if Stage.DECIDED not in reached and decision.stage.order < Stage.DECIDED.order:
        raise StageError("not_decided", field="document_issued_on")
    if issued_on > local_today():
        raise StageError("future_date", field="document_issued_on")
    decided = reached.get(Stage.DECIDED)
    if decided and issued_on < decided:
        raise StageError("before_decision", field="document_issued_on",
                         decided=decided.isoformat())
    if decision.feedback_published_on is not None:
        raise StageError("feedback_published", field="document_issued_on")
    due = feedback_due(decision, issued_on)
    changes = audit.diff(decision, {"document_issued_on": issued_on,
                                    "feedback_due_on": due.day,
                                    "feedback_due_estimated": due.estimated})
    if "feedback_due_on" in changes:
        decision.feedback_alerted_days = None  # alerts count from the new due date
    db.session.flush()
    if changes:
        audit.record("decision.document_issued", decision, changes, actor=actor)
    return due


def refresh_estimated_due_dates() -> list[Decision]:
    """Count again every due date that was an estimate; returns the decisions whose due
    date is now exact (their year's schedule was entered) or moved."""
    changed = []
    for decision in db.session.scalars(
            sa.select(Decision).where(Decision.feedback_due_estimated.is_(True),
                                      Decision.document_issued_on.is_not(None))):
        due = feedback_due(decision, decision.document_issued_on)
        changes = audit.diff(decision, {"feedback_due_on": due.day,
                                        "feedback_due_estimated": due.estimated})
        if changes:
            if "feedback_due_on" in changes:
                decision.feedback_alerted_days = None
            audit.record("decision.feedback_due_recounted", decision, changes, actor=None)
            changed.append(decision)
    db.session.flush()
    return changed

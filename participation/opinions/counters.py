"""The denormalised opinion counters: per source (a consultation today; meetings, open
days and questionnaires next) and per article.

Every path that adds opinions calls :func:`count`, which moves the counters with
conditional SQL updates (no read-modify-write); :func:`recount_counters` (``flask
opinions recount``) sets them back to the COUNT(*) of their opinions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from participation.consultations.models import Consultation, DraftNode
from participation.core import audit
from participation.extensions import db
from participation.opinions.models import Opinion


@dataclass(frozen=True)
class SourceCounters:
    """The counter columns one kind of opinion source keeps.

    ``opinion_column`` is the :class:`Opinion` column naming a source of this kind (one of
    ``SOURCE_COLUMNS``); ``total`` counts every opinion received from the source and
    ``public`` (optional) those shown publicly. A new kind of source (meeting, open day,
    questionnaire) adds its entry to :data:`SOURCE_COUNTERS`: counting, recounting and the
    checks work for it unchanged.
    """

    model: type | str  # the class, or its name for a domain to the right (no import)
    opinion_column: str
    total: str = "opinion_count"
    public: str | None = "public_opinion_count"

    def columns(self) -> list[tuple[str, Any]]:
        """(counter column, which opinions it counts) pairs."""
        pairs: list[tuple[str, Any]] = [(self.total, sa.true())]
        if self.public:
            pairs.append((self.public, Opinion.is_public))
        return pairs


    @property
    def model_class(self) -> type:
        """The mapped class (looked up by name when given as a string)."""
        if not isinstance(self.model, str):
            return self.model
        for mapper in db.Model.registry.mappers:
            if mapper.class_.__name__ == self.model:
                return mapper.class_
        raise LookupError(self.model)


SOURCE_COUNTERS: tuple[SourceCounters, ...] = (
    SourceCounters(Consultation, "consultation_id"),
    SourceCounters("Meeting", "meeting_id"),
)


def register_source_counters(counters: SourceCounters) -> None:
    """Add the counters of a kind of source defined in a domain to the right of opinions
    (open days): it calls this from its ``receivers.py``, so no upward import is needed."""
    global SOURCE_COUNTERS
    if all(existing.model is not counters.model for existing in SOURCE_COUNTERS):
        SOURCE_COUNTERS = (*SOURCE_COUNTERS, counters)


def source_counters(source: Any) -> SourceCounters:
    """The counters kept for ``source`` (a consultation or a meeting)."""
    for counters in SOURCE_COUNTERS:
        if isinstance(source, counters.model_class):
            return counters
    raise TypeError(f"{source!r} is not an opinion source")


def count(source: Any, node_id: int | None, amount: int = 1, public: int = 0) -> None:
    """Add ``amount`` received opinions (``public`` of them shown publicly) to the counters
    of their source and of the article they are about, with conditional SQL updates."""
    counters = source_counters(source)
    model = counters.model_class
    values = {counters.total: getattr(model, counters.total) + amount}
    if public and counters.public:
        values[counters.public] = getattr(model, counters.public) + public
    db.session.execute(
        sa.update(model).where(model.id == source.id).values(values)
        .execution_options(synchronize_session=False)
    )
    if node_id:
        db.session.execute(
            sa.update(DraftNode).where(DraftNode.id == node_id)
            .values(opinion_count=DraftNode.opinion_count + amount)
            .execution_options(synchronize_session=False)
        )


@dataclass(frozen=True)
class CounterMismatch:
    """A denormalised counter that differs from the COUNT(*) of the opinions it counts."""

    table: str
    row_id: int
    column: str
    stored: int
    counted: int


def _counter_specs() -> list[tuple[type, str, Any, Any]]:
    """(model, counter column, opinion column naming the row, which opinions count)."""
    specs = [(counters.model_class, column, getattr(Opinion, counters.opinion_column),
              condition)
             for counters in SOURCE_COUNTERS for column, condition in counters.columns()]
    specs.append((DraftNode, "opinion_count", Opinion.node_id, sa.true()))
    return specs


def counter_mismatches() -> list[CounterMismatch]:
    """Every opinion counter (per source and per article) that differs from COUNT(*)."""
    mismatches = []
    for model, column, opinion_column, condition in _counter_specs():
        counted = (sa.select(sa.func.count(Opinion.id))
                   .where(opinion_column == model.id, condition).scalar_subquery())
        stored = getattr(model, column)
        rows = db.session.execute(
            sa.select(model.id, stored, counted).where(stored != counted).order_by(model.id)
        ).all()
        mismatches += [CounterMismatch(model.__tablename__, row_id, column, old, new)
                       for row_id, old, new in rows]
    return mismatches


def recount_counters(actor=None) -> list[CounterMismatch]:
    """Set every denormalised opinion counter to the COUNT(*) of its opinions.

    Returns the counters that were wrong (with the stored and the counted value) and
    writes an audit entry for each row corrected. Running it twice corrects nothing the
    second time.
    """
    mismatches = counter_mismatches()
    models = {model.__tablename__: model for model, *_rest in _counter_specs()}
    for mismatch in mismatches:
        model = models[mismatch.table]
        db.session.execute(
            sa.update(model).where(model.id == mismatch.row_id)
            .values({mismatch.column: mismatch.counted})
            .execution_options(synchronize_session=False)
        )
        row = db.session.get(model, mismatch.row_id)
        db.session.expire(row, [mismatch.column])
        audit.record("opinion.counter_corrected", row,
                     {mismatch.column: [mismatch.stored, mismatch.counted]}, actor=actor)
    db.session.flush()
    return mismatches

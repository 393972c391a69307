"""A consultation lived through on the calendar: open from 2026-09-01 to 2026-09-21,
decided on 2026-09-25, its decision document issued on 2026-09-28, so its feedback
report is due on 2026-10-16 (the 10th working day, across National Day)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from participation.catalogue import operations as catalogue_ops
from participation.catalogue.models import Stage
from participation.extensions import db
from participation.opinions import operations as opinion_ops
from participation.opinions.models import Disposition
from tests import factories

DUE = date(2026, 10, 16)


def at(day: date, hour: int = 10):
    """Frozen time at ``hour`` o'clock China time on ``day``."""
    return time_machine.travel(
        datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC), tick=False
    )


def utc(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock China time on ``day``, as the naive UTC the jobs are given."""
    return datetime(day.year, day.month, day.day, hour - 8)


@pytest.fixture
def timeline(world):
    """Two opinions with a contact on a consultation that closed on 2026-09-21; the
    decision taken on 2026-09-25 and its document issued on 2026-09-28 (due 2026-10-16).
    Nothing has a disposition yet."""
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    with at(date(2026, 9, 2)):
        consultation = factories.make_consultation(decision, days=20, reason="时间紧急")
        opinions = [
            opinion_ops.submit_online(
                consultation,
                body=body,
                node_id=None,
                consent_to_publish=True,
                display_name="李明",
                contact=f"person{n}@example.com",
                submission_key=f"timeline-{n}",
            )[0]
            for n, body in enumerate(["建议增加停车位。", "希望延长公示期。"])
        ]
        db.session.commit()
    with at(date(2026, 9, 25)):
        for stage in (Stage.LEGALITY_REVIEW, Stage.COLLECTIVE_DELIBERATION, Stage.DECIDED):
            catalogue_ops.move_to_stage(decision, stage, date(2026, 9, 25))
        db.session.commit()
    with at(date(2026, 9, 28)):
        catalogue_ops.record_document_issued(decision, date(2026, 9, 28))
        db.session.commit()
    assert decision.feedback_due_on == DUE
    return {"decision": decision, "consultation": consultation, "opinions": opinions}


def dispose_all(case) -> None:
    """Every opinion adopted (no group of theirs is concentrated)."""
    for opinion in case["opinions"]:
        opinion.disposition = Disposition.ADOPTED
    db.session.commit()

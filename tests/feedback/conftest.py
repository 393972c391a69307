"""A consultation lived through on the calendar: open from 2026-09-01 to 2026-09-21,
decided on 2026-09-25, its decision document issued on 2026-09-28, so its feedback
report is due on 2026-10-16 (the 10th working day, across National Day)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from participation.catalogue import operations as catalogue_ops
from participation.catalogue.models import Stage
from participation.extensions import db
from participation.opinions import operations as opinion_ops
from participation.opinions.models import Disposition, OpinionGroup
from tests import factories

DUE = date(2026, 10, 16)


def utc(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock China time on ``day``, as the naive UTC the jobs are given."""
    return datetime(day.year, day.month, day.day, hour) - timedelta(hours=8)


def at(day: date, hour: int = 10):
    """Frozen time at ``hour`` o'clock China time on ``day``."""
    return time_machine.travel(utc(day, hour).replace(tzinfo=UTC), tick=False)


@pytest.fixture
def timeline(world):
    """Six opinions with a contact (five of them the same text: a concentrated opinion) on
    a consultation that closed on 2026-09-21; the decision taken on 2026-09-25 and its
    document issued on 2026-09-28 (due 2026-10-16). Nothing has a disposition yet."""
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    bodies = ["建议延长公示期限到三十日。"] * 5 + ["建议增加停车位。"]
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
            for n, body in enumerate(bodies)
        ]
        db.session.commit()
    group = db.session.get(OpinionGroup, opinions[0].group_id)
    assert group.opinion_count == 5
    group.summary = "延长公示期限"
    with at(date(2026, 9, 25)):
        for stage in (Stage.LEGALITY_REVIEW, Stage.COLLECTIVE_DELIBERATION, Stage.DECIDED):
            catalogue_ops.move_to_stage(decision, stage, date(2026, 9, 25))
        db.session.commit()
    with at(date(2026, 9, 28)):
        catalogue_ops.record_document_issued(decision, date(2026, 9, 28))
        db.session.commit()
    assert decision.feedback_due_on == DUE
    return {
        "decision": decision,
        "consultation": consultation,
        "opinions": opinions,
        "group": group,
    }


def dispose_all(case, group_reason: str = "已将公示期限延长至三十日。") -> None:
    """Every opinion adopted; the concentrated opinion too, with ``group_reason``."""
    for opinion in case["opinions"]:
        opinion.disposition = Disposition.ADOPTED
    case["group"].disposition = Disposition.ADOPTED
    case["group"].disposition_reason = group_reason
    db.session.commit()

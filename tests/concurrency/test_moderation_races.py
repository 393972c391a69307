"""Real threads with their own sessions and commits: moderators acting on one opinion at
once move the public counter once, and reports crossing the threshold together send it
to review once and tell the moderators once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.database import utcnow
from participation.core.outbox import OutboxMessage
from participation.extensions import db
from tests import factories
from tests.conftest import migrated_scratch_app

pytestmark = pytest.mark.no_db_transaction

THREADS = 6


@pytest.fixture
def race(tmp_path):
    app = migrated_scratch_app(tmp_path, "moderation_race", OUTBOX_INLINE=False)
    with app.app_context():
        from participation.opinions import operations as opinion_ops

        world = factories.make_world()
        catalogue = factories.make_catalogue(world.government)
        consultation = factories.make_consultation(
            factories.make_decision(catalogue, world.unit))
        opinion, _created = opinion_ops.submit_online(
            consultation, body="建议在镇区增加公共停车位。", node_id=None,
            consent_to_publish=True, display_name=None, contact=None, submission_key="race")
        db.session.commit()
        ids = {"opinion": opinion.id, "consultation": consultation.id,
               "moderator": world.moderator.email}
    yield app, ids
    with app.app_context():
        db.engine.dispose()


def _run_together(app, work) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        # A POST's context: on SQLite the writers queue for the writer turn as requests do.
        with app.test_request_context("/", method="POST"):
            try:
                work(number, barrier)
                db.session.commit()
            except BaseException as error:  # noqa: BLE001 - reported by the test
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_moderators_hiding_one_opinion_at_once_count_it_once(race):
    app, ids = race
    from participation.opinions.models import Opinion
    from participation.opinions.moderation import set_moderation_state

    def hide(_number, barrier):
        opinion = db.session.get(Opinion, ids["opinion"])
        assert opinion.moderation_state.value == "published"  # every page showed it public
        db.session.commit()  # end the read; each thread then writes on its own
        barrier.wait()
        set_moderation_state([opinion], "hidden", "spam")

    assert _run_together(app, hide) == []
    with app.app_context():
        from participation.consultations.models import Consultation
        from participation.opinions.counters import counter_mismatches

        assert db.session.get(Consultation, ids["consultation"]).public_opinion_count == 0
        assert counter_mismatches() == []
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "opinion.moderated")) == 1


def test_reports_crossing_the_threshold_together_hold_the_opinion_once(race):
    app, ids = race
    from participation.opinions.models import Opinion
    from participation.opinions.moderation_reports import report_opinion

    def report(number, barrier):
        opinion = db.session.get(Opinion, ids["opinion"])
        db.session.commit()
        barrier.wait()
        report_opinion(opinion, f"reporter-{number}", "spam")

    assert _run_together(app, report) == []
    with app.app_context():
        from participation.consultations.models import Consultation
        from participation.opinions.counters import counter_mismatches

        opinion = db.session.get(Opinion, ids["opinion"])
        assert opinion.moderation_state.value == "pending"
        assert opinion.report_count == THREADS
        assert db.session.get(Consultation, ids["consultation"]).public_opinion_count == 0
        assert counter_mismatches() == []
        told = db.session.scalars(sa.select(OutboxMessage.recipient).where(
            OutboxMessage.dedupe_key.like("opinion-reported:%"))).all()
        assert told == [ids["moderator"]]
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "opinion.moderated")) == 1
        assert opinion.pending_since > utcnow() - timedelta(minutes=5)

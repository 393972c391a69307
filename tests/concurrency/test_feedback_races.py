"""The feedback report's clock with real processes and connections: two hosts running
``flask jobs run`` at the same minute on the due date publish the report once and tell
each contact once; an approver's approval and the due-date job at the same moment
publish one version."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from participation.extensions import db
from tests import factories
from tests.conftest import migrated_scratch_app

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")
CONTACTS = [f"person{n}@example.com" for n in range(5)]

pytestmark = pytest.mark.no_db_transaction


def _due_today(app, saved_narrative: bool = False) -> dict:
    """A complete report due today: a closed consultation whose five opinions (each with
    a contact) have their dispositions, the decision taken and its document issued."""
    from participation.catalogue import operations as catalogue_ops
    from participation.catalogue.models import Stage
    from participation.core.timeutil import local_today
    from participation.feedback import operations as feedback_ops
    from participation.opinions import operations as opinion_ops
    from participation.opinions.models import Disposition

    with app.app_context():
        world = factories.make_world()
        catalogue = factories.make_catalogue(world.government)
        decision = factories.make_decision(catalogue, world.unit)
        consultation = factories.make_consultation(decision)
        for n, contact in enumerate(CONTACTS):
            opinion, _created = opinion_ops.submit_online(
                consultation,
                body=f"第{n}条建议：增加公共停车位{n}处。",
                node_id=None,
                consent_to_publish=True,
                display_name="李明",
                contact=contact,
                submission_key=f"race-{n}",
            )
            opinion.disposition = Disposition.EXPLAINED
            opinion.disposition_reason = "已在决定中说明。"
        factories.close(consultation)
        today = local_today()
        for stage in (Stage.LEGALITY_REVIEW, Stage.COLLECTIVE_DELIBERATION, Stage.DECIDED):
            catalogue_ops.move_to_stage(decision, stage, today)
        # Issued ten working days ago: due today.
        decision.document_issued_on = today
        decision.feedback_due_on = today
        if saved_narrative:
            feedback_ops.save_narrative(
                consultation, "通过网站征求意见。", "", actor=world.approver
            )
        db.session.commit()
        ids = {
            "consultation": consultation.id,
            "decision": decision.id,
            "approver": world.approver.id,
        }
        db.session.remove()
        db.engine.dispose()
    return ids


def _outcome(app, ids: dict) -> dict:
    from participation.catalogue.models import Decision
    from participation.core.audit import AuditEntry
    from participation.core.outbox import OutboxMessage
    from participation.core.tasks import Task
    from participation.feedback.models import FeedbackReport, ReportState

    with app.app_context():
        versions = db.session.scalars(
            sa.select(FeedbackReport.version).where(
                FeedbackReport.consultation_id == ids["consultation"],
                FeedbackReport.state == ReportState.PUBLISHED,
            )
        ).all()
        audits = db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == "feedback_report.published"
            )
        )
        tasks = db.session.scalar(
            sa.select(sa.func.count(Task.id)).where(Task.kind == "feedback.notify")
        )
        told = db.session.scalars(
            sa.select(OutboxMessage.recipient).where(
                OutboxMessage.dedupe_key.like("feedback-opinion-%")
            )
        ).all()
        alerted = db.session.scalars(
            sa.select(OutboxMessage.recipient).where(
                OutboxMessage.dedupe_key.like("feedback-due-%")
            )
        ).all()
        published_on = db.session.get(Decision, ids["decision"]).feedback_published_on
        db.session.remove()
        db.engine.dispose()
    return {
        "versions": versions,
        "audits": audits,
        "tasks": tasks,
        "told": sorted(told),
        "alerted": sorted(alerted),
        "published_on": published_on,
    }


def test_two_hosts_running_flask_jobs_run_on_the_due_date_publish_once_and_tell_once(tmp_path):
    app = migrated_scratch_app(tmp_path, "feedback_hosts", OUTBOX_INLINE=False)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    ids = _due_today(app)
    env = {
        **os.environ,
        "PARTICIPATION_DATABASE_URL": url,
        "SECRET_KEY": "x",
        "FLASK_APP": "wsgi",
        "PARTICIPATION_OUTBOX_INLINE": "0",
    }
    env.pop("PARTICIPATION_REDIS_URL", None)
    # Each host: cron's `flask jobs run` at the same minute, then its worker until idle.
    script = f'"{FLASK}" jobs run && "{FLASK}" jobs worker --once --pause 0.1'
    hosts = [
        subprocess.Popen(
            ["sh", "-c", script],
            cwd=ROOT,
            env=env,  # noqa: S607
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [host.communicate(timeout=120) for host in hosts]
    assert all(host.returncode == 0 for host in hosts), outputs
    ran = [out for out, _err in outputs if "feedback.clock: done" in out]
    assert len(ran) == 1, outputs
    outcome = _outcome(app, ids)
    assert outcome["versions"] == [1]
    assert outcome["audits"] == 1
    assert outcome["tasks"] == 1
    assert outcome["told"] == sorted(CONTACTS)  # each contact once
    assert outcome["alerted"] == []  # published in the pass: nobody is told it is due
    assert outcome["published_on"] is not None
    # The next minute both hosts again: nothing new.
    again = [
        subprocess.run(
            ["sh", "-c", script],
            cwd=ROOT,
            env=env,  # noqa: S607
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        for _ in range(2)
    ]
    assert _outcome(app, ids) == outcome, again


@pytest.mark.parametrize("saved_narrative", [False, True], ids=["no-draft-yet", "narrative-saved"])
def test_an_approval_and_the_due_date_job_at_the_same_moment_publish_one_version(
    tmp_path, monkeypatch, saved_narrative
):
    app = migrated_scratch_app(tmp_path, "feedback_race", OUTBOX_INLINE=False)
    ids = _due_today(app, saved_narrative)
    from participation.accounts.models import User
    from participation.consultations.models import Consultation
    from participation.core.database import utcnow
    from participation.core.jobs import run_due_jobs
    from participation.feedback import operations as feedback_ops

    # Computing the figures takes a while (it does at 100,000 opinions): long enough for
    # the other side to arrive while the first one is publishing.
    real_report_data = feedback_ops.report_data

    def slow_report_data(consultation):
        time.sleep(0.4)
        return real_report_data(consultation)

    monkeypatch.setattr(feedback_ops, "report_data", slow_report_data)
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def approve() -> None:
        # The approver's POST, from the page showing version 1.
        with app.test_request_context("/", method="POST"):
            try:
                consultation = db.session.get(Consultation, ids["consultation"])
                approver = db.session.get(User, ids["approver"])
                db.session.commit()
                barrier.wait()
                feedback_ops.publish(consultation, actor=approver, version=1)
                db.session.commit()
                results["approval"] = "published"
            except feedback_ops.FeedbackError as error:
                db.session.rollback()
                results["approval"] = error.code
            except BaseException as error:  # noqa: BLE001 - reported by the test
                db.session.rollback()
                results["approval"] = repr(error)
            finally:
                db.session.remove()

    def job() -> None:
        with app.app_context():
            try:
                barrier.wait()
                results["job"] = run_due_jobs(utcnow(), owner="host-a").get("feedback.clock")
            except BaseException as error:  # noqa: BLE001 - reported by the test
                results["job"] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=approve), threading.Thread(target=job)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results["job"] == "done", results
    assert results["approval"] in ("published", "already_published"), results
    outcome = _outcome(app, ids)
    assert outcome["versions"] == [1], results
    assert outcome["audits"] == 1
    assert outcome["tasks"] == 1
    assert outcome["published_on"] is not None
    with app.app_context():
        from participation.core.audit import AuditEntry

        automatic = db.session.scalars(
            sa.select(AuditEntry.changes).where(AuditEntry.action == "feedback_report.published")
        ).one()["automatic"]
        db.session.remove()
        db.engine.dispose()
    assert automatic is (results["approval"] == "already_published")

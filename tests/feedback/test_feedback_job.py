"""The statutory clock through the periodic job, with frozen time: the report publishes
itself on its due date when complete; a concentrated opinion without its reason keeps it
unpublished and the decision overdue in public, then it is published late with its
lateness shown; an approver who reviewed a version the job published meanwhile is told,
not published twice; the interim summary is public the moment the consultation closes."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from participation.catalogue.models import Stage
from participation.consultations import operations as consultation_ops
from participation.core.jobs import run_due_jobs
from participation.core.outbox import OutboxMessage
from participation.core.tasks import run_one
from participation.extensions import db
from participation.feedback import operations as feedback_ops
from participation.feedback.models import FeedbackReport
from tests.conftest import login
from tests.feedback.conftest import DUE, at, dispose_all, utc


def _jobs(day: date, hour: int = 10) -> dict[str, str]:
    """``flask jobs run`` at ``hour`` o'clock on ``day`` (China time)."""
    with at(day, hour):
        return run_due_jobs(utc(day, hour), owner="cron")


def _public(client, case, day: date) -> dict[str, str]:
    decision = case["decision"]
    with at(day):
        return {
            "dossier": client.get(f"/decisions/{decision.id}").get_data(as_text=True),
            "catalogue": client.get("/catalogue?year=2026").get_data(as_text=True),
            "api": client.get(f"/api/v1/decisions/{decision.id}").get_json()["feedback"],
        }


def test_on_its_due_date_the_job_publishes_the_complete_report_and_tells_everyone_once(
    client, timeline
):
    dispose_all(timeline)
    consultation, decision = timeline["consultation"], timeline["decision"]
    assert _jobs(date(2026, 10, 15))["feedback.clock"] == "done"
    assert feedback_ops.published_versions(consultation) == []
    _jobs(DUE, hour=0)  # 00:xx on the due date, China time
    (report,) = feedback_ops.published_versions(consultation)
    assert (report.version, report.automatic, report.published_on) == (1, True, DUE)
    assert report.late_working_days == 0
    db.session.refresh(decision)
    assert decision.feedback_published_on == DUE
    assert decision.stage == Stage.FEEDBACK_PUBLISHED
    with at(DUE):
        while run_one():
            pass
    told = db.session.scalars(
        sa.select(OutboxMessage.recipient).where(
            OutboxMessage.dedupe_key.like("feedback-opinion-%")
        )
    ).all()
    assert sorted(told) == [f"person{n}@example.com" for n in range(6)]
    _jobs(DUE, hour=11)
    assert len(feedback_ops.published_versions(consultation)) == 1
    page = client.get(f"/consultations/{consultation.id}/feedback-report").get_data(as_text=True)
    assert "到期自动公开" in page
    public = _public(client, timeline, date(2026, 10, 19))
    assert "逾期" not in public["dossier"]
    assert public["api"]["overdue_since"] is None
    assert public["api"]["published_on"] == "2026-10-16"


def test_a_concentrated_opinion_without_its_reason_keeps_it_overdue_then_it_is_late(
    client, timeline
):
    dispose_all(timeline, group_reason="")
    consultation = timeline["consultation"]
    _jobs(DUE)
    assert feedback_ops.published_versions(consultation) == []
    on_the_day = _public(client, timeline, DUE)
    for page in (on_the_day["dossier"], on_the_day["catalogue"]):
        assert "意见采纳情况反馈应于2026-10-16前公开" in page
    assert "逾期" not in on_the_day["dossier"]
    assert on_the_day["api"]["overdue_since"] is None
    _jobs(date(2026, 10, 19))  # Monday after
    assert feedback_ops.published_versions(consultation) == []
    overdue = _public(client, timeline, date(2026, 10, 19))
    for page in (overdue["dossier"], overdue["catalogue"]):
        assert "逾期未反馈（自2026-10-17起）" in page
    assert overdue["api"]["overdue_since"] == "2026-10-17"
    # The reason is given on Tuesday; the next pass publishes it, two working days late.
    timeline["group"].disposition_reason = "已将公示期限延长至三十日。"
    db.session.commit()
    _jobs(date(2026, 10, 20))
    (report,) = feedback_ops.published_versions(consultation)
    assert (report.published_on, report.late_working_days) == (date(2026, 10, 20), 2)
    page = client.get(f"/consultations/{consultation.id}/feedback-report").get_data(as_text=True)
    assert "晚于应公开日期2个工作日公开" in page
    assert "材料齐备后自动公开" in page
    late = _public(client, timeline, date(2026, 10, 21))
    assert "逾期未反馈" not in late["dossier"]
    assert "晚于应公开日期2个工作日" in late["dossier"]
    assert late["api"]["late_working_days"] == 2
    api = client.get(f"/api/v1/consultations/{consultation.id}/feedback-report").get_json()
    assert (api["late"], api["late_working_days"]) == (True, 2)


def test_an_approver_who_reviewed_version_1_while_the_job_published_it_is_told(
    client, world, timeline
):
    dispose_all(timeline)
    consultation = timeline["consultation"]
    with at(DUE, hour=0):
        login(client, world.approver)
        page = client.get(f"/admin/consultations/{consultation.id}/feedback-report")
    assert 'name="version" type="hidden" value="1"' in page.get_data(as_text=True)
    _jobs(DUE, hour=0)
    with at(DUE, hour=1):
        answer = client.post(
            f"/admin/consultations/{consultation.id}/feedback-report/publish",
            data={"version": "1"},
            follow_redirects=True,
        )
    assert "该版反馈刚刚已经公开" in answer.get_data(as_text=True)
    versions = db.session.scalars(
        sa.select(FeedbackReport.version).where(FeedbackReport.consultation_id == consultation.id)
    ).all()
    assert versions == [1]
    assert feedback_ops.published_versions(consultation)[0].automatic


def test_the_interim_summary_is_public_the_moment_the_consultation_closes(client, timeline):
    consultation = timeline["consultation"]  # closes on 2026-09-21 at 10:00
    summary = f"/consultations/{consultation.id}/participation-summary"
    with at(date(2026, 9, 21), hour=9):
        assert client.get(summary).status_code == 404
        page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert summary not in page
    with at(date(2026, 9, 21), hour=11):  # no job has run
        answer = client.get(summary)
        page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
        dossier = client.get(f"/decisions/{timeline['decision'].id}").get_data(as_text=True)
    assert answer.status_code == 200
    assert "6人提出的意见6条" in answer.get_data(as_text=True)
    assert summary in page
    assert summary in dossier


def test_a_consultation_closed_early_has_its_summary_at_once(client, world):
    from tests import factories

    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    with at(date(2026, 9, 2)):
        consultation = factories.make_consultation(decision, days=30)
    summary = f"/consultations/{consultation.id}/participation-summary"
    with at(date(2026, 9, 10)):
        assert client.get(summary).status_code == 404
        consultation_ops.close_early(consultation, "决策事项调整", actor=world.approver)
        db.session.commit()
    with at(date(2026, 9, 10), hour=11):
        assert client.get(summary).status_code == 200


def test_a_correction_is_refused_too_while_a_concentrated_opinion_lacks_its_reason(timeline):
    dispose_all(timeline)
    consultation = timeline["consultation"]
    with at(DUE):
        feedback_ops.publish(consultation)
        db.session.commit()
        timeline["group"].disposition_reason = " "
        feedback_ops.save_narrative(consultation, "更正后的说明。", "", "更正理由。")
        db.session.commit()
        with pytest.raises(feedback_ops.FeedbackError) as refused:
            feedback_ops.publish(consultation, version=2)
    assert refused.value.code == "concentrated_without_reason"
    db.session.rollback()
    _jobs(date(2026, 10, 19))  # nor does the job publish the correction
    assert [v.version for v in feedback_ops.published_versions(consultation)] == [1]

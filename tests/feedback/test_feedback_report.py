"""The feedback report: generated from the data, publishable only when complete,
published by an approver or by itself on its due date, kept version by version, in
HTML, DOCX, the annex and JSON; contacts told once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from participation.catalogue import operations as catalogue_ops
from participation.catalogue.models import Stage
from participation.core.database import utcnow
from participation.core.outbox import OutboxMessage
from participation.core.tasks import run_one
from participation.core.timeutil import local_today
from participation.extensions import db
from participation.feedback import operations as feedback_ops
from participation.feedback.models import FeedbackReport, ReportState
from participation.opinions import operations as opinion_ops
from participation.opinions.models import (
    Disposition,
    ModerationReason,
    ModerationState,
    Opinion,
    OpinionGroup,
)
from tests import factories
from tests.conftest import login


@pytest.fixture
def consulted(world):
    """A closed consultation with six campaign opinions (a concentrated opinion), one
    hotline opinion without consent, one hidden as spam; the decision taken today."""
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision)
    opinions = []
    for n in range(6):
        opinion, _ = opinion_ops.submit_online(
            consultation, body="建议延长公示期限到三十日。", node_id=None,
            consent_to_publish=True, display_name=f"张{'三四五六七八'[n]}",
            contact=f"citizen{n}@example.com", submission_key=f"k{n}")
        opinions.append(opinion)
    hotline = opinion_ops.record_offline(consultation, {
        "channel": "hotline", "received_at": utcnow() - timedelta(hours=1),
        "body": "希望补贴标准公开，联系电话13912345678。", "display_name": "朱明",
        "contact": "13912345678", "consent_to_publish": False, "reference": "GD-1"})
    spam = opinion_ops.record_offline(consultation, {
        "channel": "letter", "received_at": utcnow() - timedelta(hours=1),
        "body": "广告：低价出售发票。", "reference": "XJ-9"})
    spam.moderation_state, spam.moderation_reason = (ModerationState.HIDDEN,
                                                    ModerationReason.SPAM)
    # Grouping put the six identical texts in one group as they arrived.
    group = db.session.get(OpinionGroup, opinions[0].group_id)
    assert {o.group_id for o in opinions} == {group.id}
    assert (group.opinion_count, group.people_count) == (6, 6)
    group.summary = "延长公示期限"
    factories.close(consultation)
    today = local_today()
    for stage in (Stage.LEGALITY_REVIEW, Stage.COLLECTIVE_DELIBERATION, Stage.DECIDED):
        catalogue_ops.move_to_stage(decision, stage, today)
    db.session.commit()
    return {"consultation": consultation, "decision": decision, "group": group,
            "campaign": opinions, "hotline": hotline, "spam": spam}


def _dispose(case, with_group_reason: bool = True) -> None:
    for opinion in case["campaign"]:
        opinion.disposition = Disposition.ADOPTED
    case["hotline"].disposition = Disposition.EXPLAINED
    case["hotline"].disposition_reason = "补贴标准将随决定一并公开。"
    case["group"].disposition = Disposition.ADOPTED
    case["group"].disposition_reason = "已将公示期限延长至三十日。" if with_group_reason else ""
    db.session.commit()


def test_a_report_is_not_published_while_an_opinion_lacks_its_disposition(
        client, world, consulted):
    consultation = consulted["consultation"]
    login(client, world.approver)
    page = client.get(f"/admin/consultations/{consultation.id}/feedback-report")
    assert "7条意见尚未填写采纳情况" in page.get_data(as_text=True)
    refused = client.post(f"/admin/consultations/{consultation.id}/feedback-report/publish")
    assert refused.status_code == 302
    assert feedback_ops.published_versions(consultation) == []
    assert client.get(f"/consultations/{consultation.id}/feedback-report").status_code == 404


def test_never_published_while_a_concentrated_opinion_lacks_its_reason(consulted):
    _dispose(consulted, with_group_reason=False)
    with pytest.raises(feedback_ops.FeedbackError) as refused:
        feedback_ops.publish(consulted["consultation"])
    assert refused.value.code == "concentrated_without_reason"


def test_an_approver_publishes_and_the_public_sees_every_part(client, world, consulted):
    _dispose(consulted)
    consultation, decision = consulted["consultation"], consulted["decision"]
    login(client, world.editor)
    assert client.post(
        f"/admin/consultations/{consultation.id}/feedback-report/publish").status_code == 403
    login(client, world.approver)
    client.post(f"/admin/consultations/{consultation.id}/feedback-report",
                data={"how_held": "通过网站、12345热线征求意见。",
                      "adoption_summary": "采纳了延长公示期限的意见。"})
    published = client.post(f"/admin/consultations/{consultation.id}/feedback-report/publish")
    assert published.status_code == 302
    db.session.refresh(decision)
    assert decision.stage == Stage.FEEDBACK_PUBLISHED
    assert decision.feedback_published_on == local_today()
    report = feedback_ops.published_versions(consultation)[0]
    assert (report.version, report.approved_by_id) == (1, world.approver.id)
    client.post("/logout")
    page = client.get(f"/consultations/{consultation.id}/feedback-report").get_data(
        as_text=True)
    for expected in ("通过网站、12345热线征求意见。", "延长公示期限", "已将公示期限延长至三十日。",
                     "<svg", "<title", "垃圾信息或广告: 1"):
        assert expected in page
    assert "citizen0@example.com" not in page
    assert "按提出者类型分的意见数" not in page  # everyone gave them as a person
    api = client.get(f"/api/v1/consultations/{consultation.id}/feedback-report").get_json()
    assert api["by_channel"] == {"online": 6, "hotline": 1, "letter": 1}
    assert api["by_disposition"]["adopted"] == 6
    assert api["by_disposition"]["explained"] == 1
    assert api["concentrated_opinions"] == [{
        "summary": "延长公示期限", "opinions": 6, "people": 6, "disposition": "adopted",
        "reason": "已将公示期限延长至三十日。"}]
    assert api["not_published"] == {"spam": 1}
    assert api["late"] is False
    groups = client.get(f"/api/v1/consultations/{consultation.id}/concentrated-opinions")
    (listed,) = groups.get_json()["items"]
    assert (listed["disposition"], listed["reason"]) == ("adopted", "已将公示期限延长至三十日。")


def test_the_annex_masks_names_leaves_out_unconsented_text_and_hidden_opinions(
        client, consulted):
    _dispose(consulted)
    feedback_ops.publish(consulted["consultation"])
    db.session.commit()
    cid = consulted["consultation"].id
    annex = client.get(f"/consultations/{cid}/feedback-report/annex.csv").get_data(
        as_text=True)
    assert annex.startswith("\ufeff")
    lines = annex.strip().splitlines()
    assert len(lines) == 1 + 7                       # header, six online, the hotline one
    # Nothing was masked in the six: no public copy is stored, their text is shown.
    assert annex.count("建议延长公示期限到三十日。") == 6
    assert "张*" in annex
    assert "张三" not in annex
    assert "朱*" in annex
    assert "13912345678" not in annex
    assert "未同意公开" in annex
    assert "发票" not in annex                          # the hidden opinion is not there
    xlsx = client.get(f"/consultations/{cid}/feedback-report/annex.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.data[:2] == b"PK"
    docx = client.get(f"/consultations/{cid}/feedback-report.docx")
    assert docx.data[:2] == b"PK"
    assert b"word/document.xml" in docx.data


def test_every_contact_is_told_once(consulted):
    _dispose(consulted)
    feedback_ops.publish(consulted["consultation"])
    db.session.commit()
    while run_one():
        pass
    messages = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.dedupe_key.like("feedback-opinion-%"))).all()
    assert sorted(m.recipient for m in messages) == sorted(
        [f"citizen{n}@example.com" for n in range(6)] + ["13912345678"])
    # A second task (a retry, another worker) queues nothing new.
    from participation.core.tasks import enqueue

    enqueue("feedback.notify", {"consultation_id": consulted["consultation"].id})
    db.session.commit()
    while run_one():
        pass
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(
        OutboxMessage.dedupe_key.like("feedback-opinion-%"))) == 7


def test_a_correction_is_a_new_version_with_its_reason_and_both_stay_public(
        client, consulted):
    _dispose(consulted)
    consultation = consulted["consultation"]
    feedback_ops.publish(consultation)
    db.session.commit()
    with pytest.raises(feedback_ops.FeedbackError) as refused:
        feedback_ops.publish(consultation)
    assert refused.value.code == "correction_reason"
    db.session.rollback()
    feedback_ops.save_narrative(consultation, "更正后的说明。", "", "更正渠道统计。")
    feedback_ops.publish(consultation)
    db.session.commit()
    assert [v.version for v in feedback_ops.published_versions(consultation)] == [2, 1]
    first = client.get(f"/consultations/{consultation.id}/feedback-report?version=1")
    latest = client.get(f"/consultations/{consultation.id}/feedback-report")
    assert first.status_code == 200
    assert "更正渠道统计。" in latest.get_data(as_text=True)


def test_the_stage_feedback_published_is_reached_only_by_publishing(consulted):
    with pytest.raises(feedback_ops.FeedbackError) as refused:
        catalogue_ops.move_to_stage(consulted["decision"], Stage.FEEDBACK_PUBLISHED)
    assert refused.value.code == "report_required"


def test_the_feedback_stage_cannot_be_skipped_before_the_report_is_published(consulted):
    decision = consulted["decision"]
    with pytest.raises(feedback_ops.FeedbackError) as refused:
        catalogue_ops.move_to_stage(decision, Stage.EVALUATED)
    assert refused.value.code == "report_required"
    db.session.rollback()
    _dispose(consulted)
    feedback_ops.publish(consulted["consultation"])
    db.session.commit()
    assert decision.stage == Stage.FEEDBACK_PUBLISHED
    catalogue_ops.move_to_stage(decision, Stage.EVALUATED)
    db.session.commit()
    assert decision.stage == Stage.EVALUATED


def _issue(case, issued_on: date) -> None:
    decision = case["decision"]
    decision.document_issued_on = issued_on
    due = catalogue_ops.feedback_due(decision, issued_on)
    decision.feedback_due_on, decision.feedback_due_estimated = due.day, due.estimated
    db.session.commit()


def test_on_its_due_date_a_complete_report_publishes_itself(consulted):
    _dispose(consulted)
    _issue(consulted, date(2026, 9, 28))           # due 2026-10-16
    assert feedback_ops.publish_due_reports(date(2026, 10, 15)) == []
    published = feedback_ops.publish_due_reports(date(2026, 10, 16))
    db.session.commit()
    assert [r.version for r in published] == [1]
    assert published[0].automatic
    assert published[0].late_working_days == 0
    assert feedback_ops.publish_due_reports(date(2026, 10, 17)) == []


def test_an_incomplete_report_is_overdue_then_published_late_with_its_lateness(
        client, consulted):
    _issue(consulted, date(2026, 9, 28))
    assert feedback_ops.publish_due_reports(date(2026, 10, 16)) == []
    decision = consulted["decision"]
    assert decision.feedback_overdue_since(date(2026, 10, 19)) == date(2026, 10, 17)
    _dispose(consulted)
    report = feedback_ops.publish(consulted["consultation"], today=date(2026, 10, 20))
    db.session.commit()
    assert report.late_working_days == 2
    page = client.get(f"/consultations/{consulted['consultation'].id}/feedback-report")
    assert "晚于应公开日期2个工作日公开" in page.get_data(as_text=True)


def test_the_participation_summary_is_public_once_the_consultation_closes(client, world):
    catalogue = factories.make_catalogue(world.government)
    consultation = factories.make_consultation(factories.make_decision(catalogue, world.unit))
    assert client.get(f"/consultations/{consultation.id}/participation-summary"
                      ).status_code == 404
    factories.close(consultation)
    page = client.get(f"/consultations/{consultation.id}/participation-summary")
    assert page.status_code == 200
    assert "参与情况" in page.get_data(as_text=True)


def test_report_data_uses_aggregates_for_people_and_per_day(consulted):
    from participation.feedback.data import report_data

    data = report_data(consulted["consultation"])
    assert data["participation"]["opinions"] == 8
    assert data["participation"]["people"] == 8
    assert sum(row["opinions"] for row in data["participation"]["over_time"]) == 8
    assert data["dispositions"]["considered"] == 7
    assert data["not_published"] == {"total": 1, "by_reason": [
        {"reason": "spam", "opinions": 1}]}
    assert isinstance(datetime.fromisoformat(data["consultation"]["closes_at"]), datetime)
    assert FeedbackReport.__tablename__ == "feedback_report"
    assert ReportState.PUBLISHED.value == "published"
    assert Opinion.__tablename__ == "opinion"


def test_the_receipt_shows_the_disposition_once_the_report_is_published(client, consulted):
    _dispose(consulted)
    receipt = f"/receipts/{consulted['hotline'].receipt_number}"
    before = client.get(receipt).get_data(as_text=True)
    assert "补贴标准将随决定一并公开。" not in before
    feedback_ops.publish(consulted["consultation"])
    db.session.commit()
    after = client.get(receipt).get_data(as_text=True)
    assert "予以解释说明" in after
    assert "补贴标准将随决定一并公开。" in after


def test_a_change_of_the_draft_attached_to_a_disposition_is_in_the_report(client, consulted):
    from participation.consultations.models import DraftNode

    _dispose(consulted)
    consultation = consulted["consultation"]
    article = db.session.scalars(sa.select(DraftNode).where(
        DraftNode.version_id == consultation.draft_version_id,
        DraftNode.kind == "article").order_by(DraftNode.position)).first()
    consulted["group"].change_node_id = article.id
    consulted["group"].change_text = "公示期限为三十日。"
    db.session.commit()
    feedback_ops.publish(consultation)
    db.session.commit()
    page = client.get(f"/consultations/{consultation.id}/feedback-report").get_data(
        as_text=True)
    assert "公示期限为三十日。" in page
    assert f"/consultations/{consultation.id}/compare" in page


def test_the_report_counts_opinions_by_who_gave_them(client, world, consulted):
    from participation.opinions.models import SubmitterKind

    consulted["hotline"].submitter_kind = SubmitterKind.ENTERPRISE
    _dispose(consulted)
    consultation = consulted["consultation"]
    login(client, world.approver)
    assert client.post(
        f"/admin/consultations/{consultation.id}/feedback-report/publish").status_code == 302
    client.post("/logout")
    page = client.get(f"/consultations/{consultation.id}/feedback-report").get_data(
        as_text=True)
    assert "按提出者类型分的意见数" in page
    assert "个人: 7; 企业: 1" in page  # the chart's text alternative
    api = client.get(f"/api/v1/consultations/{consultation.id}/feedback-report").get_json()
    assert api["by_submitter_kind"] == {"person": 7, "enterprise": 1}
    docx = factories.docx_text(
        client.get(f"/consultations/{consultation.id}/feedback-report.docx").data)
    assert "提出者类型" in docx

"""The event feedback report of an open day, on the feedback-report machinery: generated
from the data (attendance, no-shows, the questionnaire's counts, the opinions heard with
their dispositions, masked), the organizer edits and approves, approval publishes;
published versions kept, a correction is a new version with a reason; public page, API
summary, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.extensions import db
from participation.feedback import open_day_report
from participation.feedback.models import FeedbackReport, ReportState
from participation.feedback.operations import FeedbackError, published_versions
from participation.open_days import operations, questionnaire
from participation.open_days.models import OpenDay
from participation.opinions.classification import set_disposition
from participation.opinions.models import Disposition
from participation.opinions.moderation import set_moderation_state
from tests.conftest import login
from tests.opendays.factories import make_open_day, sign_up


def _into_the_past(open_day: OpenDay) -> None:
    week = timedelta(days=8)
    db.session.execute(
        sa.update(OpenDay)
        .where(OpenDay.id == open_day.id)
        .values(
            starts_at=open_day.starts_at - week,
            ends_at=open_day.ends_at - week,
            signup_opens_at=open_day.signup_opens_at - week,
            signup_closes_at=open_day.signup_closes_at - week,
        )
    )
    db.session.commit()
    db.session.expire_all()


@pytest.fixture
def held(world):
    """Capacity 3: two came (one with a companion), one did not; a walk-in of two; three
    answers, two with an open answer (one hidden later), one without consent."""
    open_day = make_open_day(world)
    came = [sign_up(open_day, 1, companions=1), sign_up(open_day, 2)]
    absent = sign_up(open_day, 3) if open_day.places_left else None
    for signup in came:
        operations.check_in(open_day, signup.code)
    operations.record_walk_in(open_day, name="", people=2, needs="")
    questionnaire.send_questionnaire(open_day, now=open_day.starts_at + timedelta(hours=3))
    first = questionnaire.answer(
        came[0],
        satisfaction=5,
        liked=["visit"],
        open_answer="建议窗口增加叫号提醒，我的电话13912345678。",
        consent_to_publish=True,
    )
    second = questionnaire.answer(
        came[1], satisfaction=3, open_answer="停车太难。", consent_to_publish=False
    )
    db.session.commit()
    return open_day, first, second, absent


def test_the_report_is_generated_from_the_data(world, held):
    open_day, first, second, _absent = held
    data = open_day_report.report_data(open_day)
    attendance = data["attendance"]
    assert attendance["checked_in_people"] == 3
    assert attendance["walk_in_people"] == 2
    assert attendance["confirmed_signups"] == 2
    assert attendance["no_shows"] == 0
    assert data["questionnaire"]["responses"] == 2
    assert {row["point"]: row["answers"] for row in data["questionnaire"]["scale"]}[5] == 1
    assert {row["key"]: row["answers"] for row in data["questionnaire"]["liked"]}["visit"] == 1
    heard = {row["id"]: row for row in data["opinions"]["heard"]}
    assert heard[first.opinion_id]["name"] == "市**"
    assert "13912345678" not in heard[first.opinion_id]["text"]
    assert "139****5678" in heard[first.opinion_id]["text"]
    # Without consent: neither the name nor the text.
    assert heard[second.opinion_id]["name"] == ""
    assert "停车太难" not in heard[second.opinion_id]["text"]
    assert data["opinions"]["without"] == 2
    # The draft starts from a generated narrative.
    draft = open_day_report.draft(open_day)
    assert "5" in draft.how_held
    assert open_day.title in draft.how_held


def test_no_shows_are_counted_after_the_event(world):
    open_day = make_open_day(world, capacity=5)
    came = sign_up(open_day, 1)
    sign_up(open_day, 2)
    operations.check_in(open_day, came.code)
    data = open_day_report.report_data(open_day)
    assert (data["attendance"]["checked_in_people"], data["attendance"]["no_shows"]) == (1, 1)


def test_publication_waits_for_the_end_and_every_disposition(client, world, held):
    open_day, first, second, _absent = held
    with pytest.raises(FeedbackError) as early:
        open_day_report.publish(open_day, actor=world.editor)
    assert early.value.code == "open_day_not_ended"
    db.session.rollback()
    _into_the_past(open_day)
    with pytest.raises(FeedbackError) as undisposed:
        open_day_report.publish(open_day, actor=world.editor)
    assert undisposed.value.code == "open_day_opinions_without_disposition"
    db.session.rollback()
    login(client, world.editor)
    page = client.get(f"/admin/open-days/{open_day.id}/feedback-report").get_data(as_text=True)
    assert "2 条开放日意见尚无处理结果" in page
    # Nothing public yet.
    assert client.get(f"/open-days/{open_day.id}/feedback-report").status_code == 404
    assert client.get(f"/api/v1/open-days/{open_day.id}").get_json()["feedback_report"] is None


def test_the_organizer_edits_approves_and_corrects_the_report(client, world, held):
    open_day, first, second, _absent = held
    _into_the_past(open_day)
    first_opinion = db.session.get(questionnaire.Opinion, first.opinion_id)
    second_opinion = db.session.get(questionnaire.Opinion, second.opinion_id)
    set_disposition(first_opinion, Disposition.ADOPTED, "", actor=world.editor)
    set_moderation_state([second_opinion], "hidden", "irrelevant", actor=world.editor)
    db.session.commit()
    login(client, world.editor)
    saved = client.post(
        f"/admin/open-days/{open_day.id}/feedback-report",
        data={
            "how_held": "开放日当天参观了政务服务大厅。",
            "adoption_summary": "叫号提醒将于下月上线。",
        },
    )
    assert saved.status_code == 302
    preview = client.get(f"/admin/open-days/{open_day.id}/feedback-report").get_data(as_text=True)
    assert "叫号提醒将于下月上线。" in preview
    published = client.post(
        f"/admin/open-days/{open_day.id}/feedback-report/publish", data={"version": "1"}
    )
    assert published.status_code == 302
    assert published.headers["Location"].endswith(f"/open-days/{open_day.id}/feedback-report")
    client.post("/logout")
    page = client.get(f"/open-days/{open_day.id}/feedback-report").get_data(as_text=True)
    assert "开放日当天参观了政务服务大厅。" in page
    assert "139****5678" in page
    assert "13912345678" not in page
    assert "停车太难" not in page
    assert "采纳" in page
    assert "市**" in page
    event = client.get(f"/open-days/{open_day.id}").get_data(as_text=True)
    assert f"/open-days/{open_day.id}/feedback-report" in event
    api = client.get(f"/api/v1/open-days/{open_day.id}").get_json()["feedback_report"]
    assert api["version"] == 1
    assert api["url"].endswith(f"/open-days/{open_day.id}/feedback-report")
    assert api["attendance"]["checked_in_people"] == 3
    assert api["opinions"]["by_disposition"]["adopted"] == 1
    assert "市民" not in str(api)
    # The published figures are frozen: a later change does not alter version 1.
    set_disposition(first_opinion, Disposition.EXPLAINED, "已答复。", actor=world.editor)
    db.session.commit()
    # A correction is a new version with its reason; both stay public.
    login(client, world.editor)
    no_reason = client.post(
        f"/admin/open-days/{open_day.id}/feedback-report/publish",
        data={"version": "2"},
        follow_redirects=True,
    )
    assert "请说明本版更正的内容及原因" in no_reason.get_data(as_text=True)
    client.post(
        f"/admin/open-days/{open_day.id}/feedback-report",
        data={
            "how_held": "开放日当天参观了政务服务大厅。",
            "adoption_summary": "叫号提醒将于下月上线。",
            "correction_reason": "更正第一条意见的处理结果。",
        },
    )
    assert client.post(
        f"/admin/open-days/{open_day.id}/feedback-report/publish", data={"version": "2"}
    ).status_code == 302
    # Approving the same reviewed version again publishes nothing more.
    client.post(f"/admin/open-days/{open_day.id}/feedback-report/publish", data={"version": "2"})
    versions = published_versions(open_day)
    assert [v.version for v in versions] == [2, 1]
    heard_v1 = {r["id"]: r for r in versions[1].data["opinions"]["heard"]}
    assert heard_v1[first.opinion_id]["disposition"] == "adopted"
    client.post("/logout")
    latest = client.get(f"/open-days/{open_day.id}/feedback-report").get_data(as_text=True)
    assert "更正第一条意见的处理结果。" in latest
    old = client.get(f"/open-days/{open_day.id}/feedback-report?version=1")
    assert old.status_code == 200
    assert "更正第一条意见的处理结果。" not in old.get_data(as_text=True).split("<h2")[0]
    audited = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "feedback_report")
    ).all()
    assert audited.count("feedback_report.published") == 2
    assert "feedback_report.edited" in audited
    reports = db.session.scalars(
        sa.select(FeedbackReport).where(FeedbackReport.open_day_id == open_day.id)
    ).all()
    assert all(r.consultation_id is None for r in reports)
    assert {r.state for r in reports} == {ReportState.PUBLISHED}


def test_only_the_organizers_prepare_and_approve(client, world, held):
    open_day, *_rest = held
    login(client, world.other_approver)
    assert client.get(f"/admin/open-days/{open_day.id}/feedback-report").status_code == 403
    assert client.post(
        f"/admin/open-days/{open_day.id}/feedback-report/publish", data={"version": "1"}
    ).status_code == 403
    client.post("/logout")
    login(client, world.citizen)
    assert client.get(f"/admin/open-days/{open_day.id}/feedback-report").status_code in (
        403,
        404,
    )

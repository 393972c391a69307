"""The rules a meeting enforces, each refusing with a clear message: enterprise opinions
before a policy affecting enterprises is taken, the report on public opinions among the
materials, a commitment fixed before applications, selection only after the review, a
choice with a reason per seat and no more seats than the quota, idempotent check-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core.database import utcnow
from participation.extensions import db
from participation.feedback import operations as feedback_ops
from participation.meetings import operations
from participation.meetings.models import (
    ApplicationState,
    Attendance,
    MaterialKind,
    MeetingDraw,
    MeetingState,
    RollEntry,
    SeatCategory,
    SelectionMethod,
)
from participation.meetings.operations import MeetingError
from participation.opinions import operations as opinion_ops
from participation.opinions.models import ModerationState, Opinion, SubmitterKind
from tests import factories
from tests.conftest import login
from tests.meetings.conftest import PUBLIC_VALUE, close_call, make_drawn_meeting, make_meeting


def _apply(meeting, name, contact, category="citizen"):
    application, _created = operations.apply(
        meeting, {"name": name, "contact": contact, "category": category, "consent": True}
    )
    return application


def test_a_policy_affecting_enterprises_waits_for_their_opinions(world):
    meeting, decision = make_meeting(world)
    item = meeting.agenda_items[0]
    item.affects_enterprises = True
    db.session.flush()
    with pytest.raises(MeetingError) as refused:
        operations.record_minutes(item, {"result": "原则通过"})
    assert refused.value.code == "enterprises_not_heard"
    assert "涉及企业" in refused.value.message
    with pytest.raises(MeetingError):
        operations.mark_held(meeting)
    # A symposium with enterprises recorded on the item lifts it.
    item.enterprise_symposium = "2026年3月2日召开企业座谈会，5家企业参加"
    operations.record_minutes(item, {"result": "原则通过", "dissent": "一名委员保留意见"})
    assert item.result == "原则通过"


def test_a_symposium_opinion_counts_as_enterprises_heard(world):
    meeting, decision = make_meeting(world)
    item = meeting.agenda_items[0]
    item.affects_enterprises = True
    consultation = factories.make_consultation(decision)
    opinion_ops.record_offline(
        consultation,
        {
            "channel": "symposium",
            "received_at": utcnow() - timedelta(hours=1),
            "body": "企业座谈会上提出的意见：放宽申报期限。",
            "reference": "座谈会-1",
        },
    )
    assert operations.enterprises_heard(item)


def test_an_opinion_given_by_an_enterprise_counts_as_enterprises_heard(client, world):
    """From any channel: online (the form's "you give this opinion"), or a letter from a
    trade association recorded by an official. A hidden one does not count."""
    meeting, decision = make_meeting(world)
    item = meeting.agenda_items[0]
    item.affects_enterprises = True
    consultation = factories.make_consultation(decision)
    person = opinion_ops.record_offline(consultation, {
        "channel": "letter", "received_at": utcnow() - timedelta(hours=1),
        "body": "建议放宽申报期限，便于小微企业准备材料。"})
    db.session.commit()
    assert not operations.enterprises_heard(item)
    page = client.get(f"/consultations/{consultation.id}/opinions/new")
    assert 'name="submitter_kind"' in page.get_data(as_text=True)
    data = {"body": "本公司建议第三条的补贴按季度发放。", "submitter_kind": "enterprise",
            "consent_to_publish": "y"}
    response = client.post(f"/consultations/{consultation.id}/opinions/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    online = db.session.scalar(sa.select(Opinion).where(
        Opinion.consultation_id == consultation.id, Opinion.channel == "online"))
    assert online.submitter_kind == SubmitterKind.ENTERPRISE
    login(client, world.editor)
    shown = client.get(f"/admin/opinions/{online.id}").get_data(as_text=True)
    assert '<dd class="submitter-kind">企业</dd>' in shown
    client.post("/logout")
    assert person.submitter_kind == SubmitterKind.PERSON
    assert operations.enterprises_heard(item)
    online.moderation_state = ModerationState.HIDDEN
    db.session.flush()
    assert not operations.enterprises_heard(item)
    opinion_ops.record_offline(consultation, {
        "channel": "letter", "received_at": utcnow() - timedelta(hours=1),
        "body": "商会会员企业普遍反映申报材料过多。", "submitter_kind": "trade_association"})
    assert operations.enterprises_heard(item)
    assert "enterprises_not_heard" not in [p.code for p in operations.agenda_problems(item)]


def test_the_report_on_public_opinions_must_be_among_the_materials(world):
    meeting, decision = make_meeting(world)
    item = meeting.agenda_items[0]
    consultation = factories.make_consultation(decision)
    assert [p.code for p in operations.agenda_problems(item)] == ["report_missing"]
    with pytest.raises(MeetingError) as refused:
        operations.add_material(item, MaterialKind.PARTICIPATION_SUMMARY, consultation.id)
    assert refused.value.code == "summary_not_closed"
    with pytest.raises(MeetingError) as refused:
        operations.add_material(item, MaterialKind.FEEDBACK_REPORT, consultation.id)
    assert refused.value.code == "no_feedback_draft"
    factories.close(consultation)
    feedback_ops.draft_for(consultation)
    operations.add_material(item, MaterialKind.FEEDBACK_REPORT, consultation.id)
    db.session.refresh(item)
    assert operations.agenda_problems(item) == []
    operations.mark_held(meeting)
    assert meeting.state == MeetingState.HELD


def test_the_rule_is_shown_on_the_manage_page(client, world):
    meeting, decision = make_meeting(world)
    factories.make_consultation(decision)
    login(client, world.editor)
    page = client.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)
    assert "意见采纳情况反馈草稿或征求意见情况汇总" in page
    response = client.post(f"/admin/meetings/{meeting.id}/held")
    assert response.status_code == 302
    db.session.expire_all()
    assert meeting.state == MeetingState.SCHEDULED


def test_the_commitment_is_fixed_before_any_application_and_the_call_then_frozen(world):
    meeting, _decision = make_meeting(world, announce=False)
    assert meeting.draw is None
    with pytest.raises(MeetingError):
        _apply(meeting, "张三", "13900001111")  # not announced: no applications
    operations.announce_call(meeting)
    draw = db.session.scalar(sa.select(MeetingDraw).where(MeetingDraw.meeting_id == meeting.id))
    assert len(draw.commitment) == 64
    assert draw.revealed_secret is None
    with pytest.raises(MeetingError) as refused:
        operations.set_seats(meeting, {SeatCategory.CITIZEN: 5})
    assert refused.value.code == "call_announced"


def test_a_lottery_needs_a_named_public_value_drawn_after_the_window(world):
    meeting, _decision = make_meeting(world, announce=False)
    now = utcnow()
    values = {
        "opens_at": now,
        "closes_at": now + timedelta(days=3),
        "selection_method": "lottery",
        "public_value_source": "",
        "draw_on": None,
    }
    with pytest.raises(MeetingError) as refused:
        operations.save_open_call(meeting, values)
    assert refused.value.code == "public_value_required"
    values.update(public_value_source="双色球第2027025期", draw_on=(now - timedelta(days=1)).date())
    with pytest.raises(MeetingError) as refused:
        operations.save_open_call(meeting, values)
    assert refused.value.code == "draw_before_close"


def test_the_draw_waits_for_the_window_the_review_and_its_day(world):
    meeting, _decision = make_meeting(world)
    application = _apply(meeting, "张三", "13900001111")
    with pytest.raises(MeetingError) as refused:
        operations.draw_lottery(meeting, PUBLIC_VALUE)
    assert refused.value.code == "window_open"
    close_call(meeting)
    with pytest.raises(MeetingError) as refused:
        operations.draw_lottery(meeting, PUBLIC_VALUE)
    assert refused.value.code == "unreviewed"
    operations.review_application(application, True, "")
    meeting.open_call.draw_on = meeting.open_call.draw_on + timedelta(days=2)
    with pytest.raises(MeetingError) as refused:
        operations.draw_lottery(meeting, PUBLIC_VALUE)
    assert refused.value.code == "too_early"
    meeting.open_call.draw_on = meeting.open_call.draw_on - timedelta(days=2)
    operations.draw_lottery(meeting, PUBLIC_VALUE)
    assert application.state == ApplicationState.SELECTED
    with pytest.raises(MeetingError) as refused:
        operations.draw_lottery(meeting, PUBLIC_VALUE)
    assert refused.value.code == "already_drawn"
    with pytest.raises(MeetingError):  # the review is over once drawn
        operations.review_application(application, False, "迟到的审核")


def test_ineligible_needs_a_reason(world):
    meeting, _decision = make_meeting(world)
    application = _apply(meeting, "张三", "13900001111")
    with pytest.raises(MeetingError) as refused:
        operations.review_application(application, False, "  ")
    assert refused.value.code == "reason_required"


def test_choice_gives_seats_with_a_reason_up_to_the_quota(world):
    meeting, _decision = make_meeting(
        world, method=SelectionMethod.CHOICE, seats={SeatCategory.EXPERT: 1}
    )
    first = _apply(meeting, "钱教授", "qian@example.edu.cn", "expert")
    second = _apply(meeting, "孙研究员", "sun@example.edu.cn", "expert")
    for application in (first, second):
        operations.review_application(application, True, "")
    close_call(meeting)
    with pytest.raises(MeetingError) as refused:
        operations.draw_lottery(meeting, PUBLIC_VALUE)
    assert refused.value.code == "not_lottery"
    with pytest.raises(MeetingError) as refused:
        operations.choose_applicant(first, "")
    assert refused.value.code == "reason_required"
    operations.choose_applicant(first, "长期研究本镇农业政策")
    assert first.state == ApplicationState.SELECTED
    assert first.selection_reason == "长期研究本镇农业政策"
    with pytest.raises(MeetingError) as refused:
        operations.choose_applicant(second, "同样合适")
    assert refused.value.code == "category_full"


def test_check_in_is_idempotent_and_a_substitute_is_named(world):
    meeting, application, entry = make_drawn_meeting(world)
    first = operations.check_in(meeting, entry.check_in_code)
    moment = first.checked_in_at
    again = operations.check_in(meeting, f" {entry.check_in_code.lower()} ")
    assert again.checked_in_at == moment
    with pytest.raises(MeetingError) as refused:
        operations.check_in(meeting, "ZZZZZZZZ")
    assert refused.value.code == "unknown_code"
    with pytest.raises(MeetingError) as refused:
        operations.record_attendance(entry, Attendance.SUBSTITUTE, "")
    assert refused.value.code == "substitute_name"
    operations.record_attendance(entry, Attendance.SUBSTITUTE, "张三的同事")
    assert db.session.get(RollEntry, entry.id).substitute_name == "张三的同事"


def test_a_withdrawal_without_reserve_leaves_the_seat_empty(world):
    meeting, decision = make_meeting(world, seats={SeatCategory.MEDIA: 1})
    application = _apply(meeting, "记者甲", "13900005555", "media")
    operations.review_application(application, True, "")
    close_call(meeting)
    operations.draw_lottery(meeting, PUBLIC_VALUE)
    fill = operations.withdraw(application)
    assert fill.promoted_id is None
    assert application.state == ApplicationState.WITHDRAWN
    with pytest.raises(MeetingError):
        operations.withdraw(application)

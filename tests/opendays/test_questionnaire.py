"""After the open day: the questionnaire goes to those who came; the open answer becomes
an opinion of the open day (masked, moderated, counted); closed questions are counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core.outbox import OutboxMessage
from participation.extensions import db
from participation.open_days import operations, questionnaire
from participation.open_days.models import OpenDay
from participation.open_days.questionnaire import QuestionnaireError
from participation.opinions.counters import counter_mismatches
from participation.opinions.models import Channel, Opinion
from tests.conftest import login
from tests.opendays.factories import make_open_day, sign_up


@pytest.fixture
def held(world):
    """An open day that has taken place: two of three checked in."""
    open_day = make_open_day(world)
    came = [sign_up(open_day, 1), sign_up(open_day, 2)]
    absent = sign_up(open_day, 3)
    for signup in came:
        operations.check_in(open_day, signup.code)
    return open_day, came, absent


def test_the_questionnaire_goes_to_those_who_came_once(world, held):
    open_day, came, absent = held
    with pytest.raises(QuestionnaireError):
        questionnaire.send_questionnaire(open_day)  # before the start
    after = open_day.starts_at + timedelta(hours=3)
    assert questionnaire.send_questionnaire(open_day, now=after) == 2
    questionnaire.send_questionnaire(open_day, now=after)
    recipients = list(
        db.session.scalars(
            sa.select(OutboxMessage.recipient).where(
                OutboxMessage.subject.contains(open_day.title), OutboxMessage.body.contains("问卷")
            )
        )
    )
    assert sorted(recipients) == sorted(s.mobile for s in came)
    assert absent.mobile not in recipients


def test_an_open_answer_becomes_an_opinion_of_the_open_day(world, held):
    open_day, came, absent = held
    questionnaire.send_questionnaire(open_day, now=open_day.starts_at + timedelta(hours=3))
    response = questionnaire.answer(
        came[0],
        satisfaction=4,
        liked=["visit", "nonsense"],
        open_answer="建议延长办事大厅午间服务时间，我的电话13912345678。",
        consent_to_publish=True,
    )
    opinion = db.session.get(Opinion, response.opinion_id)
    assert opinion.open_day_id == open_day.id
    assert opinion.consultation_id is None
    assert opinion.channel == Channel.OPEN_DAY
    assert opinion.source is open_day
    assert "13912345678" not in opinion.shown_body
    assert "139****5678" in opinion.shown_body
    assert response.liked == ["visit"]
    db.session.expire_all()
    assert (open_day.opinion_count, open_day.public_opinion_count) == (1, 1)
    assert not [m for m in counter_mismatches() if m.table == "open_day"]
    questionnaire.answer(came[1], satisfaction=2, open_answer="")
    summary = questionnaire.summary(open_day)
    assert summary["responses"] == 2
    assert summary["scale"][4] == 1
    assert summary["scale"][2] == 1
    assert summary["average"] == 3.0
    assert summary["liked"]["visit"] == 1
    with pytest.raises(QuestionnaireError) as again:
        questionnaire.answer(came[0], satisfaction=5)
    assert again.value.code == "answered"
    with pytest.raises(QuestionnaireError) as not_came:
        questionnaire.answer(absent, satisfaction=5)
    assert not_came.value.code == "not_checked_in"


def test_the_questionnaire_page_and_what_was_heard(client, world, held):
    open_day, came, _absent = held
    login(client, world.editor)
    client.post(f"/admin/open-days/{open_day.id}/questionnaire/send")
    db.session.expire_all()
    # Sent before the start is refused; move the open day into the past and send.
    db.session.execute(
        sa.update(OpenDay)
        .where(OpenDay.id == open_day.id)
        .values(
            starts_at=open_day.starts_at - timedelta(days=8),
            ends_at=open_day.ends_at - timedelta(days=8),
            signup_opens_at=open_day.signup_opens_at - timedelta(days=8),
            signup_closes_at=open_day.signup_closes_at - timedelta(days=8),
        )
    )
    db.session.commit()
    client.post(f"/admin/open-days/{open_day.id}/questionnaire/send")
    page = client.get(f"/open-days/signups/{came[0].token}/questionnaire")
    assert page.status_code == 200
    assert "满意" in page.get_data(as_text=True)
    response = client.post(
        f"/open-days/signups/{came[0].token}/questionnaire",
        data={
            "satisfaction": "5",
            "liked": ["briefing", "symposium"],
            "open_answer": "希望多举办这样的开放日活动。",
            "consent_to_publish": "y",
        },
    )
    assert response.status_code == 302
    public = client.get(f"/open-days/{open_day.id}").get_data(as_text=True)
    assert "希望多举办这样的开放日活动。" in public
    assert "平均满意度" in public
    admin = client.get(f"/admin/open-days/{open_day.id}").get_data(as_text=True)
    assert "希望多举办这样的开放日活动。" in admin
    again = client.get(f"/open-days/signups/{came[0].token}/questionnaire")
    assert "您已填写过问卷" in again.get_data(as_text=True)


def test_the_organizer_moderates_and_disposes_open_day_opinions(client, world, held):
    open_day, came, _absent = held
    questionnaire.send_questionnaire(open_day, now=open_day.starts_at + timedelta(hours=3))
    response = questionnaire.answer(
        came[0], satisfaction=3, open_answer="希望增加停车位。", consent_to_publish=True
    )
    db.session.commit()
    login(client, world.editor)
    url = f"/admin/open-days/{open_day.id}/opinions/{response.opinion_id}"
    refused = client.post(
        url,
        data={"moderation_state": "published", "disposition": "not_adopted", "reason": ""},
        follow_redirects=True,
    )
    assert "请说明" in refused.get_data(as_text=True) or "理由" in refused.get_data(as_text=True)
    opinion = db.session.get(Opinion, response.opinion_id)
    assert opinion.disposition is None
    client.post(
        url,
        data={
            "moderation_state": "published",
            "disposition": "explained",
            "reason": "停车场扩建已列入明年计划。",
        },
    )
    db.session.expire_all()
    assert opinion.disposition.value == "explained"
    public = client.get(f"/open-days/{open_day.id}").get_data(as_text=True)
    assert "停车场扩建已列入明年计划。" in public
    # Hiding needs a reason, as in the moderation queue (the same operation).
    refused = client.post(
        url,
        data={
            "moderation_state": "hidden",
            "disposition": "explained",
            "reason": "停车场扩建已列入明年计划。",
        },
        follow_redirects=True,
    )
    assert "请选择屏蔽原因" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert opinion.moderation_state.value == "published"
    client.post(
        url,
        data={
            "moderation_state": "hidden",
            "moderation_reason": "irrelevant",
            "disposition": "explained",
            "reason": "停车场扩建已列入明年计划。",
        },
    )
    db.session.expire_all()
    assert opinion.moderation_state.value == "hidden"
    assert opinion.moderation_reason.value == "irrelevant"
    assert open_day.public_opinion_count == 0
    assert "希望增加停车位。" not in client.get(f"/open-days/{open_day.id}").get_data(as_text=True)
    assert not [m for m in counter_mismatches() if m.table == "open_day"]

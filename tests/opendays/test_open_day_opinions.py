"""Opinions heard at an open day are processed like consultation opinions: the moderation
queue and its digest, the ``opinion_received`` signal, the decision's consultation
workspace and feedback report when the open day is linked to a decision, and the open
day's own page (stance, disposition with reason) when it is not."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.catalogue import operations as catalogue_ops
from participation.catalogue.models import Stage
from participation.consultations.models import ModerationMode
from participation.core import signals
from participation.core.audit import AuditEntry
from participation.core.database import utcnow
from participation.core.outbox import OutboxMessage
from participation.core.timeutil import local_today
from participation.extensions import db
from participation.feedback import operations as feedback_ops
from participation.open_days import operations, questionnaire
from participation.open_days.models import OpenDay
from participation.opinions import moderation_words
from participation.opinions.counters import counter_mismatches
from participation.opinions.models import Disposition, ModerationState, Opinion, Stance
from participation.opinions.moderation_reports import send_moderation_digests
from participation.opinions.workspace import Selection
from tests import factories
from tests.conftest import login
from tests.opendays.factories import make_open_day, sign_up


def _answered(open_day, text: str, n: int = 1, consent: bool = True) -> Opinion:
    """Sign up person ``n``, check them in, send the questionnaire and answer it."""
    signup = sign_up(open_day, n)
    operations.check_in(open_day, signup.code)
    questionnaire.send_questionnaire(open_day, now=open_day.starts_at + timedelta(hours=3))
    response = questionnaire.answer(
        signup, satisfaction=4, open_answer=text, consent_to_publish=consent
    )
    return db.session.get(Opinion, response.opinion_id)


def test_a_held_open_day_opinion_joins_the_moderation_queue(client, world):
    moderation_words.add_words(world.government, ["违禁词"])
    open_day = make_open_day(world)
    received = []

    def on_received(opinion, source=None, **_kwargs):
        received.append((opinion.id, source))

    with signals.opinion_received.connected_to(on_received):
        opinion = _answered(open_day, "大厅里有违禁词标语，建议更换。")
    assert received == [(opinion.id, open_day)]
    assert opinion.moderation_state == ModerationState.PENDING
    assert opinion.moderation_flags == {"words": ["违禁词"]}
    db.session.expire_all()
    assert (open_day.opinion_count, open_day.public_opinion_count) == (1, 0)
    # The moderators of the organizing unit are told by the digest.
    assert send_moderation_digests(utcnow()) >= 1
    assert db.session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.recipient == world.moderator.email
        )
    )
    db.session.commit()
    login(client, world.moderator)
    queue = client.get(f"/admin/governments/{world.government.id}/moderation")
    page = queue.get_data(as_text=True)
    assert "大厅里有违禁词标语" in page
    assert open_day.title in page
    response = client.post(
        f"/admin/governments/{world.government.id}/moderation",
        data={"one": f"{opinion.id}:publish"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).moderation_state == ModerationState.PUBLISHED
    assert open_day.public_opinion_count == 1
    assert counter_mismatches() == []
    assert "大厅里有违禁词标语" in client.get(f"/open-days/{open_day.id}").get_data(as_text=True)


def test_a_moderator_of_another_unit_neither_sees_nor_moderates_it(client, world):
    moderation_words.add_words(world.government, ["违禁词"])
    open_day = make_open_day(world)
    opinion = _answered(open_day, "违禁词出现在宣传栏上。")
    stranger = factories.make_official(world.government, factories.Role.MODERATOR,
                                       world.other_unit)
    db.session.commit()
    login(client, stranger)
    page = client.get(f"/admin/governments/{world.government.id}/moderation")
    assert "违禁词出现在宣传栏上" not in page.get_data(as_text=True)
    refused = client.post(
        f"/admin/governments/{world.government.id}/moderation",
        data={"one": f"{opinion.id}:publish"},
    )
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).moderation_state == ModerationState.PENDING


@pytest.fixture
def linked(world):
    """An open day about a decision under a pre-moderated consultation."""
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision)
    consultation.moderation_mode = ModerationMode.PRE
    open_day = make_open_day(world, decision_id=decision.id)
    db.session.commit()
    return open_day, consultation


def test_a_linked_open_day_opinion_is_handled_in_the_consultation(client, world, linked):
    open_day, consultation = linked
    opinion = _answered(open_day, "建议补贴申请材料再精简一些，我的手机13912345678。")
    # The consultation's rule: pre-moderated there, held here too.
    assert opinion.moderation_state == ModerationState.PENDING
    assert opinion.decision_id == consultation.decision_id
    assert opinion.id in set(db.session.scalars(Selection(consultation).id_query()))
    db.session.commit()
    # The organizer's page does not dispose it: the workspace does.
    login(client, world.editor)
    refused = client.post(
        f"/admin/open-days/{open_day.id}/opinions/{opinion.id}",
        data={"moderation_state": "published", "disposition": "adopted", "reason": ""},
        follow_redirects=True,
    )
    assert "分类工作台中分类和处理" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).disposition is None
    workspace = client.get(f"/admin/consultations/{consultation.id}/workspace")
    assert "建议补贴申请材料再精简一些" in workspace.get_data(as_text=True)
    # The report waits for moderation, then for the disposition.
    factories.close(consultation)
    for stage in (Stage.LEGALITY_REVIEW, Stage.COLLECTIVE_DELIBERATION, Stage.DECIDED):
        catalogue_ops.move_to_stage(consultation.decision, stage, local_today())
    db.session.commit()
    with pytest.raises(feedback_ops.FeedbackError) as waiting:
        feedback_ops.publish(consultation)
    assert waiting.value.code == "open_day_opinions_pending"
    db.session.rollback()
    client.post("/logout")
    login(client, world.moderator)
    client.post(
        f"/admin/governments/{world.government.id}/moderation",
        data={"one": f"{opinion.id}:publish"},
    )
    with pytest.raises(feedback_ops.FeedbackError) as undisposed:
        feedback_ops.publish(consultation)
    assert undisposed.value.code == "open_day_opinions_without_disposition"
    db.session.rollback()
    client.post("/logout")
    login(client, world.editor)
    response = client.post(
        f"/admin/opinions/{opinion.id}/classify",
        data={"disposition": "partially_adopted", "reason": "材料清单已精简三项。"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    client.post("/logout")
    login(client, world.approver)
    assert (
        client.post(f"/admin/consultations/{consultation.id}/feedback-report/publish").status_code
        == 302
    )
    client.post("/logout")
    report = client.get(f"/consultations/{consultation.id}/feedback-report")
    page = report.get_data(as_text=True)
    assert "开放日听取的意见" in page
    assert open_day.title in page
    assert "建议补贴申请材料再精简一些" in page
    assert "13912345678" not in page
    assert "材料清单已精简三项。" in page
    assert "市**" in page  # the masked name, shown with consent
    docx = factories.docx_text(
        client.get(f"/consultations/{consultation.id}/feedback-report.docx").data)
    assert "开放日听取的意见" in docx
    assert "建议补贴申请材料再精简一些" in docx
    assert "13912345678" not in docx
    assert "材料清单已精简三项。" in docx
    api = client.get(f"/api/v1/consultations/{consultation.id}/feedback-report")
    [heard] = api.get_json()["open_day_opinions"]
    assert (heard["open_day_id"], heard["name"], heard["reason"]) == (
        open_day.id, "市**", "材料清单已精简三项。")
    assert "建议补贴申请材料再精简一些" in heard["text"]
    assert "13912345678" not in api.get_data(as_text=True)


def test_an_unlinked_open_day_opinion_gets_stance_and_disposition_on_its_page(client, world):
    open_day = make_open_day(world)
    opinion = _answered(open_day, "希望开放日增加周末场次。")
    assert opinion.moderation_state == ModerationState.PUBLISHED  # post-moderation
    db.session.commit()
    login(client, world.editor)
    page = client.get(f"/admin/open-days/{open_day.id}").get_data(as_text=True)
    assert 'name="stance"' in page
    response = client.post(
        f"/admin/open-days/{open_day.id}/opinions/{opinion.id}",
        data={
            "moderation_state": "published",
            "stance": "suggestion",
            "disposition": "adopted",
            "reason": "",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    opinion = db.session.get(Opinion, opinion.id)
    assert opinion.stance == Stance.SUGGESTION
    assert opinion.disposition == Disposition.ADOPTED
    actions = set(
        db.session.scalars(
            sa.select(AuditEntry.action).where(
                AuditEntry.object_type == "opinion", AuditEntry.object_id == opinion.id
            )
        )
    )
    assert {"opinion.stance_set", "opinion.disposition_set"} <= actions
    # A bad stance value is refused without a server error.
    odd = client.post(
        f"/admin/open-days/{open_day.id}/opinions/{opinion.id}",
        data={"moderation_state": "published", "stance": "<script>", "disposition": "x"},
    )
    assert odd.status_code == 302


def test_a_hidden_open_day_opinion_is_never_on_public_pages(client, world):
    open_day = make_open_day(world)
    opinion = _answered(open_day, "这条意见与活动无关，含有广告。")
    db.session.commit()
    login(client, world.moderator)
    client.post(
        f"/admin/governments/{world.government.id}/moderation",
        data={"one": f"{opinion.id}:hide", f"reason-{opinion.id}": "spam"},
    )
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).moderation_state == ModerationState.HIDDEN
    assert db.session.get(OpenDay, open_day.id).public_opinion_count == 0
    assert counter_mismatches() == []
    client.post("/logout")
    assert "含有广告" not in client.get(f"/open-days/{open_day.id}").get_data(as_text=True)


def test_the_workspace_finds_other_sources_from_a_partial_index(world, linked):
    """The consultation's workspace probes for its decision's opinions without a
    consultation source (open days, meetings) in a partial index: the decision's
    consultation opinions are never read to find none."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the query plan is checked on SQLite")
    _open_day, consultation = linked
    from participation.opinions.workspace import taken_condition

    query = sa.select(Opinion.id).where(taken_condition(consultation.decision_id)).limit(1)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    assert "ix_opinion_other_sources" in " ".join(str(row[-1]) for row in plan)


def test_linking_the_open_day_later_moves_the_opinions_already_heard(world):
    """The organizer links the open day to a decision after the answers came in: they
    go to that decision's consultation workspace, and back out when unlinked."""
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision)
    open_day = make_open_day(world)
    opinion = _answered(open_day, "建议开放日之后公布问卷统计结果。")
    db.session.commit()
    assert opinion.decision_id is None
    assert opinion.id not in set(db.session.scalars(Selection(consultation).id_query()))
    names = ("title", "theme", "description", "starts_at", "ends_at", "place",
             "accessibility", "signup_opens_at", "signup_closes_at", "companions_allowed",
             "promotion_stop_hours", "capacity")
    values = {name: getattr(open_day, name) for name in names}
    values.update(decision_id=decision.id, questions=operations.questions_text(open_day))
    operations.update_open_day(open_day, values, actor=world.editor)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).decision_id == decision.id
    assert opinion.id in set(db.session.scalars(Selection(consultation).id_query()))
    values["decision_id"] = None
    operations.update_open_day(db.session.get(OpenDay, open_day.id), values, actor=world.editor)
    db.session.commit()
    assert db.session.get(Opinion, opinion.id).decision_id is None

"""Moderation through the pages: citizens' reports, the moderation queue, the
sensitive-word page, the public log, and no hidden or pending opinion on anything public."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.accounts.models import Role
from participation.consultations.models import Consultation, ModerationMode
from participation.core.database import utcnow
from participation.core.outbox import OutboxMessage
from participation.extensions import db
from participation.opinions import moderation_words
from participation.opinions import operations as opinion_ops
from participation.opinions.models import ModerationReason, ModerationState, Opinion
from participation.opinions.moderation import set_moderation_state
from participation.opinions.moderation_models import ModerationSettings, OpinionReport
from participation.opinions.moderation_reports import send_moderation_digests
from tests import factories
from tests.conftest import login

SHOWN = "建议在镇区增加公共停车位，缓解停车难。"
HIDDEN = "出售发票请联系，这是一条被屏蔽的广告内容。"
PENDING = "这是一条仍在等待审核的意见内容。"


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def _article(consultation, ordinal=2):
    from tests.opinions.test_opinion_flow import _article as article

    return article(consultation, ordinal)


def submit(consultation, body, key, node_id=None) -> Opinion:
    opinion, _created = opinion_ops.submit_online(
        consultation, body=body, node_id=node_id, consent_to_publish=True,
        display_name="李女士", contact=None, submission_key=key)
    db.session.commit()
    return opinion


@pytest.fixture
def three(consultation):
    """A public, a hidden and a pending opinion, all on article 2."""
    article = _article(consultation)
    shown = submit(consultation, SHOWN, "a", article.id)
    hidden = submit(consultation, HIDDEN, "b", article.id)
    pending = submit(consultation, PENDING, "c", article.id)
    set_moderation_state([hidden], "hidden", "spam")
    set_moderation_state([pending], "pending")
    db.session.commit()
    return shown, hidden, pending


def test_hidden_and_pending_opinions_reach_no_public_surface(client, consultation, three):
    shown, hidden, pending = three
    article = _article(consultation)
    pages = {
        "list": client.get(f"/consultations/{consultation.id}/opinions"),
        "article": client.get(f"/consultations/{consultation.id}/opinions?node={article.id}"),
        "api": client.get(f"/api/v1/consultations/{consultation.id}/opinions"),
        "api-article": client.get(
            f"/api/v1/consultations/{consultation.id}/opinions?article={article.id}"),
        "api-detail": client.get(f"/api/v1/consultations/{consultation.id}"),
        "consultation": client.get(f"/consultations/{consultation.id}"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        text = response.get_data(as_text=True)
        assert HIDDEN not in text, name
        assert PENDING not in text, name
    assert SHOWN in pages["list"].get_data(as_text=True)
    assert SHOWN in pages["article"].get_data(as_text=True)
    api = pages["api"].get_json()
    assert [item["id"] for item in api["items"]] == [shown.id]
    assert api["total"] == 1
    assert [item["id"] for item in pages["api-article"].get_json()["items"]] == [shown.id]
    # Reporting a hidden or pending opinion: it does not exist for the public.
    assert client.get(f"/opinions/{hidden.id}/report").status_code == 404
    assert client.post(f"/opinions/{pending.id}/report",
                       data={"reason": "spam"}).status_code == 404


def test_the_public_sees_the_moderation_log_with_counts_only(client, consultation, three):
    page = client.get(f"/consultations/{consultation.id}/opinions").get_data(as_text=True)
    assert 'aria-labelledby="moderation-log-heading"' in page
    assert "未公开：2" in page
    assert "垃圾信息或广告 1" in page
    assert "待审核：1" in page
    detail = client.get(f"/api/v1/consultations/{consultation.id}").get_json()
    assert detail["moderation_mode"] == "post"
    assert detail["moderation_log"] == {"received": 3, "pending": 1, "not_published": 2,
                                        "hidden_by_reason": {"spam": 1}}


def test_the_receipt_shows_the_moderation_state_now(client, three):
    shown, hidden, pending = three
    for opinion, expected in ((shown, "已公开"), (pending, "待审核"),
                              (hidden, "未公开：垃圾信息或广告")):
        page = client.get(f"/receipts/{opinion.receipt_number}").get_data(as_text=True)
        assert f'<dd class="moderation-state">{expected}</dd>' in page
    response = client.get(f"/receipts/{hidden.receipt_number}")
    assert "no-store" in response.headers.get("Cache-Control", "")


def test_the_public_page_says_which_moderation_applies(client, world):
    catalogue = factories.make_catalogue(world.government)
    post = factories.make_consultation(factories.make_decision(catalogue, world.unit))
    pre = factories.make_consultation(factories.make_decision(catalogue, world.unit),
                                      moderation_mode="pre")
    assert "意见提交后即公开，事后审核" in client.get(
        f"/consultations/{post.id}").get_data(as_text=True)
    page = client.get(f"/consultations/{pre.id}").get_data(as_text=True)
    assert "意见经审核后公开" in page
    assert "意见提交后即公开" not in page


def _report(client, opinion, reason="spam", note=""):
    return client.post(f"/opinions/{opinion.id}/report", data={"reason": reason, "note": note})


def test_reports_hide_an_opinion_pending_review_and_tell_the_moderators(app, consultation,
                                                                        world):
    opinion = submit(consultation, SHOWN, "r")
    visitors = [app.test_client() for _ in range(3)]
    assert visitors[0].get(f"/opinions/{opinion.id}/report").status_code == 200
    assert _report(visitors[0], opinion, "abusive", "骂人").status_code == 302
    # The same visitor (session) cannot report twice.
    again = _report(visitors[0], opinion)
    assert again.status_code == 400
    assert "您已举报过这条意见" in again.get_data(as_text=True)
    assert _report(visitors[1], opinion, "spam").status_code == 302
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).moderation_state == ModerationState.PUBLISHED
    assert _report(visitors[2], opinion, "other", "广告").status_code == 302
    db.session.expire_all()
    stored = db.session.get(Opinion, opinion.id)
    assert stored.moderation_state == ModerationState.PENDING
    assert stored.report_count == 3
    reports = db.session.scalars(sa.select(OpinionReport).where(
        OpinionReport.opinion_id == opinion.id).order_by(OpinionReport.id)).all()
    assert [(r.reason, r.note) for r in reports] == [
        (ModerationReason.ABUSIVE, "骂人"), (ModerationReason.SPAM, None),
        (ModerationReason.OTHER, "广告")]
    assert db.session.get(Consultation, consultation.id).public_opinion_count == 0
    factories.assert_counters_agree()
    told = db.session.scalars(sa.select(OutboxMessage.recipient).where(
        OutboxMessage.dedupe_key.like(f"opinion-reported:{opinion.id}:%"))).all()
    assert told == [world.moderator.email]  # the unit's moderator, once
    assert SHOWN not in visitors[0].get(
        f"/consultations/{consultation.id}/opinions").get_data(as_text=True)


def test_a_signed_in_citizen_reports_once_whatever_the_session(app, client, consultation,
                                                               world):
    opinion = submit(consultation, SHOWN, "r")
    login(client, world.citizen)
    assert _report(client, opinion).status_code == 302
    other = app.test_client()
    login(other, world.citizen)
    assert _report(other, opinion).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(OpinionReport.id))) == 1


def test_a_report_needs_a_reason_from_the_list(client, consultation):
    opinion = submit(consultation, SHOWN, "r")
    for reason in ("", "duplicate", "nonsense"):
        response = _report(client, opinion, reason)
        assert response.status_code == 400, reason
        assert 'id="reason-error"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(OpinionReport.id))) == 0


def test_the_threshold_is_per_government(app, consultation, world):
    db.session.add(ModerationSettings(government_id=world.government.id, report_threshold=1))
    db.session.commit()
    opinion = submit(consultation, SHOWN, "r")
    assert _report(app.test_client(), opinion).status_code == 302
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).moderation_state == ModerationState.PENDING


def _queue(client, world, **args):
    return client.get(f"/admin/governments/{world.government.id}/moderation",
                      query_string=args)


def test_the_queue_shows_what_the_moderator_needs(app, client, consultation, world):
    moderation_words.add_words(world.government, ["发票"])
    db.session.commit()
    flagged = submit(consultation, "出售发票，电话13912345678。", "f")
    reported = submit(consultation, SHOWN, "r")
    moderation_words.settings_for(world.government.id, create=True).report_threshold = 1
    db.session.commit()
    assert _report(app.test_client(), reported, "abusive", "人身攻击").status_code == 302
    login(client, world.moderator)
    page = _queue(client, world).get_data(as_text=True)
    assert f'id="opinion-{flagged.id}"' in page
    assert f'id="opinion-{reported.id}"' in page
    assert "<mark>发票</mark>" in page  # the rule that fired
    assert "人身攻击" in page  # the report
    assert "手机号码" in page  # the personal data found
    assert "13912345678" in page  # moderators see the original text
    assert f'<td>{2}</td>' in page  # the count for the consultation


def test_officials_see_only_the_consultations_they_moderate(client, consultation, world):
    other_moderator = factories.make_official(world.government, Role.MODERATOR,
                                              world.other_unit)
    db.session.commit()
    opinion = submit(consultation, SHOWN, "x")
    set_moderation_state([opinion], "pending")
    db.session.commit()
    login(client, other_moderator)
    page = _queue(client, world).get_data(as_text=True)
    assert f'id="opinion-{opinion.id}"' not in page
    assert _queue(client, world, consultation=consultation.id).status_code == 404
    response = client.post(f"/admin/governments/{world.government.id}/moderation",
                           data={"one": f"{opinion.id}:publish"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Opinion, opinion.id).moderation_state == ModerationState.PENDING
    login(client, world.editor)  # an editor of the unit is not a moderator
    assert _queue(client, world).status_code == 403


def test_moderators_publish_and_hide_one_and_in_bulk(client, consultation, world):
    opinions = [submit(consultation, f"{PENDING}{i}", f"k{i}") for i in range(4)]
    set_moderation_state(opinions, "pending")
    db.session.commit()
    login(client, world.moderator)
    url = f"/admin/governments/{world.government.id}/moderation"
    # Hiding needs a reason: the message is shown beside the fields, nothing changes.
    refused = client.post(url, data={"action": "hide",
                                     "opinion_ids": [opinions[0].id, opinions[1].id]})
    assert refused.status_code == 400
    assert "请选择屏蔽原因" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert {db.session.get(Opinion, o.id).moderation_state for o in opinions} == {
        ModerationState.PENDING}
    done = client.post(url, data={"action": "hide", "reason": "duplicate",
                                  "opinion_ids": [opinions[0].id, opinions[1].id]})
    assert done.status_code == 302
    one = client.post(url, data={"one": f"{opinions[2].id}:publish"})
    assert one.status_code == 302
    other = client.post(url, data={"one": f"{opinions[3].id}:hide",
                                   f"reason-{opinions[3].id}": "other"})
    assert other.status_code == 400
    assert f'id="actions-{opinions[3].id}-error"' in other.get_data(as_text=True)
    assert client.post(url, data={"one": f"{opinions[3].id}:hide",
                                  f"reason-{opinions[3].id}": "other",
                                  f"note-{opinions[3].id}": "与草案无关的宣传"}).status_code == 302
    db.session.expire_all()
    states = [(o.moderation_state, o.moderation_reason, o.moderation_note) for o in
              (db.session.get(Opinion, o.id) for o in opinions)]
    assert states == [
        (ModerationState.HIDDEN, ModerationReason.DUPLICATE, None),
        (ModerationState.HIDDEN, ModerationReason.DUPLICATE, None),
        (ModerationState.PUBLISHED, None, None),
        (ModerationState.HIDDEN, ModerationReason.OTHER, "与草案无关的宣传")]
    assert db.session.get(Consultation, consultation.id).public_opinion_count == 1
    factories.assert_counters_agree()
    hidden_page = _queue(client, world, state="hidden").get_data(as_text=True)
    assert f'id="opinion-{opinions[0].id}"' in hidden_page
    nothing = client.post(url, data={"one": "x:publish"})
    assert nothing.status_code == 400
    assert "请至少选择一条意见" in nothing.get_data(as_text=True)
    assert client.post(url, data={"one": f"{opinions[0].id}:explode"}).status_code == 400


def test_the_queue_pages_with_a_cursor(client, consultation, world):
    opinions = [submit(consultation, f"{PENDING}{i}", f"p{i}") for i in range(53)]
    set_moderation_state(opinions, "pending")
    db.session.commit()
    login(client, world.moderator)
    first = _queue(client, world).get_data(as_text=True)
    assert f'id="opinion-{opinions[-1].id}"' in first
    assert f'id="opinion-{opinions[0].id}"' not in first
    cursor = opinions[3].id
    assert f"cursor={cursor}" in first
    second = _queue(client, world, cursor=cursor).get_data(as_text=True)
    assert f'id="opinion-{opinions[0].id}"' in second
    assert _queue(client, world, cursor="bogus", state="nonsense").status_code == 200


def test_the_dashboard_links_the_queue(client, consultation, world):
    opinion = submit(consultation, SHOWN, "d")
    set_moderation_state([opinion], "pending")
    db.session.commit()
    login(client, world.moderator)
    page = client.get("/admin/").get_data(as_text=True)
    assert f"/admin/governments/{world.government.id}/moderation" in page
    assert "1 条意见待审核" in page
    assert "/sensitive-words" not in page  # administrators only


def test_administrators_manage_the_sensitive_words(client, world):
    login(client, world.admin)
    base = f"/admin/governments/{world.government.id}/sensitive-words"
    assert client.get(base).status_code == 200
    added = client.post(f"{base}/add", data={"words": "赌博\n彩票\n赌博\n"},
                        follow_redirects=True)
    assert "已添加 2 个词" in added.get_data(as_text=True)
    gbk = io.BytesIO("彩票\n代开发票\n".encode("gbk"))
    imported = client.post(f"{base}/import", data={"file": (gbk, "words.txt")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "已添加 1 个词" in imported.get_data(as_text=True)
    assert moderation_words.word_count(world.government.id) == 3
    empty = client.post(f"{base}/add", data={"words": "  \n"})
    assert empty.status_code == 400
    from participation.opinions.moderation_models import SensitiveWord

    word_id = db.session.scalar(sa.select(SensitiveWord.id).where(SensitiveWord.word == "赌博"))
    client.post(f"{base}/remove", data={"word_ids": [word_id, "junk"]})
    assert moderation_words.matched_words(world.government.id, "赌博彩票") == ["彩票"]
    threshold = client.post(f"/admin/governments/{world.government.id}/moderation-settings",
                            data={"report_threshold": "5"})
    assert threshold.status_code == 302
    db.session.expire_all()
    assert db.session.get(ModerationSettings, world.government.id).report_threshold == 5
    bad = client.post(f"/admin/governments/{world.government.id}/moderation-settings",
                      data={"report_threshold": "0"})
    assert bad.status_code == 400
    login(client, world.moderator)
    assert client.get(base).status_code == 403


def test_the_official_chooses_pre_moderation_when_opening(client, world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    db.session.commit()
    login(client, world.approver)
    opens = utcnow() + timedelta(hours=8)
    response = client.post(f"/admin/decisions/{decision.id}/consultations/new", data={
        "title": "测试办法（征求意见稿）", "text": factories.LEGAL_DRAFT,
        "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (opens + timedelta(days=31)).strftime("%Y-%m-%dT%H:%M"),
        "moderation_mode": "pre", "action": "publish"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    consultation = db.session.scalar(sa.select(Consultation).where(
        Consultation.decision_id == decision.id))
    assert consultation.moderation_mode == ModerationMode.PRE
    manage = client.get(f"/admin/consultations/{consultation.id}").get_data(as_text=True)
    assert "先审后发" in manage
    client.post(f"/admin/consultations/{consultation.id}/moderation-mode",
                data={"moderation_mode": "post"})
    db.session.expire_all()
    assert db.session.get(Consultation, consultation.id).moderation_mode == ModerationMode.POST


def test_the_digest_tells_each_moderator_once_per_new_item(consultation, world):
    def digests():
        return db.session.scalars(sa.select(OutboxMessage.recipient).where(
            OutboxMessage.dedupe_key.like("moderation-digest:%"))).all()

    assert send_moderation_digests(utcnow()) == 0
    first = submit(consultation, PENDING, "g1")
    set_moderation_state([first], "pending")
    send_moderation_digests(utcnow())
    assert digests() == [world.moderator.email]
    send_moderation_digests(utcnow())  # level-triggered: nothing new, nothing sent
    send_moderation_digests(utcnow() + timedelta(hours=2))
    assert len(digests()) == 1
    second = submit(consultation, PENDING + "2", "g2")
    set_moderation_state([second], "pending")
    send_moderation_digests(utcnow())
    assert len(digests()) == 2
    set_moderation_state([first, second], "published")
    send_moderation_digests(utcnow())
    assert len(digests()) == 2


def test_officials_pages_show_what_is_not_published(client, consultation, three, world):
    shown, hidden, pending = three
    login(client, world.editor)
    listing = client.get(f"/admin/consultations/{consultation.id}/opinions")
    text = listing.get_data(as_text=True)
    assert HIDDEN in text  # officials see every opinion, marked with its state
    assert PENDING in text
    assert "未公开：2" in text
    assert "垃圾信息或广告 1" in text
    assert '<span class="badge moderation-hidden">已屏蔽</span>' in text
    manage = client.get(f"/admin/consultations/{consultation.id}").get_data(as_text=True)
    assert "未公开：2" in manage
    record = client.get(f"/admin/opinions/{hidden.id}").get_data(as_text=True)
    assert "已屏蔽: 垃圾信息或广告" in record


def test_the_receipt_says_why_a_published_opinion_is_not_shown(client, consultation):
    opinion, _created = opinion_ops.submit_online(
        consultation, body=SHOWN, node_id=None, consent_to_publish=False, display_name=None,
        contact=None, submission_key="private")
    db.session.commit()
    page = client.get(f"/receipts/{opinion.receipt_number}").get_data(as_text=True)
    assert '<dd class="moderation-state">不公开：您未同意公开</dd>' in page

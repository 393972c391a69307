"""Giving opinions online, receipts, public lists with masking, offline records, imports."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.consultations.models import DraftNode
from participation.core.audit import AuditEntry
from participation.core.database import utcnow
from participation.extensions import db
from participation.opinions.models import Channel, ImportState, Opinion
from tests import factories
from tests.conftest import login

RECEIPT = re.compile(r"[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}")


@pytest.fixture
def consultation(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    return factories.make_consultation(decision)


def _article(consultation, ordinal: int) -> DraftNode:
    return db.session.scalar(sa.select(DraftNode).where(
        DraftNode.version_id == consultation.draft_version_id, DraftNode.kind == "article",
        DraftNode.ordinal == ordinal))


def _submit(client, consultation, **data):
    form = {"body": "建议在第二条中明确适用范围，包括镇区和各行政村。", "node_id": "0",
            "consent_to_publish": "y", "display_name": "李女士", "submission_key": "key-1"}
    form.update(data)
    return client.post(f"/consultations/{consultation.id}/opinions/new", data=form)


def test_a_citizen_comments_on_one_article_and_gets_a_receipt(client, consultation):
    article = _article(consultation, 2)
    response = _submit(client, consultation, node_id=str(article.id))
    assert response.status_code == 302
    receipt_url = response.headers["Location"]
    page = client.get(receipt_url).get_data(as_text=True)
    number = RECEIPT.search(page).group(0)
    opinion = db.session.scalar(sa.select(Opinion).where(Opinion.receipt_number == number))
    assert opinion.node_id == article.id
    assert opinion.channel == Channel.ONLINE
    assert article.opinion_count == 1
    assert consultation.opinion_count == 1
    factories.assert_counters_agree()
    # Later, anyone with the number finds its status, without personal data.
    found = client.get(f"/receipts?number={number.lower().replace('-', ' ')}",
                       follow_redirects=True).get_data(as_text=True)
    assert "建议在第二条中明确适用范围" in found
    assert "第二条" in found
    assert "李女士" not in found
    # The article shows its count on the consultation page.
    show = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert f'id="{article.anchor}" data-opinion-count="1"' in show


def test_a_repeated_submission_creates_one_opinion(client, consultation):
    first = _submit(client, consultation, submission_key="same")
    second = _submit(client, consultation, submission_key="same")
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count(Opinion.id))) == 1
    assert consultation.opinion_count == 1
    factories.assert_counters_agree()


def test_bad_input_keeps_what_was_typed(client, consultation):
    response = _submit(client, consultation, body="太短")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="body-error"' in page
    assert "太短" in page
    response = _submit(client, consultation, body="长" * 5001)
    assert response.status_code == 400
    response = _submit(client, consultation, node_id="999999")
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Opinion.id))) == 0


def test_after_closing_the_form_refuses_with_a_clear_message(client, consultation):
    factories.close(consultation)
    response = _submit(client, consultation)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "建议在第二条中明确适用范围" in page  # nothing typed is lost
    assert "closed" in page or "截止" in page or "结束" in page
    assert db.session.scalar(sa.select(sa.func.count(Opinion.id))) == 0


def test_public_list_masks_numbers_and_hides_contacts(client, consultation):
    _submit(client, consultation, body="我的电话13912345678，身份证110101199003071233，请回复。",
            contact="zhang@example.com", submission_key="a")
    _submit(client, consultation, body="这条不同意公开的意见不应出现在公开列表中。",
            consent_to_publish="", submission_key="b")
    _submit(client, consultation, body="匿名发表的意见，不显示姓名。", anonymous="y",
            submission_key="c")
    page = client.get(f"/consultations/{consultation.id}/opinions").get_data(as_text=True)
    assert "139****5678" in page
    assert "13912345678" not in page
    assert "110101199003071233" not in page
    assert "1101**********1233" in page
    assert "zhang@example.com" not in page
    assert "不同意公开" not in page
    assert "匿名发表的意见" in page
    api = client.get(f"/api/v1/consultations/{consultation.id}/opinions").get_json()
    assert api["total"] == 2
    assert all("13912345678" not in item["body"] for item in api["items"])
    assert all("contact" not in item for item in api["items"])


def test_public_list_is_paginated_and_filters_by_article(client, consultation):
    article = _article(consultation, 3)
    for index in range(25):
        _submit(client, consultation, body=f"第{index}条关于第三条的意见，内容足够长。",
                node_id=str(article.id) if index % 5 == 0 else "0", submission_key=f"k{index}")
    page1 = client.get(f"/consultations/{consultation.id}/opinions").get_data(as_text=True)
    next_link = re.search(r'<a rel="next" href="([^"]+)"', page1).group(1)
    page2 = client.get(next_link.replace("&amp;", "&")).get_data(as_text=True)
    assert page1.count('class="opinion"') == 20
    assert page2.count('class="opinion"') == 5
    by_article = client.get(
        f"/consultations/{consultation.id}/opinions?node={article.id}").get_data(as_text=True)
    assert by_article.count('class="opinion"') == 5
    assert client.get(f"/consultations/{consultation.id}/articles/{article.anchor}"
                      ).status_code == 302


def test_opinions_not_public_when_the_consultation_says_so(client, world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision, opinions_public=False)
    _submit(client, consultation)
    page = client.get(f"/consultations/{consultation.id}/opinions").get_data(as_text=True)
    assert "建议在第二条" not in page
    assert client.get(f"/api/v1/consultations/{consultation.id}/opinions").status_code == 403


def test_signed_in_citizens_see_their_own_opinions(client, consultation, world):
    login(client, world.citizen)
    _submit(client, consultation)
    page = client.get("/my/opinions").get_data(as_text=True)
    assert "建议在第二条" in page
    opinion = db.session.scalar(sa.select(Opinion))
    assert opinion.author_id == world.citizen.id


def test_officials_record_offline_opinions_also_late(client, consultation, world):
    login(client, world.moderator)
    factories.close(consultation)
    received = (utcnow() + timedelta(hours=8) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/admin/consultations/{consultation.id}/opinions/new", data={
        "channel": "hotline", "reference": "12345-2026000123", "received_at": received,
        "node_id": "0", "body": "市民来电反映：希望延长过渡期。", "display_name": "",
        "contact": "13800000000"})
    assert response.status_code == 302
    opinion = db.session.scalar(sa.select(Opinion))
    assert opinion.is_late
    assert opinion.channel == Channel.HOTLINE
    assert opinion.recorded_by_id == world.moderator.id
    factories.assert_counters_agree()
    # The same ticket twice is refused beside the field.
    again = client.post(f"/admin/consultations/{consultation.id}/opinions/new", data={
        "channel": "hotline", "reference": "12345-2026000123", "received_at": received,
        "node_id": "0", "body": "重复录入的同一工单内容。"})
    assert again.status_code == 200
    assert 'id="reference-error"' in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Opinion.id))) == 1
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "opinion.recorded"))
    assert entry.actor_id == world.moderator.id


CSV_OK = ("reference,channel,received_at,article,body,name,contact\n"
          "12345-1,热线,2026-03-02 10:00,第二条,希望明确镇区范围。,张先生,13900000000\n"
          "信-1,letter,2026/3/3,,来信建议延长实施过渡期。,,\n")
CSV_BAD = ("reference,channel,received_at,article,body\n"
           "12345-2,热线,2026-03-02,第二条,这一行没有问题。\n"
           "12345-3,飞鸽,2026-03-02,第九十九条,短\n")


def _import(client, consultation, content: str, name="opinions.csv"):
    return factories.import_through_page(client, consultation, content.encode("gbk"), name)


def test_import_all_rows_or_none(client, consultation, world):
    login(client, world.editor)
    response = _import(client, consultation, CSV_BAD)
    assert response.record.state == ImportState.REFUSED
    page = response.get_data(as_text=True)
    assert page.count("<li>") >= 3  # channel, article and body errors on line 3
    assert "第3行" in page
    assert response.record.encoding == "GBK"
    assert db.session.scalar(sa.select(sa.func.count(Opinion.id))) == 0
    response = _import(client, consultation, CSV_OK)
    assert response.record.state == ImportState.IMPORTED
    opinions = db.session.scalars(sa.select(Opinion).order_by(Opinion.id)).all()
    assert [o.channel for o in opinions] == [Channel.HOTLINE, Channel.LETTER]
    assert opinions[0].node.label == "第二条"
    assert opinions[0].contact == "13900000000"
    db.session.refresh(consultation)
    assert consultation.opinion_count == 2
    assert _article(consultation, 2).opinion_count == 1
    factories.assert_counters_agree()
    # Importing the same file again is refused: the references exist.
    assert _import(client, consultation, CSV_OK).record.state == ImportState.REFUSED


def test_import_command_line(runner, consultation, tmp_path):
    path = tmp_path / "hotline.csv"
    path.write_text(CSV_OK, encoding="utf-8")
    result = runner.invoke(args=["opinions", "import", "--consultation", str(consultation.id),
                                 str(path)])
    assert result.exit_code == 0, result.output
    assert "2" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV_BAD, encoding="utf-8")
    result = runner.invoke(args=["opinions", "import", "--consultation", str(consultation.id),
                                 str(bad)])
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count(Opinion.id))) == 2
    factories.assert_counters_agree()

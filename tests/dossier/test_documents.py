"""Dossier documents: editing, publishing, disclosure, attachments served safely."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.database import utcnow
from participation.core.sanitize import document_html
from participation.core.timeutil import utc_to_local
from participation.dossier.models import Document, DocumentState
from participation.extensions import db
from participation.opinions.models import Opinion
from tests import factories
from tests.conftest import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


@pytest.fixture
def decision(world):
    return factories.make_decision(factories.make_catalogue(world.government), world.unit)


def _create(client, decision, **data):
    form = {"kind": "expert_review", "title": "专家论证意见",
            "body_html": '<p>论证结论<script>alert(1)</script></p><p onclick="x">第二段</p>',
            "disclosure": "proactive", "withheld_ground": ""}
    form.update(data)
    return client.post(f"/admin/decisions/{decision.id}/documents/new", data=form)


def test_editors_draft_and_approvers_publish(client, world, decision):
    login(client, world.editor)
    assert _create(client, decision).status_code == 302
    document = db.session.scalar(sa.select(Document))
    assert "<script" not in document.body_html
    assert "onclick" not in document.body_html
    assert client.get(f"/documents/{document.id}").status_code == 200  # internal preview
    assert client.post(f"/admin/documents/{document.id}/publish").status_code == 403
    client.post("/logout")
    assert client.get(f"/documents/{document.id}").status_code == 404
    login(client, world.approver)
    assert client.post(f"/admin/documents/{document.id}/publish").status_code == 302
    assert document.state == DocumentState.PUBLISHED
    client.post("/logout")
    page = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "论证结论" in page
    assert "alert(1)" not in page


def test_withheld_needs_a_ground_and_never_shows(client, world, decision):
    login(client, world.approver)
    response = _create(client, decision, disclosure="withheld")
    assert 'id="withheld_ground-error"' in response.get_data(as_text=True)
    _create(client, decision, disclosure="withheld",
            withheld_ground="《中华人民共和国政府信息公开条例》第十六条")
    document = db.session.scalar(sa.select(Document))
    client.post(f"/admin/documents/{document.id}/publish")
    client.post("/logout")
    assert client.get(f"/documents/{document.id}").status_code == 404
    assert "专家论证意见" not in client.get(f"/decisions/{decision.id}").get_data(as_text=True)
    api = client.get(f"/api/v1/decisions/{decision.id}").get_json()
    assert all(not stage["documents"] for stage in api["stages"])


def test_on_request_documents_show_only_their_title(client, world, decision):
    login(client, world.approver)
    _create(client, decision, disclosure="on_request")
    document = db.session.scalar(sa.select(Document))
    client.post(f"/admin/documents/{document.id}/publish")
    client.post("/logout")
    page = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "专家论证意见" in page
    assert "论证结论" not in page


def test_attachments_are_checked_and_served_safely(client, world, decision):
    login(client, world.approver)
    _create(client, decision)
    document = db.session.scalar(sa.select(Document))
    response = client.post(f"/admin/documents/{document.id}/attachments",
                           data={"file": (io.BytesIO(b"<script>alert(1)</script>"), "x.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert not document.attachments
    client.post(f"/admin/documents/{document.id}/attachments",
                data={"file": (io.BytesIO(PDF), "../../论证报告.pdf")},
                content_type="multipart/form-data")
    attachment = document.attachments[0]
    assert attachment.filename == "论证报告.pdf"
    client.post(f"/admin/documents/{document.id}/publish")
    client.post("/logout")
    with client.get(f"/attachments/{attachment.id}") as response:
        assert response.status_code == 200
        assert response.data == PDF
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert response.headers["Content-Disposition"].startswith("attachment")


def test_attachments_of_unpublished_documents_are_not_public(client, world, decision):
    login(client, world.editor)
    _create(client, decision)
    document = db.session.scalar(sa.select(Document))
    client.post(f"/admin/documents/{document.id}/attachments",
                data={"file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    attachment_id = document.attachments[0].id
    with client.get(f"/attachments/{attachment_id}") as response:
        assert response.status_code == 200
    client.post("/logout")
    assert client.get(f"/attachments/{attachment_id}").status_code == 404


def test_an_opinion_attachment_is_only_for_the_officials(client, world, decision):
    consultation = factories.make_consultation(decision)
    response = client.post(f"/consultations/{consultation.id}/opinions/new", data={
        "body": "附件中是我们村的垃圾收集点照片和建议。", "node_id": "0", "submission_key": "att",
        "attachment": (io.BytesIO(PDF), "照片说明.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302
    opinion = db.session.scalar(sa.select(Opinion))
    assert opinion.attachment_name == "照片说明.pdf"
    url = f"/admin/opinions/{opinion.id}/attachment"
    assert client.get(url).status_code == 302  # to sign in
    login(client, world.other_approver)
    assert client.get(url).status_code == 403
    client.post("/logout")
    login(client, world.moderator)
    with client.get(url) as response:
        assert response.data == PDF


# -- pasted plain text keeps its paragraphs ----------------------------------------------


@pytest.mark.parametrize("separator", ["\n", "\r\n", "\n\n", "\r\n\r\n", "\n \n\n"])
def test_pasted_plain_text_becomes_paragraphs(separator):
    text = separator.join(["一、总体要求", "坚持以人民为中心。", "二、主要任务 <附表>"])
    assert document_html(text) == ("<p>一、总体要求</p>\n<p>坚持以人民为中心。</p>\n"
                                   "<p>二、主要任务 &lt;附表&gt;</p>")


def test_real_html_stays_as_it_was():
    html = "<h2>一、总体要求</h2>\n<p>坚持以人民为中心，\n统筹推进。</p>\n<ul><li>甲</li></ul>"
    assert document_html(html) == html
    assert document_html("<p>只有一段</p>") == "<p>只有一段</p>"
    # Inline markup alone is not HTML with paragraphs: its lines still become paragraphs.
    assert document_html("<strong>重要</strong>通知\n第二行") == (
        "<p><strong>重要</strong>通知</p>\n<p>第二行</p>")


def test_a_pasted_body_shows_its_paragraphs_on_the_public_page(client, world, decision):
    login(client, world.approver)
    _create(client, decision, body_html="第一段：论证结论。\n第二段：专家意见。\n\n第三段：建议。")
    document = db.session.scalar(sa.select(Document))
    client.post(f"/admin/documents/{document.id}/publish")
    client.post("/logout")
    page = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "<p>第一段：论证结论。</p>" in page
    assert "<p>第二段：专家意见。</p>" in page
    assert "<p>第三段：建议。</p>" in page


# -- a published document changes only through an approver, as a public revision --------


def _published(client, world, decision) -> Document:
    login(client, world.approver)
    _create(client, decision, body_html="<p>原始论证结论</p>")
    document = db.session.scalar(sa.select(Document))
    client.post(f"/admin/documents/{document.id}/attachments",
                data={"file": (io.BytesIO(PDF), "论证报告.pdf")},
                content_type="multipart/form-data")
    client.post(f"/admin/documents/{document.id}/publish")
    client.post("/logout")
    return document


def _edit(client, document, **data):
    form = {"kind": "expert_review", "title": "专家论证意见", "body_html": "<p>改写的结论</p>",
            "disclosure": "proactive", "withheld_ground": ""}
    form.update(data)
    return client.post(f"/admin/documents/{document.id}/edit", data=form)


def test_an_editor_cannot_rewrite_a_published_document(client, world, decision):
    document = _published(client, world, decision)
    attachment_id = document.attachments[0].id
    login(client, world.editor)
    page = client.get(f"/admin/documents/{document.id}/edit").get_data(as_text=True)
    assert "只有审核发布人可以修改（包括附件）" in page
    assert "改写的结论" not in page
    response = _edit(client, document)
    assert response.status_code == 403
    assert "本次修改未保存" in response.get_data(as_text=True)
    response = client.post(f"/admin/documents/{document.id}/attachments",
                           data={"file": (io.BytesIO(PDF), "替换.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "本次修改未保存" in response.get_data(as_text=True)
    response = client.post(f"/admin/attachments/{attachment_id}/remove", follow_redirects=True)
    assert "本次修改未保存" in response.get_data(as_text=True)
    db.session.expire_all()
    document = db.session.get(Document, document.id)
    assert document.body_html == "<p>原始论证结论</p>"
    assert [a.filename for a in document.attachments] == ["论证报告.pdf"]
    assert document.revised_at is None
    client.post("/logout")
    public = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "原始论证结论" in public
    assert "修订" not in public


def test_an_editor_still_edits_an_unpublished_document(client, world, decision):
    login(client, world.editor)
    _create(client, decision)
    document = db.session.scalar(sa.select(Document))
    assert _edit(client, document).status_code == 302
    db.session.expire_all()
    assert db.session.get(Document, document.id).body_html == "<p>改写的结论</p>"
    assert db.session.get(Document, document.id).revised_at is None


def test_an_approvers_change_is_recorded_and_shown_as_a_revision(client, world, decision):
    document = _published(client, world, decision)
    login(client, world.approver)
    before = utcnow()
    assert _edit(client, document).status_code == 302
    db.session.expire_all()
    document = db.session.get(Document, document.id)
    assert document.body_html == "<p>改写的结论</p>"
    assert before <= document.revised_at <= utcnow()
    day = utc_to_local(document.revised_at).strftime("%Y-%m-%d")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action
                                                          == "document.revised"))
    assert entry.actor_id == world.approver.id
    client.post("/logout")
    public = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert "改写的结论" in public
    assert f"于{day}修订" in public
    client.set_cookie("locale", "en")
    english = client.get(f"/documents/{document.id}").get_data(as_text=True)
    assert f"Revised on {day}" in english
    assert f"Revised on {day}" in client.get(f"/decisions/{decision.id}").get_data(
        as_text=True)
    api = client.get(f"/api/v1/decisions/{decision.id}").get_json()
    documents = [d for stage in api["stages"] for d in stage["documents"]]
    assert [d["revised_at"] for d in documents if d["id"] == document.id] == [
        document.revised_at.isoformat() + "Z"]


def test_an_approver_changing_attachments_of_a_published_document_revises_it(
        client, world, decision):
    document = _published(client, world, decision)
    attachment_id = document.attachments[0].id
    login(client, world.approver)
    client.post(f"/admin/attachments/{attachment_id}/remove")
    db.session.expire_all()
    document = db.session.get(Document, document.id)
    assert document.attachments == []
    assert document.revised_at is not None
    client.post("/logout")
    assert "修订" in client.get(f"/documents/{document.id}").get_data(as_text=True)

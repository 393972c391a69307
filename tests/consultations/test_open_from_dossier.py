"""Opening a consultation starts from the draft saved in the dossier and previews the
parsed structure before publishing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participation.consultations.draft_source import html_to_lines
from participation.consultations.models import Consultation, DraftNode
from participation.dossier import operations as dossier_ops
from participation.extensions import db
from tests import factories
from tests.conftest import login
from tests.consultations.test_consultation_pages import _period

WITH_TOC_AND_GAP = """青禾镇集市管理办法（征求意见稿）
目　录
第一章　总则
第二章　管理
第一章　总则
第一条　为了规范集市管理，制定本办法。
第二条　本办法适用于本镇行政区域内的集市。
第二章　管理
第四条　集市经营者应当保持场地整洁。
第五条　本办法自发布之日起施行。
"""


@pytest.fixture
def decision(world):
    catalogue = factories.make_catalogue(world.government)
    return factories.make_decision(catalogue, world.unit, title="集市管理办法")


def _form(**data) -> dict:
    form = {"title": "集市管理办法（征求意见稿）", "text": WITH_TOC_AND_GAP,
            "opinions_public": "y", **_period(30)}
    form.update(data)
    return form


def _post(client, decision, **data):
    return client.post(f"/admin/decisions/{decision.id}/consultations/new", data=_form(**data),
                       content_type="multipart/form-data")


def test_html_bodies_become_one_line_per_paragraph():
    html = ("<h2>第一章　总则</h2><p>第一条　为了规范\n集市管理，<strong>制定</strong>本办法。</p>"
            "<ol><li>（一）身份证明；</li><li>（二）经营品种说明。</li></ol>"
            "<p>甲<br>乙 &amp; 丙</p>")
    assert html_to_lines(html).split("\n") == [
        "第一章　总则", "第一条　为了规范集市管理，制定本办法。", "（一）身份证明；",
        "（二）经营品种说明。", "甲", "乙 & 丙"]


def test_the_form_starts_from_the_saved_draft_document(client, world, decision):
    dossier_ops.create_document(decision, {
        "kind": "draft", "title": "集市管理办法（征求意见稿）",
        "body_html": "<p>第一条　为了规范集市管理，制定本办法。</p>"
                     "<p>第二条　摊位申请人应当提交下列材料：</p>"
                     "<p>（一）身份证明；</p><p>（二）经营品种说明。</p>"})
    db.session.commit()
    login(client, world.approver)
    page = client.get(f"/admin/decisions/{decision.id}/consultations/new").get_data(as_text=True)
    textarea = page[page.index('name="text"'):page.index("</textarea>", page.index('name="text"'))]
    assert "第一条　为了规范集市管理，制定本办法。\n第二条　摊位申请人" in textarea
    assert "集市管理办法（征求意见稿）" in page
    text = textarea.split(">", 1)[1].lstrip("\n")
    response = _post(client, decision, text=text, action="publish")
    assert response.status_code == 302
    consultation = db.session.scalar(sa.select(Consultation))
    labels = db.session.scalars(sa.select(DraftNode.label).where(
        DraftNode.version_id == consultation.draft_version_id, DraftNode.kind == "item")
        .order_by(DraftNode.position)).all()
    assert labels == ["（一）", "（二）"]


def test_preview_shows_the_tree_and_warnings_and_publishes_nothing(client, world, decision):
    login(client, world.approver)
    response = _post(client, decision, action="preview")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    preview = page[page.index('class="preview"'):page.index("</section>", page.index(
        'class="preview"'))]
    for label in ("第一章", "第二章", "第一条", "第二条", "第四条", "第五条"):
        assert f"<strong>{label}</strong>" in preview
    assert "检测到目录，已跳过。" in preview
    assert "缺少第三条" in preview
    assert "集市经营者应当保持场地整洁" in page  # the text stays in the form
    assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 0
    assert _post(client, decision, action="publish").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 1


def test_preview_warns_when_no_article_is_found(client, world, decision):
    login(client, world.approver)
    page = _post(client, decision, action="preview",
                 text="各位居民：\n我镇拟对集市进行整治，欢迎提出意见。").get_data(as_text=True)
    assert "未识别出条款或标题" in page
    assert "缺少" not in page
    assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 0


def test_preview_of_a_too_long_text_shows_the_error_only(client, world, decision):
    login(client, world.approver)
    response = _post(client, decision, action="preview", text="第一条　" + "a" * 300_001)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="text-error"' in page
    assert 'class="preview"' not in page

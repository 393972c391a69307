"""In the English interface, Chinese content is marked ``lang="zh-CN"`` and the interface
itself has no Chinese left: every Chinese character on an English page sits inside an
element in Chinese."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from participation.consultations.models import DraftNode
from participation.dossier import operations as dossier_ops
from participation.extensions import db
from participation.opinions import operations as opinion_ops
from tests import factories
from tests.conftest import login

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Text(HTMLParser):
    """The text of a page outside any element marked ``lang="zh-CN"`` (and outside
    ``<title>``, whose language cannot be marked in part)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.outside: list[str] = []
        self.marked = 0

    def _chinese(self) -> bool:
        return any(zh for _tag, zh in self.stack)

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        zh = dict(attrs).get("lang") == "zh-CN" and tag != "html"
        self.marked += zh
        self.stack.append((tag, zh or tag == "title"))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._chinese() and data.strip():
            self.outside.append(data.strip())


def _check(client, url: str) -> _Text:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Text()
    parser.feed(response.get_data(as_text=True))
    leftovers = [text for text in parser.outside if CJK.search(text)]
    assert not leftovers, f"{url}: Chinese outside lang=zh-CN: {leftovers[:10]}"
    return parser


@pytest.fixture
def content(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit, title="农村生活垃圾分类管理办法")
    consultation = factories.make_consultation(decision)
    article = db.session.scalar(sa.select(DraftNode).where(
        DraftNode.version_id == consultation.draft_version_id, DraftNode.kind == "article"))
    opinion, _created = opinion_ops.submit_online(
        consultation, body="建议明确适用范围，包括各行政村。", node_id=article.id,
        consent_to_publish=True, display_name="李女士", contact=None, submission_key="k1")
    document = dossier_ops.create_document(decision, {
        "kind": "background", "title": "制订背景说明", "body_html": "<p>背景正文</p>"})
    dossier_ops.publish_document(document)
    factories.make_decision(catalogue, world.unit, title="后来增列的事项", reason="上级要求增列")
    db.session.commit()
    return {"decision": decision, "consultation": consultation, "article": article,
            "opinion": opinion, "document": document, "catalogue": catalogue}


def test_english_public_pages_mark_chinese_content(client, content):
    client.set_cookie("locale", "en")
    c = content["consultation"]
    for url in ["/", "/catalogue?year=2026", "/catalogue/history?year=2026",
                f"/decisions/{content['decision'].id}", f"/documents/{content['document'].id}",
                "/consultations", f"/consultations/{c.id}/opinions",
                f"/consultations/{c.id}/opinions?node={content['article'].id}",
                f"/consultations/{c.id}/opinions/new?node={content['article'].id}",
                f"/receipts/{content['opinion'].receipt_number}"]:
        parser = _check(client, url)
        assert parser.marked, url


def test_the_official_opinion_list_and_audit_log_in_english(client, world, content):
    client.set_cookie("locale", "en")
    login(client, world.admin)
    _check(client, f"/admin/consultations/{content['consultation'].id}/opinions")
    _check(client, f"/admin/governments/{world.government.id}/audit")


def test_chinese_pages_carry_no_extra_lang_attributes(client, content):
    page = client.get(f"/decisions/{content['decision'].id}").get_data(as_text=True)
    assert page.count('lang="zh-CN"') == 1  # the page itself, nothing but the <html>
    assert '<html lang="zh-CN">' in page


def test_the_confidential_label_is_translated_not_mixed(client, world, content):
    client.set_cookie("locale", "en")
    login(client, world.editor)
    page = client.get(f"/admin/decisions/{content['decision'].id}/edit").get_data(as_text=True)
    assert "Confidential: kept out of the public catalogue" in page
    assert "依法应当保密" not in page

"""An official opens a consultation on a drafting-stage decision from a pasted draft."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from participation.demo.content import GOVERNMENT

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

APPROVER = "approver@qinghe.example.gov.cn"

# A short 办法 in legal style: three chapters, seven articles, one with items.
ARTICLES = [
    ("第一条", "为了规范镇村公共文化设施的开放服务，保障群众基本文化权益，制定本办法。"),
    ("第二条", "本办法适用于本镇综合文化站、村（社区）综合性文化服务中心和农家书屋。"),
    ("第三条", "公共文化设施每周开放时间不少于四十二小时，节假日应当错时开放。"),
    ("第四条", "公共文化设施应当免费提供下列服务："),
    ("第五条", "镇综合文化站应当每季度组织一次送文化下村活动。"),
    ("第六条", "镇人民政府每年对公共文化设施的开放情况进行检查，结果向社会公布。"),
    ("第七条", "本办法自印发之日起施行。"),
]
CHAPTERS = {1: "第一章　总则", 3: "第二章　开放服务", 6: "第三章　管理监督"}
ITEMS = ["（一）图书报刊借阅；", "（二）文艺培训和讲座；", "（三）群众文体活动场地。"]


def _draft() -> str:
    lines = ["青禾镇公共文化设施开放管理办法（征求意见稿）", ""]
    for number, (label, text) in enumerate(ARTICLES, start=1):
        if number in CHAPTERS:
            lines += [CHAPTERS[number], ""]
        lines.append(f"{label}　{text}")
        if number == 4:
            lines += ITEMS
        lines.append("")
    return "\n".join(lines)


def _local(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _decision_with_open_link(page) -> str:
    """From the work area, the manage page of a drafting-stage decision the official can
    consult on (a withdrawn one has no such link); returns its path."""
    links = page.locator('main li:has(.badge.stage-drafting) a[href*="/admin/decisions/"]')
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs, "the work area lists no decision in the drafting stage"
    for href in hrefs:
        page.goto(href)
        if page.locator('main a[href$="/consultations/new"]').count():
            return href
    pytest.fail(f"none of {hrefs} offers to open a consultation")


def test_official_opens_a_consultation_from_a_pasted_draft(new_context, log_in):
    page = new_context().new_page()
    log_in(page, APPROVER)
    assert re.search(r"/admin/$", page.url), page.url

    decision_path = _decision_with_open_link(page)
    decision_id = re.search(r"/admin/decisions/(\d+)$", decision_path).group(1)
    decision_title = page.locator("main h1").inner_text().strip()
    page.locator('main a[href$="/consultations/new"]').click()
    page.wait_for_url(re.compile(rf"/admin/decisions/{decision_id}/consultations/new$"))

    assert decision_title in page.locator("#title").input_value()
    opens = _local(page.locator("#opens_at").input_value())
    closes = _local(page.locator("#closes_at").input_value())
    assert closes - opens == timedelta(days=30)
    page.locator("#text").fill(_draft())
    # Preview first: the same form comes back with the parsed articles, nothing published.
    page.locator('main form button[value="preview"]').click()
    page.wait_for_load_state()
    tree = page.locator(".preview .preview-tree")
    assert tree.locator(".preview-article").count() == len(ARTICLES)
    assert page.locator("#text").input_value().strip() == _draft().strip()
    page.locator('main form button[value="publish"]').click()
    page.wait_for_url(re.compile(r"/admin/consultations/\d+$"))
    consultation_id = re.search(r"/admin/consultations/(\d+)$", page.url).group(1)
    public_path = f"/consultations/{consultation_id}"
    assert page.locator(f'main a[href="{public_path}"]').count() >= 1

    # The decision moved on to public consultation and lists the new consultation.
    page.goto(decision_path)
    assert page.locator("main dl.facts .badge.stage-public_consultation").count() == 1
    assert page.locator(f'main a[href="/admin/consultations/{consultation_id}"]').count() == 1

    # Anyone can read the draft, article by article, and see how to take part.
    visitor = new_context().new_page()
    response = visitor.goto(public_path)
    assert response is not None
    assert response.status == 200
    assert visitor.locator(".draft .node-article").count() == len(ARTICLES)
    for number, (label, text) in enumerate(ARTICLES, start=1):
        article = visitor.locator(f"#article-{number}")
        assert "node-article" in (article.get_attribute("class") or "")
        assert article.locator(".article-label").inner_text().strip() == label
        assert text in article.inner_text()
        comment = article.locator(f'a[href*="/consultations/{consultation_id}/opinions/new?node="]')
        assert comment.count() == 1
    for number in range(1, len(CHAPTERS) + 1):
        assert visitor.locator(f"section.node-chapter#chapter-{number}").count() == 1
    assert visitor.locator("#article-4 .item").count() == len(ITEMS)

    ways = visitor.locator("section.how-to")
    assert ways.locator(f'a[href="{public_path}/opinions/new"]').count() == 1
    assert ways.locator("li").count() >= 4
    ways_text = ways.inner_text()
    for value in (GOVERNMENT["postal_address"], GOVERNMENT["email"], GOVERNMENT["hotline"]):
        assert value in ways_text

    visitor.goto("/")
    assert visitor.locator(f'.card h3 a[href="{public_path}"]').count() == 1

"""A citizen comments on one article of the open demo draft and finds it by receipt number."""

from __future__ import annotations

import re
import secrets
import string
from urllib.parse import urlsplit

import pytest

from participation.consultations.outline import iter_nodes, parse_outline
from participation.demo.content import OPEN_DRAFT

RECEIPT_RE = re.compile(r"[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}")
CONSULTATION_URL_RE = re.compile(r"/consultations/\d+$")
RECEIPT_URL_RE = re.compile(r"/receipts/[2-9A-HJ-NP-Z-]+(\?.*)?$")
# Longer than the server's SQLite busy timeout (30 s), so a lock shows as a failed response.
SUBMIT_TIMEOUT_MS = 45_000

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]


def _marker() -> str:
    """Letters only, so the personal-data masking never touches the text."""
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(12))


def _first_number(text: str) -> int:
    match = re.search(r"\d+", text)
    assert match, f"no number in {text!r}"
    return int(match.group())


def _goto(page, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, (path, response.status)


def _open_demo_consultation(page) -> str:
    """From the home page, follow the open demo consultation; return its path."""
    _goto(page, "/")
    page.locator(".card h3 a", has_text=OPEN_DRAFT["title"]).click()
    page.wait_for_url(CONSULTATION_URL_RE)
    return urlsplit(page.url).path


def _article_opinion_count(page, anchor: str) -> int:
    count = page.locator(f"#{anchor} .node-actions .opinion-count")
    return _first_number(count.inner_text())


def _submit(page, server, status: int) -> None:
    """Send the opinion form and check the status of the POST's own response."""
    with page.expect_response(
        lambda r: "/opinions/new" in r.url and r.request.method == "POST",
        timeout=SUBMIT_TIMEOUT_MS,
    ) as info:
        page.locator("#opinion-form button[type=submit]").click(timeout=SUBMIT_TIMEOUT_MS)
    response = info.value
    assert response.status == status, (
        f"POST {response.url} answered {response.status}, expected {status}; "
        f"server log:\n{server.log_tail()}")
    page.wait_for_load_state()


def _receipt_number(page) -> str:
    """The number in the receipt page's address, also shown on the page."""
    page.wait_for_url(RECEIPT_URL_RE)
    number = urlsplit(page.url).path.rsplit("/", 1)[1]
    assert RECEIPT_RE.fullmatch(number), number
    shown = RECEIPT_RE.search(page.locator(".receipt-number").inner_text())
    assert shown, page.locator(".receipt-number").inner_text()
    assert shown.group() == number
    return number


def test_citizen_comments_on_an_article_and_finds_it_by_receipt(new_context, live_server):
    page = new_context().new_page()
    consultation_path = _open_demo_consultation(page)

    articles = page.locator(".draft .node-article")
    expected = [n for n in iter_nodes(parse_outline(OPEN_DRAFT["text"])) if n.kind == "article"]
    assert articles.count() == len(expected)
    article = articles.nth(4)
    anchor = article.get_attribute("id")
    assert anchor == expected[4].anchor
    label = article.locator(".article-label").inner_text().strip()
    assert label == expected[4].label
    before = _article_opinion_count(page, anchor)

    comment = article.locator('.node-actions a[href*="/opinions/new?node="]')
    node_id = re.search(r"node=(\d+)", comment.get_attribute("href")).group(1)
    comment.click()
    page.wait_for_url(re.compile(r"/opinions/new\?node=\d+$"))
    form_url = page.url
    assert page.locator("#node_id").input_value() == node_id

    # Too short: the form comes back (400) with the error beside the body and the text kept.
    page.locator("#body").fill("太短")
    page.locator("#consent_to_publish").check()
    _submit(page, live_server, 400)
    assert page.url == form_url
    body_field = page.locator(".field:has(#body)")
    assert body_field.locator("#body-error").is_visible()
    assert body_field.locator("#body-error").inner_text().strip()
    assert "body-error" in (page.locator("#body").get_attribute("aria-describedby") or "")
    assert page.locator("#body").get_attribute("aria-invalid") == "true"
    assert page.locator("#body").input_value() == "太短"
    assert page.locator("#node_id").input_value() == node_id
    assert page.locator("#consent_to_publish").is_checked()

    text = f"建议{label}明确分类收集容器的更换周期，并在村务公开栏公示。编号{_marker()}"
    page.locator("#body").fill(text)
    _submit(page, live_server, 302)
    number = _receipt_number(page)
    assert text in page.locator(".opinion").inner_text()
    assert label in page.locator("dl.facts").inner_text()

    # Another visitor (no shared cookies) looks the number up.
    visitor = new_context().new_page()
    _goto(visitor, "/receipts")
    search = visitor.locator("main form[role=search]")
    search.locator("#number").fill(number)
    search.locator("button[type=submit]").click()
    visitor.wait_for_url(re.compile(rf"/receipts/{re.escape(number)}$"))
    assert _receipt_number(visitor) == number
    assert text in visitor.locator(".opinion").inner_text()
    assert label in visitor.locator("dl.facts").inner_text()

    page.goto(consultation_path)
    assert _article_opinion_count(page, anchor) == before + 1


def test_opinion_form_works_without_javascript(new_context, live_server):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/")
    card = page.locator(".card", has=page.locator("h3 a", has_text=OPEN_DRAFT["title"]))
    card.locator('a[href$="/opinions/new"]').click()
    page.wait_for_url(re.compile(r"/consultations/\d+/opinions/new$"))
    assert page.locator("#node_id").input_value() == "0"

    option = page.locator("#node_id option").nth(3)
    page.locator("#node_id").select_option(option.get_attribute("value"))
    option_label = option.inner_text().strip()
    text = f"没有脚本也能提交意见。{_marker()}"
    page.locator("#body").fill(text)
    page.locator("#anonymous").check()
    _submit(page, live_server, 302)
    _receipt_number(page)
    assert text in page.locator(".opinion").inner_text()
    article_label = option_label.split()[0]
    assert article_label in page.locator("dl.facts").inner_text()

"""Citizens report an opinion until it is held for review; the moderator hides it with a
reason in the queue (keyboard and no JavaScript); it is gone from the public list and
the public moderation log counts it."""

from __future__ import annotations

import re
import secrets
import string

import pytest

from participation.demo.content import OPEN_DRAFT
from tests.browser.test_browser_accessibility import UNLABELLED_CONTROLS

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

MODERATOR = "moderator@qinghe.example.gov.cn"
REPORTS_NEEDED = 3  # the default threshold of the demo town
SPAM = "垃圾信息或广告"


def _marker() -> str:
    return "".join(secrets.choice(string.ascii_uppercase) for _ in range(12))


def _spam_count(page) -> int:
    """How many opinions the public moderation log counts as hidden for spam."""
    text = page.locator("section.moderation-log").inner_text()
    match = re.search(rf"{SPAM}\s*(\d+)", text)
    return int(match.group(1)) if match else 0


def test_a_reported_opinion_is_hidden_by_the_moderator(new_context, live_server, log_in):
    citizen = new_context().new_page()
    citizen.goto("/")
    card = citizen.locator(".card", has=citizen.locator("h3 a", has_text=OPEN_DRAFT["title"]))
    card.locator('a[href$="/opinions/new"]').click()
    citizen.wait_for_url(re.compile(r"/consultations/\d+/opinions/new$"))
    consultation_id = re.search(r"/consultations/(\d+)/", citizen.url).group(1)
    text = f"请登录某网站领取补贴，这是一条广告。编号{_marker()}"
    citizen.locator("#body").fill(text)
    citizen.locator("#consent_to_publish").check()
    citizen.locator("#opinion-form button[type=submit]").click()
    citizen.wait_for_url(re.compile(r"/receipts/"))
    receipt_path = citizen.url.split("?")[0].replace(live_server.url, "")

    list_path = f"/consultations/{consultation_id}/opinions"
    citizen.goto(list_path)
    opinion = citizen.locator("article.opinion", has_text=text)
    assert opinion.count() == 1
    spam_before = _spam_count(citizen)

    # Three visitors (three sessions) report it, without JavaScript.
    for number in range(REPORTS_NEEDED):
        visitor = new_context(java_script_enabled=False).new_page()
        visitor.goto(list_path)
        visitor.locator("article.opinion", has_text=text).locator("a.report-link").click()
        visitor.wait_for_url(re.compile(r"/opinions/\d+/report$"))
        assert visitor.evaluate(UNLABELLED_CONTROLS) == []
        visitor.get_by_label(SPAM).check()
        visitor.locator("#note").fill(f"第{number + 1}位举报人")
        visitor.locator("main form button[type=submit]").click()
        visitor.wait_for_url(re.compile(rf"{re.escape(list_path)}$"))
        assert visitor.locator(".flash-success").count() == 1

    # Held for review: gone from the public list already.
    citizen.goto(list_path)
    assert citizen.locator("article.opinion", has_text=text).count() == 0
    citizen.goto(receipt_path)
    assert citizen.locator("dd.moderation-state").inner_text().strip() == "待审核"

    # The moderator finds it from the work area and hides it, from the keyboard.
    moderator = new_context(java_script_enabled=False).new_page()
    log_in(moderator, MODERATOR)
    moderator.locator('main a[href*="/moderation"]').first.click()
    moderator.wait_for_url(re.compile(r"/admin/governments/\d+/moderation"))
    assert moderator.evaluate(UNLABELLED_CONTROLS) == []
    assert moderator.locator("main").count() == 1
    item = moderator.locator("article.moderation-item", has_text=text)
    assert item.count() == 1
    assert item.locator(".reports li").count() == REPORTS_NEEDED
    item_id = item.get_attribute("id").removeprefix("opinion-")
    select = moderator.locator(f"#reason-{item_id}")
    select.focus()
    select.select_option("spam")
    hide = item.locator(f'button[value="{item_id}:hide"]')
    hide.focus()
    with moderator.expect_navigation():  # the POST, then the redirect back to the queue
        moderator.keyboard.press("Enter")
    assert moderator.locator(".flash-success").count() == 1
    assert moderator.locator("article.moderation-item", has_text=text).count() == 0

    citizen.goto(list_path)
    assert citizen.locator("article.opinion", has_text=text).count() == 0
    assert _spam_count(citizen) == spam_before + 1
    citizen.goto(receipt_path)
    assert citizen.locator("dd.moderation-state").inner_text().strip() == f"未公开：{SPAM}"


def test_an_administrator_adds_sensitive_words_that_hold_opinions(new_context, log_in):
    admin = new_context(java_script_enabled=False).new_page()
    log_in(admin, "admin@qinghe.example.gov.cn")
    admin.locator('main a[href$="/sensitive-words"]').first.click()
    admin.wait_for_url(re.compile(r"/admin/governments/\d+/sensitive-words$"))
    assert admin.evaluate(UNLABELLED_CONTROLS) == []
    word = f"违禁词{_marker()}"
    admin.locator("#words").fill(f"{word}\n{word}\n")
    with admin.expect_navigation():
        admin.locator("main form:has(#words) button[type=submit]").click()
    assert "已添加 1 个词" in admin.locator(".flash-success").inner_text()

    citizen = new_context().new_page()
    citizen.goto("/")
    card = citizen.locator(".card", has=citizen.locator("h3 a", has_text=OPEN_DRAFT["title"]))
    card.locator('a[href$="/opinions/new"]').click()
    citizen.wait_for_url(re.compile(r"/consultations/\d+/opinions/new$"))
    # Full-width and lower case still match the word.
    import unicodedata

    typed = "".join(chr(ord(c) + 0xFEE0) if "A" <= c <= "Z" else c for c in word).lower()
    assert unicodedata.normalize("NFKC", typed).casefold() == word.casefold()
    text = f"这条意见含有{typed}，应当等待审核。"
    citizen.locator("#body").fill(text)
    citizen.locator("#consent_to_publish").check()
    citizen.locator("#opinion-form button[type=submit]").click()
    citizen.wait_for_url(re.compile(r"/receipts/"))
    assert citizen.locator("dd.moderation-state").inner_text().strip() == "待审核"

    moderator = new_context(java_script_enabled=False).new_page()
    log_in(moderator, MODERATOR)
    moderator.locator('main a[href*="/moderation"]').first.click()
    item = moderator.locator("article.moderation-item", has_text="应当等待审核")
    assert word.casefold() in item.locator(".fired-rules").inner_text().casefold()

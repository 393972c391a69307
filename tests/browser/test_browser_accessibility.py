"""Accessibility smoke test of the public pages, and no request leaves the server."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from participation.demo.content import OPEN_DRAFT

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

# Form controls a visitor fills in that have no accessible name from a <label> or ARIA.
UNLABELLED_CONTROLS = """
() => Array.from(document.querySelectorAll("input, select, textarea"))
  .filter((el) => !["hidden", "submit", "button", "reset", "image"]
    .includes((el.getAttribute("type") || "").toLowerCase()))
  .filter((el) => {
    const labelled = Array.from(el.labels || []).some((l) => l.textContent.trim());
    const aria = (el.getAttribute("aria-label") || "").trim()
      || (el.getAttribute("aria-labelledby") || "").split(/\\s+/)
        .some((id) => id && document.getElementById(id));
    return !labelled && !aria;
  })
  .map((el) => el.outerHTML.slice(0, 160))
"""


def _check_page(page, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, path
    assert page.evaluate(UNLABELLED_CONTROLS) == [], path
    assert page.locator("main").count() == 1, path
    assert page.locator("h1").count() == 1, path
    assert (page.locator("html").get_attribute("lang") or "").strip(), path


def test_public_pages_are_labelled_and_stay_on_the_server(new_context, live_server):
    context = new_context()
    hosts: set[str] = set()

    def record(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss"):
            hosts.add(parts.hostname or "")

    context.on("request", record)
    page = context.new_page()

    _check_page(page, "/")
    card = page.locator(".card", has=page.locator("h3 a", has_text=OPEN_DRAFT["title"]))
    consultation_path = card.locator("h3 a").get_attribute("href")
    form_path = card.locator('a[href$="/opinions/new"]').get_attribute("href")
    assert re.fullmatch(r"/consultations/\d+", consultation_path)
    assert form_path == f"{consultation_path}/opinions/new"

    for path in ("/catalogue", consultation_path, form_path, "/receipts", "/login"):
        _check_page(page, path)
    page.goto(consultation_path)
    article_form = page.locator('.node-article a[href*="/opinions/new?node="]').first
    _check_page(page, article_form.get_attribute("href"))

    assert hosts == {urlsplit(live_server.url).hostname}, hosts

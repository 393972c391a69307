"""At 390 px: one header row with a menu that opens without JavaScript, the catalogue as
cards; and the error summary takes the focus when a form comes back with errors."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]


def test_narrow_screens_get_a_menu_and_catalogue_cards(new_context, live_server):
    page = new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False
                       ).new_page()
    page.goto("/catalogue")
    header = page.locator(".site-header").bounding_box()
    assert header["height"] < 90  # one row
    assert not page.locator(".main-nav").is_visible()
    summary = page.locator("details.menu > summary")
    assert summary.is_visible()
    assert not page.locator(".menu-nav").get_by_role("link", name="征求意见").is_visible()
    summary.click()
    assert page.locator(".menu-nav").get_by_role("link", name="征求意见").is_visible()
    # Cards: each row a block as wide as the page, the cells with their labels.
    row = page.locator("table.catalogue tbody tr").first
    assert row.evaluate("el => getComputedStyle(el).display") == "block"
    cell = row.locator("td[data-label]").first
    assert cell.evaluate("el => getComputedStyle(el, '::before').content").strip('"')
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    wide = new_context(viewport={"width": 1280, "height": 800}).new_page()
    wide.goto("/catalogue")
    assert wide.locator(".main-nav").is_visible()
    assert not wide.locator("details.menu").is_visible()


def test_the_error_summary_takes_the_focus(new_context, live_server):
    page = new_context().new_page()
    page.goto("/login")
    page.locator("main form:has(#identifier) button[type=submit]").click()
    page.wait_for_load_state()
    # autofocus is applied once the page is shown; give a busy machine a moment.
    page.wait_for_function(
        "document.activeElement && document.activeElement.classList.contains('error-summary')",
        timeout=10_000)
    page.locator(".error-summary a[href='#identifier']").click()
    assert page.evaluate("document.activeElement.id") == "identifier"

"""An official classifies opinions with a learned suggestion and bulk-disposes a filtered
selection in the classification workspace."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import _flask, _server_environment

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

APPROVER = "approver@qinghe.example.gov.cn"


def _consultation_id(page) -> str:
    page.goto("/admin/")
    href = page.locator('main a[href^="/admin/consultations/"][href$="/opinions"]').first \
        .get_attribute("href")
    return re.search(r"/admin/consultations/(\d+)/", href).group(1)


def _matching(page) -> int:
    return int(re.search(r"[\d,]+", page.locator("#matching").inner_text()).group()
               .replace(",", ""))


def _bulk_all(page, action: str, **fields: str) -> int:
    """Run a bulk action on everything the current filter matches; the confirmation
    shows the count first. Returns the count confirmed."""
    page.select_option("#action", action)
    for field, value in fields.items():
        if field == "reason":
            page.fill("#reason", value)
        else:
            page.select_option(f"#{field}", value)
    page.check("#scope-1")
    page.locator("fieldset.bulk-actions button[type=submit]").click()
    confirm = page.locator("#confirm-all")
    confirm.wait_for()
    count = int(re.search(r"\d+", confirm.locator("strong").inner_text()).group())
    with page.expect_navigation():
        confirm.locator("button[name=confirmed]").click()
    return count


def test_official_classifies_with_a_suggestion_and_bulk_disposes(
        new_context, log_in, live_server):
    page = new_context().new_page()
    log_in(page, APPROVER)
    consultation_id = _consultation_id(page)
    workspace = f"/admin/consultations/{consultation_id}/workspace"

    page.goto(f"/admin/consultations/{consultation_id}/topics")
    page.locator("button[value=defaults]").click()
    page.wait_for_load_state()
    assert page.locator("table.topics tbody tr").count() >= 7

    # Label two channels' opinions (the labels the suggestions learn from).
    page.goto(workspace)
    topic_options = page.locator("#topic_id option")
    names = [topic_options.nth(i).get_attribute("value") for i in range(topic_options.count())]
    topic_ids = [n for n in names if n]
    page.goto(f"{workspace}?channel=hotline")
    labelled = _bulk_all(page, "topic", topic_id=topic_ids[0])
    page.goto(f"{workspace}?channel=letter")
    labelled += _bulk_all(page, "topic", topic_id=topic_ids[1])
    page.goto(f"{workspace}?channel=letter")
    _bulk_all(page, "stance", stance_value="suggestion")
    page.goto(f"{workspace}?channel=hotline")
    _bulk_all(page, "stance", stance_value="question")
    assert labelled >= 10

    # Retrain in the background, and let a worker run the task.
    page.goto(workspace)
    page.locator("form[action$='/suggestions/train'] button").click()
    page.wait_for_url(re.compile(r"/admin/tasks/\d+"))
    _flask(["jobs", "worker", "--once"], _server_environment(live_server.database_url))

    # A suggestion is shown with its confidence, not applied; accepting it makes it a label.
    page.goto(f"{workspace}?topic=none")
    button = page.locator("button[name=accept_one]").first
    opinion_id = button.get_attribute("value")
    row = page.locator(f"#opinion-{opinion_id}")
    assert "%" in row.locator(".suggestion").first.inner_text()
    suggested = row.locator(".suggestion span").first.inner_text()
    button.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")  # usable from the keyboard
    page.goto(f"/admin/opinions/{opinion_id}/classify")
    assert page.locator("#topic_id option:checked").inner_text().strip() == suggested
    assert page.locator(".suggestion").count() == 0  # answered

    # Bulk-dispose a filtered selection: every symposium opinion not disposed yet.
    page.goto(f"{workspace}?channel=symposium&disposition=none")
    expected = _matching(page)
    assert expected > 0
    confirmed = _bulk_all(page, "disposition", disposition_value="not_adopted",
                          reason="与上位法规定不一致，不予采纳。")
    assert confirmed == expected
    page.goto(f"{workspace}?channel=symposium&disposition=not_adopted")
    assert _matching(page) == expected
    page.goto(f"{workspace}?channel=symposium&disposition=none")
    assert _matching(page) == 0


ADMIN = "admin@qinghe.example.gov.cn"
EXPLAINED = "该意见涉及的问题已在起草说明中予以解释。"
GROUP_REASON = "已在第三条中明确开放时间。"


def test_official_finishes_dispositions_and_publishes_the_report_found_by_receipt(
        new_context, log_in, live_server):
    """Issue 7: an official gives every opinion and concentrated opinion of a closed
    consultation its disposition, reviews the generated report, approves it; a citizen
    finds the disposition through the receipt number. (After the workspace test above:
    both work on the demo town of one live server.)"""
    import sqlalchemy as sa

    engine = sa.create_engine(live_server.database_url)
    with engine.connect() as connection:
        consultation_id, receipt = connection.execute(sa.text(
            "SELECT c.id, o.receipt_number FROM consultation c"
            " JOIN opinion o ON o.consultation_id = c.id"
            " WHERE c.closes_at < CURRENT_TIMESTAMP AND o.moderation_state = 'published'"
            " ORDER BY c.id, o.id LIMIT 1")).one()
    engine.dispose()
    page = new_context().new_page()
    log_in(page, ADMIN)
    workspace = f"/admin/consultations/{consultation_id}/workspace"
    page.goto(f"{workspace}?disposition=none")
    if _matching(page):
        _bulk_all(page, "disposition", disposition_value="explained", reason=EXPLAINED)
    page.goto(f"{workspace}?disposition=none")
    assert _matching(page) == 0
    # Every concentrated opinion gets its disposition and reason on its group's page.
    page.goto(f"/admin/consultations/{consultation_id}/groups?concentrated=1")
    links = page.locator("main table.opinion-groups tbody tr.concentrated a")
    for href in [links.nth(i).get_attribute("href") for i in range(links.count())]:
        page.goto(href)
        form = page.locator('main form[action$="/disposition"]')
        form.locator("#disposition").select_option("adopted")
        form.locator("#reason").fill(GROUP_REASON)
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
    # The generated report: nothing blocks it; the approval publishes it.
    page.goto(f"/admin/consultations/{consultation_id}/feedback-report")
    assert page.locator("main .notice.warning").count() == 0
    assert page.locator("main svg[role=img]").count() >= 3
    with page.expect_navigation():
        page.locator("main button", has_text="审核并公开").click()
    assert page.url.endswith(f"/consultations/{consultation_id}/feedback-report")
    assert page.locator("main h1").inner_text() == "意见采纳情况反馈"
    # A citizen (another browser) looks the opinion up by its receipt number.
    citizen = new_context().new_page()
    citizen.goto(f"/receipts/{receipt}")
    assert citizen.locator("main .disposition").inner_text() == "予以解释说明"
    assert EXPLAINED in citizen.locator("main .disposition-reason").inner_text()

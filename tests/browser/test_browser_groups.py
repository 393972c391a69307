"""An official merges two groups of opinions into a concentrated opinion and gives its
reason (issue 6, section 8)."""

from __future__ import annotations

import json
import re
import secrets

import pytest
import sqlalchemy as sa

from tests.browser.conftest import _flask, _server_environment

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

APPROVER = "approver@qinghe.example.gov.cn"
FIRST = "建议第三条明确文化站晚间开放到二十一点，方便上班族在下班后使用阅览室和活动室。"
SECOND = "上班族白天没有时间，希望文化站周末和晚上都开放，阅览室至少开到晚上九点。"
REASON = "开放时间已延长至每晚二十一点，周末照常开放。"


def _import_opinions(live_server, tmp_path) -> int:
    """Six offline opinions in two groups of three (copies with other punctuation)."""
    engine = sa.create_engine(live_server.database_url)
    with engine.connect() as connection:
        consultation_id = connection.scalar(sa.text(
            "SELECT id FROM consultation ORDER BY opens_at DESC, id LIMIT 1"))
    engine.dispose()
    tag = secrets.token_hex(3)
    rows = ["reference,channel,received_at,article,body,name,contact,consent_to_publish"]
    for n, body in enumerate([FIRST, FIRST.replace("，", " "), FIRST + "！",
                              SECOND, SECOND.replace("，", "、"), SECOND + "。。"]):
        rows.append(f"G{tag}{n},12345热线,2026-03-12 14:3{n},,{body},,,是")
    path = tmp_path / "groups.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _flask(["opinions", "import", "--allow-duplicates", "--consultation",
            str(consultation_id), str(path)], _server_environment(live_server.database_url))
    return consultation_id


def test_an_official_merges_two_groups_into_a_concentrated_opinion(live_server, page, log_in,
                                                                   tmp_path):
    consultation_id = _import_opinions(live_server, tmp_path)
    log_in(page, APPROVER)
    page.goto(f"/admin/consultations/{consultation_id}/groups")
    first = page.locator("main table.opinion-groups tbody tr", has_text=FIRST[:12])
    second = page.locator("main table.opinion-groups tbody tr", has_text=SECOND[:12])
    assert first.count() == 1
    assert second.count() == 1
    # Three opinions each: not yet concentrated (the threshold is five).
    assert first.locator(".concentrated-badge").count() == 0
    first.locator("input[name=group_ids]").check()
    second.locator("input[name=group_ids]").check()
    page.locator('main form[action$="/groups/merge"] button[type=submit]').click()
    page.wait_for_url(re.compile(r"/admin/groups/\d+$"))
    group_id = int(re.search(r"/admin/groups/(\d+)$", page.url).group(1))
    assert page.locator("main .concentrated-badge").count() == 1
    assert page.locator("main table.group-members tbody tr").count() == 6
    # A concentrated opinion needs a reason, even when adopted.
    form = page.locator('main form[action$="/disposition"]')
    form.locator("#disposition").select_option("adopted")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("main #reason-error").count() == 1
    form = page.locator('main form[action$="/disposition"]')
    form.locator("#disposition").select_option("partially_adopted")
    form.locator("#reason").fill(REASON)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/admin/groups/{group_id}$"))
    assert page.locator("main #reason").input_value() == REASON
    # The public API lists it; its disposition and reason become public with the
    # feedback report.
    page.goto(f"/api/v1/consultations/{consultation_id}/concentrated-opinions")
    body = json.loads(page.locator("body").inner_text())
    (listed,) = [item for item in body["items"] if item["id"] == group_id]
    assert (listed["opinion_count"], listed["disposition"], listed["reason"]) == (
        6, None, None)

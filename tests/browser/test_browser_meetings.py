"""Issue 8's story in Chromium: an official announces seats; people apply; one is found
ineligible with a reason; the lottery is drawn; the kit verifies (and fails when
altered); a selected representative withdraws and the first reserve takes the seat; the
roll is taken; a statement becomes an opinion and appears with its disposition in the
published feedback report."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import timedelta

import pytest

from tests.browser.conftest import BIN, ROOT, _server_environment

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

APPROVER = "approver@qinghe.example.gov.cn"
DECISION_TITLE = "青禾镇禾溪河流域水环境综合治理方案（2026—2028年）"
PUBLIC_VALUE = "双色球第2026150期 02 09 14 21 27 33 + 12"
REASON = "报名时未提供本镇常住证明。"
STATEMENT = "建议治理方案公开各村分段责任人名单，并每季度通报水质。"
DISPOSITION_REASON = "分段责任人名单将公开，水质按月通报。"


# The setup a page cannot do (a closed consultation) and time passing run in a child
# process on the live server's database, so no connection lives in the test process.
SETUP = """
import json, sys
from datetime import timedelta
import sqlalchemy as sa
from participation import create_app
from participation.catalogue.models import Decision
from participation.consultations import operations as consultation_ops
from participation.core.database import utcnow
from participation.core.timeutil import utc_to_local
from participation.extensions import db
from participation.meetings.models import OpenCall

with create_app().app_context():
    now = utcnow()
    if sys.argv[1] == "prepare":
        decision = db.session.scalar(sa.select(Decision).where(Decision.title == sys.argv[2]))
        consultation = consultation_ops.open_consultation(decision, {
            "title": "禾溪河流域水环境综合治理方案（征求意见稿）",
            "text": "第一条　为治理禾溪河流域水环境，制定本方案。\\n第二条　各村负责本村河段。",
            "opens_at": now - timedelta(days=40), "closes_at": now + timedelta(days=1),
            "short_period_reason": ""})
        consultation_ops.close_early(consultation, "已完成意见征集")
        ids = [decision.id, decision.unit_id, consultation.id]
    else:  # the window closes and the draw's day comes
        call = db.session.scalars(sa.select(OpenCall).where(
            OpenCall.meeting_id == int(sys.argv[2]))).one()
        call.opens_at = now - timedelta(days=6)
        call.closes_at = now - timedelta(minutes=1)
        call.draw_on = utc_to_local(now).date()
        ids = []
    db.session.commit()
    print(json.dumps(ids))
"""


def _setup(live_server, *args: str) -> list[int]:
    result = subprocess.run([str(BIN / "python"), "-c", SETUP, *args], cwd=ROOT,
                            env=_server_environment(live_server.database_url),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _prepare_decision(live_server) -> tuple[int, int, int]:
    """The demo's river decision with a consultation that closed early; returns the
    decision's, its unit's and the consultation's ids."""
    decision_id, unit_id, consultation_id = _setup(live_server, "prepare", DECISION_TITLE)
    return decision_id, unit_id, consultation_id


def _time_passes(live_server, meeting_id: int) -> None:
    """The application window closes and the draw's day comes."""
    _setup(live_server, "time", str(meeting_id))


def _local(delta: timedelta) -> str:
    from participation.core.database import utcnow
    from participation.core.timeutil import utc_to_local

    return utc_to_local(utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


def _submit(page, form_selector: str) -> None:
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").first.click()


def _verify(kit_path, live_server) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "meetings", "verify-draw", str(kit_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_server_environment(live_server.database_url),
        timeout=120,
        check=False,
    )


def test_seats_applications_lottery_withdrawal_roll_and_statement(
    new_context, log_in, live_server, tmp_path
):
    decision_id, unit_id, consultation_id = _prepare_decision(live_server)
    official = new_context().new_page()
    log_in(official, APPROVER)

    # The official schedules the meeting and puts the decision on its agenda.
    official.goto(f"/admin/units/{unit_id}/meetings/new")
    official.fill("#title", "青禾镇人民政府第16次常务会议")
    official.check("#kind-0")
    official.fill("#starts_at", _local(timedelta(days=20)))
    official.fill("#place", "镇政府三楼会议室")
    _submit(official, "main form")
    meeting_id = re.search(r"/admin/meetings/(\d+)", official.url).group(1)
    manage = f"/admin/meetings/{meeting_id}"
    agenda = official.locator(f'form[action="{manage}/agenda"]')
    agenda.locator("#decision_id").select_option(str(decision_id))
    agenda.locator("#invite_representatives-0").check()
    agenda.locator("#invite_reason").fill("涉及沿河群众切身利益。")
    _submit(official, f'form[action="{manage}/agenda"]')
    material = official.locator('form[action$="/materials"]')
    material.locator("select[name$='-kind']").select_option("participation_summary")
    material.locator("select[name$='-object_id']").select_option(str(consultation_id))
    _submit(official, 'form[action$="/materials"]')
    assert "征求意见情况汇总" in official.locator("section.agenda-item").inner_text()

    # Seats and the open call, announced with the lottery's commitment.
    official.fill("#seats_citizen", "1")
    _submit(official, f'form[action="{manage}/seats"]')
    call = f'form[action="{manage}/open-call"]'
    official.fill(f"{call} #opens_at", _local(timedelta(minutes=-5)))
    official.fill(f"{call} #closes_at", _local(timedelta(days=5)))
    official.fill(f"{call} #eligibility", "禾溪河沿岸各村常住居民。")
    official.check(f"{call} #selection_method-0")
    official.fill(f"{call} #public_value_source", "中国福利彩票双色球第2026150期开奖号码")
    official.fill(f"{call} #draw_on", _local(timedelta(days=6))[:10])
    _submit(official, call)
    _submit(official, f'form[action="{manage}/open-call/announce"]')
    commitment = official.locator("code.commitment").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", commitment)

    # People apply on the public page; each gets a receipt.
    receipts = {}
    for name, phone in (
        ("陈秀英", "13700003001"),
        ("杨国强", "13700003002"),
        ("马丽", "13700003003"),
    ):
        visitor = new_context().new_page()
        visitor.goto(f"/meetings/{meeting_id}")
        assert commitment in visitor.locator("main").inner_text()
        visitor.click("text=报名列席")
        visitor.fill("#name", name)
        visitor.fill("#contact", phone)
        visitor.fill("#statement_of_interest", "家住禾溪河边。")
        visitor.fill("#conflict_declaration", "无")
        visitor.check("#consent")
        _submit(visitor, "main form")
        assert "您的报名已收到" in visitor.locator("main").inner_text()
        receipts[name] = (
            visitor.locator("#receipt-number").inner_text(),
            visitor.locator("#public-code").inner_text(),
        )

    # The review: one is not eligible, with a reason the applicant sees.
    official.goto(manage)
    for name, (_receipt, code) in receipts.items():
        row = official.locator(f'tr[data-code="{code}"]')
        eligible = name != "马丽"
        row.locator(f"input[name=eligible][value={'yes' if eligible else 'no'}]").check()
        if not eligible:
            row.locator("input[name=reason]").fill(REASON)
        with official.expect_navigation():
            row.locator(".review-form button").click()
    applicant = new_context().new_page()
    applicant.goto(f"/meeting-applications/{receipts['马丽'][0]}")
    assert REASON in applicant.locator("main .eligibility-reason").inner_text()

    # The draw, after the window: the kit verifies, and fails when altered.
    _time_passes(live_server, int(meeting_id))
    official.goto(manage)
    official.fill("#public_value", PUBLIC_VALUE)
    _submit(official, f'form[action="{manage}/draw"]')
    result = new_context().new_page()
    result.goto(f"/meetings/{meeting_id}/draw")
    assert "验证材料核验通过" in result.locator("main .verification").inner_text()
    assert "sha256sum" in result.locator("main pre.procedure").inner_text()
    kit = result.request.get(f"/meetings/{meeting_id}/verification-kit.json").json()
    assert kit["commitment"] == commitment
    kit_path = tmp_path / "kit.json"
    kit_path.write_text(json.dumps(kit, ensure_ascii=False), encoding="utf-8")
    checked = _verify(kit_path, live_server)
    assert checked.returncode == 0, checked.stderr
    for alter in ("secret", "result"):
        altered = json.loads(json.dumps(kit))
        if alter == "secret":  # not the secret committed to
            altered["secret"] = ("0" if kit["secret"][0] != "0" else "1") + kit["secret"][1:]
        else:  # the selected and the reserve swapped
            citizens = altered["result"]["citizen"]
            citizens["selected"], citizens["reserve"] = citizens["reserve"], citizens["selected"]
        kit_path.write_text(json.dumps(altered, ensure_ascii=False), encoding="utf-8")
        refused = _verify(kit_path, live_server)
        assert refused.returncode == 1, alter
        assert "MISMATCH" in refused.stderr
    selected = result.locator("td.selected-codes code").inner_text()
    reserve = result.locator("td.reserve-codes code").first.inner_text()
    assert {selected, reserve} == {receipts["陈秀英"][1], receipts["杨国强"][1]}

    # The selected representative withdraws: the first of the reserve list takes the seat.
    official.goto(manage)
    with official.expect_navigation():
        official.locator(f'tr[data-code="{selected}"] form[action$="/withdraw"] button').click()
    result.goto(f"/meetings/{meeting_id}")
    assert f"{reserve}" in result.locator("ul.reserve-fills").inner_text()
    assert result.locator("td.selected-codes").inner_text().strip() == reserve

    # The roll: the new representative checks in by code, the other is marked by hand.
    official.goto(manage)
    code = official.locator(f'table.roll tr[data-code="{reserve}"] td code').nth(1).inner_text()
    official.fill("#code", code)
    _submit(official, f'form[action="{manage}/check-in"]')
    withdrawn_row = official.locator(f'table.roll tr[data-code="{selected}"]')
    withdrawn_row.locator("select").select_option("absent")
    with official.expect_navigation():
        withdrawn_row.locator("button").click()
    assert (
        official.locator(f'table.roll tr[data-code="{reserve}"] .attendance-value')
        .inner_text()
        .startswith("出席")
    )
    with official.expect_navigation():
        official.locator(f'form[action="{manage}/held"] button').click()
    assert official.locator(".meeting-state").inner_text().startswith("已召开")
    attendance = new_context().new_page()
    attendance.goto(f"/meetings/{meeting_id}/attendance")
    assert "出席" in attendance.locator(f'tr[data-code="{reserve}"]').inner_text()

    # A statement becomes an opinion, classified in the workspace, published in the report.
    official.goto(manage)
    statement_form = official.locator(f'form[action="{manage}/statements"]')
    entry = statement_form.locator("#entry_id option", has_text=reserve).get_attribute("value")
    statement_form.locator("#entry_id").select_option(entry)
    statement_form.locator("#body").fill(STATEMENT)
    _submit(official, f'form[action="{manage}/statements"]')
    official.goto(f"/admin/consultations/{consultation_id}/workspace")
    row = official.locator("tr", has_text=STATEMENT[:10])
    with official.expect_navigation():
        row.locator("a").first.click()
    official.select_option("#disposition", "partially_adopted")
    official.fill("#reason", DISPOSITION_REASON)
    with official.expect_navigation():
        official.locator("main form button[type=submit]").last.click()
    official.goto(f"/admin/consultations/{consultation_id}/feedback-report")
    assert official.locator("main .notice.warning").count() == 0
    with official.expect_navigation():
        official.locator("main button", has_text="审核并公开").click()
    report = new_context().new_page()
    report.goto(f"/consultations/{consultation_id}/feedback-report")
    section = report.locator("#representatives").locator("xpath=..")
    text = section.inner_text()
    assert STATEMENT in text
    assert "部分采纳" in text
    assert DISPOSITION_REASON in text
    # The decision's dossier links the meeting and its attendance.
    report.goto(f"/decisions/{decision_id}")
    assert report.locator(f'a[href="/meetings/{meeting_id}/attendance"]').count() == 1

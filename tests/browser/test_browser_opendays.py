"""An open day from end to end in Chromium: an organizer creates and publishes it; two
citizens take the last place and the waitlist; a cancellation promotes the waitlisted
person, who is notified; check-in at the desk by code, twice; the questionnaire answer
appears as an opinion."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from participation.core.timeutil import LOCAL_ZONE

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

ORGANIZER = "wuqian@qinghe.example.gov.cn"  # editor of 经济发展办公室 in the demo town
CITIZEN = "13800001001"
VISITOR_MOBILE = "13900009999"


def _local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def _log_text(live_server) -> str:
    return live_server.log_path.read_text(errors="replace")


def _wait_for_message(live_server, pattern: str) -> re.Match:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        match = re.search(pattern, _log_text(live_server))
        if match:
            return match
        time.sleep(0.2)
    raise AssertionError(f"no message matching {pattern!r}")


def test_an_open_day_from_signup_to_questionnaire(new_context, log_in, live_server):
    title = f"浏览器测试开放日{int(time.time())}"
    now = datetime.now(LOCAL_ZONE).replace(tzinfo=None, second=0, microsecond=0)
    organizer = new_context().new_page()
    log_in(organizer, ORGANIZER)
    organizer.goto("/admin/open-days")
    organizer.get_by_role("link", name=re.compile("新建开放日")).first.click()
    organizer.fill("#title", title)
    organizer.fill("#theme", "营商环境")
    organizer.fill("#starts_at", _local(now + timedelta(days=3)))
    organizer.fill("#ends_at", _local(now + timedelta(days=3, hours=2)))
    organizer.fill("#place", "政务服务中心")
    organizer.fill("#capacity", "1")
    organizer.fill("#companions_allowed", "0")
    organizer.fill("#signup_opens_at", _local(now - timedelta(hours=1)))
    organizer.fill("#signup_closes_at", _local(now + timedelta(days=2)))
    organizer.locator("main form button[type=submit]").click()
    organizer.wait_for_url(re.compile(r"/admin/open-days/\d+$"))
    admin_path = organizer.url.split(live_server.url)[-1]
    open_day_id = int(admin_path.rsplit("/", 1)[-1])
    organizer.get_by_role("button", name="发布").click()
    organizer.wait_for_url(re.compile(r"/admin/open-days/\d+$"))

    # A signed-in citizen takes the last place.
    citizen = new_context().new_page()
    log_in(citizen, CITIZEN)
    citizen.goto("/open-days")
    citizen.get_by_role("link", name=title).click()
    assert "剩余 1 个名额" in citizen.content()
    citizen.get_by_role("link", name="报名").click()
    citizen.locator("main form button[type=submit]").click()
    citizen.wait_for_url(re.compile(r"/open-days/signups/"))
    assert "已确认" in citizen.content()
    assert citizen.locator("svg").count() >= 1  # the QR code
    citizen_page = citizen.url.split("?")[0]

    # A visitor with a mobile number joins the waitlist.
    visitor = new_context().new_page()
    visitor.goto(f"/open-days/{open_day_id}")
    assert "已满：可加入候补" in visitor.content()
    visitor.get_by_role("link", name="加入候补").click()
    visitor.fill("#name", "赵大爷")
    visitor.fill("#mobile", VISITOR_MOBILE)
    visitor.locator("main form button[type=submit]").click()
    visitor.wait_for_url(re.compile(r"/signup/verify$"))
    code = _wait_for_message(live_server, rf"Message to {VISITOR_MOBILE}: .*?(\d{{6}})").group(1)
    visitor.fill("#code", code)
    visitor.locator("main form button[type=submit]").click()
    visitor.wait_for_url(re.compile(r"/open-days/signups/"))
    assert "候补中" in visitor.content()
    visitor_page = visitor.url.split("?")[0]
    # Nobody else sees who waits.
    assert (
        "赵大爷"
        not in new_context().new_page().goto(f"{live_server.url}/open-days/{open_day_id}").text()
    )

    # The citizen cancels: the visitor is promoted and told.
    citizen.goto(citizen_page)
    citizen.get_by_role("button", name="取消报名").click()
    citizen.wait_for_url(citizen_page)
    assert "已取消" in citizen.content()
    _wait_for_message(live_server, rf"Message to {VISITOR_MOBILE}: 有名额空出")
    visitor.goto(visitor_page)
    assert "已确认" in visitor.content()
    signup_code = visitor.locator("[data-code]").inner_text().strip()

    # The desk checks the visitor in by code, twice.
    organizer.goto(f"/admin/open-days/{open_day_id}/desk")
    organizer.fill("#code", signup_code.lower())
    organizer.get_by_role("button", name="签到", exact=True).click()
    organizer.wait_for_load_state()
    assert "已签到：赵大爷" in organizer.content()
    organizer.fill("#code", signup_code)
    organizer.get_by_role("button", name="签到", exact=True).click()
    organizer.wait_for_load_state()
    assert re.search(r"已于 \d\d:\d\d 由 \S+ 签到：赵大爷", organizer.content())

    # The day is over: the questionnaire goes out, the answer becomes an opinion.
    engine = sa.create_engine(live_server.database_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE open_day SET starts_at = :s, ends_at = :e, signup_opens_at = :o, "
                "signup_closes_at = :c WHERE id = :id"
            ),
            {
                "s": datetime(2026, 1, 5, 1),
                "e": datetime(2026, 1, 5, 3),
                "o": datetime(2026, 1, 1),
                "c": datetime(2026, 1, 4),
                "id": open_day_id,
            },
        )
    engine.dispose()
    organizer.goto(admin_path)
    organizer.get_by_role("button", name="向到场人员发送问卷").click()
    organizer.wait_for_url(re.compile(r"/admin/open-days/\d+$"))
    link = _wait_for_message(live_server, r"(/open-days/signups/[\w-]+/questionnaire)").group(1)
    visitor.goto(link)
    visitor.get_by_label("满意", exact=True).check()
    visitor.get_by_label("座谈交流").check()
    visitor.fill("#open_answer", "建议开放日增加周末场次，方便上班族参加。")
    visitor.get_by_label("同意公开我的意见（显示姓名）").check()
    visitor.get_by_role("button", name="提交问卷").click()
    visitor.wait_for_load_state()
    assert "谢谢！已收到您的问卷。" in visitor.content()
    organizer.goto(admin_path)
    assert "建议开放日增加周末场次，方便上班族参加。" in organizer.content()
    public = new_context().new_page()
    public.goto(f"/open-days/{open_day_id}")
    assert "建议开放日增加周末场次，方便上班族参加。" in public.content()

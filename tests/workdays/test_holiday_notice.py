"""Entering a year from the State Council's notice: the pasted text becomes dates that
the administrator checks, and inconsistencies are listed instead of stored."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.workdays import add_working_days
from participation.core.workdays.models import CalendarDay, CalendarYear
from participation.core.workdays.notice import parse_notice
from participation.core.workdays.seed import package_schedule
from participation.extensions import db
from tests.conftest import login

# The 2026 notice (国办发明电〔2025〕7号) as published, full-width characters included.
NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
"""

# A 2027 notice in the same form (invented for the test: 2027 is not yet published).
NOTICE_2027 = """一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（周六）至14日（周日）放假调休，共9天。2月20日（周六）上班。
三、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
"""


def test_the_2026_notice_reads_exactly_as_the_package_knows_2026(app):
    parsed = parse_notice(NOTICE_2026)
    assert parsed.year == 2026
    assert parsed.problems == []
    assert [h.name for h in parsed.holidays] == [
        "元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]
    assert parsed.days() == package_schedule()[2026]


def test_inconsistencies_are_listed_not_guessed(app):
    text = ("一、元旦：1月1日（周三）至3日（周六）放假调休，共4天。1月5日（周一）上班。\n"
            "二、春节：2月15日至23日放假调休，共9天。")
    parsed = parse_notice(text, 2026)
    problems = " ".join(parsed.problems)
    assert "2026-01-01" in problems
    assert "周三" in problems
    assert "4" in problems
    assert "3" in problems
    assert "2026-01-05" in problems
    assert "应为周六或周日" in problems
    assert not parsed.ok


def test_text_without_numbered_paragraphs_is_refused_with_an_example(app):
    parsed = parse_notice("元旦放假三天", 2027)
    assert not parsed.ok
    assert "一、元旦" in parsed.problems[0]


def test_a_range_into_the_next_month_and_the_year_from_the_title(app):
    parsed = parse_notice("国务院办公厅关于2025年部分节假日安排的通知\n"
                          "七、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。"
                          "9月28日（周日）、10月11日（周六）上班。")
    assert parsed.year == 2025
    assert parsed.problems == []
    assert parsed.holidays[0].days_off[-1] == date(2025, 10, 8)
    assert parsed.holidays[0].workdays == [date(2025, 9, 28), date(2025, 10, 11)]


def _post_notice(client, world, **extra):
    data = {"source": "国办发明电〔2026〕9号", "notice_text": NOTICE_2027, "year": "2027"}
    data.update(extra)
    return client.post(f"/admin/governments/{world.government.id}/workdays/new", data=data)


def test_an_administrator_previews_then_stores_a_year_and_deadlines_use_it(client, world):
    login(client, world.admin)
    preview = _post_notice(client, world, preview="1")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "2027-02-20" in page
    assert "保存此安排" in page
    assert db.session.get(CalendarYear, 2027) is None     # nothing stored by a preview

    stored = _post_notice(client, world, confirm="1")
    assert stored.status_code == 302
    year = db.session.get(CalendarYear, 2027)
    assert year.source == "国办发明电〔2026〕9号"
    assert year.entered_by_id == world.admin.id
    assert db.session.get(CalendarDay, date(2027, 2, 20)).kind == "workday"
    # 2026-12-20 + 10 working days: nine in December, 1–3 January off, then Monday 4th.
    assert add_working_days(date(2026, 12, 20), 10) == date(2027, 1, 4)
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "workdays.year_added")).one()
    assert entry.government_id == world.government.id
    assert entry.changes["workdays"] == 3


def test_a_known_year_is_replaced_only_when_asked(client, world):
    login(client, world.admin)
    response = _post_notice(client, world, confirm="1", year="2026",
                            notice_text=NOTICE_2026)
    assert response.status_code == 200
    assert "已保存（来源：chinese-calendar" in response.get_data(as_text=True)
    assert db.session.get(CalendarYear, 2026).source.startswith("chinese-calendar")
    response = _post_notice(client, world, confirm="1", year="2026", notice_text=NOTICE_2026,
                            replace="y")
    assert response.status_code == 302
    assert db.session.get(CalendarYear, 2026).source == "国办发明电〔2026〕9号"
    assert add_working_days(date(2026, 9, 28), 10) == date(2026, 10, 16)


def test_a_notice_with_problems_is_not_stored_and_says_why_beside_the_text(client, world):
    login(client, world.admin)
    response = _post_notice(client, world, confirm="1",
                            notice_text=NOTICE_2027.replace("共9天", "共8天"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "8" in page
    assert "未能完整识别" in page
    assert "通知写共8天" in page
    assert db.session.get(CalendarYear, 2027) is None


def test_only_administrators_enter_years(client, world):
    login(client, world.approver)
    response = _post_notice(client, world, confirm="1")
    assert response.status_code in (403, 404)
    assert db.session.get(CalendarYear, 2027) is None


def test_the_administrators_are_alerted_once_when_next_year_is_missing(app, world):
    from participation.accounts.calendar import _missing_year_job
    from participation.core.outbox import OutboxMessage

    _missing_year_job(__import__("datetime").datetime(2026, 10, 20, 2, 0))
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0  # too early
    for _ in range(2):
        _missing_year_job(__import__("datetime").datetime(2026, 11, 20, 2, 0))
    messages = db.session.scalars(sa.select(OutboxMessage)).all()
    assert [m.recipient for m in messages] == [world.admin.email]
    assert "2027" in messages[0].subject

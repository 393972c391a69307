"""The officials' dashboard lists the feedback reports of their units that are due:
due date, working days left or "overdue since", and the link to the report editor."""

from __future__ import annotations

from datetime import date

from participation.extensions import db
from participation.feedback import operations as feedback_ops
from tests.conftest import login
from tests.feedback.conftest import at, dispose_all


def _dashboard(client, user, day: date) -> str:
    with at(day):
        login(client, user)
        page = client.get("/admin/")
        client.post("/logout")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_unit_sees_its_report_due_with_the_working_days_left_and_the_editor_link(
    client, world, timeline
):
    consultation = timeline["consultation"]
    page = _dashboard(client, world.editor, date(2026, 10, 13))
    assert "待公开的意见采纳情况反馈" in page
    assert timeline["decision"].title in page
    assert "2026-10-16" in page
    assert "还剩3个工作日" in page  # 14, 15, 16 October
    assert f'href="/admin/consultations/{consultation.id}/feedback-report"' in page
    on_the_day = _dashboard(client, world.approver, date(2026, 10, 16))
    assert "今日到期" in on_the_day


def test_an_overdue_report_says_since_when(client, world, timeline):
    page = _dashboard(client, world.approver, date(2026, 10, 19))
    assert "自2026-10-17起逾期" in page
    assert "还剩" not in page


def test_other_units_and_published_reports_are_not_listed(client, world, timeline):
    other = _dashboard(client, world.other_approver, date(2026, 10, 13))
    assert timeline["decision"].title not in other
    assert "待公开的意见采纳情况反馈" not in other
    dispose_all(timeline)
    with at(date(2026, 10, 14)):
        feedback_ops.publish(timeline["consultation"], actor=world.approver)
        db.session.commit()
    page = _dashboard(client, world.approver, date(2026, 10, 14))
    assert "待公开的意见采纳情况反馈" not in page


def test_the_closed_consultation_s_management_page_links_to_the_report_editor(
    client, world, timeline
):
    consultation = timeline["consultation"]
    with at(date(2026, 10, 13)):
        login(client, world.approver)
        page = client.get(f"/admin/consultations/{consultation.id}").get_data(as_text=True)
    assert f'href="/admin/consultations/{consultation.id}/feedback-report"' in page

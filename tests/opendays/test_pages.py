"""The open-day pages as people use them: the public list and detail with places left,
signing up (signed in, or by mobile number with a code), the private page, the .ics file,
and the organizer's list, exports, sheet and desk."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from participation.extensions import db
from participation.open_days import operations
from participation.open_days.models import OpenDay, Signup, SignupState
from tests import factories
from tests.conftest import login
from tests.opendays.factories import make_open_day, open_day_values, sign_up


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_the_public_pages_show_places_left_then_full(client, world):
    open_day = make_open_day(world, capacity=2)
    db.session.commit()
    assert "剩余 2 个名额" in _page(client.get("/open-days"))
    sign_up(open_day, 1, companions=1)
    waiting = sign_up(open_day, 2)
    db.session.commit()
    page = _page(client.get(f"/open-days/{open_day.id}"))
    assert "已满：可加入候补" in page
    # Waitlisted people never appear publicly: no names, no numbers.
    assert waiting.name not in page
    assert waiting.mobile not in page
    assert "市民1" not in _page(client.get("/open-days"))


def test_a_draft_open_day_is_not_public(client, world):
    open_day = make_open_day(world, publish=False)
    db.session.commit()
    assert client.get(f"/open-days/{open_day.id}").status_code == 404
    assert client.get(f"/open-days/{open_day.id}/calendar.ics").status_code == 404


def test_the_calendar_file(client, world):
    open_day = make_open_day(world)
    db.session.commit()
    response = client.get(f"/open-days/{open_day.id}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    text = _page(response)
    assert "BEGIN:VEVENT" in text
    assert "营商环境政府开放日" in text
    assert "DTSTART:" in text
    assert "LOCATION:" in text


def test_a_signed_in_citizen_signs_up_and_sees_code_and_qr(client, world):
    open_day = make_open_day(world)
    db.session.commit()
    login(client, world.citizen)
    form = _page(client.get(f"/open-days/{open_day.id}/signup"))
    assert "您的职业" in form
    response = client.post(
        f"/open-days/{open_day.id}/signup",
        data={"name": "王秀兰", "companions": "1", "answer_q1": "教师", "needs": "需要轮椅"},
    )
    assert response.status_code == 302
    signup = db.session.scalar(sa.select(Signup).where(Signup.open_day_id == open_day.id))
    assert signup.user_id == world.citizen.id
    assert signup.companions == 1
    assert signup.answers == {"q1": "教师", "q2": ""}
    assert signup.needs == "需要轮椅"
    page = _page(client.get(response.headers["Location"]))
    assert signup.code in page
    assert "<svg" in page
    assert "已确认" in page
    again = client.post(
        f"/open-days/{open_day.id}/signup",
        data={"name": "王秀兰", "companions": "0", "answer_q1": "教师"},
    )
    assert again.status_code == 400
    assert "您已报名" in _page(again)


def test_a_visitor_signs_up_with_a_mobile_number_and_code(client, world):
    open_day = make_open_day(world)
    db.session.commit()
    response = client.post(
        f"/open-days/{open_day.id}/signup",
        data={"name": "赵大爷", "mobile": "13900007777", "companions": "0", "answer_q1": "退休"},
    )
    assert response.status_code == 302
    assert "/signup/verify" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count(Signup.id))) == 0
    destination, code = factories.last_code()
    assert destination == "13900007777"
    page = _page(client.get(f"/open-days/{open_day.id}/signup/verify"))
    assert "139****7777" in page
    wrong = client.post(f"/open-days/{open_day.id}/signup/verify", data={"code": "12345x"})
    assert wrong.status_code == 200
    assert "验证码不正确" in _page(wrong)
    done = client.post(f"/open-days/{open_day.id}/signup/verify", data={"code": code})
    assert done.status_code == 302
    signup = db.session.scalar(sa.select(Signup))
    assert signup.mobile == "13900007777"
    assert signup.state == SignupState.CONFIRMED
    assert signup.token in done.headers["Location"]


def test_the_private_page_cancels_and_promotes(client, world):
    open_day = make_open_day(world, capacity=1)
    first = sign_up(open_day, 1)
    waiting = sign_up(open_day, 2)
    db.session.commit()
    page = _page(client.get(f"/open-days/signups/{waiting.token}"))
    assert "候补" in page
    assert waiting.code not in page
    response = client.post(f"/open-days/signups/{first.token}/cancel")
    assert response.status_code == 302
    db.session.expire_all()
    assert first.state == SignupState.CANCELLED
    assert waiting.state == SignupState.CONFIRMED
    page = _page(client.get(f"/open-days/signups/{waiting.token}"))
    assert waiting.code in page
    assert "放弃名额" in page
    assert client.get("/open-days/signups/not-a-token").status_code == 404


def test_changing_companions_on_the_private_page(client, world):
    open_day = make_open_day(world, capacity=3)
    first = sign_up(open_day, 1, companions=2)
    waiting = sign_up(open_day, 2)
    db.session.commit()
    client.post(f"/open-days/signups/{first.token}/companions", data={"companions": "1"})
    db.session.expire_all()
    assert first.companions == 1
    assert waiting.state == SignupState.CONFIRMED
    client.post(f"/open-days/signups/{first.token}/companions", data={"companions": "9"})
    db.session.expire_all()
    assert first.companions == 1


def test_an_organizer_creates_publishes_and_sees_the_list(client, world):
    login(client, world.editor)
    values = open_day_values()
    data = {k: v for k, v in values.items() if not k.endswith("_at")}
    for name in ("starts_at", "ends_at", "signup_opens_at", "signup_closes_at"):
        data[name] = (values[name] + __import__("datetime").timedelta(hours=8)).strftime(
            "%Y-%m-%dT%H:%M"
        )
    data.update(unit_id=world.unit.id, decision_id=0)
    response = client.post(f"/admin/governments/{world.government.id}/open-days/new", data=data)
    assert response.status_code == 302, _page(response)[:2000]
    open_day = db.session.scalar(sa.select(OpenDay))
    assert open_day.capacity == 3
    assert open_day.questions[0] == {"key": "q1", "label": "您的职业", "required": True}
    client.post(f"/admin/open-days/{open_day.id}/publish")
    db.session.expire_all()
    assert open_day.is_public
    sign_up(open_day, 1, needs="听力不便")
    db.session.commit()
    page = _page(client.get(f"/admin/open-days/{open_day.id}"))
    assert "市民1" in page
    assert "13900000001" in page
    assert "听力不便" in page
    assert "退休" in page


def test_exports_and_the_sign_in_sheet(client, world):
    open_day = make_open_day(world)
    sign_up(open_day, 1)
    operations.sign_up(open_day, name="=HYPERLINK(1)", mobile="13900000002", answers={"q1": "x"})
    db.session.commit()
    login(client, world.editor)
    csv_text = _page(client.get(f"/admin/open-days/{open_day.id}/signups.csv"))
    assert "市民1" in csv_text
    assert "13900000001" in csv_text
    assert "'=HYPERLINK" in csv_text
    xlsx = client.get(f"/admin/open-days/{open_day.id}/signups.xlsx").data
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.cell(row=2, column=2).value == "市民1"
    sheet_page = _page(client.get(f"/admin/open-days/{open_day.id}/sign-in-sheet"))
    assert "市民1" in sheet_page
    assert "签名" in sheet_page


def test_the_desk_checks_in_by_code_twice_harmlessly(client, world):
    open_day = make_open_day(world)
    signup = sign_up(open_day, 1, companions=1)
    db.session.commit()
    login(client, world.moderator)
    response = client.post(
        f"/admin/open-days/{open_day.id}/desk",
        data={"code": signup.code.lower()},
        follow_redirects=True,
    )
    assert "已签到：市民1" in _page(response)
    again = client.post(
        f"/admin/open-days/{open_day.id}/desk", data={"code": signup.code}, follow_redirects=True
    )
    assert re.search(r"已于 \d\d:\d\d 由 \S+ 签到", _page(again))
    unknown = client.post(f"/admin/open-days/{open_day.id}/desk", data={"code": "ZZZZZZ"})
    assert unknown.status_code == 400
    assert "没有签到码为 ZZZZZZ" in _page(unknown)
    client.post(f"/admin/open-days/{open_day.id}/walk-ins", data={"people": "3", "name": ""})
    page = _page(client.get(f"/admin/open-days/{open_day.id}"))
    assert 'data-figure="checked-in">1<' in page
    assert "3人" in page


def test_the_desk_works_without_javascript_and_loads_only_our_script(client, world):
    open_day = make_open_day(world)
    db.session.commit()
    login(client, world.moderator)
    page = _page(client.get(f"/admin/open-days/{open_day.id}/desk"))
    assert '<form method="post"' in page
    assert 'name="code"' in page
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert scripts == ["/static/js/opendays-desk.js"]


def test_other_units_cannot_organize(client, world):
    open_day = make_open_day(world)
    db.session.commit()
    login(client, world.other_approver)
    assert client.get(f"/admin/open-days/{open_day.id}").status_code == 403
    assert client.get(f"/admin/open-days/{open_day.id}/signups.csv").status_code == 403

"""The open call end to end through the pages: seats announced with a commitment, two
people apply, one is found ineligible with a reason, the lottery is drawn and its kit
verifies (and fails when altered), a withdrawal is filled from the reserve list, the roll
is taken."""

from __future__ import annotations

import json

import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.outbox import OutboxMessage
from participation.extensions import db
from participation.meetings import lottery
from participation.meetings.models import (
    Application,
    ApplicationState,
    Attendance,
    Meeting,
    MeetingDraw,
    ReserveFill,
    RollEntry,
    SeatCategory,
)
from tests.conftest import login
from tests.meetings.conftest import PUBLIC_VALUE, close_call


def _apply(client, meeting, name, contact, category="citizen", **extra):
    data = {
        "name": name,
        "contact": contact,
        "category": category,
        "organisation": extra.pop("organisation", ""),
        "statement_of_interest": "住在项目附近",
        "conflict_declaration": "无",
        "consent": "y",
        **extra,
    }
    return client.post(f"/meetings/{meeting.id}/apply", data=data)


def _application(name) -> Application:
    return db.session.scalar(sa.select(Application).where(Application.name == name))


def test_the_meeting_page_shows_the_seats_the_method_and_the_commitment(client, meeting):
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "青禾镇人民政府第12次常务会议" in page
    assert "公开抽签" in page or "抽签" in page
    assert meeting.draw.commitment in page
    assert meeting.draw.secret not in page  # revealed only at the draw
    assert "中国福利彩票双色球第2027025期开奖号码" in page
    assert "申请列席" in page or f"/meetings/{meeting.id}/apply" in page


def test_applying_gives_a_receipt_and_one_application_per_person(client, meeting):
    response = _apply(client, meeting, "张三", "13900001111")
    assert response.status_code == 302
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    application = _application("张三")
    assert application.receipt_number in receipt
    assert application.public_code in receipt
    assert "13900001111" not in receipt
    again = _apply(client, meeting, "张三丰", "139 0000 1111")
    assert again.status_code == 400
    assert "每人" in again.get_data(as_text=True) or "一次" in again.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Application.id)).where(Application.meeting_id == meeting.id)
        )
        == 1
    )
    message = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == "13900001111")
    )
    assert message is not None


def test_an_application_needs_consent_and_a_category_with_seats(client, meeting):
    response = _apply(client, meeting, "李四", "13900002222", consent="")
    assert response.status_code == 400
    response = _apply(client, meeting, "李四", "13900002222", category="media")
    assert response.status_code == 400
    assert _application("李四") is None


def test_the_whole_open_call_story(client, world, meeting):
    for name, contact, category, organisation in (
        ("张三", "13900001111", "citizen", ""),
        ("李四", "13900002222", "citizen", ""),
        ("王五", "13900003333", "citizen", ""),
        ("赵六", "zhao@example.com", "enterprise", "青禾农机合作社"),
    ):
        assert (
            _apply(client, meeting, name, contact, category, organisation=organisation).status_code
            == 302
        )
    login(client, world.editor)
    # One is found ineligible with a reason the applicant sees.
    wang = _application("王五")
    response = client.post(
        f"/admin/meeting-applications/{wang.id}/review",
        data={"eligible": "no", "reason": "非本镇常住居民"},
    )
    assert response.status_code == 302
    for name in ("张三", "李四", "赵六"):
        client.post(
            f"/admin/meeting-applications/{_application(name).id}/review",
            data={"eligible": "yes", "reason": ""},
        )
    db.session.expire_all()
    assert _application("王五").state == ApplicationState.INELIGIBLE
    receipt = client.get(f"/meeting-applications/{wang.receipt_number}").get_data(as_text=True)
    assert "非本镇常住居民" in receipt
    # The public sees counts and the masked list of eligible codes, never names.
    client.post("/logout")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert _application("张三").public_code in page
    assert "张三" not in page
    assert "13900001111" not in page
    assert wang.public_code not in page
    # The editor cannot draw; the approver can, once the window has closed.
    close_call(meeting)
    login(client, world.editor)
    assert (
        client.post(
            f"/admin/meetings/{meeting.id}/draw", data={"public_value": PUBLIC_VALUE}
        ).status_code
        == 403
    )
    client.post("/logout")
    login(client, world.approver)
    response = client.post(
        f"/admin/meetings/{meeting.id}/draw", data={"public_value": PUBLIC_VALUE}
    )
    assert response.status_code == 302
    db.session.expire_all()
    draw = db.session.scalar(sa.select(MeetingDraw).where(MeetingDraw.meeting_id == meeting.id))
    assert draw.drawn_at is not None
    states = {a.name: a.state for a in db.session.scalars(sa.select(Application))}
    assert sorted(s for n, s in states.items() if n in ("张三", "李四")) == [
        ApplicationState.RESERVE,
        ApplicationState.SELECTED,
    ]
    assert states["赵六"] == ApplicationState.SELECTED
    # The kit verifies from the download alone, and fails when altered.
    kit = json.loads(client.get(f"/meetings/{meeting.id}/verification-kit.json").data)
    assert kit["secret"] == draw.secret
    assert lottery.commitment(kit["secret"]) == kit["commitment"]
    assert lottery.verify_kit(kit).ok
    altered = json.loads(json.dumps(kit))
    altered["result"]["citizen"]["selected"], altered["result"]["citizen"]["reserve"] = (
        altered["result"]["citizen"]["reserve"],
        altered["result"]["citizen"]["selected"],
    )
    assert not lottery.verify_kit(altered).ok
    result_page = client.get(f"/meetings/{meeting.id}/draw").get_data(as_text=True)
    assert draw.secret in result_page
    assert "sha256sum" in result_page
    # The selected citizen withdraws: the first of the reserve list takes the seat.
    selected = next(
        a
        for a in db.session.scalars(sa.select(Application))
        if a.category == SeatCategory.CITIZEN and a.state == ApplicationState.SELECTED
    )
    reserve = next(
        a for a in db.session.scalars(sa.select(Application)) if a.state == ApplicationState.RESERVE
    )
    response = client.post(f"/admin/meeting-applications/{selected.id}/withdraw")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, reserve.id).state == ApplicationState.SELECTED
    fill = db.session.scalar(sa.select(ReserveFill))
    assert (fill.withdrawn_id, fill.promoted_id) == (selected.id, reserve.id)
    assert db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"meeting-application-{reserve.id}-promoted"
        )
    )
    public = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert selected.public_code in public
    assert reserve.public_code in public
    # The roll: one checks in by code, the other is marked by hand.
    entry = db.session.scalar(sa.select(RollEntry).where(RollEntry.application_id == reserve.id))
    response = client.post(
        f"/admin/meetings/{meeting.id}/check-in", data={"code": entry.check_in_code.lower()}
    )
    assert response.status_code == 302
    zhao = db.session.scalar(
        sa.select(RollEntry).join(Application).where(Application.name == "赵六")
    )
    client.post(
        f"/admin/roll-entries/{zhao.id}",
        data={f"r{zhao.id}-attendance": "excused", f"r{zhao.id}-substitute_name": ""},
    )
    db.session.expire_all()
    assert db.session.get(RollEntry, entry.id).attendance == Attendance.PRESENT
    assert db.session.get(RollEntry, entry.id).checked_in_by_id == world.approver.id
    assert db.session.get(RollEntry, zhao.id).attendance == Attendance.EXCUSED
    attendance = client.get(f"/meetings/{meeting.id}/attendance").get_data(as_text=True)
    assert "青禾农机合作社" in attendance  # no consent to the name: the organisation
    assert "赵六" not in attendance
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {
        "application.reviewed",
        "meeting.drawn",
        "application.withdrawn",
        "roll_entry.checked_in",
        "roll_entry.recorded",
    } <= actions


def test_the_ics_names_the_meeting_its_time_and_place(client, meeting):
    response = client.get(f"/meetings/{meeting.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    assert "BEGIN:VEVENT" in text
    assert "镇政府三楼会议室" in text
    assert meeting.starts_at.strftime("%Y%m%dT%H%M") in text


def test_an_unpublished_meeting_does_not_exist_for_the_public(client, world):
    from tests.meetings.conftest import make_meeting

    hidden, _decision = make_meeting(world, announce=False)
    assert client.get(f"/meetings/{hidden.id}").status_code == 404
    login(client, world.editor)
    assert client.get(f"/meetings/{hidden.id}").status_code == 200
    assert db.session.get(Meeting, hidden.id).published is False


def test_an_official_schedules_a_meeting_from_the_work_area(client, world):
    login(client, world.editor)
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert f"/admin/units/{world.unit.id}/meetings/new" in dashboard
    refused = client.post(
        f"/admin/units/{world.unit.id}/meetings/new",
        data={"title": "", "kind": "executive", "starts_at": "2026-13-45"},
    )
    assert refused.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0
    response = client.post(
        f"/admin/units/{world.unit.id}/meetings/new",
        data={
            "title": "青禾镇人民政府全体会议",
            "kind": "plenary",
            "starts_at": "2027-01-05T09:00",
            "place": "镇政府大会议室",
        },
    )
    assert response.status_code == 302
    meeting = db.session.scalar(sa.select(Meeting))
    assert (meeting.title, meeting.kind.value, meeting.published) == (
        "青禾镇人民政府全体会议",
        "plenary",
        False,
    )
    assert meeting.starts_at.hour == 1  # 09:00 in Beijing is 01:00 UTC
    assert "青禾镇人民政府全体会议" in client.get("/admin/").get_data(as_text=True)
    client.post("/logout")
    login(client, world.other_approver)
    assert (
        client.post(
            f"/admin/units/{world.unit.id}/meetings/new",
            data={"title": "越权", "kind": "executive", "starts_at": "2027-01-05T09:00"},
        ).status_code
        == 403
    )

"""API v1 of meetings: the list and one meeting with its agenda, seats and counts, the
verification kit and the attendance record as published, never a contact or an
unconsented name."""

from __future__ import annotations

from participation.meetings import lottery, operations
from participation.meetings.models import Attendance
from tests.meetings.conftest import make_drawn_meeting, make_meeting


def test_the_list_and_a_drawn_meeting(client, world):
    meeting, application, entry = make_drawn_meeting(world)
    operations.record_attendance(entry, Attendance.PRESENT)
    listed = client.get(
        "/api/v1/meetings", query_string={"government": world.government.slug}
    ).get_json()
    assert [m["id"] for m in listed["items"]] == [meeting.id]
    data = client.get(f"/api/v1/meetings/{meeting.id}").get_json()
    assert data["agenda"][0]["invite_reason"] == "涉及群众切身利益"
    citizens = next(s for s in data["seats"] if s["category"] == "citizen")
    assert (citizens["seats"], citizens["applications"], citizens["eligible"]) == (1, 2, 2)
    assert data["open_call"]["commitment"] == meeting.draw.commitment
    assert lottery.verify_kit(data["verification_kit"]).ok
    assert data["selection"]["citizen"]["selected"] == [application.public_code]
    (row,) = data["attendance"]
    assert (row["code"], row["attendance"], row["name"]) == (
        application.public_code,
        "present",
        None,
    )
    text = client.get(f"/api/v1/meetings/{meeting.id}").get_data(as_text=True)
    assert application.contact not in text
    assert application.name not in text


def test_an_unpublished_meeting_is_not_found(client, world):
    meeting, _decision = make_meeting(world, announce=False)
    response = client.get(f"/api/v1/meetings/{meeting.id}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_cancelled_hearing_says_why_and_when_its_materials_were_sent(client, world):
    from participation.core.database import utcnow
    from participation.extensions import db
    from participation.meetings import schedule
    from participation.meetings.models import MeetingKind

    meeting, _application, _entry = make_drawn_meeting(world, kind=MeetingKind.HEARING)
    data = client.get(f"/api/v1/meetings/{meeting.id}").get_json()
    assert data["kind"] == "hearing"
    assert data["materials_sent_at"] is None
    assert data["cancel_reason"] is None
    sent = utcnow().replace(microsecond=0)
    meeting.materials_sent_at = sent
    schedule.cancel_meeting(meeting, "听证事项已撤回")
    db.session.commit()
    data = client.get(f"/api/v1/meetings/{meeting.id}").get_json()
    assert data["state"] == "cancelled"
    assert data["cancel_reason"] == "听证事项已撤回"
    assert data["materials_sent_at"] == sent.isoformat() + "Z"
    assert data["cancelled_at"] is not None

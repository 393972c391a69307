"""Officials edit a meeting (title, date, place, kind) until it is held; a new date after
the call was announced is sent to the applicants. A meeting is cancelled with a reason:
the public page says so, the applicants are told, nothing is deleted, and nothing more
can happen to it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.outbox import OutboxMessage
from participation.core.timeutil import utc_to_local
from participation.extensions import db
from participation.meetings import operations, schedule
from participation.meetings.models import (
    Application,
    ApplicationState,
    MeetingKind,
    MeetingState,
    RollEntry,
)
from participation.meetings.operations import MeetingError
from tests.conftest import login
from tests.meetings.conftest import PUBLIC_VALUE, close_call, make_drawn_meeting, make_meeting


def _form_time(moment) -> str:
    return utc_to_local(moment).strftime("%Y-%m-%dT%H:%M")


def _keys(suffix: str) -> set[str]:
    return set(
        db.session.scalars(
            sa.select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.like(f"%{suffix}"))
        )
    )


def _edit(client, meeting, **changes):
    data = {
        "edit-title": meeting.title,
        "edit-kind": meeting.kind.value,
        "edit-starts_at": _form_time(meeting.starts_at),
        "edit-place": meeting.place,
    }
    data.update({f"edit-{k}": v for k, v in changes.items()})
    return client.post(f"/admin/meetings/{meeting.id}/edit", data=data)


def test_an_official_edits_the_meeting_and_a_new_date_is_sent_to_the_applicants(client, world):
    meeting, selected, _entry = make_drawn_meeting(world)
    reserve = db.session.scalar(
        sa.select(Application).where(Application.state == ApplicationState.RESERVE)
    )
    new_start = meeting.starts_at.replace(microsecond=0, second=0) + timedelta(days=3)
    login(client, world.editor)
    response = _edit(
        client, meeting, title="青禾镇第12次常务会议（延期）", starts_at=_form_time(new_start),
        place="镇政府一楼大会议室", kind="plenary",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert meeting.title == "青禾镇第12次常务会议（延期）"
    assert meeting.place == "镇政府一楼大会议室"
    assert meeting.kind == MeetingKind.PLENARY
    assert meeting.starts_at == new_start
    moved = _keys(f"-moved-{new_start:%Y%m%d%H%M}")
    assert moved == {
        f"meeting-application-{selected.id}-moved-{new_start:%Y%m%d%H%M}",
        f"meeting-application-{reserve.id}-moved-{new_start:%Y%m%d%H%M}",
    }
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "meeting.edited"))
    assert set(entry.changes) == {"title", "starts_at", "place", "kind"}
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "镇政府一楼大会议室" in page


def test_a_title_only_change_tells_nobody_and_a_date_before_the_window_is_refused(world):
    meeting, _decision = make_meeting(world)
    values = {"title": "新标题", "kind": "executive", "place": meeting.place,
              "starts_at": meeting.starts_at}
    schedule.edit_meeting(meeting, values)
    assert _keys("-moved-%") == set()
    with pytest.raises(MeetingError) as refused:
        schedule.edit_meeting(
            meeting, {**values, "starts_at": meeting.open_call.closes_at - timedelta(hours=1)}
        )
    assert refused.value.code == "starts_before_window"


def test_a_held_meeting_can_no_longer_be_edited_nor_by_another_unit(client, world):
    meeting, _selected, _entry = make_drawn_meeting(world)
    login(client, world.other_approver)
    assert _edit(client, meeting, title="别的单位改的").status_code == 403
    client.post("/logout")
    operations.mark_held(meeting)
    db.session.commit()
    with pytest.raises(MeetingError) as refused:
        schedule.edit_meeting(
            meeting, {"title": "x", "kind": "executive", "starts_at": meeting.starts_at}
        )
    assert refused.value.code == "already_held"
    db.session.rollback()
    login(client, world.editor)
    _edit(client, meeting, title="会后再改")
    db.session.expire_all()
    assert meeting.title != "会后再改"


def test_a_cancelled_meeting_says_why_and_nothing_more_happens_to_it(client, world):
    meeting, _decision = make_meeting(world)
    for n, name in enumerate(("张三", "李四", "王五")):
        operations.apply(
            meeting,
            {"name": name, "contact": f"1380000{n:04d}", "category": "citizen", "consent": True},
        )
    db.session.commit()
    applications = db.session.scalars(sa.select(Application).order_by(Application.id)).all()
    # An editor cannot cancel; a reason is required.
    login(client, world.editor)
    assert (
        client.post(f"/admin/meetings/{meeting.id}/cancel", data={"cancel-reason": "x"})
        .status_code
        == 403
    )
    client.post("/logout")
    login(client, world.approver)
    client.post(f"/admin/meetings/{meeting.id}/cancel", data={"cancel-reason": ""})
    db.session.expire_all()
    assert meeting.state == MeetingState.SCHEDULED
    response = client.post(
        f"/admin/meetings/{meeting.id}/cancel", data={"cancel-reason": "因防汛工作需要，会议取消"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert meeting.state == MeetingState.CANCELLED
    assert meeting.cancelled_at is not None
    assert _keys("-cancelled") == {f"meeting-application-{a.id}-cancelled" for a in applications}
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "meeting.cancelled"))
    # Nothing was deleted.
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 3
    client.post("/logout")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "该会议已取消" in page
    assert "因防汛工作需要，会议取消" in page
    assert f"/meetings/{meeting.id}/apply" not in page
    # No more applications, reviews, draw or check-in.
    response = client.post(
        f"/meetings/{meeting.id}/apply",
        data={"name": "赵六", "contact": "13800009999", "category": "citizen", "consent": "y",
              "submission_key": "late"},
    )
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 3
    with pytest.raises(MeetingError) as refused:
        operations.review_application(applications[0], True, "")
    assert refused.value.code == "cancelled"
    db.session.rollback()
    close_call(meeting)
    with pytest.raises(MeetingError) as refused:
        operations.draw_lottery(meeting, PUBLIC_VALUE)
    assert refused.value.code == "cancelled"
    db.session.rollback()
    with pytest.raises(MeetingError) as refused:
        schedule.cancel_meeting(meeting, "再取消一次")
    assert refused.value.code == "cancelled"


def test_check_in_is_refused_once_cancelled(client, world):
    meeting, _selected, entry = make_drawn_meeting(world)
    schedule.cancel_meeting(meeting, "会议取消")
    db.session.commit()
    login(client, world.editor)
    page = client.post(
        f"/admin/meetings/{meeting.id}/check-in", data={"code": entry.check_in_code},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "该会议已取消" in page
    db.session.expire_all()
    assert db.session.get(RollEntry, entry.id).attendance is None


def test_the_public_meeting_page_shows_its_agenda(client, world):
    meeting, decision = make_meeting(world)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert decision.title in page
    assert "涉及群众切身利益" in page  # the reason for inviting representatives

"""An applicant withdraws from the receipt page (the private link they got): before the
selection the application is simply withdrawn; a selected representative's withdrawal
gives the seat to the first of the reserve list, publicly logged and notified."""

from __future__ import annotations

import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.outbox import OutboxMessage
from participation.extensions import db
from participation.meetings import operations, schedule
from participation.meetings.models import Application, ApplicationState, ReserveFill
from tests.meetings.conftest import make_drawn_meeting, make_meeting


def _withdraw(client, application, confirm: bool = True):
    data = {"confirm": "y"} if confirm else {}
    return client.post(f"/meeting-applications/{application.receipt_number}/withdraw", data=data)


def test_before_the_selection_the_application_is_simply_withdrawn(client, world):
    meeting, _decision = make_meeting(world)
    application, _created = operations.apply(
        meeting, {"name": "张三", "contact": "13900001111", "category": "citizen", "consent": True}
    )
    db.session.commit()
    receipt = client.get(f"/meeting-applications/{application.receipt_number}")
    assert "撤回我的报名" in receipt.get_data(as_text=True)
    # Without the confirmation nothing happens.
    response = _withdraw(client, application, confirm=False)
    assert response.status_code == 400
    assert "请勾选以确认撤回报名" in response.get_data(as_text=True)
    db.session.expire_all()
    assert application.state == ApplicationState.APPLIED
    response = _withdraw(client, application)
    assert response.status_code == 302
    db.session.expire_all()
    assert application.state == ApplicationState.WITHDRAWN
    assert db.session.scalar(sa.select(sa.func.count(ReserveFill.id))) == 0
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "application.withdrawn")
    )
    assert entry.changes["by_applicant"] is True
    assert db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"meeting-application-{application.id}-withdrawn"
        )
    )
    page = client.get(f"/meeting-applications/{application.receipt_number}").get_data(
        as_text=True
    )
    assert "已撤回" in page
    assert "withdraw-form" not in page
    # A second POST is refused with a message; it stays withdrawn.
    response = _withdraw(client, application)
    assert response.status_code == 400
    assert "该报名已撤回" in response.get_data(as_text=True)


def test_a_selected_representative_withdraws_and_the_first_reserve_takes_the_seat(client, world):
    meeting, selected, _entry = make_drawn_meeting(world)
    reserve = db.session.scalar(
        sa.select(Application).where(Application.state == ApplicationState.RESERVE)
    )
    response = _withdraw(client, selected)
    assert response.status_code == 302
    db.session.expire_all()
    assert selected.state == ApplicationState.WITHDRAWN
    assert reserve.state == ApplicationState.SELECTED
    fill = db.session.scalar(sa.select(ReserveFill))
    assert (fill.withdrawn_id, fill.promoted_id) == (selected.id, reserve.id)
    assert db.session.scalar(
        sa.select(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"meeting-application-{reserve.id}-promoted"
        )
    )
    public = client.get(f"/meetings/{meeting.id}/attendance").get_data(as_text=True)
    assert selected.public_code in public
    assert reserve.public_code in public


def test_an_unknown_receipt_and_a_cancelled_meeting_refuse(client, world):
    unknown = client.post("/meeting-applications/NOPE-NOPE/withdraw", data={"confirm": "y"})
    assert unknown.status_code == 404
    meeting, selected, _entry = make_drawn_meeting(world)
    schedule.cancel_meeting(meeting, "会议取消")
    db.session.commit()
    page = client.get(f"/meeting-applications/{selected.receipt_number}").get_data(as_text=True)
    assert "withdraw-form" not in page
    response = _withdraw(client, selected)
    assert response.status_code == 400
    db.session.expire_all()
    assert selected.state == ApplicationState.SELECTED

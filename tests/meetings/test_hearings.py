"""Hearings (听证会): the materials go to the participants at least 7 days ahead; a
hearing is held only if they did, cannot move earlier than 7 days after the sending, and
its statements are opinions of channel hearing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.database import utcnow
from participation.core.outbox import CONSOLE_SENT, OutboxMessage
from participation.core.timeutil import utc_to_local
from participation.dossier import operations as dossier_ops
from participation.extensions import db
from participation.meetings import operations, schedule, statements
from participation.meetings.models import (
    Application,
    ApplicationState,
    MaterialKind,
    MeetingKind,
    MeetingState,
)
from participation.meetings.operations import MeetingError
from participation.opinions.models import Channel
from tests import factories
from tests.conftest import login
from tests.meetings.conftest import make_drawn_meeting


def _local(moment) -> str:
    return utc_to_local(moment).strftime("%Y-%m-%d %H:%M")


def _hearing_with_material(world):
    meeting, selected, entry = make_drawn_meeting(world, kind=MeetingKind.HEARING)
    item = meeting.agenda_items[0]
    document = dossier_ops.create_document(
        item.decision, {"kind": "background", "title": "听证方案说明", "body_html": "<p>正文</p>"}
    )
    dossier_ops.publish_document(document)
    operations.add_material(item, MaterialKind.DOCUMENT, document.id)
    db.session.commit()
    return meeting, selected, document


def _materials_messages():
    return db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key.like("%-materials-%"))
    ).all()


def test_sending_the_materials_writes_one_message_per_selected_participant(
    client, world, app
):
    meeting, selected, document = _hearing_with_material(world)
    reserve = db.session.scalar(
        sa.select(Application).where(Application.state == ApplicationState.RESERVE)
    )
    login(client, world.editor)
    response = client.post(f"/admin/meetings/{meeting.id}/send-materials")
    assert response.status_code == 302
    db.session.expire_all()
    assert meeting.materials_sent_at is not None
    messages = _materials_messages()
    assert [m.recipient for m in messages] == [selected.contact]
    assert reserve.contact not in [m.recipient for m in messages]
    # Delivered at once (inline outbox): the text as it was sent.
    body = next(b for r, subject, b in CONSOLE_SENT if r == selected.contact and "材料" in subject)
    assert "听证方案说明" in body
    assert f"/documents/{document.id}" in body
    assert f"/meetings/{meeting.id}" in body
    assert db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "meeting.materials_sent")
    )
    # The public page says when the materials were sent.
    client.post("/logout")
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert _local(meeting.materials_sent_at) in page


def test_sending_less_than_7_days_ahead_is_refused_naming_the_latest_date(world):
    meeting, _selected, _document = _hearing_with_material(world)
    meeting.starts_at = utcnow() + timedelta(days=6)
    db.session.commit()
    with pytest.raises(MeetingError) as refused:
        schedule.send_materials(meeting)
    assert refused.value.code == "materials_too_late"
    latest = _local(meeting.starts_at - timedelta(days=7))
    assert latest in refused.value.message
    assert "延期" in refused.value.message
    db.session.rollback()
    assert meeting.materials_sent_at is None
    assert _materials_messages() == []


def test_the_refusal_is_shown_to_the_official(client, world):
    meeting, _selected, _document = _hearing_with_material(world)
    meeting.starts_at = utcnow() + timedelta(days=3)
    db.session.commit()
    login(client, world.editor)
    page = client.post(
        f"/admin/meetings/{meeting.id}/send-materials", follow_redirects=True
    ).get_data(as_text=True)
    assert "听证会材料应当至少提前7日送达听证参加人" in page
    assert _local(meeting.starts_at - timedelta(days=7)) in page
    db.session.expire_all()
    assert meeting.materials_sent_at is None


def test_a_hearing_is_held_only_if_the_materials_were_sent_7_days_ahead(world):
    meeting, _selected, _document = _hearing_with_material(world)
    with pytest.raises(MeetingError) as refused:
        operations.mark_held(meeting)
    assert refused.value.code == "materials_not_sent"
    assert _local(meeting.starts_at - timedelta(days=7)) in refused.value.message
    db.session.rollback()
    assert meeting.state == MeetingState.SCHEDULED
    schedule.send_materials(meeting)
    operations.mark_held(meeting)
    assert meeting.state == MeetingState.HELD
    assert meeting.held_at is not None


def test_an_executive_meeting_has_no_7_day_rule(world):
    meeting, _selected, _entry = make_drawn_meeting(world)
    operations.mark_held(meeting)
    assert meeting.state == MeetingState.HELD


def test_a_hearing_cannot_move_earlier_than_7_days_after_the_materials(world):
    meeting, _selected, _document = _hearing_with_material(world)
    sent = utcnow()
    schedule.send_materials(meeting, now=sent)
    db.session.commit()
    values = {"title": meeting.title, "kind": "hearing", "place": meeting.place}
    with pytest.raises(MeetingError) as refused:
        schedule.edit_meeting(meeting, {**values, "starts_at": sent + timedelta(days=6)})
    assert refused.value.code == "date_before_notice"
    assert _local(sent + timedelta(days=7)) in refused.value.message
    db.session.rollback()
    assert meeting.materials_sent_at == sent
    later = sent + timedelta(days=8)
    schedule.edit_meeting(meeting, {**values, "starts_at": later})
    assert meeting.starts_at == later
    # Nor can a meeting whose materials went out 6 days ahead become a hearing.
    meeting.kind = MeetingKind.EXECUTIVE
    meeting.starts_at = sent + timedelta(days=6)
    db.session.flush()
    with pytest.raises(MeetingError) as refused:
        schedule.edit_meeting(meeting, {**values, "starts_at": meeting.starts_at})
    assert refused.value.code == "date_before_notice"


def test_a_reserve_promoted_after_the_sending_gets_the_materials(world):
    meeting, selected, _document = _hearing_with_material(world)
    schedule.send_materials(meeting)
    operations.withdraw(selected)
    promoted = db.session.scalar(
        sa.select(Application).where(
            Application.state == ApplicationState.SELECTED,
            Application.category == selected.category,
        )
    )
    recipients = {m.recipient for m in _materials_messages()}
    assert recipients == {selected.contact, promoted.contact}


def test_statements_at_a_hearing_are_opinions_of_channel_hearing(world):
    meeting, _selected, _document = _hearing_with_material(world)
    schedule.send_materials(meeting)
    operations.mark_held(meeting)
    entry = operations.roll(meeting)[0]
    opinion = statements.record_statement(
        meeting, entry.id, meeting.agenda_items[0].id, "建议延长听证方案的公示时间。"
    )
    assert opinion.channel == Channel.HEARING
    assert opinion.meeting_id == meeting.id
    # At an executive meeting it stays a representative's statement.
    other, _selected, other_entry = make_drawn_meeting(world, meeting.agenda_items[0].decision)
    operations.mark_held(other)
    statement = statements.record_statement(
        other, other_entry.id, other.agenda_items[0].id, "同意该方案，建议加快实施。"
    )
    assert statement.channel == Channel.REPRESENTATIVE


def test_a_hearing_held_on_the_platform_counts_in_the_feedback_report(world):
    from participation.feedback import operations as feedback_ops
    from participation.feedback.data import report_data

    meeting, _selected, _document = _hearing_with_material(world)
    item = meeting.agenda_items[0]
    consultation = factories.make_consultation(item.decision)
    factories.close(consultation)
    feedback_ops.draft_for(consultation)
    operations.add_material(item, MaterialKind.FEEDBACK_REPORT, consultation.id)
    db.session.commit()
    assert report_data(consultation)["consultation"]["hearings"] == 0  # not held yet
    schedule.send_materials(meeting)
    operations.mark_held(meeting)
    db.session.commit()
    assert report_data(consultation)["consultation"]["hearings"] == 1

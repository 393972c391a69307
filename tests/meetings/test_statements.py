"""A representative's statement becomes an opinion (channel representative, source the
meeting), is classified in the decision's consultation workspace and appears with its
disposition in the published feedback report, in a section of its own."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from participation.catalogue import operations as catalogue_ops
from participation.catalogue.models import Stage
from participation.core.timeutil import local_today
from participation.extensions import db
from participation.feedback import operations as feedback_ops
from participation.meetings import operations, statements
from participation.meetings.models import MaterialKind
from participation.meetings.operations import MeetingError
from participation.opinions.counters import counter_mismatches
from participation.opinions.models import Channel, Disposition, Opinion
from participation.opinions.workspace import Selection
from tests import factories
from tests.conftest import login
from tests.meetings.conftest import make_drawn_meeting


@pytest.fixture
def held(world):
    """A drawn meeting on a consulted decision, held; the consultation closed with one
    disposed opinion; returns (meeting, consultation, the selected representative's
    roll entry)."""
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision)
    from participation.opinions import operations as opinion_ops

    opinion, _ = opinion_ops.submit_online(
        consultation,
        body="建议延长补贴申报期限。",
        node_id=None,
        consent_to_publish=True,
        display_name="王秀兰",
        contact=None,
        submission_key="s1",
    )
    opinion.disposition = Disposition.ADOPTED
    meeting, application, entry = make_drawn_meeting(world, decision)
    factories.close(consultation)
    feedback_ops.draft_for(consultation)
    operations.add_material(meeting.agenda_items[0], MaterialKind.FEEDBACK_REPORT, consultation.id)
    operations.mark_held(meeting)
    db.session.commit()
    return meeting, consultation, entry


def test_statements_are_recorded_only_once_the_meeting_is_held(world):
    meeting, _application, entry = make_drawn_meeting(world)
    with pytest.raises(MeetingError) as refused:
        statements.record_statement(
            meeting, entry.id, meeting.agenda_items[0].id, "我支持这项政策。"
        )
    assert refused.value.code == "not_held_yet"


def test_a_statement_becomes_an_opinion_of_the_meeting(held):
    meeting, consultation, entry = held
    opinion = statements.record_statement(
        meeting, entry.id, meeting.agenda_items[0].id, "建议补贴标准按耕地面积分档，并公开名单。"
    )
    assert opinion.channel == Channel.REPRESENTATIVE
    assert (opinion.meeting_id, opinion.consultation_id) == (meeting.id, None)
    assert opinion.decision_id == consultation.decision_id
    assert opinion.reference == entry.application.public_code
    assert opinion.source is meeting
    db.session.flush()
    assert counter_mismatches() == []
    db.session.refresh(meeting)
    assert (meeting.opinion_count, meeting.public_opinion_count) == (1, 1)
    # It is in the consultation's workspace selection.
    ids = set(db.session.scalars(Selection(consultation).id_query()))
    assert opinion.id in ids


def test_the_statement_goes_through_the_workspace_into_the_report(client, world, held):
    meeting, consultation, entry = held
    login(client, world.editor)
    response = client.post(
        f"/admin/meetings/{meeting.id}/statements",
        data={
            "entry_id": entry.id,
            "item_id": meeting.agenda_items[0].id,
            "body": "建议补贴标准按耕地面积分档，并公开名单。",
        },
    )
    assert response.status_code == 302
    statement = db.session.scalar(sa.select(Opinion).where(Opinion.meeting_id == meeting.id))
    assert statement is not None
    workspace = client.get(f"/admin/consultations/{consultation.id}/workspace")
    assert "建议补贴标准按耕地面积分档" in workspace.get_data(as_text=True)
    # The report waits for the statement's disposition.
    with pytest.raises(feedback_ops.FeedbackError) as refused:
        feedback_ops.publish(consultation)
    assert refused.value.code == "statements_without_disposition"
    db.session.rollback()
    response = client.post(
        f"/admin/opinions/{statement.id}/classify",
        data={"disposition": "partially_adopted", "reason": "分档标准采纳，名单按规定公开。"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.get(Opinion, statement.id).disposition == Disposition.PARTIALLY_ADOPTED
    for stage in (Stage.LEGALITY_REVIEW, Stage.COLLECTIVE_DELIBERATION, Stage.DECIDED):
        catalogue_ops.move_to_stage(consultation.decision, stage, local_today())
    db.session.commit()
    client.post("/logout")
    login(client, world.approver)
    assert (
        client.post(f"/admin/consultations/{consultation.id}/feedback-report/publish").status_code
        == 302
    )
    client.post("/logout")
    page = client.get(f"/consultations/{consultation.id}/feedback-report").get_data(as_text=True)
    assert "代表发言" in page
    assert "建议补贴标准按耕地面积分档" in page
    assert "分档标准采纳，名单按规定公开。" in page
    assert "部分采纳" in page
    # The Word document an official files has the same section.
    docx = factories.docx_text(
        client.get(f"/consultations/{consultation.id}/feedback-report.docx").data)
    assert "代表发言" in docx
    assert "建议补贴标准按耕地面积分档" in docx
    # And the open data: the statement with its meeting, disposition and reason.
    api = client.get(f"/api/v1/consultations/{consultation.id}/feedback-report").get_json()
    [said] = api["statements"]
    assert (said["meeting_id"], said["text"], said["disposition"], said["reason"]) == (
        meeting.id, "建议补贴标准按耕地面积分档，并公开名单。", "partially_adopted",
        "分档标准采纳，名单按规定公开。")
    assert api["hearings"] == 0  # an executive meeting is not a hearing
    assert "分档标准采纳，名单按规定公开。" in docx
    # The dossier links the meeting, its attendance.
    dossier = client.get(f"/decisions/{consultation.decision_id}").get_data(as_text=True)
    assert f"/meetings/{meeting.id}" in dossier
    assert f"/meetings/{meeting.id}/attendance" in dossier

"""N days after a meeting was held or cancelled, the applicants' contact details and
free texts are erased; the public code, category, organisation and the selection record
stay, and the verification kit still verifies. The job is level-triggered and
idempotent."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.database import utcnow
from participation.core.jobs import JOBS
from participation.extensions import db
from participation.meetings import lottery, operations, schedule
from participation.meetings.models import Application, ApplicationState, MeetingDraw
from participation.meetings.retention import erase_applicant_data
from tests.meetings.conftest import make_meeting


def _held_meeting(world):
    """A drawn meeting with one consenting and one non-consenting citizen and an
    enterprise, held now."""
    meeting, _decision = make_meeting(world)
    people = (
        ("张三", "13900001111", "citizen", "", True),
        ("李四", "li@example.com", "citizen", "", False),
        ("赵六", "13900003333", "enterprise", "青禾农机合作社", False),
    )
    for name, contact, category, organisation, consent in people:
        application, _created = operations.apply(
            meeting,
            {
                "name": name,
                "contact": contact,
                "category": category,
                "organisation": organisation,
                "statement_of_interest": f"{name}关心本镇发展",
                "conflict_declaration": f"{name}的亲属在合作社任职",
                "consent": True,
                "consent_to_publish_name": consent,
            },
        )
        operations.review_application(application, True, "")
    from tests.meetings.conftest import PUBLIC_VALUE, close_call

    close_call(meeting)
    operations.draw_lottery(meeting, PUBLIC_VALUE)
    operations.mark_held(meeting)
    db.session.commit()
    return meeting


def test_the_job_erases_contacts_and_free_texts_after_the_retention_period(client, world, app):
    meeting = _held_meeting(world)
    before = {
        a.public_code: (a.category, a.organisation, a.state, a.reserve_rank)
        for a in db.session.scalars(sa.select(Application))
    }
    held_at = meeting.held_at
    # Not yet: 180 days have not passed.
    assert erase_applicant_data(held_at + timedelta(days=179)) == 0
    assert db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(Application.contact != "")
    ) == 3
    assert erase_applicant_data(held_at + timedelta(days=180, minutes=1)) == 3
    db.session.commit()
    db.session.expire_all()
    applications = {a.name or a.public_code: a for a in db.session.scalars(sa.select(Application))}
    for application in applications.values():
        assert application.contact == ""
        assert application.conflict_declaration == ""
        assert application.statement_of_interest == ""
        assert application.personal_data_erased_at is not None
    # What stays: the public code, category, organisation, the selection record.
    after = {
        a.public_code: (a.category, a.organisation, a.state, a.reserve_rank)
        for a in applications.values()
    }
    assert after == before
    # A name published with consent in the attendance record stays; the others go.
    names = {a.name for a in applications.values()}
    selected_zhang = any(
        a.name == "张三" and a.state == ApplicationState.SELECTED for a in applications.values()
    )
    assert ("张三" in names) == selected_zhang
    assert "李四" not in names
    assert "赵六" not in names
    # The verification kit still verifies.
    draw = db.session.scalar(sa.select(MeetingDraw))
    assert lottery.verify_kit(draw.kit).ok
    assert client.get(f"/meetings/{meeting.id}/draw").status_code == 200
    assert "青禾农机合作社" in client.get(f"/meetings/{meeting.id}/attendance").get_data(
        as_text=True
    )
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "meeting.applicant_data_erased")
    )
    assert entry.changes["applications"] == 3
    # Idempotent: a second run erases nothing and writes no new entry.
    assert erase_applicant_data(held_at + timedelta(days=400)) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == "meeting.applicant_data_erased"
            )
        )
        == 1
    )


def test_a_cancelled_meeting_is_erased_too_and_the_period_is_configurable(world, app):
    meeting, _decision = make_meeting(world)
    application, _created = operations.apply(
        meeting, {"name": "王五", "contact": "13900005555", "category": "citizen", "consent": True}
    )
    other, _decision = make_meeting(world, decision=meeting.agenda_items[0].decision)
    kept, _created = operations.apply(
        other, {"name": "钱七", "contact": "13900007777", "category": "citizen", "consent": True}
    )
    schedule.cancel_meeting(meeting, "会议取消")
    db.session.commit()
    app.config["MEETING_APPLICANT_DATA_DAYS"] = 30
    now = utcnow() + timedelta(days=31)
    assert erase_applicant_data(now) == 1
    db.session.expire_all()
    assert application.contact == ""
    assert application.name == ""
    # A meeting still scheduled keeps its applicants' data whatever the date.
    assert kept.contact == "13900007777"


def test_the_job_is_registered_and_runs_from_the_job_runner(world, app):
    from participation.core.jobs import run_due_jobs

    assert "meetings.erase_applicant_data" in JOBS
    meeting = _held_meeting(world)
    meeting.held_at = utcnow() - timedelta(days=200)
    db.session.commit()
    results = run_due_jobs(utcnow())
    assert results.get("meetings.erase_applicant_data") == "done"
    db.session.expire_all()
    assert db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(Application.contact != "")
    ) == 0

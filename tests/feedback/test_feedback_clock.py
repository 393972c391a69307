"""The feedback report's clock: the due date from the decision document's issue date
across National Day, estimates past the known schedules, alerts 3 and 1 working days
before, and "overdue" shown publicly until publication, the lateness afterwards."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
import time_machine

from participation.accounts.models import Role
from participation.catalogue import operations as catalogue_ops
from participation.catalogue.models import Stage
from participation.core.audit import AuditEntry
from participation.core.jobs import run_due_jobs
from participation.core.outbox import OutboxMessage
from participation.core.workdays.notice import parse_notice
from participation.core.workdays.operations import add_year
from participation.extensions import db
from participation.feedback.clock import feedback_clock_job
from tests import factories
from tests.conftest import login


def _at(day: date, hour: int = 10):
    """Frozen time at ``hour`` o'clock China time on ``day``."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour - 8, tzinfo=UTC),
                               tick=False)


@pytest.fixture
def decided(world):
    """A decision of the world's unit, decided on 2026-09-25."""
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    with _at(date(2026, 9, 25)):
        for stage in (Stage.LEGALITY_REVIEW, Stage.COLLECTIVE_DELIBERATION, Stage.DECIDED):
            catalogue_ops.move_to_stage(decision, stage, date(2026, 9, 25))
    db.session.commit()
    return decision


def _record(client, decision, day: str):
    return client.post(f"/admin/decisions/{decision.id}/document-issued",
                       data={"document_issued_on": day})


def test_the_due_date_is_the_10th_working_day_across_national_day(client, world, decided):
    with _at(date(2026, 9, 30)):
        login(client, world.approver)
        response = _record(client, decided, "2026-09-28")
    assert response.status_code == 302
    db.session.refresh(decided)
    # 29, 30 Sept; 1–7 Oct off; 8, 9, Saturday 10 (worked), 12–16 Oct.
    assert decided.document_issued_on == date(2026, 9, 28)
    assert decided.feedback_due_on == date(2026, 10, 16)
    assert decided.feedback_due_estimated is False
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "decision.document_issued")).one()
    assert entry.changes["feedback_due_on"] == [None, "2026-10-16"]


def test_a_government_sets_its_own_number_of_working_days(world, decided):
    world.government.feedback_working_days = 5
    with _at(date(2026, 9, 30)):
        due = catalogue_ops.record_document_issued(decided, date(2026, 9, 28))
    assert due.day == date(2026, 10, 10)   # the adjusted Saturday is the fifth


def test_an_issue_date_in_the_future_or_before_the_decision_is_refused_beside_the_field(
        client, world, decided):
    with _at(date(2026, 9, 30)):
        login(client, world.approver)
        future = _record(client, decided, "2026-10-08")
        early = _record(client, decided, "2026-09-01")
    assert future.status_code == 400
    assert "日期不能晚于今天" in future.get_data(as_text=True)
    assert early.status_code == 400
    assert "2026-09-25" in early.get_data(as_text=True)
    db.session.refresh(decided)
    assert decided.document_issued_on is None


def test_a_decision_not_yet_taken_has_no_issue_date(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    with pytest.raises(catalogue_ops.StageError) as refused:
        catalogue_ops.record_document_issued(decision, date(2026, 9, 28))
    assert refused.value.code == "not_decided"


def _issue(decision, day: date):
    with _at(day):
        catalogue_ops.record_document_issued(decision, day)
    db.session.commit()


def test_the_public_sees_the_due_date_then_overdue_in_catalogue_dossier_and_api(
        client, decided):
    _issue(decided, date(2026, 9, 28))
    with _at(date(2026, 10, 16)):
        dossier = client.get(f"/decisions/{decided.id}").get_data(as_text=True)
        api = client.get(f"/api/v1/decisions/{decided.id}").get_json()
    assert "2026-10-16" in dossier
    assert "逾期" not in dossier
    assert api["feedback"]["due_on"] == "2026-10-16"
    assert api["feedback"]["overdue_since"] is None
    with _at(date(2026, 10, 19)):
        catalogue = client.get("/catalogue?year=2026").get_data(as_text=True)
        dossier = client.get(f"/decisions/{decided.id}").get_data(as_text=True)
        api = client.get(f"/api/v1/decisions/{decided.id}").get_json()
    for page in (catalogue, dossier):
        assert "逾期未反馈（自2026-10-17起）" in page
    assert api["feedback"]["overdue_since"] == "2026-10-17"


def test_a_late_publication_stays_visible_as_late(client, decided):
    _issue(decided, date(2026, 9, 28))
    with _at(date(2026, 10, 20)):
        catalogue_ops.move_to_stage(decided, Stage.FEEDBACK_PUBLISHED, date(2026, 10, 20))
        db.session.commit()
        dossier = client.get(f"/decisions/{decided.id}").get_data(as_text=True)
        api = client.get(f"/api/v1/decisions/{decided.id}").get_json()
    assert api["feedback"]["overdue_since"] is None
    assert api["feedback"]["published_on"] == "2026-10-20"
    assert api["feedback"]["late_working_days"] == 2
    assert "逾期" not in dossier
    assert "晚于应公开日期2个工作日" in dossier


def _alerts():
    return db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.dedupe_key.like("feedback-due-%")).order_by(OutboxMessage.id)).all()


def test_the_unit_is_alerted_3_and_1_working_days_before_once_each(world, decided):
    _issue(decided, date(2026, 9, 28))
    officials = {world.editor.email, world.approver.email}
    with _at(date(2026, 10, 9)):          # 10 (Sat, worked), 12 … 16: six left
        feedback_clock_job(datetime(2026, 10, 9, 2))
    assert _alerts() == []
    for _ in range(2):                    # 14, 15, 16: three left; a second run adds nothing
        feedback_clock_job(datetime(2026, 10, 13, 2))
    assert {m.recipient for m in _alerts()} == officials
    assert all("3" in m.body for m in _alerts())
    feedback_clock_job(datetime(2026, 10, 15, 2))     # 16: one left
    assert len(_alerts()) == 4
    assert world.moderator.email not in {m.recipient for m in _alerts()}
    assert world.other_approver.email not in {m.recipient for m in _alerts()}


def test_two_hosts_running_the_jobs_at_the_same_minute_alert_once(world, decided):
    _issue(decided, date(2026, 9, 28))
    now = datetime(2026, 10, 13, 2, 0)
    run_due_jobs(now, owner="host-a")
    run_due_jobs(now, owner="host-b")
    assert len(_alerts()) == 2


def test_a_due_date_past_the_known_years_is_an_estimate_until_the_year_is_entered(
        client, world, decided):
    _issue(decided, date(2026, 12, 24))
    db.session.refresh(decided)
    # Weekends only in 2027: 25, 28–31 Dec, 1 Jan, 4–7 Jan.
    assert (decided.feedback_due_on, decided.feedback_due_estimated) == (
        date(2027, 1, 7), True)
    with _at(date(2026, 12, 24)):
        dossier = client.get(f"/decisions/{decided.id}").get_data(as_text=True)
    assert "估算" in dossier
    feedback_clock_job(datetime(2026, 12, 24, 2))
    admin_alerts = db.session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.dedupe_key.like("workdays-missing-2027-%"))).all()
    assert [m.recipient for m in admin_alerts] == [world.admin.email]
    add_year(parse_notice("一、元旦：1月1日（周五）至3日（周日）放假，共3天。", 2027),
             source="国办发明电〔2026〕9号", notice_text="…")
    feedback_clock_job(datetime(2026, 12, 24, 3))
    db.session.refresh(decided)
    assert (decided.feedback_due_on, decided.feedback_due_estimated) == (
        date(2027, 1, 8), False)
    assert world.moderator.memberships[0].role == Role.MODERATOR

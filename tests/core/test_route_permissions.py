"""Walks the whole URL map: every state-changing route refuses anonymous visitors and
officials of another unit, and changes nothing when it refuses."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.routing import Rule

from participation.core.audit import AuditEntry
from participation.dossier import operations as dossier_ops
from participation.extensions import db
from participation.opinions import operations as opinion_ops
from tests import factories
from tests.conftest import login

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")

# Routes any visitor may use by design: signing in and up, the language switch, and
# giving an opinion on a public consultation and reporting a public opinion (no account
# needed, rate limited).
PUBLIC_STATE_CHANGES = {
    "accounts.login",
    "accounts.logout",
    "accounts.register",
    "accounts.verify_registration",
    "accounts.resend_code",
    "opinions.submit_opinion",
    "opinions.report_opinion",
    "meetings.apply_for_seat",
    # An applicant withdraws through the private link of their receipt.
    "meetings.withdraw_own_application",
    # Open days: signing up (name and mobile number, verified by a code), and managing a
    # signup and answering the questionnaire through its private link.
    "opendays.sign_up",
    "opendays.verify_signup",
    "opendays.cancel_signup",
    "opendays.decline_place",
    "opendays.change_companions",
    "opendays.answer_questionnaire",
}
# Routes where the unit is chosen in the form (checked against the official's units).
CHOOSES_UNIT = {"catalogue.create_decision", "opendays_admin.create_open_day"}
# Routes any signed-in person may use on their own account.
OWN_ACCOUNT = {"accounts.change_password", "accounts.delete_account"}


def _objects(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    document = dossier_ops.create_document(decision, {"kind": "background", "title": "背景",
                                                      "body_html": "<p>正文</p>"})
    attachment = dossier_ops.add_attachment(document, "pic.png", PNG)
    consultation = factories.make_consultation(decision)
    opinion, _ = opinion_ops.submit_online(
        consultation, body="这是一条测试意见。", node_id=None, consent_to_publish=True,
        display_name="张三", contact=None, submission_key="k1")
    copy, _ = opinion_ops.submit_online(  # the same words again: a group of opinions
        consultation, body="这是一条测试意见！", node_id=None, consent_to_publish=True,
        display_name="李四", contact=None, submission_key="k2")
    assert copy.group_id is not None
    from participation.core.tasks import Task

    task = Task(kind="test.none", payload={}, created_by_id=world.editor.id,
                government_id=world.government.id)
    db.session.add(task)
    from participation.opinions.models import ImportState, OpinionImport

    waiting = OpinionImport(consultation_id=consultation.id, sha256="0" * 64, filename="a.csv",
                            row_count=0, state=ImportState.UNCONFIRMED, upload_key="0" * 32)
    db.session.add(waiting)
    from tests.opendays.factories import make_open_day
    from tests.opendays.factories import sign_up as open_day_sign_up

    open_day = make_open_day(world)
    signup = open_day_sign_up(open_day, 1)
    db.session.commit()
    from tests.meetings.conftest import make_drawn_meeting

    meeting, application, entry = make_drawn_meeting(world, decision)
    membership = world.editor.memberships[0]
    return {
        "government_id": world.government.id, "unit_id": world.unit.id,
        "user_id": world.editor.id, "membership_id": membership.id,
        "catalogue_id": catalogue.id, "decision_id": decision.id,
        "document_id": document.id, "attachment_id": attachment.id,
        "consultation_id": consultation.id, "opinion_id": opinion.id,
        "anchor": "article-1", "number": opinion.receipt_number, "task_id": task.id,
        "year": 2026, "fmt": "csv",
        "group_id": copy.group_id, "import_id": waiting.id,
        "meeting_id": meeting.id, "item_id": meeting.agenda_items[0].id,
        "application_id": application.id, "entry_id": entry.id,
        "open_day_id": open_day.id, "signup_id": signup.id, "token": signup.token,
    }


def _url(app, rule: Rule, values: dict) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments})


def _state_changing_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if rule.methods - {"GET", "HEAD", "OPTIONS"}:
            yield rule


def _audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))


def test_the_walk_covers_the_state_changing_routes(app):
    endpoints = {rule.endpoint for rule in _state_changing_rules(app)}
    # A guard against a walk that silently checks nothing.
    assert {"catalogue.publish_catalogue", "consultations.open_consultation",
            "opinions.import_opinions", "dossier.add_attachment"} <= endpoints
    assert len(endpoints) >= 25


def test_anonymous_visitors_cannot_change_anything(app, client, world):
    values = _objects(world)
    before = _audit_count()
    checked = 0
    for rule in _state_changing_rules(app):
        if rule.endpoint in PUBLIC_STATE_CHANGES:
            continue
        url = _url(app, rule, values)
        response = client.post(url, data={"reason": "x", "stage": "decided", "name": "x"})
        assert response.status_code in (302, 401, 403), (rule.endpoint, response.status_code)
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], rule.endpoint
        checked += 1
    assert checked >= 20
    assert _audit_count() == before


def test_officials_of_another_unit_cannot_change_anything(app, client, world):
    values = _objects(world)
    login(client, world.other_approver)
    before = _audit_count()
    for rule in _state_changing_rules(app):
        if rule.endpoint in PUBLIC_STATE_CHANGES | OWN_ACCOUNT:
            continue
        url = _url(app, rule, values)
        response = client.post(url, data={"reason": "x", "stage": "decided", "name": "x",
                                          "role": "administrator", "locale": "en",
                                          "title": "越权添加", "unit_id": world.unit.id})
        if rule.endpoint in CHOOSES_UNIT:
            # The official may add decisions for their own unit only: the other unit is
            # not among the choices, and the form comes back with the error.
            assert response.status_code == 200, rule.endpoint
            assert "unit_id-error" in response.get_data(as_text=True)
            continue
        assert response.status_code in (403, 404), (rule.endpoint, response.status_code)
    assert _audit_count() == before


def test_citizens_cannot_reach_the_work_area(app, client, world):
    values = _objects(world)
    login(client, world.citizen)
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods:
            continue
        response = client.get(_url(app, rule, values))
        assert response.status_code in (403, 404), (rule.endpoint, response.status_code)


def test_anonymous_visitors_are_sent_to_sign_in_for_the_work_area(app, client, world):
    values = _objects(world)
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods:
            continue
        response = client.get(_url(app, rule, values))
        assert response.status_code == 302, rule.endpoint
        assert "/login" in response.headers["Location"]


def test_the_right_official_passes_the_same_checks(app, client, world):
    """The refusals above are not a broken route: the unit's approver gets through."""
    values = _objects(world)
    login(client, world.approver)
    response = client.post(_url(app, next(r for r in app.url_map.iter_rules()
                                          if r.endpoint == "consultations.close_consultation"),
                                values), data={"reason": "提前结束"})
    assert response.status_code == 302
    assert "/admin/consultations/" in response.headers["Location"]

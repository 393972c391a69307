"""Whatever a visitor types into an address or a form field gives a page or a clear error,
never a server error."""

from __future__ import annotations

import pytest
from flask import url_for

from participation.opinions import operations as opinion_ops
from tests import factories
from tests.conftest import login

ODD_QUERY = {"page": "-1", "year": "99999999999999999999", "unit": "abc", "stage": "<x>",
             "status": "'; drop table", "per_page": "0", "article": "zz", "node": "99999999",
             "category": "\u0000", "government": "nowhere", "from": "x", "to": "-3",
             "number": "%%%", "action": "x" * 500}


@pytest.fixture
def values(world):
    catalogue = factories.make_catalogue(world.government)
    decision = factories.make_decision(catalogue, world.unit)
    consultation = factories.make_consultation(decision)
    opinion, _ = opinion_ops.submit_online(
        consultation, body="一条用于检查异常输入的意见。", node_id=None, consent_to_publish=True,
        display_name=None, contact=None, submission_key="odd")
    return {"government_id": world.government.id, "unit_id": world.unit.id,
            "user_id": world.editor.id, "membership_id": world.editor.memberships[0].id,
            "catalogue_id": catalogue.id, "decision_id": decision.id, "document_id": 1,
            "attachment_id": 1, "consultation_id": consultation.id, "opinion_id": opinion.id,
            "anchor": "article-1", "number": opinion.receipt_number, "code": "en"}


def _get_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint != "static"]


@pytest.mark.parametrize("who", ["visitor", "administrator"])
def test_odd_query_strings_never_cause_a_server_error(app, client, world, values, who):
    if who == "administrator":
        login(client, world.admin)
    for rule in _get_rules(app):
        with app.test_request_context():
            query = {k: v for k, v in ODD_QUERY.items() if k not in rule.arguments}
            url = url_for(rule.endpoint, **{a: values[a] for a in rule.arguments}, **query)
        response = client.get(url)
        assert response.status_code < 500, (rule.endpoint, response.status_code)
        response.close()


def test_odd_form_values_never_cause_a_server_error(client, world, values):
    consultation_id = values["consultation_id"]
    for data in ({"node_id": "abc", "body": "x" * 10}, {"node_id": "-1", "body": "有效的意见内容"},
                 {"body": "\u0000\u202e隐藏字符的意见内容"}, {"submission_key": "k" * 500,
                                                          "body": "很长的提交标识也不应出错"}):
        response = client.post(f"/consultations/{consultation_id}/opinions/new", data=data)
        assert response.status_code in (302, 400), data
    login(client, world.approver)
    response = client.post(f"/admin/decisions/{values['decision_id']}/stage",
                           data={"stage": "nonsense", "occurred_on": "2026-13-45"})
    assert response.status_code == 302
    response = client.post(f"/admin/decisions/{values['decision_id']}/consultations/new",
                           data={"title": "x", "text": "第一条　内容",
                                 "opens_at": "2026-01-01T00:00",
                                 "closes_at": "9999-12-31T23:59"})
    assert response.status_code < 500
